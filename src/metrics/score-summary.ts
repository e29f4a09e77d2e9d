/**
 * The one summary exact rank metrics need: for each probability column, for each distinct
 * score, how many rows of each true class have it. ROC AUC (one-vs-rest and one-vs-one) and
 * average precision follow from it without a sort of all rows, ties counted as half.
 *
 * Two producers, one finisher (ColumnRanker):
 * - streaming (ScoreSummary): a hash table of distinct scores per column; past a cap of
 *   distinct values (a memory budget, or when scores are nearly all distinct so a table would
 *   cost more than the scores) the column falls back to (score, class) pairs sorted by a radix
 *   sort, spilled to disk as sorted runs past a budget and merged back into the same groups;
 * - SQL (src/metrics/sql-predictions.ts): `SELECT score, class, count(*) … GROUP BY … ORDER BY
 *   score`, streamed from the engine.
 * Every producer hands the finisher the same groups, and the finisher's sums are exact, so
 * the metrics are the same to the last bit whichever path computed them.
 */
import { DECIMAL_MAX_CLASSES, DecimalScoreColumn, decimalKey } from './decimal-scores.js';
import { type RunFile, ScoreLabelRuns, sortScoreLabels, type SpillDirectory } from './sorted-runs.js';

/**
 * The rows at one distinct score, as entries [start, end) of (class, rows): a class may come
 * more than once, and `counts` null means one row per entry (a slice of sorted labels).
 */
export type GroupVisitor = (
  score: number,
  classes: Int32Array,
  counts: Float64Array | null,
  start: number,
  end: number,
) => void;

/** Calls `visit` once per distinct score, in ascending order. */
export type ScoreGroups = (visit: GroupVisitor) => void;

export interface ColumnRanks {
  /** One-vs-rest ROC AUC of this column's class (NaN when it has no rows, or every row). */
  auc: number;
  /** One-vs-rest average precision (NaN when the class has no rows). */
  averagePrecision: number;
  /**
   * pairAuc[b]: ROC AUC of this column's score telling this class from class b alone, over
   * the rows of the two (scikit-learn's one-vs-one halves); NaN when either has no rows.
   */
  pairAuc: Float64Array;
}

/**
 * Rank metrics of one column from its groups, fed in ascending score order, each distinct
 * score once. AUC = P(score+ > score−) + P(tie)/2; AP = Σ over distinct thresholds t
 * (descending) of (positives at t / P) × precision(score ≥ t), scikit-learn's step-wise
 * average precision. `support[c]` is the number of rows of class c (the counts sum to it).
 */
export class ColumnRanker {
  private readonly k: number;
  private readonly P: number;
  private readonly N: number;
  private negativesBelow = 0;
  private positivesBelow = 0;
  private aucSum = 0;
  private apSum = 0;
  /** pairSums[b]: Σ over rows of class b of (positives scoring above + half those tied). */
  private readonly pairSums: Float64Array;
  private readonly pairs: boolean;

  constructor(
    private readonly column: number,
    private readonly support: ArrayLike<number>,
  ) {
    this.k = support.length;
    let total = 0;
    for (let c = 0; c < this.k; c++) total += support[c]!;
    this.P = support[column]!;
    this.N = total - this.P;
    this.pairSums = new Float64Array(this.k);
    this.pairs = this.k > 2; // one-vs-one of two classes is one-vs-rest
  }

  /**
   * The rows at the next distinct score (see GroupVisitor). Work is O(entries), not
   * O(classes): the sums are integers and halves, exact in float64 below 2^53, so every
   * producer of the same groups gets the same bits.
   */
  // One array type from every producer keeps this hot loop monomorphic.
  visit(classes: Int32Array, counts: Float64Array | null, start: number, end: number): void {
    const column = this.column;
    let positives = 0;
    let rows = 0;
    for (let i = start; i < end; i++) {
      const n = counts === null ? 1 : counts[i]!;
      rows += n;
      if (classes[i] === column) positives += n;
    }
    const negatives = rows - positives;
    if (this.pairs && negatives > 0) {
      const above = this.P - this.positivesBelow - positives / 2;
      const pairSums = this.pairSums;
      for (let i = start; i < end; i++) {
        const b = classes[i]!;
        if (b !== column) pairSums[b]! += (counts === null ? 1 : counts[i]!) * above;
      }
    }
    if (positives > 0) {
      this.aucSum += positives * (this.negativesBelow + negatives / 2);
      const truePositives = this.P - this.positivesBelow; // positives scoring >= this score
      const falsePositives = this.N - this.negativesBelow;
      this.apSum += (positives / this.P) * (truePositives / (truePositives + falsePositives));
    }
    this.negativesBelow += negatives;
    this.positivesBelow += positives;
  }

