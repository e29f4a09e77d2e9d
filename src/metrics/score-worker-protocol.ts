/**
 * The shared memory between the reading thread and the rank-metrics workers
 * (parallel-score-summary.ts, score-worker.ts). Int32 control words:
 * - SEQUENCE: bumped by the reader on every hand-over and on finishing (workers wait on it);
 * - PROGRESS: bumped by workers after every batch and status change (the reader waits on it);
 * - WRITTEN: batches handed over; STATE: running or finishing; STARTED: workers running;
 * - doneWord(w): batches worker w has read; statusWord(w): working, done (its results are
 *   written) or failed (its message in messages[w * MESSAGE_BYTES ..], UTF-8, NUL-terminated);
 * - sharedWord(c): 1 once column c is all on disk (sorted runs, or decimal words), listed in
 *   sharedColumnFile(dir, c) (a JSON WrittenColumn), for any thread to rank; claimWord(c): 1 once a
 *   thread took it (Atomics.compareExchange: one thread ranks each column). While finishing,
 *   the reading thread is idle: it ranks the columns it claims, the workers the rest.
 * Batch b is in ring slot b % ringSize: rowCounts[slot] rows, labels[slot * batchRows + row],
 * probs[(slot * batchRows + row) * k + class]. Results: per column c, at c * (k + 2): ROC AUC,
 * average precision, then pairAuc[0..k).
 */
export const SEQUENCE = 0;
export const PROGRESS = 1;
export const WRITTEN = 2;
export const STATE = 3;
export const STARTED = 4;
export const doneWord = (worker: number) => 5 + 2 * worker;
export const statusWord = (worker: number) => 6 + 2 * worker;
export const sharedWord = (threads: number, column: number) => 5 + 2 * threads + 2 * column;
export const claimWord = (threads: number, column: number) => 6 + 2 * threads + 2 * column;
export const controlWords = (threads: number, k: number) => 5 + 2 * threads + 2 * k;
export const sharedColumnFile = (directory: string, column: number) => `${directory}/column-${column}.json`;

export const STATE_FINISHING = 1;
export const STATUS_DONE = 1;
export const STATUS_FAILED = 2;
export const MESSAGE_BYTES = 1024;

export interface ScoreWorkerData {
  index: number;
  /** Worker threads in all (the layout of the control words). */
  threads: number;
  k: number;
  /** The columns (class indexes) this worker summarises. */
  columns: number[];
  batchRows: number;
  ringSize: number;
  hashBudgetBytes: number;
  /** The reader's spill directory: the worker's sorted runs go there. */
  spillDirectory: string;
  runsMemoryValues: number;
  control: Int32Array;
  rowCounts: Int32Array;
  labels: Int32Array;
  probs: Float64Array;
  /** Rows of each class, written by the reader before it finishes. */
  support: Float64Array;
  results: Float64Array;
  messages: Uint8Array;
}
