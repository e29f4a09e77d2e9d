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

  next(): string {
    this.path ??= mkdtempSync(join(tmpdir(), 'mlgate-sort-'));
    return join(this.path, `run-${this.files++}.f64`);
  }

  dispose(): void {
    if (this.path) rmSync(this.path, { recursive: true, force: true });
    this.path = undefined;
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
  remaining: number;
  constructor(path: string, count: number) {
    this.fd = openSync(path, 'r');
    this.remaining = count;
  }
  read(): Float64Array {
    const values = Math.min(BLOCK, this.remaining);
    const block = new Float64Array(values);
    const bytes = new Uint8Array(block.buffer);
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
 * Sorts `n` (score, label) pairs by score, ascending, in O(n): an LSD radix sort on the
 * float64 bit patterns, 11 bits a pass, carrying the labels (a comparison sort of tens of
 * millions of scores is the slowest part of exact rank metrics). Digits every key shares are
 * skipped. No NaN; -0 sorts before 0 (they are one score to ===, and stay adjacent).
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
  // One sweep for every pass's histogram (six 11-bit digits, the last one 9 bits).
  const counts = new Uint32Array(PASSES * RADIX);
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i]!;
    const hi = words[2 * i + 1]!;
    counts[lo & 0x7ff]!++;
    counts[RADIX + ((lo >>> 11) & 0x7ff)]!++;
    counts[2 * RADIX + (((lo >>> 22) | (hi << 10)) & 0x7ff)]!++;
    counts[3 * RADIX + ((hi >>> 1) & 0x7ff)]!++;
    counts[4 * RADIX + ((hi >>> 12) & 0x7ff)]!++;
    counts[5 * RADIX + (hi >>> 23)]!++;
  }
  let source: Uint32Array = words;
  let sourceLabels: Uint16Array | Uint32Array = labels;
  let target: Uint32Array = new Uint32Array(n * 2);
  let targetLabels: Uint16Array | Uint32Array =
    labels instanceof Uint16Array ? new Uint16Array(n) : new Uint32Array(n);
  for (let pass = 0; pass < PASSES; pass++) {
    const offset = pass * RADIX;
    // A digit every key shares: nothing to do this pass.
    let used = 0;
    for (let d = 0; d < RADIX && used < 2; d++) if (counts[offset + d]! > 0) used++;
    if (used < 2) continue;
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      const count = counts[offset + d]!;
      counts[offset + d] = sum;
      sum += count;
    }
    scatter(source, sourceLabels, target, targetLabels, counts, offset, pass, n);
    [source, target] = [target, source];
    [sourceLabels, targetLabels] = [targetLabels, sourceLabels];
  }
  if (source !== words) {
    words.set(source.subarray(0, n * 2));
    labels.set(sourceLabels.subarray(0, n));
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

const RADIX = 2048;
const PASSES = 6;

/** One pass of the radix sort: each pair to its digit's next place. */
function scatter(
  source: Uint32Array,
  sourceLabels: Uint16Array | Uint32Array,
  target: Uint32Array,
  targetLabels: Uint16Array | Uint32Array,
  counts: Uint32Array,
  offset: number,
  pass: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const lo = source[2 * i]!;
    const hi = source[2 * i + 1]!;
    const digit =
      pass === 0
        ? lo & 0x7ff
        : pass === 1
          ? (lo >>> 11) & 0x7ff
          : pass === 2
            ? ((lo >>> 22) | (hi << 10)) & 0x7ff
            : pass === 3
              ? (hi >>> 1) & 0x7ff
              : pass === 4
                ? (hi >>> 12) & 0x7ff
                : hi >>> 23;
    const at = counts[offset + digit]!++;
    target[2 * at] = lo;
    target[2 * at + 1] = hi;
    targetLabels[at] = sourceLabels[i]!;
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
  private runs: Array<{ path: string; count: number }> = [];

  constructor(private readonly spill: SpillDirectory) {}

  get buffered(): number {
    return this.length;
  }

  push(score: number, label: number): void {
    if (this.length === this.scores.length) {
      const scores = new Float64Array(this.scores.length * 2);
      scores.set(this.scores);
      this.scores = scores;
      const labels = new Uint16Array(this.labels.length * 2);
      labels.set(this.labels);
      this.labels = labels;
    }
    this.scores[this.length] = score;
    this.labels[this.length++] = label;
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
    this.length = 0;
    this.scores = new Float64Array(1024);
    this.labels = new Uint16Array(1024);
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
    this.spillToDisk();
    // Merge the runs: the head score of each in a typed array, a group's labels gathered
    // into one buffer, so each pair costs a few array reads whatever the number of classes.
    const sources = this.runs.map((run) => new FilePairRun(run.path, run.count));
    const r = sources.length;
    const blocks = sources.map((source) => source.read());
    const offsets = new Int32Array(r);
    const heads = new Float64Array(r);
    for (let s = 0; s < r; s++) heads[s] = blocks[s]!.scores.length > 0 ? blocks[s]!.scores[0]! : Infinity;
    let group = new Int32Array(64);
    try {
      for (;;) {
        let score = Infinity;
        for (let s = 0; s < r; s++) if (heads[s]! < score) score = heads[s]!;
        if (score === Infinity) break;
        let size = 0;
        for (let s = 0; s < r; s++) {
          while (heads[s] === score) {
            let block = blocks[s]!;
            if (size === group.length) group = grow(group);
            group[size++] = block.labels[offsets[s]!]!;
            let offset = ++offsets[s]!;
            if (offset >= block.scores.length) {
              if (sources[s]!.remaining === 0) {
                heads[s] = Infinity;
                break;
              }
              block = blocks[s] = sources[s]!.read();
              offset = offsets[s] = 0;
            }
            heads[s] = block.scores[offset]!;
          }
        }
        visit(score, group, null, 0, size);
      }
    } finally {
      for (const source of sources) source.close();
    }
  }
}

function grow(group: Int32Array): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(group.length * 2);
  grown.set(group);
  return grown;
}

class FilePairRun implements PairRun {
  private scores: number;
  private labels: number;
  private position = 0;
  remaining: number;
  constructor(path: string, count: number) {
    this.scores = openSync(path, 'r');
    this.labels = openSync(`${path}.labels`, 'r');
    this.remaining = count;
  }
  read(): { scores: Float64Array; labels: Uint16Array } {
    const values = Math.min(BLOCK, this.remaining);
    const scores = new Float64Array(values);
    const labels = new Uint16Array(values);
    readFully(this.scores, new Uint8Array(scores.buffer), this.position * 8);
    readFully(this.labels, new Uint8Array(labels.buffer), this.position * 2);
    this.position += values;
    this.remaining -= values;
    return { scores, labels };
  }
  close(): void {
    closeSync(this.scores);
    closeSync(this.labels);
  }
}

function readFully(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const read = readSync(fd, bytes, done, bytes.length - done, position + done);
    if (read === 0) throw new Error('a sorted run on disk ended early');
    done += read;
  }
}