  result(): ColumnRanks {
    const { P, N, k, support } = this;
    const pairAuc = new Float64Array(k);
    for (let b = 0; b < k; b++)
      pairAuc[b] =
        b === this.column || P === 0 || support[b] === 0 ? Number.NaN : this.pairSums[b]! / (P * support[b]!);
    return {
      auc: P === 0 || N === 0 ? Number.NaN : this.aucSum / (P * N),
      averagePrecision: P === 0 ? Number.NaN : this.apSum,
      pairAuc,
    };
  }
}

/** Rank metrics of column `column` from its groups (see ColumnRanker). */
export function rankColumn(column: number, support: ArrayLike<number>, groups: ScoreGroups): ColumnRanks {
  const ranker = new ColumnRanker(column, support);
  groups((_, classes, counts, start, end) => ranker.visit(classes, counts, start, end));
  return ranker.result();
}

/** Groups from an array of ascending distinct scores and their counts (scores.length × k). */
export function groupsOfArrays(scores: Float64Array, counts: Float64Array, k: number): ScoreGroups {
  const classes = classIndexes(k);
  return (visit) => {
    for (let i = 0; i < scores.length; i++)
      visit(scores[i]!, classes, counts.subarray(i * k, i * k + k), 0, k);
  };
}

/** 0, 1, …, k−1: the classes of a dense row of counts. */
export function classIndexes(k: number): Int32Array {
  return Int32Array.from({ length: k }, (_, c) => c);
}

const EMPTY = -1; // scores are probabilities in [0, 1]: -1 marks a free slot
const MIN_ROWS_TO_JUDGE = 1 << 12; // rows seen before "nearly every score is distinct" is judged
const MIN_SLOTS = 1024; // a hash table's first size
/**
 * (score, class) pairs all sorting columns together hold in memory before writing sorted runs:
 * 20 MB, and as much again while one is sorted (a larger budget saves little: runs merge fast,
 * and the peak of a 10M-row Parquet evaluation stays well under 300 MB). Columns counted by
 * decimal key hold twice as many rows, in 4-byte words (16 MB in all).
 */
export const RUNS_MEMORY_VALUES = 2_000_000;
/** Bytes of hash tables of distinct scores, all columns together, before columns sort instead. */
export const HASH_BUDGET_BYTES = 96_000_000;

/** One column's distinct scores and per-class counts, in an open-addressing hash table. */
class HashColumn {
  keys: Float64Array;
  counts: Float64Array;
  size = 0;
  private mask: number;

  constructor(
    private readonly k: number,
    slots = 1024,
  ) {
    this.keys = new Float64Array(slots).fill(EMPTY);
    this.counts = new Float64Array(slots * k);
    this.mask = slots - 1;
  }

  get slots(): number {
    return this.keys.length;
  }

  add(score: number, label: number): void {
    const keys = this.keys;
    const mask = this.mask;
    BITS_F64[0] = score;
    let slot = Math.imul(BITS_U32[0]! ^ Math.imul(BITS_U32[1]!, 0x9e3779b1), 0x85ebca6b) >>> 0;
    slot = (slot ^ (slot >>> 15)) & mask;
    for (;;) {
      const key = keys[slot]!;
      if (key === score) break;
      if (key === EMPTY) {
        keys[slot] = score;
        this.size++;
        break;
      }
      slot = (slot + 1) & mask;
    }
    this.counts[slot * this.k + label]!++;
  }

  /** Each distinct score with each class that has rows there, and how many. */
  forEachCount(visit: (score: number, c: number, rows: number) => void): void {
    const k = this.k;
    for (let s = 0; s < this.keys.length; s++) {
      if (this.keys[s] === EMPTY) continue;
      for (let c = 0; c < k; c++)
        if (this.counts[s * k + c]! > 0) visit(this.keys[s]!, c, this.counts[s * k + c]!);
    }
  }

