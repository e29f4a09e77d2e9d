/**
 * Classification metrics, float64, with scikit-learn's definitions, as a function of one
 * summary (ClassificationSummary: counts and sums, O(classes²) plus the rank metrics' per-score
 * counts). The streaming path fills it row by row (ClassificationAccumulator); the SQL path
 * (src/data/sql) fills it from GROUP BY queries; both finish with finishClassification.
 *
 * Nothing depends on the order of the probability columns: classes are reported in sorted
 * order, ties in probability go to the class first in that order (numpy's argmax over
 * scikit-learn's classes_), and the metrics of the positive class of two (precision,
 * recall, F1, ROC AUC, average precision, Brier) are for the class positiveClass() names.
 */
import { type ClassIndex, positiveClass } from './classes.js';
import { type RankSummary, rankSummary } from './parallel-score-summary.js';
import type { ColumnRanks } from './score-summary.js';
import { SpillDirectory } from './sorted-runs.js';

export const ECE_BINS = 15;
export const EPS = 2.220446049250313e-16; // float64 machine epsilon, as scikit-learn clips log loss

export interface ClassificationOptions {
  classes: ClassIndex;
  /** Rows carry a probability per class (in class index order). */
  probabilities: boolean;
  /** Summarise scores for ROC AUC (one-vs-rest, one-vs-one, weighted) and average precision. */
  rankMetrics: boolean;
  /** Scores held in memory for rank metrics (when they are sorted) before spilling runs to disk. */
  rankMemoryValues?: number;
  /** Bytes of hash tables of distinct scores before a column falls back to sorting. */
  rankHashBytes?: number;
  /** performance.now() past which waiting for rank-metric worker threads fails (the check's timeout). */
  deadline?: number;
  /** The positive class of two, as the spec names it (default: see positiveClass). */
  positive?: string;
}

/** The metrics of the positive class of two: not computed while it is not known. */
export const POSITIVE_CLASS_METRICS = [
  'precision',
  'recall',
  'f1',
  'roc_auc',
  'roc_auc_ovo',
  'roc_auc_weighted',
  'average_precision',
  'brier',
];
const RANK_NAMES = ['roc_auc', 'roc_auc_ovo', 'roc_auc_weighted', 'average_precision'];

export interface PerClass {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  accuracy: number | null;
  confidence: number | null;
}

export interface ClassificationResult {
  task: 'classification';
  n: number;
  classes: string[];
  metrics: Record<string, number>;
  perClass: PerClass[];
  /** confusion[true][predicted], in class order. */
  confusion: number[][];
  reliability?: ReliabilityBin[];
  /** Two classes: the positive one (undefined when it is not known; see notes). */
  positive?: string;
  notes: string[];
  /** Why a metric these rows could have had is missing (metric → reason). */
  unavailable?: Record<string, string>;
}

/**
 * Everything the classification metrics are a function of, in class-index order (the
 * order of options.classes). Sums are float64; counts are exact up to 2^53 rows.
 */
export interface ClassificationSummary {
  k: number;
  n: number;
  /** confusion[true * k + predicted]. */
  confusion: Float64Array;
  /** With probabilities: the sums below are filled. */
  probabilities: boolean;
  /** Σ −ln(clip(p of the true class)). */
  logLossSum: number;
  /** brierByClass[c] = Σ over rows (p_c − [label = c])². */
  brierByClass: Float64Array;
  /** Per calibration bin (ECE_EDGES): rows, rows whose top class is right, Σ top probability. */
  eceCount: Float64Array;
  eceCorrect: Float64Array;
  eceConfidence: Float64Array;
  /** topHits[r]: rows whose true class is among the r most probable (r = 1..5). */
  topHits: Float64Array;
  /**
   * Rank metrics of the summarised columns (class indexes): from per-score counts, given the
   * support of each class (the streaming path ranks its summary; the SQL path has ranked the
   * rows its engine grouped, with the same ColumnRanker).
   */
  scores?: { columns: number[]; ranks(column: number, support: Float64Array): ColumnRanks };
}

