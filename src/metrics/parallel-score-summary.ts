/**
 * The rank metrics' summary built beside the parse, on other cores. Exact ROC AUC and average
 * precision of ten classes need ten sorts of every row's score, as much CPU as reading the
 * file: the reading thread copies each row's label and probabilities into a ring of batches
 * in shared memory and worker threads (src/metrics/score-worker.ts) summarise their columns
 * (the same ScoreSummary, the same ColumnRanker: the same bits as in one thread).
 *
 * Synchronous on purpose: rows arrive from a synchronous parse loop, so the reading thread
 * hands over batches and, when every slot of the ring is still being read, waits with
 * Atomics.wait (memory stays bounded by the ring whatever the speed of either side). Workers
 * start with the first full batch: a small file never pays for a thread. Any failure of a
 * worker (it threw, it never started) is an error of the evaluation, never a missing metric.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  type ColumnRanks,
  openWritten,
  HASH_BUDGET_BYTES,
  rankColumn,
  RUNS_MEMORY_VALUES,
  ScoreSummary,
  type ScoreSummaryOptions,
  type WrittenColumn,
} from './score-summary.js';
import {
  claimWord,
  controlWords,
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

/** A worker thread failed or never started: the evaluation has no rank metrics to give. */
export class RankMetricsError extends Error {}

/** What the classification accumulator needs of a rank summary, in one thread or several. */
export interface RankSummary {
  add(label: number, probs: Float64Array, offset: number): void;
  ranks(column: number, support: ArrayLike<number>): ColumnRanks;
  dispose(): void;
}

export interface ParallelOptions extends ScoreSummaryOptions {
  /** Worker threads (at most one per column); 0 summarises in the reading thread. */
  threads?: number;
  /** Rows per batch handed to the workers. */
  batchRows?: number;
  /** Batches in the ring (the reading thread waits when all are still being read). */
  ringSize?: number;
  /** The worker script (tests point it at a failing one). */
  workerUrl?: URL;
  /** How long a worker may take to start before the evaluation fails. */
  startTimeoutMs?: number;
  /**
   * performance.now() past which waiting for the workers fails: the check's own timeout, which
   * cannot fire while this thread waits. A worker that dies without a word (out of memory,
   * killed) would otherwise hold the reader for ever: nothing else tells a blocked thread.
   */
  deadline?: number;
}

const DEFAULT_BATCH_ROWS = 16_384;
const DEFAULT_RING = 8;
/** The ring's bytes at most: with many classes a batch holds fewer rows. */
const RING_BYTES = 16 * 1024 * 1024;
/** How long a worker may take to start (load its modules) before the evaluation fails. */
const START_TIMEOUT_MS = 60_000;

/** Worker threads for rank metrics by default: the cores beside the reading thread, up to 4. */
export function defaultRankThreads(): number {
  const fromEnv = process.env.MLGATE_RANK_THREADS;
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) return Number(fromEnv);
  return Math.max(0, Math.min(4, availableParallelism() - 1));
}

/** The summary for these options: in this thread, or beside it when threads are to spare. */
export function rankSummary(options: ParallelOptions): RankSummary {
  const threads = Math.min(options.threads ?? defaultRankThreads(), options.columns.length);
  if (threads < 1 || !(options.workerUrl ?? WORKER_URL)) return new ScoreSummary(options);
  return new ParallelScoreSummary({ ...options, threads });
}