  /** Twice the slots, every entry moved. */
  grow(): void {
    const old = { keys: this.keys, counts: this.counts };
    const k = this.k;
    this.keys = new Float64Array(old.keys.length * 2).fill(EMPTY);
    this.counts = new Float64Array(this.keys.length * k);
    this.mask = this.keys.length - 1;
    this.size = 0;
    for (let s = 0; s < old.keys.length; s++) {
      const score = old.keys[s]!;
      if (score === EMPTY) continue;
      this.add(score, 0);
      // add() counted one row of class 0 in the new slot: replace it with the old counts.
      const slot = this.slotOf(score);
      for (let c = 0; c < k; c++) this.counts[slot * k + c] = old.counts[s * k + c]!;
    }
  }

  private slotOf(score: number): number {
    BITS_F64[0] = score;
    let slot = Math.imul(BITS_U32[0]! ^ Math.imul(BITS_U32[1]!, 0x9e3779b1), 0x85ebca6b) >>> 0;
    slot = (slot ^ (slot >>> 15)) & this.mask;
    while (this.keys[slot] !== score) slot = (slot + 1) & this.mask;
    return slot;
  }

  /** Ascending distinct scores and their counts. */
  sorted(): { scores: Float64Array; counts: Float64Array } {
    const k = this.k;
    const scores = new Float64Array(this.size);
    const slots = new Uint32Array(this.size);
    let n = 0;
    for (let s = 0; s < this.keys.length; s++) {
      if (this.keys[s] === EMPTY) continue;
      scores[n] = this.keys[s]!;
      slots[n++] = s;
    }
    sortScoreLabels(scores, slots, n);
    const counts = new Float64Array(n * k);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < k; c++) counts[i * k + c] = this.counts[slots[i]! * k + c]!;
    return { scores, counts };
  }
}

const BITS_F64 = new Float64Array(1);
const BITS_U32 = new Uint32Array(BITS_F64.buffer);

export interface ScoreSummaryOptions {
  /** Classes (probability columns); labels are class indexes 0..k-1. */
  k: number;
  /** The columns (class indexes) whose scores are summarised. */
  columns: number[];
  spill: SpillDirectory;
  /** Bytes all hash tables together may use before columns fall back to sorted runs. */
  hashBudgetBytes?: number;
  /** Scores held in memory by sorted runs before they spill to disk. */
  runsMemoryValues?: number;
}

/** The streaming producer of the summary: per column a hash table, else sorted runs. */
export class ScoreSummary {
  private readonly hash: Array<HashColumn | undefined>;
  /** Columns past their table whose scores all have at most 6 decimals: counted, not sorted. */
  private readonly decimal: Array<DecimalScoreColumn | undefined>;
  private readonly runs: Array<ScoreLabelRuns | undefined>;
  private rows = 0;
  private readonly slotBytes: number;
  private readonly slotBudget: number;
  /** Pairs each column that sorts may hold in memory before it writes a sorted run. */
  private readonly runCapacity: number;
  /** Columns that fell back to sorted runs (for the report's notes and tests). */
  fallbacks = 0;

  constructor(private readonly options: ScoreSummaryOptions) {
    const k = options.k;
    this.slotBytes = 8 + 8 * k;
    // 96 MB of tables by default, shared by the columns.
    this.slotBudget = Math.floor(
      (options.hashBudgetBytes ?? HASH_BUDGET_BYTES) / this.slotBytes / options.columns.length,
    );
    this.runCapacity = Math.max(
      1,
      Math.floor((options.runsMemoryValues ?? RUNS_MEMORY_VALUES) / options.columns.length),
    );
    // Hundreds of classes: a table of k counts a slot cannot even start within the budget
    // (1,000 classes would take 8 MB a column, 8 GB in all); those columns sort from the start.
    const tables = this.slotBudget >= MIN_SLOTS;
    this.hash = Array.from({ length: k }, (_, c) =>
      tables && options.columns.includes(c) ? new HashColumn(k, MIN_SLOTS) : undefined,
    );
    this.runs = Array.from({ length: k }, (_, c) =>
      !tables && options.columns.includes(c) ? this.newRuns(c) : undefined,
    );
    this.decimal = Array.from({ length: k }, () => undefined);
  }

  /** One row: its true class and its probabilities at probs[offset..offset+k). */
  add(label: number, probs: Float64Array, offset: number): void {
    this.rows++;
    for (const column of this.options.columns) {
      const score = probs[offset + column]! + 0; // -0 and 0 are one score
      const table = this.hash[column];
      if (table) {
        table.add(score, label);
        if (table.size * 4 > table.slots * 3) this.growOrFallBack(column, table);
      } else {
        const decimal = this.decimal[column];
        if (decimal === undefined) this.runs[column]!.push(score, label);
        else {
          const m = decimalKey(score);
          if (m >= 0) decimal.push(m, label);
          else this.decimalToRuns(column, decimal).push(score, label);
        }
      }
    }
  }

