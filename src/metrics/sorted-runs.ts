/**
 * Growing multisets that can be read back in ascending order, exactly, with bounded memory:
 * values are buffered, and when the owner says so a buffer is sorted and written to a
 * temporary file as a run; reading merges the runs. SortedRuns holds float64 values (the
 * median of regression errors); ScoreLabelRuns holds (score, class) pairs and reads them back
 * grouped by distinct score (rank metrics past the cap of score-summary's hash tables). Test
 * sets can be larger than memory.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BLOCK = 1 << 16; // values read per run at a time while merging

export class SpillDirectory {
  private path: string | undefined;
  private files = 0;
  private made: string[] = [];

  /**
   * A temporary directory of its own, made on first use and removed by dispose(); or, with
   * `shared`, files named `prefix`… in a directory another SpillDirectory owns (worker threads
   * write into their owner's, so a thread stopped mid-sort leaves nothing behind it).
   */
  constructor(
    private readonly shared?: string,
    private readonly prefix = '',
  ) {}

  /** The directory, made now if it is not yet. */
  directory(): string {
    if (this.path === undefined) {
      this.path = this.shared ?? mkdtempSync(join(tmpdir(), 'mlgate-sort-'));
      if (!this.shared) liveDirectories.add(this.path);
    }
    return this.path;
  }

  next(): string {
    const path = join(this.directory(), `${this.prefix}run-${this.files++}.f64`);
    if (this.shared) this.made.push(path, `${path}.labels`);
    return path;
  }

  /**
   * Files of runs handed to another thread, which removes them once read: this directory's
   * dispose() leaves them (a thread still reading them must find them).
   */
  handOver(paths: string[]): void {
    const given = new Set(paths.flatMap((path) => [path, `${path}.labels`]));
    this.made = this.made.filter((path) => !given.has(path));
  }

  dispose(): void {
    if (this.shared) for (const path of this.made.splice(0)) rmSync(path, { force: true });
    else if (this.path) {
      removeDirectory(this.path);
      liveDirectories.delete(this.path);
    }
    this.path = undefined;
  }
}

/**
 * Directories not yet disposed, removed when the process exits: Ctrl-C ends the CLI with
 * process.exit while an evaluation may still hold sorted runs on disk (tens of MB each).
 */
const liveDirectories = new Set<string>();
process.on('exit', () => {
  for (const path of liveDirectories) removeDirectory(path);
});

/**
 * Removes a spill directory. A worker thread being stopped (Ctrl-C, a failed evaluation) may
 * still write a run into it for a moment: rmSync then meets ENOTEMPTY and tries again. Never
 * throws: a file that outlives every try is not worth a stack trace over the real outcome.
 */
function removeDirectory(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true, maxRetries: 20, retryDelay: 5 });
  } catch {
    // Left in the system's temporary directory, which the system clears.
  }
}

export class SortedRuns {
  private buffer = new Float64Array(1024);
  private length = 0;
  private runs: Array<{ path: string; count: number }> = [];
  count = 0;

  constructor(private readonly spill: SpillDirectory) {}

  push(value: number): void {
    if (this.length === this.buffer.length) {
      const bigger = new Float64Array(this.buffer.length * 2);
      bigger.set(this.buffer);
      this.buffer = bigger;
    }
    this.buffer[this.length++] = value;
    this.count++;
  }

  /** Values held in memory (for the owner's budget). */
  get buffered(): number {
    return this.length;
  }

  /** Sorts the buffer into a run on disk and frees it. */
  spillToDisk(): void {
    if (this.length === 0) return;
    const run = this.buffer.subarray(0, this.length).sort();
    const path = this.spill.next();
    const fd = openSync(path, 'w');
    try {
      writeSync(fd, new Uint8Array(run.buffer, run.byteOffset, run.byteLength));
    } finally {
      closeSync(fd);
    }
    this.runs.push({ path, count: this.length });
    this.length = 0;
    this.buffer = new Float64Array(1024);
  }