/** Bin edges as numpy.linspace(0, 1, 16) computes them, so ties at edges go the same way. */
export const ECE_EDGES = Array.from({ length: ECE_BINS + 1 }, (_, i) =>
  i === ECE_BINS ? 1 : i * (1 / ECE_BINS),
);

/** The calibration bin of a top probability: bins are (lower, upper], the first includes 0. */
export function eceBin(confidence: number): number {
  let bin = Math.min(ECE_BINS - 1, Math.max(0, Math.ceil(confidence * ECE_BINS) - 1));
  while (bin > 0 && confidence <= ECE_EDGES[bin]!) bin--;
  while (bin < ECE_BINS - 1 && confidence > ECE_EDGES[bin + 1]!) bin++;
  return bin;
}

/** The positive class of two as a class index, when the classes are known and it can be told. */
export function positiveIndexOf(classes: ClassIndex, positive: string | undefined): number | undefined {
  const order = classes.sortedOrder();
  const found = positiveClass(
    order.map((i) => classes.names[i]!),
    positive,
  );
  return found.found ? order[found.index] : undefined;
}

/** The class columns rank metrics summarise: the positive one of two, else every one. */
export function rankColumnsOf(classes: ClassIndex, positive: string | undefined): number[] {
  if (classes.size === 2) {
    const index = positiveIndexOf(classes, positive);
    return index === undefined ? [] : [index];
  }
  return Array.from({ length: classes.size }, (_, c) => c);
}

export class ClassificationAccumulator {
  n = 0;
  private confusion = new Float64Array(0);
  private capacity = 0;
  private logLossSum = 0;
  private readonly brierByClass: Float64Array;
  /** Sorted position of each class index: ties go to the class first in sorted order. */
  private rank: Int32Array;
  private readonly eceCount = new Float64Array(ECE_BINS);
  private readonly eceCorrect = new Float64Array(ECE_BINS);
  private readonly eceConfidence = new Float64Array(ECE_BINS);
  private topHits = new Float64Array(6); // topHits[k] for k = 1..5
  private readonly spill = new SpillDirectory();
  private readonly scores: RankSummary | undefined;
  private readonly scoreColumns: number[] = [];

  constructor(readonly options: ClassificationOptions) {
    this.ensure(Math.max(2, options.classes.size));
    // With probabilities the classes are closed (known from the columns) before any row.
    this.rank = options.probabilities ? options.classes.sortedRank() : new Int32Array(0);
    this.brierByClass = new Float64Array(Math.max(2, options.classes.size));
    if (options.probabilities && options.rankMetrics) {
      this.scoreColumns = rankColumnsOf(options.classes, options.positive);
      if (this.scoreColumns.length > 0)
        this.scores = rankSummary({
          k: options.classes.size,
          columns: this.scoreColumns,
          spill: this.spill,
          hashBudgetBytes: options.rankHashBytes,
          runsMemoryValues: options.rankMemoryValues,
          deadline: options.deadline,
        });
    }
  }

  private ensure(classes: number): void {
    if (classes <= this.capacity) return;
    const capacity = Math.max(classes, this.capacity * 2);
    const next = new Float64Array(capacity * capacity);
    for (let t = 0; t < this.capacity; t++) {
      for (let p = 0; p < this.capacity; p++) next[t * capacity + p] = this.confusion[t * this.capacity + p]!;
    }
    this.confusion = next;
    this.capacity = capacity;
  }

