/**
 * Classification metrics in one streaming pass, float64, with scikit-learn's definitions.
 * Memory: O(classes²) for everything except the rank metrics (ROC AUC, average precision),
 * whose scores are kept in SortedRuns that spill to disk past a budget.
 *
 * Nothing depends on the order of the probability columns: classes are reported in sorted
 * order, ties in probability go to the class first in that order (numpy's argmax over
 * scikit-learn's classes_), and the metrics of the positive class of two (precision,
 * recall, F1, ROC AUC, average precision, Brier) are for the class positiveClass() names.
 */
import { type ClassIndex, positiveClass } from './classes.js';
import { rankMetrics, SortedRuns, SpillDirectory } from './sorted-runs.js';

export const ECE_BINS = 15;
const EPS = 2.220446049250313e-16; // float64 machine epsilon, as scikit-learn clips log loss

export interface ClassificationOptions {
  classes: ClassIndex;
  /** Rows carry a probability per class (in class index order). */
  probabilities: boolean;
  /** Keep scores for ROC AUC and average precision. */
  rankMetrics: boolean;
  /** Values held in memory for rank metrics before spilling runs to disk. */
  rankMemoryValues?: number;
  /** The positive class of two, as the spec names it (default: see positiveClass). */
  positive?: string;
}

/** The metrics of the positive class of two: not computed while it is not known. */
export const POSITIVE_CLASS_METRICS = ['precision', 'recall', 'f1', 'roc_auc', 'average_precision', 'brier'];

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
}

/** Bin edges as numpy.linspace(0, 1, 16) computes them, so ties at edges go the same way. */
const ECE_EDGES = Array.from({ length: ECE_BINS + 1 }, (_, i) => (i === ECE_BINS ? 1 : i * (1 / ECE_BINS)));

export class ClassificationAccumulator {
  n = 0;
  private confusion = new Float64Array(0);
  private capacity = 0;
  private logLossSum = 0;
  /** Two classes: brierSums[c] = Σ (p_c − [label = c])², for whichever class is positive. */
  private readonly brierSums = [0, 0];
  /** Sorted position of each class index: ties go to the class first in sorted order. */
  private rank: Int32Array;
  private readonly eceCount = new Float64Array(ECE_BINS);
  private readonly eceCorrect = new Float64Array(ECE_BINS);
  private readonly eceConfidence = new Float64Array(ECE_BINS);
  private topHits = new Float64Array(6); // topHits[k] for k = 1..5
  private readonly positives: SortedRuns[] = [];
  private readonly negatives: SortedRuns[] = [];
  private readonly spill = new SpillDirectory();
  private buffered = 0;
  private readonly budget: number;

