/**
 * Load thresholds as k6 users write them: "p(95) < 100ms", "p(99.9) < 1s", "avg < 50ms",
 * "med < 20", "max < 2s", "error_rate < 1%", "rps > 50", "errors == 0". Latencies without a
 * unit are milliseconds (as in k6). A latency threshold with no successful answer to measure
 * fails: nothing measured is never a pass.
 */
import {
  describeComparison,
  formatNumber,
  meets,
  parseThreshold,
  type Threshold,
} from '../util/threshold.js';
import type { LoadResult } from './load.js';

const LATENCY_UNITS = { ms: 1, s: 1000, us: 0.001, µs: 0.001 };

export type LoadMetric =
  | { kind: 'percentile'; percentile: number }
  | { kind: 'latency'; stat: 'avg' | 'med' | 'min' | 'max' }
  | { kind: 'error_rate' }
  | { kind: 'errors' }
  | { kind: 'rps' }
  | { kind: 'requests' };

export interface LoadThreshold {
  text: string;
  metric: LoadMetric;
  threshold: Threshold;
}

const METRIC =
  /^\s*(p\(\s*(\d+(?:\.\d+)?)\s*\)|p(\d+(?:\.\d+)?)|avg|mean|med|median|min|max|error_rate|errors|rps|requests)\s*(.*)$/i;

export function parseLoadThreshold(text: string): LoadThreshold {
  const match = METRIC.exec(text);
  if (!match) {
    throw new Error(
      `cannot read load threshold "${text}": start with p(95), avg, med, min, max, error_rate, errors, rps or requests, e.g. "p(95) < 100ms"`,
    );
  }
  const name = match[1]!.toLowerCase();
  const rest = match[4]!;
  let metric: LoadMetric;
  const percentile = match[2] ?? match[3];
  if (percentile !== undefined) {
    const value = Number(percentile);
    if (!(value > 0 && value <= 100)) throw new Error(`percentile ${percentile} is not between 0 and 100`);
    metric = { kind: 'percentile', percentile: value };
  } else if (name === 'avg' || name === 'mean') metric = { kind: 'latency', stat: 'avg' };
  else if (name === 'med' || name === 'median') metric = { kind: 'latency', stat: 'med' };
  else if (name === 'min' || name === 'max') metric = { kind: 'latency', stat: name };
  else metric = { kind: name as 'error_rate' | 'errors' | 'rps' | 'requests' };
  const isLatency = metric.kind === 'percentile' || metric.kind === 'latency';
  const threshold = parseThreshold(rest, isLatency ? LATENCY_UNITS : {});
  return { text: text.trim(), metric, threshold };
}

export function loadThresholdError(text: string): string | undefined {
  try {
    parseLoadThreshold(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export interface ThresholdVerdict {
  text: string;
  ok: boolean;
  /** The measured value, or null when there was nothing to measure. */
  value: number | null;
  /** "p(95) = 12.4 ms < 100 ms", or why it could not be measured. */
  message: string;
}

export function judgeLoadThreshold(result: LoadResult, loadThreshold: LoadThreshold): ThresholdVerdict {
  const { metric, threshold, text } = loadThreshold;
  const attempted = result.succeeded + result.failed;
  let value: number | null;
  let label: string;
  let unit = '';
  switch (metric.kind) {
    case 'percentile':
      label = `p(${metric.percentile})`;
      value = result.percentile(metric.percentile);
      unit = ' ms';
      break;
    case 'latency':
      label = metric.stat;
      value = result.latency
        ? {
            avg: result.latency.mean,
            med: result.latency.p50,
            min: result.latency.min,
            max: result.latency.max,
          }[metric.stat]
        : null;
      unit = ' ms';
      break;
    case 'error_rate':
      label = 'error_rate';
      value = attempted > 0 ? result.failed / attempted : null;
      break;
    case 'errors':
      label = 'errors';
      value = result.failed;
      break;
    case 'rps':
      label = 'rps';
      value =
        result.completed > 0 ? Math.round((result.completed / (result.durationMs / 1000)) * 10) / 10 : 0;
      break;
    case 'requests':
      label = 'requests';
      value = result.completed;
      break;
  }
  if (value === null) {
    const why =
      metric.kind === 'error_rate'
        ? 'no request was made'
        : 'no request succeeded, so there is no latency to measure';
    return { text, ok: false, value: null, message: `${label}: no data — ${why}` };
  }
  const ok = meets(value, threshold);
  const format = (n: number) =>
    metric.kind === 'error_rate' && threshold.percent
      ? `${formatNumber(n * 100)}%`
      : `${formatNumber(unit ? Math.round(n * (n < 10 ? 100 : 10)) / (n < 10 ? 100 : 10) : n)}${unit}`;
  return { text, ok, value, message: `${label} ${describeComparison(value, threshold, format)}` };
}
