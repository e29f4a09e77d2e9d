/**
 * A rank-metrics worker thread (see parallel-score-summary.ts): reads the reader's batches
 * from shared memory into a ScoreSummary of its columns and, when told to finish, writes each
 * column's ColumnRanks into the shared results. Every failure is reported in shared memory:
 * the reader is blocked in Atomics.wait and cannot hear an 'error' event.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import type { ScoreSummary, WrittenColumn } from './score-summary.js';
import {
  claimWord,
  doneWord,
  MESSAGE_BYTES,
  PROGRESS,
  type ScoreWorkerData,
  SEQUENCE,
  sharedColumnFile,
  sharedWord,
  STARTED,
  STATE,
  STATE_FINISHING,
  STATUS_DONE,
  STATUS_FAILED,
  statusWord,
  WRITTEN,
} from './score-worker-protocol.js';

const data = workerData as ScoreWorkerData;
const control = data.control;

function report(status: number): void {
  Atomics.store(control, statusWord(data.index), status);
  progress();
}

function progress(): void {
  Atomics.add(control, PROGRESS, 1);
  Atomics.notify(control, PROGRESS);
}

/** Rows [first, first + rows) of the ring into the summary (a function: V8 optimises it). */
function summarise(summary: ScoreSummary, first: number, rows: number): void {
  const { labels, probs, k } = data;
  for (let row = first; row < first + rows; row++) summary.add(labels[row]!, probs, row * k);
}

Atomics.add(control, STARTED, 1);
try {
  // Imported here, not at the top: a module that fails to load is reported like any failure.
  const { ScoreSummary } = await import('./score-summary.js');
  const { removeRunFiles, SpillDirectory } = await import('./sorted-runs.js');
  const { k, columns, batchRows, ringSize } = data;
  const spill = new SpillDirectory(data.spillDirectory, `worker-${data.index}-`);
  try {
    const summary = new ScoreSummary({
      k,
      columns,
      spill,
      hashBudgetBytes: data.hashBudgetBytes,
      runsMemoryValues: data.runsMemoryValues,
    });
    let read = 0;
    for (;;) {
      const seen = Atomics.load(control, SEQUENCE);
      const written = Atomics.load(control, WRITTEN);
      if (read < written) {
        const slot = read % ringSize;
        summarise(summary, slot * batchRows, data.rowCounts[slot]!);
        read++;
        Atomics.store(control, doneWord(data.index), read);
        progress();
        continue;
      }
      // Finishing, and (read again after seeing it) no batch left: the reader wrote its last
      // batch before it said so.
      if (Atomics.load(control, STATE) === STATE_FINISHING && Atomics.load(control, WRITTEN) === read) break;
      Atomics.wait(control, SEQUENCE, seen);
    }
    const rank = (column: number) => {
      const ranks = summary.ranks(column, data.support);
      const at = column * (k + 2);
      data.results[at] = ranks.auc;
      data.results[at + 1] = ranks.averagePrecision;
      data.results.set(ranks.pairAuc, at + 2);
    };
    // The reading thread is idle now: columns that sort are written out whole and offered to
    // it, first; this thread ranks its hash-table columns, then whichever offered ones the
    // reader has not claimed.
    const offered = new Map<number, WrittenColumn>();
    for (const column of columns) {
      const written = summary.writeRuns(column);
      if (!written) continue;
      spill.handOver(written.runs.map((run) => run.path));
      writeFileSync(sharedColumnFile(data.spillDirectory, column), JSON.stringify(written));
      offered.set(column, written);
      Atomics.store(control, sharedWord(data.threads, column), 1);
      progress();
    }
    for (const column of columns) if (!offered.has(column)) rank(column);
    // From the last: the reader claims from the first, so the two meet in the middle.
    for (const [column, written] of [...offered].reverse()) {
      if (Atomics.compareExchange(control, claimWord(data.threads, column), 0, 1) !== 0) continue;
      rank(column);
      removeRunFiles(written.runs);
      rmSync(sharedColumnFile(data.spillDirectory, column), { force: true });
    }
  } finally {
    spill.dispose();
  }
  report(STATUS_DONE);
} catch (error) {
  const message = new TextEncoder().encode(error instanceof Error ? error.message : String(error));
  const room = data.messages.subarray(data.index * MESSAGE_BYTES, (data.index + 1) * MESSAGE_BYTES - 1);
  room.set(message.subarray(0, room.length));
  report(STATUS_FAILED);
}