  /** One row: true class, predicted class, and (when used) the probabilities at probs[offset..]. */
  add(label: number, predicted: number, probs?: Float64Array, offset = 0): void {
    if (label >= this.capacity || predicted >= this.capacity) this.ensure(Math.max(label, predicted) + 1);
    this.n++;
    this.confusion[label * this.capacity + predicted]!++;
    if (!probs) return;
    const k = this.options.classes.size;
    const pTrue = probs[offset + label]!;
    const clipped = pTrue < EPS ? EPS : pTrue > 1 - EPS ? 1 - EPS : pTrue;
    this.logLossSum -= Math.log(clipped);
    // Top-k as scikit-learn ranks: by probability, ties to the class later in sorted order.
    // Calibration's top class: the most probable, ties to the class first in sorted order.
    // Classes are closed when rows carry probabilities; rebuild if a caller's set grew.
    if (this.rank.length !== k) this.rank = this.options.classes.sortedRank();
    const rank = this.rank;
    const brier = this.brierByClass;
    let top = 0;
    let above = 0;
    for (let j = 0; j < k; j++) {
      const p = probs[offset + j]!;
      const best = probs[offset + top]!;
      if (p > best || (p === best && rank[j]! < rank[top]!)) top = j;
      if (p > pTrue || (p === pTrue && rank[j]! > rank[label]!)) above++;
      const error = j === label ? p - 1 : p;
      brier[j]! += error * error;
    }
    for (let r = above + 1; r <= 5; r++) this.topHits[r]!++;
    const confidence = probs[offset + top]!;
    const bin = eceBin(confidence);
    this.eceCount[bin]!++;
    this.eceConfidence[bin]! += confidence;
    if (top === label) this.eceCorrect[bin]!++;
    this.scores?.add(label, probs, offset);
  }

  /** The confusion matrix in class-index order (k x k). */
  rawConfusion(): { k: number; counts: Float64Array } {
    const k = this.options.classes.size;
    const counts = new Float64Array(k * k);
    for (let t = 0; t < k; t++)
      for (let p = 0; p < k; p++) counts[t * k + p] = this.confusion[t * this.capacity + p]!;
    return { k, counts };
  }

  /** The summary the metrics are a function of. */
  summary(): ClassificationSummary {
    const { k, counts } = this.rawConfusion();
    const scores = this.scores;
    return {
      k,
      n: this.n,
      confusion: counts,
      probabilities: this.options.probabilities,
      logLossSum: this.logLossSum,
      brierByClass: this.brierByClass,
      eceCount: this.eceCount,
      eceCorrect: this.eceCorrect,
      eceConfidence: this.eceConfidence,
      topHits: this.topHits,
      scores: scores
        ? {
            columns: this.scoreColumns,
            ranks: (column, support) => scores.ranks(column, support),
          }
        : undefined,
    };
  }

  finish(): ClassificationResult {
    try {
      return finishClassification(this.summary(), this.options);
    } finally {
      this.dispose();
    }
  }

  /** Frees what the rank metrics hold (threads, files on disk); finish() does it too. */
  dispose(): void {
    this.scores?.dispose();
    this.spill.dispose();
  }
}

/** The metrics of a summary: the one finisher of the streaming and the SQL paths. */
export function finishClassification(
  summary: ClassificationSummary,
  options: { classes: ClassIndex; positive?: string; rankMetrics: boolean },
): ClassificationResult {
  const classes = options.classes;
  const { k, n } = summary;
  const counts = summary.confusion;
  // scikit-learn's sorted order, whatever the order of the probability columns.
  const order = classes.sortedOrder();
  const names = order.map((i) => classes.names[i]!);
  const confusion = order.map((t) => order.map((p) => counts[t * k + p]!));
  const notes: string[] = [];
  const unavailable: Record<string, string> = {};
  // The positive class of two, by name (its position in `names`, and its class index).
  let positive: number | undefined;
  if (k === 2) {
    const found = positiveClass(names, options.positive);
    if (found.found) positive = found.index;
    else notes.push(`${found.problem} (${POSITIVE_CLASS_METRICS.join(', ')} are not computed without it)`);
  }
  const positiveIndex = positive === undefined ? undefined : order[positive]!;
  const result = confusionMetrics(confusion, names, positive);
  const metrics = result.metrics;
  let reliability: ReliabilityBin[] | undefined;
  if (summary.probabilities && n > 0 && !summary.scores && !options.rankMetrics) {
    notes.push(
      `roc_auc and average_precision not computed for ${k} classes: name them in thresholds to compute them`,
    );
  }
  if (summary.probabilities && n > 0) {
    metrics.log_loss = summary.logLossSum / n;
    for (let r = 2; r <= Math.min(5, k - 1); r++) metrics[`top${r}_accuracy`] = summary.topHits[r]! / n;
    let ece = 0;
    reliability = [];
    for (let b = 0; b < ECE_BINS; b++) {
      const count = summary.eceCount[b]!;
      if (count > 0)
        ece += Math.abs(summary.eceCorrect[b]! / count - summary.eceConfidence[b]! / count) * (count / n);
      reliability.push({
        lower: ECE_EDGES[b]!,
        upper: ECE_EDGES[b + 1]!,
        count,
        accuracy: count > 0 ? summary.eceCorrect[b]! / count : null,
        confidence: count > 0 ? summary.eceConfidence[b]! / count : null,
      });
    }
    metrics.ece = ece;
    // scikit-learn's brier_score_loss: two classes, the positive class's squared error; more,
    // the sum over classes of (p − one-hot)², both averaged over rows.
    if (k === 2 && positiveIndex !== undefined) metrics.brier = summary.brierByClass[positiveIndex]! / n;
    if (k > 2) {
      let sum = 0;
      for (let c = 0; c < k; c++) sum += summary.brierByClass[c]!;
      metrics.brier = sum / n;
    }
    if (summary.scores && (k !== 2 || positiveIndex !== undefined)) {
      Object.assign(metrics, rankMetricsOf(summary, classes, order, positiveIndex, notes, unavailable));
    }
  }
  return {
    task: 'classification',
    n,
    classes: names,
    metrics,
    perClass: result.perClass,
    confusion,
    reliability,
    positive: positive === undefined ? undefined : names[positive],
    notes,
    unavailable: Object.keys(unavailable).length > 0 ? unavailable : undefined,
  };
}