  constructor(readonly options: ClassificationOptions) {
    // 8M values = 64 MB of scores in memory before a sorted run goes to disk.
    this.budget = options.rankMemoryValues ?? 8_000_000;
    this.ensure(Math.max(2, options.classes.size));
    // With probabilities the classes are closed (known from the columns) before any row.
    this.rank = options.probabilities ? options.classes.sortedRank() : new Int32Array(0);
    if (options.probabilities && options.rankMetrics) {
      for (let c = 0; c < options.classes.size; c++) {
        this.positives.push(new SortedRuns(this.spill));
        this.negatives.push(new SortedRuns(this.spill));
      }
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
    let top = 0;
    let above = 0;
    for (let j = 0; j < k; j++) {
      const p = probs[offset + j]!;
      const best = probs[offset + top]!;
      if (p > best || (p === best && rank[j]! < rank[top]!)) top = j;
      if (p > pTrue || (p === pTrue && rank[j]! > rank[label]!)) above++;
    }
    for (let r = above + 1; r <= 5; r++) this.topHits[r]!++;
    // Calibration: confidence is the top probability; bins are (lower, upper].
    const confidence = probs[offset + top]!;
    let bin = Math.min(ECE_BINS - 1, Math.max(0, Math.ceil(confidence * ECE_BINS) - 1));
    while (bin > 0 && confidence <= ECE_EDGES[bin]!) bin--;
    while (bin < ECE_BINS - 1 && confidence > ECE_EDGES[bin + 1]!) bin++;
    this.eceCount[bin]!++;
    this.eceConfidence[bin]! += confidence;
    if (top === label) this.eceCorrect[bin]!++;
    if (k === 2) {
      for (let c = 0; c < 2; c++) {
        const error = probs[offset + c]! - (label === c ? 1 : 0);
        this.brierSums[c]! += error * error;
      }
    }
    if (this.positives.length > 0) {
      for (let j = 0; j < k; j++) {
        (j === label ? this.positives[j]! : this.negatives[j]!).push(probs[offset + j]!);
      }
      this.buffered += k;
      if (this.buffered >= this.budget) {
        for (const runs of [...this.positives, ...this.negatives]) runs.spillToDisk();
        this.buffered = 0;
      }
    }
  }

  /** The confusion matrix in class-index order (k x k). */
  rawConfusion(): { k: number; counts: Float64Array } {
    const k = this.options.classes.size;
    const counts = new Float64Array(k * k);
    for (let t = 0; t < k; t++)
      for (let p = 0; p < k; p++) counts[t * k + p] = this.confusion[t * this.capacity + p]!;
    return { k, counts };
  }

  finish(): ClassificationResult {
    try {
      return this.compute();
    } finally {
      this.spill.dispose();
    }
  }

  private compute(): ClassificationResult {
    const classes = this.options.classes;
    const { k, counts } = this.rawConfusion();
    // scikit-learn's sorted order, whatever the order of the probability columns.
    const order = classes.sortedOrder();
    const names = order.map((i) => classes.names[i]!);
    const confusion = order.map((t) => order.map((p) => counts[t * k + p]!));
    const notes: string[] = [];
    // The positive class of two, by name (its position in `names`, and its class index).
    let positive: number | undefined;
    if (k === 2) {
      const found = positiveClass(names, this.options.positive);
      if (found.found) positive = found.index;
      else notes.push(`${found.problem} (${POSITIVE_CLASS_METRICS.join(', ')} are not computed without it)`);
    }
    const positiveIndex = positive === undefined ? undefined : order[positive]!;
    const result = confusionMetrics(confusion, names, positive);
    const metrics = result.metrics;
    let reliability: ReliabilityBin[] | undefined;
    if (
      this.options.probabilities &&
      this.n > 0 &&
      this.positives.length === 0 &&
      !this.options.rankMetrics
    ) {
      notes.push(
        `roc_auc and average_precision not computed for ${k} classes: name them in thresholds to compute them`,
      );
    }
    if (this.options.probabilities && this.n > 0) {
      metrics.log_loss = this.logLossSum / this.n;
      for (let r = 2; r <= Math.min(5, k - 1); r++) metrics[`top${r}_accuracy`] = this.topHits[r]! / this.n;
      let ece = 0;
      reliability = [];
      for (let b = 0; b < ECE_BINS; b++) {
        const count = this.eceCount[b]!;
        if (count > 0)
          ece += Math.abs(this.eceCorrect[b]! / count - this.eceConfidence[b]! / count) * (count / this.n);
        reliability.push({
          lower: ECE_EDGES[b]!,
          upper: ECE_EDGES[b + 1]!,
          count,
          accuracy: count > 0 ? this.eceCorrect[b]! / count : null,
          confidence: count > 0 ? this.eceConfidence[b]! / count : null,
        });
      }
      metrics.ece = ece;
      if (k === 2 && positiveIndex !== undefined) metrics.brier = this.brierSums[positiveIndex]! / this.n;
      if (this.positives.length > 0 && (k !== 2 || positiveIndex !== undefined)) {
        const aucs: number[] = [];
        const aps: number[] = [];
        const classesUsed = k === 2 ? [positiveIndex!] : order;
        for (const c of classesUsed) {
          const { auc, averagePrecision } = rankMetrics(this.positives[c]!, this.negatives[c]!);
          if (Number.isNaN(auc)) {
            notes.push(
              `class ${classes.names[c]} has ${this.positives[c]!.count === 0 ? 'no rows' : 'every row'}: left out of roc_auc and average_precision`,
            );
            continue;
          }
          aucs.push(auc);
          aps.push(averagePrecision);
        }
        if (aucs.length > 0) {
          metrics.roc_auc = mean(aucs);
          metrics.average_precision = mean(aps);
        }
      }
    }
    return {
      task: 'classification',
      n: this.n,
      classes: names,
      metrics,
      perClass: result.perClass,
      confusion,
      reliability,
      positive: positive === undefined ? undefined : names[positive],
      notes,
    };
  }
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
