/**
 * Every metric mlgate computes: its name in specs and reports, what it means, and how it is
 * defined (scikit-learn's definitions, zero_division=0, unless said otherwise).
 */

export type Task = 'classification' | 'regression';

export interface MetricInfo {
  name: string;
  task: Task;
  description: string;
  /** A share in [0, 1]: shown as a percentage, compared in percentage points. */
  fraction: boolean;
  /** Has a bootstrap interval (a function of the confusion matrix, or of rows for regression). */
  interval: boolean;
  /** Needs probability columns. */
  needsProbabilities?: boolean;
  /** Only for two classes. */
  binaryOnly?: boolean;
}

const c = (name: string, description: string, extra: Partial<MetricInfo> = {}): MetricInfo => ({
  name,
  task: 'classification',
  description,
  fraction: true,
  interval: true,
  ...extra,
});
const r = (name: string, description: string, extra: Partial<MetricInfo> = {}): MetricInfo => ({
  name,
  task: 'regression',
  description,
  fraction: false,
  interval: true,
  ...extra,
});

export const METRICS: MetricInfo[] = [
  c('accuracy', 'Share of rows whose predicted class is the true class.'),
  c('balanced_accuracy', 'Mean recall over the classes present in the labels.'),
  c('precision_macro', 'Unweighted mean of per-class precision.'),
  c('recall_macro', 'Unweighted mean of per-class recall.'),
  c('f1_macro', 'Unweighted mean of per-class F1.'),
  c('precision_weighted', 'Per-class precision weighted by support.'),
  c('recall_weighted', 'Per-class recall weighted by support.'),
  c('f1_weighted', 'Per-class F1 weighted by support.'),
  c('precision_micro', 'Precision over all rows pooled (equals accuracy for single-label data).'),
  c('recall_micro', 'Recall over all rows pooled.'),
  c('f1_micro', 'F1 over all rows pooled.'),
  c(
    'precision',
    'Precision of the positive class (two classes; `positive:`, default the greater label — 1 of 0/1 — or true/yes/pos/positive).',
    { binaryOnly: true },
  ),
  c('recall', 'Recall of the positive class (two classes).', { binaryOnly: true }),
  c('f1', 'F1 of the positive class (two classes).', { binaryOnly: true }),
  c('mcc', "Matthews correlation coefficient (multiclass: Gorodkin's R_K).", { fraction: false }),
  c('cohen_kappa', "Cohen's kappa, unweighted.", { fraction: false }),
  c(
    'log_loss',
    'Mean natural-log cross-entropy of the probability of the true class (clipped to [eps, 1-eps]).',
    {
      fraction: false,
      interval: false,
      needsProbabilities: true,
    },
  ),
  c(
    'roc_auc',
    'ROC AUC of the positive class; for more than two classes one-vs-rest, unweighted mean over classes.',
    {
      interval: false,
      needsProbabilities: true,
    },
  ),
  c(
    'roc_auc_ovo',
    "ROC AUC one-vs-one: for each pair of classes the mean of both directions' AUC over the pair's rows, unweighted mean over pairs (scikit-learn's multi_class=\"ovo\"); for two classes, roc_auc.",
    { interval: false, needsProbabilities: true },
  ),
  c(
    'roc_auc_weighted',
    'ROC AUC one-vs-rest, mean over classes weighted by support (scikit-learn\'s average="weighted"); for two classes, roc_auc.',
    { interval: false, needsProbabilities: true },
  ),
  c(
    'average_precision',
    'Average precision (area under the precision-recall curve, step-wise) of the positive class; one-vs-rest macro for more than two classes.',
    {
      interval: false,
      needsProbabilities: true,
    },
  ),
  c(
    'brier',
    "Brier score, scikit-learn's brier_score_loss: two classes, mean squared error of the positive-class probability; more, mean over rows of Σ over classes (p − one-hot)².",
    {
      fraction: false,
      interval: false,
      needsProbabilities: true,
    },
  ),
  c(
    'ece',
    'Expected calibration error: 15 equal-width bins on (0, 1] of the top probability, L1, weighted by bin share.',
    {
      interval: false,
      needsProbabilities: true,
    },
  ),
  ...[2, 3, 4, 5].map((k) =>
    c(`top${k}_accuracy`, `Share of rows whose true class is among the ${k} most probable.`, {
      interval: false,
      needsProbabilities: true,
    }),
  ),
  r('mae', 'Mean absolute error.'),
  r('mse', 'Mean squared error.'),
  r('rmse', 'Root mean squared error.'),
  r('r2', 'Coefficient of determination (1 - SSE/SST; 1.0 or 0.0 when the target is constant).'),
  r('mape', 'Mean absolute percentage error, as a fraction (|y - ŷ| / max(|y|, eps)).'),
  r('median_ae', 'Median absolute error.'),
  r('max_error', 'Largest absolute error.'),
  r('explained_variance', 'Explained variance: 1 - Var(y - ŷ) / Var(y).'),
];

export const METRICS_BY_NAME = new Map(METRICS.map((metric) => [metric.name, metric]));

export const PER_CLASS_METRICS = ['precision', 'recall', 'f1', 'support'] as const;
export type PerClassMetric = (typeof PER_CLASS_METRICS)[number];

export function metricNames(task?: Task): string[] {
  return METRICS.filter((metric) => task === undefined || metric.task === task).map((metric) => metric.name);
}

/** Metrics that need a per-score summary of every probability column (grows with distinct scores × classes). */
export const RANK_METRICS = ['roc_auc', 'roc_auc_ovo', 'roc_auc_weighted', 'average_precision'];
/** Up to this many classes rank metrics are computed unasked; beyond, only when named. */
export const RANK_METRICS_MAX_CLASSES = 50;

/** Whether rank metrics are worth computing: asked for by name, or few enough classes. */
export function wantRankMetrics(classes: number, named: Iterable<string>): boolean {
  for (const name of named) if (RANK_METRICS.includes(name)) return true;
  return classes <= RANK_METRICS_MAX_CLASSES;
}