/**
 * ROC AUC one-vs-rest (macro and support-weighted), one-vs-one (macro over pairs of the mean
 * of both directions, scikit-learn's multi_class="ovo") and average precision, exact.
 */
function rankMetricsOf(
  summary: ClassificationSummary,
  classes: ClassIndex,
  order: number[],
  positiveIndex: number | undefined,
  notes: string[],
  unavailable: Record<string, string>,
): Record<string, number> {
  const k = summary.k;
  const support = new Float64Array(k);
  for (let t = 0; t < k; t++) for (let p = 0; p < k; p++) support[t]! += summary.confusion[t * k + p]!;
  const used = k === 2 ? [positiveIndex!] : order;
  const ranks = new Map(used.map((c) => [c, summary.scores!.ranks(c, support)]));
  const aucs: number[] = [];
  const aps: number[] = [];
  let weightedSum = 0;
  let weights = 0;
  const left: string[] = [];
  for (const c of used) {
    const { auc, averagePrecision } = ranks.get(c)!;
    if (Number.isNaN(auc)) {
      left.push(classes.names[c]!);
      if (k > 2)
        notes.push(
          `class ${classes.names[c]} has ${support[c] === 0 ? 'no rows' : 'every row'}: left out of roc_auc and average_precision`,
        );
      continue;
    }
    aucs.push(auc);
    aps.push(averagePrecision);
    weightedSum += support[c]! * auc;
    weights += support[c]!;
  }
  const present = order.filter((c) => support[c]! > 0);
  if (aucs.length === 0) {
    const only = present.map((c) => `"${classes.names[c]}"`).join(', ');
    const reason =
      present.length <= 1
        ? `the true labels have one class (${only || 'no rows'}): ROC AUC and average precision need rows of two classes`
        : 'no class has both rows of its own and rows of another';
    if (k === 2) notes.push(`${reason}: roc_auc and average_precision not computed`);
    for (const name of RANK_NAMES) unavailable[name] = reason;
    return {};
  }
  const metrics: Record<string, number> = {
    roc_auc: mean(aucs),
    average_precision: mean(aps),
    roc_auc_weighted: weightedSum / weights,
  };
  if (k === 2) {
    metrics.roc_auc_ovo = metrics.roc_auc!;
    return metrics;
  }
  const pairs: number[] = [];
  for (let i = 0; i < present.length; i++) {
    for (let j = i + 1; j < present.length; j++) {
      const a = present[i]!;
      const b = present[j]!;
      pairs.push((ranks.get(a)!.pairAuc[b]! + ranks.get(b)!.pairAuc[a]!) / 2);
    }
  }
  // Pairs with a class without rows are left out (the note on that class says so).
  if (pairs.length > 0) metrics.roc_auc_ovo = mean(pairs);
  return metrics;
}