  /** A decimal column met a score of more decimals: every row it holds goes to sorted runs. */
  private decimalToRuns(column: number, decimal: DecimalScoreColumn): ScoreLabelRuns {
    const runs = this.newRuns(column);
    decimal.forEachRow((score, label) => runs.push(score, label));
    this.decimal[column] = undefined;
    this.runs[column] = runs;
    return runs;
  }

  private growOrFallBack(column: number, table: HashColumn): void {
    const nearlyAllDistinct = this.rows >= MIN_ROWS_TO_JUDGE && table.size * 2 > this.rows;
    if (table.slots * 2 <= this.slotBudget && !nearlyAllDistinct) {
      table.grow();
      return;
    }
    // The table would cost more than the scores themselves, or more than its share: count
    // the rows by decimal key when every score so far has at most 6 decimals, else sort them.
    let decimal = this.options.k <= DECIMAL_MAX_CLASSES;
    table.forEachCount((score) => {
      if (decimalKey(score) < 0) decimal = false;
    });
    if (decimal) {
      const counted = new DecimalScoreColumn(this.options.spill, 2 * this.runCapacity);
      table.forEachCount((score, c, times) => {
        const m = decimalKey(score);
        for (let t = 0; t < times; t++) counted.push(m, c);
      });
      this.decimal[column] = counted;
    } else {
      const runs = this.newRuns(column);
      table.forEachCount((score, c, times) => {
        for (let t = 0; t < times; t++) runs.push(score, c);
      });
      this.runs[column] = runs;
    }
    this.hash[column] = undefined;
    this.fallbacks++;
  }

  /**
   * Sorted runs for a column. Columns fill at the same pace: the first run of each is cut at a
   * different size, so their sorts come one at a time (a worker thread pauses briefly, never
   * for every column at once).
   */
  private newRuns(column: number): ScoreLabelRuns {
    const position = this.options.columns.indexOf(column);
    const firstRun = Math.max(
      1,
      Math.floor((this.runCapacity * (position + 1)) / this.options.columns.length),
    );
    return new ScoreLabelRuns(this.options.spill, this.runCapacity, firstRun);
  }

  /** Rank metrics of one column, given the rows of each class. */
  ranks(column: number, support: ArrayLike<number>): ColumnRanks {
    return rankColumn(column, support, this.groups(column));
  }

  /**
   * A column past its hash table (sorted runs, or decimal words), written out whole on disk so
   * that any thread can rank it (openWritten); undefined for a column still in its table.
   */
  writeRuns(column: number): WrittenColumn | undefined {
    const decimal = this.decimal[column];
    if (decimal) return { decimal: true, runs: decimal.writeAll() };
    const runs = this.runs[column];
    return runs ? { decimal: false, runs: runs.writeAll() } : undefined;
  }

  /** Nothing to free: the owner disposes of the spill directory (see RankSummary). */
  dispose(): void {}

  /** The groups of one column, ascending. */
  groups(column: number): ScoreGroups {
    const table = this.hash[column];
    if (table) {
      const { scores, counts } = table.sorted();
      return groupsOfArrays(scores, counts, this.options.k);
    }
    const decimal = this.decimal[column];
    if (decimal) return (visit) => decimal.forEachGroup(this.options.k, visit);
    const runs = this.runs[column];
    if (!runs) throw new Error(`column ${column} is not summarised`);
    return (visit) => runs.forEachGroup(visit);
  }
}

/** A column written out whole for another thread to rank (ScoreSummary.writeRuns). */
export interface WrittenColumn {
  /** (m, class) words of a DecimalScoreColumn, else sorted (score, class) runs. */
  decimal: boolean;
  runs: RunFile[];
}

/** A column another thread wrote out: its groups, and removeFiles() once they are read. */
export function openWritten(
  spill: SpillDirectory,
  k: number,
  written: WrittenColumn,
): { groups: ScoreGroups; removeFiles(): void } {
  if (written.decimal) {
    const decimal = DecimalScoreColumn.fromFiles(spill, written.runs);
    return { groups: (visit) => decimal.forEachGroup(k, visit), removeFiles: () => decimal.removeFiles() };
  }
  const runs = ScoreLabelRuns.fromFiles(spill, written.runs);
  return { groups: (visit) => runs.forEachGroup(visit), removeFiles: () => runs.removeFiles() };
}
