/**
 * Per-feature drift: the type of each feature, its statistics, and the verdict of its
 * thresholds. Pure computation over the samples src/drift/collect.ts read.
 */
import { formatNumber, meets, parseThreshold } from '../util/threshold.js';
import type { ColumnSample, FeatureType } from './collect.js';
import { ks2samp } from './ks.js';
import { DRIFT_METRICS, type DriftMetric } from './metrics.js';
import {
  binCounts,
  chiSquare,
  jensenShannon,
  psiFromCounts,
  quantileEdges,
  standardDeviation,
  wasserstein,
} from './stats.js';

export {
  DRIFT_METRIC_NAMES,
  DRIFT_METRICS,
  DRIFTED_SHARE_SCALE,
  type DriftMetric,
  thresholdDirectionProblem,
} from './metrics.js';

export interface Histogram {
  labels: string[];
  /** Shares of non-null values per bin. */
  reference: number[];
  current: number[];
}

export interface FeatureDrift {
  name: string;
  type: FeatureType;
  /** How the type was decided. */
  typeReason: string;
  reference: { rows: number; nulls: number; values: number };
  current: { rows: number; nulls: number; values: number };
  values: Partial<Record<DriftMetric, number>>;
  /** KS D or the chi-square statistic. */
  statistic?: number;
  pvalue?: number;
  ksMethod?: 'exact' | 'asymptotic';
  newCategories?: string[];
  missingCategories?: string[];
  histogram?: Histogram;
  /** Why the feature cannot be judged (an `error`). */
  problem?: string;
  /** Why the feature counts as drifted even without a statistic (all values null). */
  broken?: string;
  checks: Array<{ metric: DriftMetric; threshold: string; value: number; ok: boolean }>;
  drifted: boolean;
}

export interface AnalysisOptions {
  bins: number;
  epsilon: number;
  maxCategories: number;
  /** Fewer non-null values on either side: the feature cannot be judged. */
  minValues: number;
  /** Bars in a categorical histogram before the rest is "other". */
  histogramCategories?: number;
}

/** The statistics of one feature; releases the samples' memory. */
export function analyzeFeature(
  reference: ColumnSample,
  current: ColumnSample,
  referenceRows: number,
  currentRows: number,
  referenceShown: string,
  currentShown: string,
  options: AnalysisOptions,
): FeatureDrift {
  // A column of texts is categorical: there "NA" (North America) or "None" is a value, not a
  // missing cell — only numbers read pandas' NaN spellings as missing.
  if (!reference.forced && (reference.firstText || current.firstText)) {
    reference.nullTokensAsValues();
    current.nullTokensAsValues();
  }
  const result: FeatureDrift = {
    name: reference.name,
    type: 'numeric',
    typeReason: '',
    reference: { rows: referenceRows, nulls: reference.nulls, values: reference.count },
    current: { rows: currentRows, nulls: current.nulls, values: current.count },
    values: {},
    checks: [],
    drifted: false,
  };
  const refNullRate = reference.nulls / referenceRows;
  const curNullRate = current.nulls / currentRows;
  result.values.null_rate_delta = Math.abs(curNullRate - refNullRate);
  try {
    const infinite = reference.firstInfinite
      ? `${referenceShown} ${reference.firstInfinite}`
      : current.firstInfinite
        ? `${currentShown} ${current.firstInfinite}`
        : undefined;
    if (infinite) {
      result.problem = `has infinite values (${reference.infinite + current.infinite}, the first at ${infinite}): they have no distribution to compare; clean them or exclude the feature`;
      return result;
    }
    const text = reference.firstText
      ? { ...reference.firstText, shown: referenceShown }
      : current.firstText
        ? { ...current.firstText, shown: currentShown }
        : undefined;
    if (reference.forced) {
      result.type = reference.forced;
      result.typeReason = 'set by types:';
    } else if (text) {
      result.type = 'categorical';
      result.typeReason = `text values ("${text.text}" at ${text.shown} ${text.where})`;
    } else result.typeReason = 'every value is a number';

    if (result.type === 'numeric' && text) {
      result.problem = `types: says numeric, but "${text.text}" at ${text.shown} ${text.where} is not a number (${reference.texts + current.texts} such values)`;
      return result;
    }
    if (reference.count === 0) {
      result.problem = `has no values in ${referenceShown} (all ${referenceRows} rows are null): there is no reference to compare with`;
      return result;
    }
    if (current.count === 0) {
      result.broken = `every one of the ${currentRows} rows of ${currentShown} is null (reference: ${formatPercent(refNullRate)} null)`;
      return result;
    }
    const fewest = Math.min(reference.count, current.count);
    if (fewest < options.minValues) {
      const [where, count] =
        reference.count <= current.count ? [referenceShown, reference.count] : [currentShown, current.count];
      result.problem = `has only ${count} non-null value${count === 1 ? '' : 's'} in ${where} (min_rows: ${options.minValues}): too few to tell drift from chance`;
      return result;
    }
    if (result.type === 'numeric') numeric(result, reference, current, options);
    else categorical(result, reference, current, options, text);
    return result;
  } finally {
    reference.numbers.release();
    current.numbers.release();
    reference.numberCounts = current.numberCounts = undefined;
    reference.textCounts = current.textCounts = undefined;
  }
}

