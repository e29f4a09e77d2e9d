/**
 * The drift statistics a spec may hold to thresholds, and which way each must be bounded:
 * what the drift kind's params check. Apart from analyze.ts, which computes them, so that
 * validating a spec does not load the statistics.
 */
import { type Scale, thresholdSanityProblem } from '../util/threshold-sanity.js';
import { parseThreshold, type Threshold } from '../util/threshold.js';
import type { FeatureType } from './collect.js';

export const DRIFT_METRICS = {
  ks_statistic: {
    types: ['numeric'],
    bound: 'upper',
    text: 'two-sample Kolmogorov–Smirnov D (scipy.stats.ks_2samp)',
  },
  ks_pvalue: {
    types: ['numeric'],
    bound: 'lower',
    text: 'its p-value (exact up to 10 000 values per side, else asymptotic, as ks_2samp chooses)',
  },
  psi: { types: ['numeric', 'categorical'], bound: 'upper', text: 'Population Stability Index' },
  wasserstein: {
    types: ['numeric'],
    bound: 'upper',
    text: "Wasserstein-1 distance in the feature's units (scipy.stats.wasserstein_distance)",
  },
  wasserstein_norm: {
    types: ['numeric'],
    bound: 'upper',
    text: "Wasserstein-1 divided by the reference's standard deviation (ddof 0, at least 0.001, as Evidently does)",
  },
  chi2_pvalue: {
    types: ['categorical'],
    bound: 'lower',
    text: 'chi-square goodness-of-fit p-value of the current counts against the reference proportions (scipy.stats.chisquare)',
  },
  js_distance: {
    types: ['categorical'],
    bound: 'upper',
    text: 'Jensen–Shannon distance, base 2, in [0, 1] (scipy.spatial.distance.jensenshannon)',
  },
  null_rate_delta: {
    types: ['numeric', 'categorical'],
    bound: 'upper',
    text: '|null rate of current − null rate of reference|',
  },
  new_category_share: {
    types: ['categorical'],
    bound: 'upper',
    text: 'share of current values in categories the reference never had',
  },
} as const satisfies Record<
  string,
  { types: readonly FeatureType[]; bound: 'upper' | 'lower'; text: string }
>;
export type DriftMetric = keyof typeof DRIFT_METRICS;
export const DRIFT_METRIC_NAMES = Object.keys(DRIFT_METRICS) as DriftMetric[];

/**
 * Whether a threshold bounds the metric the safe way: distances from above ("< 0.2"),
 * p-values from below ("> 0.01"). The other way round, only drifted features would pass.
 */
export function thresholdDirectionProblem(metric: DriftMetric, text: string): string | undefined {
  let threshold: Threshold;
  try {
    threshold = parseThreshold(text);
  } catch {
    return undefined; // the syntax message comes from elsewhere
  }
  const sanity = thresholdSanityProblem(metric, threshold, DRIFT_SCALES[metric]);
  if (threshold.kind !== 'compare') return sanity;
  const { bound } = DRIFT_METRICS[metric];
  const upper = threshold.op === '<' || threshold.op === '<=';
  const lower = threshold.op === '>' || threshold.op === '>=';
  if (bound === 'upper' && !upper) {
    const fixed = text.replace(/^\s*(>=|>|==|=|!=)/, threshold.op === '>' ? '<=' : '<');
    return `${metric}: "${text}" must bound it from above: a large ${metric} is drift, so "${text}" would pass only drifted features. Write what must hold, e.g. "${fixed}"`;
  }
  if (bound === 'lower' && !lower) {
    const fixed = text.replace(/^\s*(<=|<|==|=|!=)/, threshold.op === '<' ? '>=' : '>');
    return `${metric}: "${text}" must bound it from below: a small p-value is drift, so "${text}" would pass only drifted features. Write what must hold, e.g. "${fixed}"`;
  }
  return sanity;
}

/** Each statistic's scale: its best value and one that is unmistakably drift. */
const DRIFT_SCALES: Record<DriftMetric, Scale> = {
  ks_statistic: { better: 'lower', best: 0, bad: 1, share: true },
  ks_pvalue: { better: 'higher', best: 1, bad: 0, share: true },
  // With ε = 1e-4 a PSI of 10 means the two distributions barely overlap (0.25 is "major shift").
  psi: { better: 'lower', best: 0, bad: 10 },
  // In the feature's own units: no value is bad whatever the feature; only the best is known.
  wasserstein: { better: 'lower', best: 0, bad: Number.POSITIVE_INFINITY },
  wasserstein_norm: { better: 'lower', best: 0, bad: 100 },
  chi2_pvalue: { better: 'higher', best: 1, bad: 0, share: true },
  js_distance: { better: 'lower', best: 0, bad: 1, share: true },
  null_rate_delta: { better: 'lower', best: 0, bad: 1, share: true },
  new_category_share: { better: 'lower', best: 0, bad: 1, share: true },
};

/** The dataset rule's scale: the share of features that drifted. */
export const DRIFTED_SHARE_SCALE: Scale = { better: 'lower', best: 0, bad: 1, share: true };