function mean(values: number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * Every metric that is a function of the confusion matrix (also used on bootstrap
 * resamples). Classes with no true and no predicted rows are left out of the averages, as
 * scikit-learn's unique_labels(y_true, y_pred) leaves them out.
 */
export function confusionMetrics(
  confusion: number[][],
  names: string[],
  /** Two classes: the position of the positive one in `names` (no binary metrics without). */
  positive?: number,
): { metrics: Record<string, number>; perClass: PerClass[] } {
  const k = names.length;
  const trueCount = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const predictedCount = names.map((_, p) => confusion.reduce((sum, row) => sum + row[p]!, 0));
  const n = trueCount.reduce((a, b) => a + b, 0);
  const present = names.map((_, c) => trueCount[c]! > 0 || predictedCount[c]! > 0);
  const perClass: PerClass[] = names.map((name, c) => {
    const tp = confusion[c]![c]!;
    const precision = predictedCount[c]! > 0 ? tp / predictedCount[c]! : 0;
    const recall = trueCount[c]! > 0 ? tp / trueCount[c]! : 0;
    const denominator = 2 * tp + (predictedCount[c]! - tp) + (trueCount[c]! - tp);
    const f1 = denominator > 0 ? (2 * tp) / denominator : 0;
    return { class: name, precision, recall, f1, support: trueCount[c]! };
  });
  const used = perClass.filter((_, c) => present[c]);
  const correct = names.reduce((sum, _, c) => sum + confusion[c]![c]!, 0);
  const macro = (key: 'precision' | 'recall' | 'f1') =>
    used.reduce((sum, row) => sum + row[key], 0) / used.length;
  const weighted = (key: 'precision' | 'recall' | 'f1') =>
    n > 0 ? used.reduce((sum, row) => sum + row[key] * row.support, 0) / n : 0;
  const withSupport = perClass.filter((row) => row.support > 0);
  const metrics: Record<string, number> = {
    accuracy: n > 0 ? correct / n : Number.NaN,
    balanced_accuracy:
      withSupport.length > 0
        ? withSupport.reduce((sum, row) => sum + row.recall, 0) / withSupport.length
        : Number.NaN,
    precision_macro: macro('precision'),
    recall_macro: macro('recall'),
    f1_macro: macro('f1'),
    precision_weighted: weighted('precision'),
    recall_weighted: weighted('recall'),
    f1_weighted: weighted('f1'),
    precision_micro: n > 0 ? correct / n : 0,
    recall_micro: n > 0 ? correct / n : 0,
    f1_micro: n > 0 ? correct / n : 0,
  };
  if (k === 2 && positive !== undefined && positive >= 0 && positive < 2) {
    metrics.precision = perClass[positive]!.precision;
    metrics.recall = perClass[positive]!.recall;
    metrics.f1 = perClass[positive]!.f1;
  }
  // Matthews correlation coefficient, scikit-learn's multiclass form.
  const dot = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);
  const covYtYp = correct * n - dot(trueCount, predictedCount);
  const covYpYp = n * n - dot(predictedCount, predictedCount);
  const covYtYt = n * n - dot(trueCount, trueCount);
  metrics.mcc = covYtYt * covYpYp === 0 ? 0 : covYtYp / Math.sqrt(covYtYt * covYpYp);
  // Cohen's kappa, unweighted: 1 - sum(w * C) / sum(w * expected), w = 1 off the diagonal.
  let observedOff = 0;
  let expectedOff = 0;
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) {
      if (t === p) continue;
      observedOff += confusion[t]![p]!;
      expectedOff += n > 0 ? (predictedCount[t]! * trueCount[p]!) / n : 0;
    }
  }
  metrics.cohen_kappa = expectedOff === 0 ? Number.NaN : 1 - observedOff / expectedOff;
  return { metrics, perClass };
}