function numeric(
  result: FeatureDrift,
  reference: ColumnSample,
  current: ColumnSample,
  options: AnalysisOptions,
): void {
  const ref = reference.numbers.takeSorted();
  const cur = current.numbers.takeSorted();
  const ks = ks2samp(ref, cur);
  result.statistic = ks.statistic;
  result.pvalue = ks.pvalue;
  result.ksMethod = ks.method;
  result.values.ks_statistic = ks.statistic;
  result.values.ks_pvalue = ks.pvalue;
  const distance = wasserstein(ref, cur);
  result.values.wasserstein = distance;
  result.values.wasserstein_norm = distance / Math.max(standardDeviation(ref), 0.001);
  const edges = quantileEdges(ref, options.bins);
  const refCounts = binCounts(ref, edges);
  const curCounts = binCounts(cur, edges);
  result.values.psi = psiFromCounts(refCounts, curCounts, options.epsilon);
  // A bin by its upper edge: "≤ 3.2" is (previous edge, 3.2]; the last is "> edge".
  const labels = refCounts.map((_, i) =>
    edges.length === 0
      ? 'all'
      : i === edges.length
        ? `> ${formatNumber(edges[i - 1]!)}`
        : `≤ ${formatNumber(edges[i]!)}`,
  );
  result.histogram = {
    labels,
    reference: refCounts.map((count) => count / ref.length),
    current: curCounts.map((count) => count / cur.length),
  };
}

function categorical(
  result: FeatureDrift,
  reference: ColumnSample,
  current: ColumnSample,
  options: AnalysisOptions,
  text: { text: string; shown: string; where: string } | undefined,
): void {
  const refCounts = categoryCounts(reference);
  const curCounts = categoryCounts(current);
  if (!refCounts || !curCounts) {
    result.problem = `is categorical (${result.typeReason}) with more than ${options.maxCategories} distinct values: ${
      text && !reference.forced
        ? 'if the text is a stray value in a numeric column, set types: {' +
          result.name +
          ': numeric} to see where; '
        : ''
    }raise max_categories, or exclude it`;
    return;
  }
  const keys = [...new Set([...refCounts.keys(), ...curCounts.keys()])].sort();
  const ref = keys.map((key) => refCounts.get(key) ?? 0);
  const cur = keys.map((key) => curCounts.get(key) ?? 0);
  const chi = chiSquare(ref, cur);
  result.statistic = chi.statistic;
  result.pvalue = chi.pvalue;
  result.values.chi2_pvalue = chi.pvalue;
  result.values.js_distance = jensenShannon(ref, cur);
  result.values.psi = psiFromCounts(ref, cur, options.epsilon);
  const curTotal = cur.reduce((a, b) => a + b, 0);
  const refTotal = ref.reduce((a, b) => a + b, 0);
  const fresh = keys.filter((_, i) => ref[i] === 0);
  result.newCategories = fresh;
  result.missingCategories = keys.filter((_, i) => cur[i] === 0);
  result.values.new_category_share = fresh.reduce((sum, key) => sum + curCounts.get(key)!, 0) / curTotal;
  // The most frequent categories, the rest together.
  const limit = options.histogramCategories ?? 20;
  const order = keys.map((_, i) => i).sort((a, b) => ref[b]! + cur[b]! - (ref[a]! + cur[a]!) || a - b);
  const shown = order.slice(0, order.length > limit ? limit - 1 : limit);
  const rest = order.slice(shown.length);
  result.histogram = {
    labels: [
      ...shown.map((i) => (ref[i] === 0 ? `${keys[i]} (new)` : keys[i]!)),
      ...(rest.length ? [`other (${rest.length})`] : []),
    ],
    reference: [
      ...shown.map((i) => ref[i]! / refTotal),
      ...(rest.length ? [rest.reduce((s, i) => s + ref[i]!, 0) / refTotal] : []),
    ],
    current: [
      ...shown.map((i) => cur[i]! / curTotal),
      ...(rest.length ? [rest.reduce((s, i) => s + cur[i]!, 0) / curTotal] : []),
    ],
  };
}

/** Category → count: texts as written (trimmed), numbers in a mixed column by value. */
function categoryCounts(sample: ColumnSample): Map<string, number> | undefined {
  if (!sample.textCounts) return undefined;
  if (sample.numbers.length > 0 && !sample.numberCounts) return undefined;
  const counts = new Map(sample.textCounts);
  for (const [value, count] of sample.numberCounts ?? []) {
    const key = String(value);
    counts.set(key, (counts.get(key) ?? 0) + count);
  }
  return counts;
}

/** Judges one feature against its thresholds (those that apply to its type). */
export function judgeFeature(feature: FeatureDrift, thresholds: Readonly<Record<string, string>>): void {
  if (feature.problem) return;
  if (feature.broken) {
    feature.drifted = true;
    return;
  }
  for (const [metric, text] of Object.entries(thresholds)) {
    const definition = DRIFT_METRICS[metric as DriftMetric];
    if (!(definition.types as readonly FeatureType[]).includes(feature.type)) continue;
    const value = feature.values[metric as DriftMetric];
    if (value === undefined) continue;
    const ok = meets(value, parseThreshold(text));
    feature.checks.push({ metric: metric as DriftMetric, threshold: text, value, ok });
    if (!ok) feature.drifted = true;
  }
}

/** Drifted first, then by PSI (the one statistic every feature has), largest first. */
export function byDrift(a: FeatureDrift, b: FeatureDrift): number {
  const rank = (f: FeatureDrift) => (f.problem ? 0 : f.broken ? 1 : f.drifted ? 2 : 3);
  return (
    rank(a) - rank(b) ||
    (b.values.psi ?? Infinity) - (a.values.psi ?? Infinity) ||
    a.name.localeCompare(b.name)
  );
}

export function formatPercent(share: number): string {
  return `${formatNumber(Number((share * 100).toPrecision(4)))}%`;
}