/** The built worker script: beside this module, or (tests run the TypeScript) in dist/. */
const WORKER_URL = ((): URL | undefined => {
  for (const candidate of ['./score-worker.js', '../../dist/metrics/score-worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
})();

export class ParallelScoreSummary implements RankSummary {
  private readonly k: number;
  private readonly batchRows: number;
  private readonly ringSize: number;
  private readonly threads: number;
  private readonly control: Int32Array;
  private readonly rowCounts: Int32Array;
  private readonly labels: Int32Array;
  private readonly probs: Float64Array;
  private readonly support: Float64Array;
  private readonly results: Float64Array;
  private readonly messages: Uint8Array;
  private workers: Worker[] = [];
  private written = 0; // batches handed over
  private rowsInBatch = 0;
  private batchLabels: Int32Array;
  private batchProbs: Float64Array;
  private finished: Map<number, ColumnRanks> | undefined;
  /** Once a worker failed, every later call fails too (never a result from part of the rows). */
  private failure: Error | undefined;
  /** Threads actually used (0 when every row fit in the first batch). */
  threadsUsed = 0;
  /** Columns this (the reading) thread ranked while the workers finished (for tests). */
  columnsRankedHere = 0;

  constructor(private readonly options: ParallelOptions & { threads: number }) {
    this.k = options.k;
    this.ringSize = options.ringSize ?? DEFAULT_RING;
    this.batchRows =
      options.batchRows ??
      Math.max(64, Math.min(DEFAULT_BATCH_ROWS, Math.floor(RING_BYTES / this.ringSize / (4 + 8 * this.k))));
    this.threads = options.threads;
    const shared = (bytes: number) => new SharedArrayBuffer(bytes);
    this.control = new Int32Array(shared(4 * controlWords(this.threads, this.k)));
    this.rowCounts = new Int32Array(shared(4 * this.ringSize));
    this.labels = new Int32Array(shared(4 * this.ringSize * this.batchRows));
    this.probs = new Float64Array(shared(8 * this.ringSize * this.batchRows * this.k));
    this.support = new Float64Array(shared(8 * this.k));
    this.results = new Float64Array(shared(8 * this.k * (this.k + 2)));
    this.messages = new Uint8Array(shared(MESSAGE_BYTES * this.threads));
    this.batchLabels = this.labels.subarray(0, this.batchRows);
    this.batchProbs = this.probs.subarray(0, this.batchRows * this.k);
  }

  add(label: number, probs: Float64Array, offset: number): void {
    if (this.failure) throw this.failure;
    const k = this.k;
    const row = this.rowsInBatch;
    this.batchLabels[row] = label;
    const target = this.batchProbs;
    const at = row * k;
    for (let c = 0; c < k; c++) target[at + c] = probs[offset + c]!;
    if (++this.rowsInBatch === this.batchRows) this.handOver();
  }

  /** Publishes the batch being filled and waits for a free slot for the next one. */
  private handOver(): void {
    if (this.workers.length === 0) this.start();
    this.publish();
    this.wake();
    // The next slot is free once every worker has read the batch written ringSize ago.
    this.waitUntil(() => this.slowestDone() >= this.written - this.ringSize + 1, 'read a batch');
    const next = this.written % this.ringSize;
    this.batchLabels = this.labels.subarray(next * this.batchRows, (next + 1) * this.batchRows);
    this.batchProbs = this.probs.subarray(
      next * this.batchRows * this.k,
      (next + 1) * this.batchRows * this.k,
    );
  }

  /** The batch being filled becomes readable by the workers. */
  private publish(): void {
    this.rowCounts[this.written % this.ringSize] = this.rowsInBatch;
    this.written++;
    Atomics.store(this.control, WRITTEN, this.written);
    this.rowsInBatch = 0;
  }

  private start(): void {
    try {
      this.startWorkers();
    } catch (error) {
      this.fail(`cannot start a worker thread: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private startWorkers(): void {
    const columns = this.options.columns;
    for (let w = 0; w < this.threads; w++) {
      const data: ScoreWorkerData = {
        index: w,
        threads: this.threads,
        k: this.k,
        // Round robin: each worker its share of the columns.
        columns: columns.filter((_, i) => i % this.threads === w),
        batchRows: this.batchRows,
        ringSize: this.ringSize,
        hashBudgetBytes: Math.floor((this.options.hashBudgetBytes ?? HASH_BUDGET_BYTES) / this.threads),
        runsMemoryValues: Math.floor((this.options.runsMemoryValues ?? RUNS_MEMORY_VALUES) / this.threads),
        spillDirectory: this.options.spill.directory(),
        control: this.control,
        rowCounts: this.rowCounts,
        labels: this.labels,
        probs: this.probs,
        support: this.support,
        results: this.results,
        messages: this.messages,
      };
      const worker = new Worker(this.options.workerUrl ?? WORKER_URL!, { workerData: data });
      // Never keep the process alive; errors are read from shared memory (the event loop is
      // not turning while this thread waits).
      worker.unref();
      worker.on('error', () => {});
      this.workers.push(worker);
    }
    this.threadsUsed = this.threads;
  }

  private wake(): void {
    Atomics.add(this.control, SEQUENCE, 1);
    Atomics.notify(this.control, SEQUENCE);
  }

  private slowestDone(): number {
    let slowest = Number.POSITIVE_INFINITY;
    for (let w = 0; w < this.threads; w++)
      slowest = Math.min(slowest, Atomics.load(this.control, doneWord(w)));
    return slowest;
  }

  /** Waits (blocking this thread) until `ready()`; throws when a worker failed or never started. */
  private waitUntil(ready: () => boolean, what: string): void {
    const began = Date.now();
    for (;;) {
      const seen = Atomics.load(this.control, PROGRESS);
      this.throwIfFailed();
      if (ready()) return;
      const timeout = this.options.startTimeoutMs ?? START_TIMEOUT_MS;
      if (Atomics.load(this.control, STARTED) < this.threads && Date.now() - began > timeout)
        this.fail(`a worker thread did not start within ${timeout / 1000} s (waiting to ${what})`);
      const left = (this.options.deadline ?? Number.POSITIVE_INFINITY) - performance.now();
      if (left <= 0)
        this.fail(
          `timed out waiting for a worker thread to ${what} (a worker that died without a word, out of memory or killed, also ends here)`,
        );
      Atomics.wait(this.control, PROGRESS, seen, Math.max(1, Math.min(1000, left)));
    }
  }

  private fail(message: string): never {
    this.failure = new RankMetricsError(`rank metrics: ${message}`);
    this.dispose();
    throw this.failure;
  }

  private throwIfFailed(): void {
    for (let w = 0; w < this.threads; w++) {
      if (Atomics.load(this.control, statusWord(w)) !== STATUS_FAILED) continue;
      const bytes = this.messages.slice(w * MESSAGE_BYTES, (w + 1) * MESSAGE_BYTES);
      const end = bytes.indexOf(0);
      this.fail(
        `a worker thread failed: ${new TextDecoder().decode(end === -1 ? bytes : bytes.subarray(0, end))}`,
      );
    }
  }

  ranks(column: number, support: ArrayLike<number>): ColumnRanks {
    if (this.failure) throw this.failure;
    this.finished ??= this.finish(support);
    const ranks = this.finished.get(column);
    if (!ranks) throw new Error(`column ${column} is not summarised`);
    return ranks;
  }

  private finish(support: ArrayLike<number>): Map<number, ColumnRanks> {
    const k = this.k;
    const columns = this.options.columns;
    if (this.workers.length === 0) {
      // Every row fit in the first batch: summarise here, no thread.
      const local = new ScoreSummary(this.options);
      for (let row = 0; row < this.rowsInBatch; row++)
        local.add(this.batchLabels[row]!, this.batchProbs, row * k);
      return new Map(columns.map((column) => [column, local.ranks(column, support)]));
    }
    if (this.rowsInBatch > 0) this.publish();
    for (let c = 0; c < k; c++) this.support[c] = support[c]!;
    Atomics.store(this.control, STATE, STATE_FINISHING);
    this.wake();
    // Idle until the workers are done, this thread ranks the sorting columns they offer.
    const rankedHere = new Map<number, ColumnRanks>();
    this.waitUntil(() => {
      for (const column of columns) {
        if (Atomics.load(this.control, sharedWord(this.threads, column)) !== 1) continue;
        if (Atomics.compareExchange(this.control, claimWord(this.threads, column), 0, 1) !== 0) continue;
        rankedHere.set(column, this.rankOffered(column, support));
      }
      for (let w = 0; w < this.threads; w++)
        if (Atomics.load(this.control, statusWord(w)) !== STATUS_DONE) return false;
      return true;
    }, 'finish');
    const ranks = new Map<number, ColumnRanks>();
    for (const column of columns) {
      const here = rankedHere.get(column);
      if (here) {
        ranks.set(column, here);
        continue;
      }
      const at = column * (k + 2);
      ranks.set(column, {
        auc: this.results[at]!,
        averagePrecision: this.results[at + 1]!,
        pairAuc: this.results.slice(at + 2, at + 2 + k),
      });
    }
    this.dispose();
    return ranks;
  }

  /** A column a worker wrote out whole: ranked here, its files removed. */
  private rankOffered(column: number, support: ArrayLike<number>): ColumnRanks {
    const listing = sharedColumnFile(this.options.spill.directory(), column);
    let ranks: ColumnRanks;
    try {
      const written = JSON.parse(readFileSync(listing, 'utf8')) as WrittenColumn;
      const opened = openWritten(this.options.spill, this.k, written);
      ranks = rankColumn(column, support, opened.groups);
      opened.removeFiles();
    } catch (error) {
      this.fail(
        `cannot read a column a worker thread wrote out: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    rmSync(listing, { force: true });
    this.columnsRankedHere++;
    return ranks;
  }

  dispose(): void {
    for (const worker of this.workers) void worker.terminate();
    this.workers = [];
  }
}