  /** All values in ascending order. */
  reader(): AscendingReader {
    const memory = this.buffer.subarray(0, this.length).sort();
    const sources: BlockSource[] = [
      new MemorySource(memory),
      ...this.runs.map((run) => new FileSource(run.path, run.count)),
    ];
    return new AscendingReader(sources.filter((source) => source.remaining > 0));
  }

  /** The value at a rank (0-based) in ascending order. */
  at(rank: number): number {
    const reader = this.reader();
    let value = Number.NaN;
    for (let i = 0; i <= rank; i++) value = reader.next();
    reader.close();
    return value;
  }
}

interface BlockSource {
  remaining: number;
  /** The next block of ascending values (empty at the end). */
  read(): Float64Array;
  close(): void;
}

class MemorySource implements BlockSource {
  remaining: number;
  constructor(private readonly values: Float64Array) {
    this.remaining = values.length;
  }
  read(): Float64Array {
    const block = this.values.subarray(
      this.values.length - this.remaining,
      Math.min(this.values.length, this.values.length - this.remaining + BLOCK),
    );
    this.remaining -= block.length;
    return block;
  }
  close(): void {}
}

class FileSource implements BlockSource {
  private fd: number;
  private position = 0;
  private readonly buffer: Float64Array;
  remaining: number;
  constructor(path: string, count: number) {
    this.fd = openSync(path, 'r');
    this.remaining = count;
    this.buffer = new Float64Array(Math.min(BLOCK, count));
  }
  /** The next block, in the same buffer each time (the merge is done with the last one). */
  read(): Float64Array {
    const values = Math.min(BLOCK, this.remaining);
    const block = this.buffer.subarray(0, values);
    const bytes = new Uint8Array(block.buffer, 0, values * 8);
    let done = 0;
    while (done < bytes.length)
      done += readSync(this.fd, bytes, done, bytes.length - done, this.position + done);
    this.position += bytes.length;
    this.remaining -= values;
    return block;
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** A k-way merge of ascending sources. */
export class AscendingReader {
  private blocks: Float64Array[];
  private offsets: number[];
  remaining: number;

  constructor(private readonly sources: BlockSource[]) {
    this.remaining = sources.reduce((sum, source) => sum + source.remaining, 0);
    this.blocks = sources.map((source) => source.read());
    this.offsets = sources.map(() => 0);
  }

  /** The smallest value left, without taking it; +Infinity when none is left. */
  peek(): number {
    let best = Number.POSITIVE_INFINITY;
    for (let s = 0; s < this.blocks.length; s++) {
      const offset = this.offsets[s]!;
      const block = this.blocks[s]!;
      if (offset < block.length && block[offset]! < best) best = block[offset]!;
    }
    return best;
  }

  next(): number {
    let bestSource = -1;
    let best = Number.POSITIVE_INFINITY;
    for (let s = 0; s < this.blocks.length; s++) {
      const offset = this.offsets[s]!;
      const block = this.blocks[s]!;
      if (offset < block.length && (bestSource === -1 || block[offset]! < best)) {
        best = block[offset]!;
        bestSource = s;
      }
    }
    if (bestSource === -1) return Number.NaN;
    this.remaining--;
    const offset = ++this.offsets[bestSource]!;
    if (offset >= this.blocks[bestSource]!.length && this.sources[bestSource]!.remaining > 0) {
      this.blocks[bestSource] = this.sources[bestSource]!.read();
      this.offsets[bestSource] = 0;
    }
    return best;
  }

  /** Takes every value equal to `value` at the head and returns how many there were. */
  takeEqual(value: number): number {
    let count = 0;
    while (this.remaining > 0 && this.peek() === value) {
      this.next();
      count++;
    }
    return count;
  }

  close(): void {
    for (const source of this.sources) source.close();
  }
}

/**
 * Sorts `n` (score, label) pairs by score, ascending, in O(n), carrying the labels (a
 * comparison sort of tens of millions of scores is the slowest part of exact rank metrics).
 * An LSD radix sort on the float64 bit patterns taken as unsigned 64-bit keys: first by the
 * high 32-bit word (three passes of 11, 11 and 10 bits; digits every key shares are skipped),
 * then each run of keys sharing that word is put in order by the low word (insertion sort
 * for short runs, the same radix sort for long ones). Scores are probabilities, which spread
 * over the high word: most runs are a single key or a tie, so this does half the passes of a
 * sort by all 64 bits. No NaN; -0 sorts before 0 (one score to ===, and they stay adjacent).
 */
export function sortScoreLabels(scores: Float64Array, labels: Uint16Array | Uint32Array, n: number): void {
  if (n < 2) return;
  const words = new Uint32Array(scores.buffer, scores.byteOffset, n * 2); // little-endian: [lo, hi]
  let negatives = false;
  for (let i = 0; i < n; i++) if (words[2 * i + 1]! & 0x80000000) negatives = true;
  if (negatives) {
    // Order-preserving unsigned keys: flip the sign bit of positives, every bit of negatives.
    // (Scores are probabilities: this is the rare path.)
    for (let i = 0; i < n; i++) {
      const hi = words[2 * i + 1]!;
      if (hi & 0x80000000) {
        words[2 * i + 1] = ~hi;
        words[2 * i] = ~words[2 * i]!;
      } else words[2 * i + 1] = hi | 0x80000000;
    }
  }
  const scratch = radixScratch(n, labels instanceof Uint16Array);
  // Past 64K pairs two passes of 16 bits; below, the 64K-entry counts would cost more than
  // the third pass of 11 bits saves.
  radixByWord(words, labels, scratch, 0, n, HIGH_WORD, n >= 1 << 16 ? 16 : 11);
  // Runs of one high word, in order by the low word (ties, the same score many times, are
  // already in order).
  let start = 0;
  while (start < n) {
    const hi = words[2 * start + 1]!;
    const lo = words[2 * start]!;
    let end = start + 1;
    let tied = true;
    for (; end < n && words[2 * end + 1] === hi; end++) if (words[2 * end] !== lo) tied = false;
    if (!tied) {
      if (end - start > INSERTION_MAX) radixByWord(words, labels, scratch, start, end, LOW_WORD, 11);
      else insertionByLowWord(words, labels, start, end);
    }
    start = end;
  }
  if (negatives) {
    for (let i = 0; i < n; i++) {
      const hi = words[2 * i + 1]!;
      if (hi & 0x80000000) words[2 * i + 1] = hi & 0x7fffffff;
      else {
        words[2 * i + 1] = ~hi;
        words[2 * i] = ~words[2 * i]!;
      }
    }
  }
}

const LOW_WORD = 0;
const HIGH_WORD = 1;
const INSERTION_MAX = 48;

interface RadixScratch {
  words: Uint32Array;
  labels: Uint16Array | Uint32Array;
}

/**
 * Scratch arrays kept from sort to sort in this thread (each sort is done with them before the
 * next begins). A fresh typed array of a few MB is fresh pages from the kernel, a page fault
 * every 4 KB: on this project's 2-core VMs that was a tenth of a run's sort. Arrays past
 * MAX_KEPT_BYTES are made for the one sort and not held for ever.
 */
const MAX_KEPT_BYTES = 8 << 20;
const kept: { words: Uint32Array; labels16: Uint16Array; labels32: Uint32Array } = {
  words: new Uint32Array(0),
  labels16: new Uint16Array(0),
  labels32: new Uint32Array(0),
};
const keptCounts = new Uint32Array(2 << 16);

function radixScratch(n: number, labels16: boolean): RadixScratch {
  let words = kept.words;
  if (words.length < 2 * n) {
    words = new Uint32Array(2 * n);
    if (8 * n <= MAX_KEPT_BYTES) kept.words = words;
  }
  let labels: Uint16Array | Uint32Array = labels16 ? kept.labels16 : kept.labels32;
  if (labels.length < n) {
    labels = labels16 ? new Uint16Array(n) : new Uint32Array(n);
    if (labels.byteLength <= MAX_KEPT_BYTES) {
      if (labels instanceof Uint16Array) kept.labels16 = labels;
      else kept.labels32 = labels;
    }
  }
  return { words, labels };
}

/**
 * Stable LSD radix sort of pairs [start, end) by one 32-bit word of their key, carrying the
 * other word and the labels; the result is left in place. `digit` is 16 (two passes: fewer
 * trips over a large array, 64K-entry counts) or 11 (three passes of 11, 11 and 10 bits: small
 * counts for short runs). A digit every key shares is skipped (scores in [0, 1] share the sign
 * and most exponent bits). Stable: pairs already in order by the other word stay so.
 */
function radixByWord(
  words: Uint32Array,
  labels: Uint16Array | Uint32Array,
  scratch: RadixScratch,
  start: number,
  end: number,
  word: number,
  digit: 11 | 16,
): void {
  const radix = 1 << digit;
  const passes = digit === 16 ? 2 : 3;
  const counts = keptCounts.subarray(0, passes * radix).fill(0);
  // One sweep for every pass's histogram, unrolled for each width (the hot loop of the sort).
  if (digit === 16) {
    for (let i = start; i < end; i++) {
      const key = words[2 * i + word]!;
      counts[key & 0xffff]!++;
      counts[radix + (key >>> 16)]!++;
    }
  } else {
    for (let i = start; i < end; i++) {
      const key = words[2 * i + word]!;
      counts[key & 0x7ff]!++;
      counts[radix + ((key >>> 11) & 0x7ff)]!++;
      counts[2 * radix + (key >>> 22)]!++;
    }
  }
  let source = words;
  let sourceLabels = labels;
  let target = scratch.words;
  let targetLabels = scratch.labels;
  // Source and target index the same places: pairs [start, end) of either array.
  for (let pass = 0; pass < passes; pass++) {
    const offset = pass * radix;
    let used = 0;
    for (let d = 0; d < radix && used < 2; d++) if (counts[offset + d]! > 0) used++;
    if (used < 2) continue;
    let sum = start;
    for (let d = 0; d < radix; d++) {
      const count = counts[offset + d]!;
      counts[offset + d] = sum;
      sum += count;
    }
    const shift = pass * digit;
    const mask = radix - 1;
    for (let i = start; i < end; i++) {
      const lo = source[2 * i]!;
      const hi = source[2 * i + 1]!;
      const at = counts[offset + ((source[2 * i + word]! >>> shift) & mask)]!++;
      target[2 * at] = lo;
      target[2 * at + 1] = hi;
      targetLabels[at] = sourceLabels[i]!;
    }
    [source, target] = [target, source];
    [sourceLabels, targetLabels] = [targetLabels, sourceLabels];
  }
  if (source !== words) {
    words.set(source.subarray(2 * start, 2 * end), 2 * start);
    labels.set(sourceLabels.subarray(start, end), start);
  }
}

/** Insertion sort of pairs [start, end) that share their high word, by the low word. */
function insertionByLowWord(
  words: Uint32Array,
  labels: Uint16Array | Uint32Array,
  start: number,
  end: number,
): void {
  for (let i = start + 1; i < end; i++) {
    const lo = words[2 * i]!;
    if (words[2 * i - 2]! <= lo) continue;
    const hi = words[2 * i + 1]!;
    const label = labels[i]!;
    let j = i - 1;
    while (j >= start && words[2 * j]! > lo) {
      words[2 * j + 2] = words[2 * j]!;
      words[2 * j + 3] = words[2 * j + 1]!;
      labels[j + 1] = labels[j]!;
      j--;
    }
    words[2 * j + 2] = lo;
    words[2 * j + 3] = hi;
    labels[j + 1] = label;
  }
}

/**
 * A run on disk: `count` scores in `path`, their labels in `path`.labels (or, from a
 * DecimalScoreColumn, `count` words in `path`).
 */
export interface RunFile {
  path: string;
  count: number;
}

/** Removes the files of runs (the thread that read them last, once it has). */
export function removeRunFiles(runs: RunFile[]): void {
  for (const run of runs) {
    rmSync(run.path, { force: true });
    rmSync(`${run.path}.labels`, { force: true });
  }
}

/** A sorted run of (score, label) pairs, read back a block at a time. */
interface PairRun {
  remaining: number;
  read(): { scores: Float64Array; labels: Uint16Array };
  close(): void;
}

/**
 * (score, true class) pairs of one probability column, read back grouped by distinct score
 * in ascending order with the count of each class: sorted in memory, spilled to disk as
 * sorted runs past the owner's budget, merged when read.
 */
export class ScoreLabelRuns {
  private scores = new Float64Array(1024);
  private labels = new Uint16Array(1024);
  private length = 0;
  private runs: RunFile[] = [];
  private runLength: number;

  /**
   * @param capacity pairs held in memory at most: a full buffer is sorted and written as a run
   * @param firstRun the first run's length, when it is to be cut earlier (see ScoreSummary)
   */
  constructor(
    private readonly spill: SpillDirectory,
    private readonly capacity = Number.POSITIVE_INFINITY,
    firstRun = capacity,
  ) {
    this.runLength = Math.max(1, Math.min(capacity, firstRun));
  }

  get buffered(): number {
    return this.length;
  }

  /** Runs another thread wrote out (see writeAll), to be read back here. */
  static fromFiles(spill: SpillDirectory, runs: RunFile[]): ScoreLabelRuns {
    const read = new ScoreLabelRuns(spill);
    read.runs = runs.map((run) => ({ ...run }));
    return read;
  }

  /** Every pair written out as sorted runs (none left in memory), and the runs' files. */
  writeAll(): RunFile[] {
    this.spillToDisk();
    // Another thread may read them now: free the buffer meanwhile (tens of MB).
    this.scores = new Float64Array(0);
    this.labels = new Uint16Array(0);
    return this.runs.map((run) => ({ ...run }));
  }

  /** Removes the runs' files (those merged from others too): the pairs are gone. */
  removeFiles(): void {
    removeRunFiles(this.runs);
    this.runs = [];
  }

  /** Runs merged into one (their files removed). */
  private mergeRuns(runs: RunFile[]): RunFile {
    const writer = new PairRunWriter(this.spill.next());
    try {
      ScoreLabelRuns.fromFiles(this.spill, runs).forEachGroup((score, classes, _counts, start, end) => {
        for (let i = start; i < end; i++) writer.push(score, classes[i]!);
      });
    } finally {
      writer.close();
    }
    removeRunFiles(runs);
    return { path: writer.path, count: writer.count };
  }

  push(score: number, label: number): void {
    if (this.length === this.scores.length) {
      // Grows by doubling, never past the capacity (the buffer is written out when full).
      const scores = new Float64Array(
        Math.min(Math.max(this.scores.length * 2, 1024), Math.max(this.capacity, 1024)),
      );
      scores.set(this.scores);
      this.scores = scores;
      const labels = new Uint16Array(scores.length);
      labels.set(this.labels);
      this.labels = labels;
    }
    this.scores[this.length] = score;
    this.labels[this.length++] = label;
    if (this.length >= this.runLength) {
      this.spillToDisk();
      this.runLength = this.capacity;
    }
  }

  spillToDisk(): void {
    if (this.length === 0) return;
    sortScoreLabels(this.scores, this.labels, this.length);
    const path = this.spill.next();
    for (const [suffix, array] of [
      ['', this.scores.subarray(0, this.length)],
      ['.labels', this.labels.subarray(0, this.length)],
    ] as const) {
      const fd = openSync(path + suffix, 'w');
      try {
        writeSync(fd, new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      } finally {
        closeSync(fd);
      }
    }
    this.runs.push({ path, count: this.length });
    this.length = 0; // the buffer is kept: it fills again at the same pace
  }

  /**
   * Visits each distinct score, ascending, with its rows: in memory the slice of sorted labels
   * at that score (one row each), from disk the count of each class.
   */
  forEachGroup(
    visit: (
      score: number,
      classes: Int32Array,
      counts: Float64Array | null,
      start: number,
      end: number,
    ) => void,
  ): void {
    if (this.runs.length === 0) {
      // All in memory: one sort, one scan.
      const n = this.length;
      const scores = this.scores;
      const labels = this.labels;
      sortScoreLabels(scores, labels, n);
      let group = new Int32Array(64);
      let i = 0;
      while (i < n) {
        const score = scores[i]!;
        let size = 0;
        while (i < n && scores[i] === score) {
          if (size === group.length) group = grow(group);
          group[size++] = labels[i++]!;
        }
        visit(score, group, null, 0, size);
      }
      return;
    }
    // At most MAX_FAN_IN runs open at once (two files each): past that, runs are merged into
    // longer ones first (hundreds of runs would exhaust a 256- or 1,024-file limit).
    while (this.runs.length > MAX_FAN_IN) this.runs.push(this.mergeRuns(this.runs.splice(0, MAX_FAN_IN)));
    // The pairs still in memory join the merge from there, sorted in place: no write and
    // read back of the last run.
    const sources: PairRun[] = this.runs.map((run) => new FilePairRun(run.path, run.count));
    if (this.length > 0) {
      sortScoreLabels(this.scores, this.labels, this.length);
      sources.push(
        new MemoryPairRun(this.scores.subarray(0, this.length), this.labels.subarray(0, this.length)),
      );
    }
    this.length = 0;
    this.scores = new Float64Array(0); // the merge holds what it needs
    this.labels = new Uint16Array(0);
    // Merge the runs with a tournament tree of losers: each pair costs log2(runs) comparisons
    // of head scores held in a typed array, and a group's labels gather into one buffer.
    const r = sources.length;
    let leaves = 1;
    while (leaves < r) leaves <<= 1;
    const blocks = sources.map((source) => source.read());
    const offsets = new Int32Array(r);
    const heads = new Float64Array(leaves).fill(Infinity); // Infinity: a run (or padding) is done
    for (let s = 0; s < r; s++) if (blocks[s]!.scores.length > 0) heads[s] = blocks[s]!.scores[0]!;
    const losers = new Int32Array(leaves);
    const winners = new Int32Array(2 * leaves);
    for (let i = 0; i < leaves; i++) winners[leaves + i] = i;
    for (let node = leaves - 1; node >= 1; node--) {
      const a = winners[2 * node]!;
      const b = winners[2 * node + 1]!;
      const bWins = heads[b]! < heads[a]!;
      winners[node] = bWins ? b : a;
      losers[node] = bWins ? a : b;
    }
    let winner = winners[1]!; // with one run, leaf 0
    let group = new Int32Array(64);
    try {
      for (;;) {
        const score = heads[winner]!;
        if (score === Infinity) break;
        let size = 0;
        do {
          let block = blocks[winner]!;
          if (size === group.length) group = grow(group);
          group[size++] = block.labels[offsets[winner]!]!;
          let offset = ++offsets[winner]!;
          if (offset >= block.scores.length && sources[winner]!.remaining > 0) {
            block = blocks[winner] = sources[winner]!.read();
            offset = offsets[winner] = 0;
          }
          heads[winner] = offset < block.scores.length ? block.scores[offset]! : Infinity;
          // Replay the changed leaf's matches up to the root.
          let node = (winner + leaves) >> 1;
          while (node >= 1) {
            const other = losers[node]!;
            if (heads[other]! < heads[winner]!) {
              losers[node] = winner;
              winner = other;
            }
            node >>= 1;
          }
        } while (heads[winner] === score);
        visit(score, group, null, 0, size);
      }
    } finally {
      for (const source of sources) source.close();
    }
  }
}

/** Runs merged at once: each holds two open files. */
const MAX_FAN_IN = 32;

/** Sorted (score, label) pairs written to a run's two files a block at a time. */
class PairRunWriter {
  private readonly scores = new Float64Array(BLOCK);
  private readonly labels = new Uint16Array(BLOCK);
  private length = 0;
  private readonly files: [number, number];
  count = 0;

  constructor(readonly path: string) {
    const scores = openSync(path, 'w');
    try {
      this.files = [scores, openSync(`${path}.labels`, 'w')];
    } catch (error) {
      closeSync(scores);
      throw error;
    }
  }

  push(score: number, label: number): void {
    this.scores[this.length] = score;
    this.labels[this.length++] = label;
    this.count++;
    if (this.length === BLOCK) this.flush();
  }

  private flush(): void {
    const n = this.length;
    writeSync(this.files[0], new Uint8Array(this.scores.buffer, 0, n * 8));
    writeSync(this.files[1], new Uint8Array(this.labels.buffer, 0, n * 2));
    this.length = 0;
  }

  close(): RunFile {
    try {
      this.flush();
    } finally {
      closeSync(this.files[0]);
      closeSync(this.files[1]);
    }
    return { path: this.path, count: this.count };
  }
}

function grow(group: Int32Array): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(group.length * 2);
  grown.set(group);
  return grown;
}

class MemoryPairRun implements PairRun {
  private position = 0;
  remaining: number;
  constructor(
    private readonly scores: Float64Array,
    private readonly labels: Uint16Array,
  ) {
    this.remaining = scores.length;
  }
  read(): { scores: Float64Array; labels: Uint16Array } {
    const end = Math.min(this.scores.length, this.position + BLOCK);
    const block = {
      scores: this.scores.subarray(this.position, end),
      labels: this.labels.subarray(this.position, end),
    };
    this.remaining -= end - this.position;
    this.position = end;
    return block;
  }
  close(): void {}
}

class FilePairRun implements PairRun {
  private scores: number;
  private labels: number;
  private readonly scoreBlock: Float64Array;
  private readonly labelBlock: Uint16Array;
  private position = 0;
  remaining: number;
  constructor(path: string, count: number) {
    this.scores = openSync(path, 'r');
    this.labels = openSync(`${path}.labels`, 'r');
    this.remaining = count;
    this.scoreBlock = new Float64Array(Math.min(BLOCK, count));
    this.labelBlock = new Uint16Array(this.scoreBlock.length);
  }
  /** The next block, in the same buffers each time (the merge is done with the last one). */
  read(): { scores: Float64Array; labels: Uint16Array } {
    const values = Math.min(BLOCK, this.remaining);
    const scores = this.scoreBlock.subarray(0, values);
    const labels = this.labelBlock.subarray(0, values);
    readFully(this.scores, new Uint8Array(scores.buffer, 0, values * 8), this.position * 8);
    readFully(this.labels, new Uint8Array(labels.buffer, 0, values * 2), this.position * 2);
    this.position += values;
    this.remaining -= values;
    return { scores, labels };
  }
  close(): void {
    closeSync(this.scores);
    closeSync(this.labels);
  }
}

/** Fills `bytes` from the file at `position`; a file that ends first is an error. */
export function readFully(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const read = readSync(fd, bytes, done, bytes.length - done, position + done);
    if (read === 0) throw new Error('a sorted run on disk ended early');
    done += read;
  }
}
