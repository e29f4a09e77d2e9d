/**
 * Scores written with at most 6 decimals ("0.123456", "0.25"), the way many pipelines round
 * their probabilities: each is m / 10^6 for an integer m below 2^20, so a column of them is
 * counted, not sorted. Rows are kept as (m, class) in one 32-bit word each, grouped by bucket
 * of m (one counting-sort pass) when written to disk past a budget. To rank the column, each
 * bucket's words are counted into a table small enough for the CPU's cache, read in ascending
 * m. No comparison sort and no merge: the sorted-runs path costs ~100 ns a row of a column,
 * this ~20.
 *
 * Exact, not approximate: m / 10^6 (one correctly rounded division) is the very double the
 * parser read from "0.123456", and a score is taken here only when that holds (decimalKey).
 * Distinct m are distinct scores, in the same order, so the groups handed to ColumnRanker are
 * those of the sorted path, and so are the metrics, to the last bit. A column that meets a
 * score of more decimals goes back to sorted runs, with every row it held.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { GroupVisitor } from './score-summary.js';
import { readFully, removeRunFiles, type RunFile, type SpillDirectory } from './sorted-runs.js';

const SCALE = 1e6;
const KEY_LIMIT = 1 << 20; // m < 2^20: scores up to 1.048575
const CLASS_BITS = 4;
/** Classes a word can carry beside m (and the dense table stays at most 2^20 x 16 counts). */
export const DECIMAL_MAX_CLASSES = 1 << CLASS_BITS;
const BLOCK = 1 << 16;
/** Runs kept open while a column is ranked; past that, each read opens its file. */
const MAX_OPEN_RUNS = 32;

/** m when score is exactly m / 10^6 with 0 <= m < 2^20; otherwise -1. */
export function decimalKey(score: number): number {
  const m = Math.round(score * SCALE);
  return m / SCALE === score && m >= 0 && m < KEY_LIMIT ? m : -1;
}

/** The score of key m (the double decimalKey took it from). */
export function decimalScore(m: number): number {
  return m / SCALE;
}

/** Keys of a bucket: a bucket's counts (4,096 x k) stay in the CPU's cache while counted. */
const BUCKET_SHIFT = 12;
const BUCKETS = KEY_LIMIT >>> BUCKET_SHIFT;

/**
 * A run on disk: its words grouped by bucket (key >> 12), `starts[b]` the first word of
 * bucket b (BUCKETS + 1 entries), no key above `maxKey`.
 */
interface BucketedRun extends RunFile {
  starts: number[];
  maxKey: number;
}

/** One probability column's (m, class) words, counted when read (see the module comment). */
export class DecimalScoreColumn {
  private words = new Uint32Array(1024);
  private length = 0;
  private runs: BucketedRun[] = [];
  private maxKey = 0;

  /** @param capacity words held in memory before they are written to disk (4 bytes each) */
  constructor(
    private readonly spill: SpillDirectory,
    private readonly capacity = Number.POSITIVE_INFINITY,
  ) {}

  /** Words written out by another thread (see writeAll). */
  static fromFiles(spill: SpillDirectory, runs: RunFile[]): DecimalScoreColumn {
    const column = new DecimalScoreColumn(spill);
    column.runs = runs.map((run) => ({ ...(run as BucketedRun) }));
    for (const run of column.runs) column.maxKey = Math.max(column.maxKey, run.maxKey);
    return column;
  }

  /** A row of class `label` (below DECIMAL_MAX_CLASSES) whose score has key m (decimalKey). */
  push(m: number, label: number): void {
    if (this.length === this.words.length) {
      const grown = new Uint32Array(
        Math.min(Math.max(this.words.length * 2, 1024), Math.max(this.capacity, 1024)),
      );
      grown.set(this.words);
      this.words = grown;
    }
    this.words[this.length++] = (m << CLASS_BITS) | label;
    if (m > this.maxKey) this.maxKey = m;
    if (this.length >= this.capacity) this.spillToDisk();
  }

  private spillToDisk(): void {
    if (this.length === 0) return;
    const { words, starts } = bucketed(this.words, this.length);
    const path = this.spill.next();
    const fd = openSync(path, 'w');
    try {
      writeSync(fd, new Uint8Array(words.buffer, 0, this.length * 4));
    } finally {
      closeSync(fd);
    }
    this.runs.push({ path, count: this.length, maxKey: this.maxKey, starts });
    this.length = 0;
  }

  /** Every word written to disk (none left in memory), and the files. */
  writeAll(): RunFile[] {
    this.spillToDisk();
    this.words = new Uint32Array(0); // another thread may read them now: free the buffer
    return this.runs.map((run) => ({ ...run }));
  }

  /** Removes the files written so far: their rows are gone. */
  removeFiles(): void {
    removeRunFiles(this.runs);
    this.runs = [];
  }

