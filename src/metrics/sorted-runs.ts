/**
 * A growing multiset of float64 values that can be read back in ascending order, exactly,
 * with bounded memory: values are buffered, and when the owner says so a buffer is sorted
 * and written to a temporary file as a run; reading merges the runs. Rank metrics (ROC AUC,
 * average precision, the median) need every value, and test sets can be larger than memory.
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
 * ROC AUC and average precision of one binary problem from the scores of its positives and
 * of its negatives, both read in ascending order. Exact, ties included:
 * AUC = P(score+ > score-) + P(tie)/2; AP = sum over distinct thresholds t of
 * (positives at t / P) * precision(score >= t), as scikit-learn's step-wise AP.
 */
export function rankMetrics(
  positives: SortedRuns,
  negatives: SortedRuns,
): { auc: number; averagePrecision: number } {
  const P = positives.count;
  const N = negatives.count;
  if (P === 0 || N === 0) return { auc: Number.NaN, averagePrecision: P === 0 ? Number.NaN : 1 };
  const pos = positives.reader();
  const neg = negatives.reader();
  let negBelow = 0;
  let posBelow = 0;
  let aucSum = 0;
  let apSum = 0;
  try {
    while (pos.remaining > 0 || neg.remaining > 0) {
      const value = Math.min(pos.peek(), neg.peek());
      const posEqual = pos.takeEqual(value);
      const negEqual = neg.takeEqual(value);
      if (posEqual > 0) {
        aucSum += posEqual * (negBelow + negEqual / 2);
        const truePositives = P - posBelow; // positives scoring >= value
        const falsePositives = N - negBelow;
        apSum += (posEqual / P) * (truePositives / (truePositives + falsePositives));
      }
      negBelow += negEqual;
      posBelow += posEqual;
    }
  } finally {
    pos.close();
    neg.close();
  }
  return { auc: aucSum / (P * N), averagePrecision: apSum };
}