  /** Every row, in no particular order, as (score, class): a column going back to sorted runs. */
  forEachRow(visit: (score: number, label: number) => void): void {
    const use = (words: Uint32Array, from: number, to: number) => {
      for (let i = from; i < to; i++)
        visit(decimalScore(words[i]! >>> CLASS_BITS), words[i]! & (DECIMAL_MAX_CLASSES - 1));
    };
    for (const run of this.runs) readRange(run.path, 0, run.count, use);
    use(this.words, 0, this.length);
  }

  /** Visits each distinct score, ascending, with the rows of each class there. */
  forEachGroup(k: number, visit: GroupVisitor): void {
    if (k > DECIMAL_MAX_CLASSES)
      throw new Error(`decimal scores carry at most ${DECIMAL_MAX_CLASSES} classes`);
    const memory = bucketed(this.words, this.length);
    const width = 1 << BUCKET_SHIFT;
    const table = new Uint32Array(width * k);
    const present = new Uint8Array(width); // keys of the bucket with a row: the rest are skipped
    const classes = new Int32Array(k);
    const counts = new Float64Array(k);
    const count = (words: Uint32Array, from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const word = words[i]!;
        const j = (word >>> CLASS_BITS) & (width - 1);
        table[j * k + (word & (DECIMAL_MAX_CLASSES - 1))]!++;
        present[j] = 1;
      }
    };
    const last = this.maxKey >>> BUCKET_SHIFT;
    // Each run is read once a bucket: kept open when they are few, else opened each time.
    const files: number[] = [];
    try {
      if (this.runs.length <= MAX_OPEN_RUNS) for (const run of this.runs) files.push(openSync(run.path, 'r'));
      for (let bucket = 0; bucket <= last; bucket++) {
        let rows = 0;
        for (let r = 0; r < this.runs.length; r++) {
          const run = this.runs[r]!;
          const from = run.starts[bucket]!;
          const to = run.starts[bucket + 1]!;
          if (to > from) readRange(files[r] ?? run.path, from, to, count);
          rows += to - from;
        }
        count(memory.words, memory.starts[bucket]!, memory.starts[bucket + 1]!);
        rows += memory.starts[bucket + 1]! - memory.starts[bucket]!;
        if (rows === 0) continue;
        for (let j = 0; j < width; j++) {
          if (present[j] === 0) continue;
          let entries = 0;
          for (let c = 0; c < k; c++) {
            const n = table[j * k + c]!;
            if (n === 0) continue;
            classes[entries] = c;
            counts[entries++] = n;
            table[j * k + c] = 0;
          }
          present[j] = 0;
          visit(decimalScore((bucket << BUCKET_SHIFT) | j), classes, counts, 0, entries);
        }
      }
    } finally {
      for (const file of files) closeSync(file);
    }
  }
}

/**
 * Buffers reused from call to call (a thread has its own module, and each use below ends
 * before the next call): a fresh typed array of a few MB is fresh pages from the kernel, a
 * page fault every 4 KB, and on this project's VMs that made grouping words 15-19 ns a word
 * instead of 5.
 */
let groupedBuffer = new Uint32Array(0);
const MAX_KEPT_WORDS = 1 << 20;
let blockBuffer = new Uint32Array(0);

/**
 * Words [0, n) grouped by bucket (one counting-sort pass), and where each bucket starts. The
 * grouped words are valid until the next call (in this thread).
 */
function bucketed(words: Uint32Array, n: number): { words: Uint32Array; starts: number[] } {
  const starts = new Int32Array(BUCKETS + 1);
  for (let i = 0; i < n; i++) starts[(words[i]! >>> (CLASS_BITS + BUCKET_SHIFT)) + 1]!++;
  for (let b = 0; b < BUCKETS; b++) starts[b + 1]! += starts[b]!;
  const next = starts.slice(0, BUCKETS);
  let out = groupedBuffer;
  if (out.length < n) {
    out = new Uint32Array(n);
    if (n <= MAX_KEPT_WORDS) groupedBuffer = out; // larger ones are not held for ever
  }
  for (let i = 0; i < n; i++) {
    const word = words[i]!;
    out[next[word >>> (CLASS_BITS + BUCKET_SHIFT)]!++] = word;
  }
  return { words: out, starts: Array.from(starts) };
}

/** Words [from, to) of a file of words (a path, or a file already open), a block at a time. */
function readRange(
  file: string | number,
  from: number,
  to: number,
  use: (words: Uint32Array, from: number, to: number) => void,
): void {
  if (blockBuffer.length === 0) blockBuffer = new Uint32Array(BLOCK);
  const block = blockBuffer;
  const fd = typeof file === 'number' ? file : openSync(file, 'r');
  try {
    for (let done = from; done < to;) {
      const count = Math.min(block.length, to - done);
      readFully(fd, new Uint8Array(block.buffer, 0, count * 4), done * 4);
      use(block, 0, count);
      done += count;
    }
  } finally {
    if (fd !== file) closeSync(fd);
  }
}
