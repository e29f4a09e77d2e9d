/**
 * Load thresholds as k6 users write them: "p(95) < 100ms", "p(99.9) < 1s", "avg < 50ms",
 * "med < 20", "max < 2s", "error_rate < 1%", "rps > 50", "errors == 0". Latencies without a
 * unit are milliseconds (as in k6). A latency threshold with no successful answer to measure
 * fails: nothing measured is never a pass.
 *
 * Failed requests and latency (the rule the README states):
 * - A measured request that failed — no answer within `timeout`, a connection refused, reset
 *   or closed, an unexpected status — counts in `errors` and `error_rate`, and in latency at
 *   the request timeout (k6 records a timed-out request at its timeout; a fast error is never
 *   a fast answer).
 * - Latency thresholds are judged over all measured requests, failures included.
 * - A latency statistic can absorb only so many failures: p(q) at most (100 − q)% of the
 *   requests, and never more than half (med and avg: 50%, min: 50%, max: none). When more
 *   failed, the statistic is a request that never got a good answer, and the threshold fails
 *   whatever its limit — even a limit above the timeout.
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

/** The percentile a latency statistic stands for: med = p(50), max = p(100), min = p(0). */
const STAT_PERCENTILE = { avg: 50, med: 50, min: 0, max: 100 } as const;

/**
 * The largest share of failed requests a latency statistic can absorb and still describe
 * answered requests: (100 − q)% for p(q), capped at one half, so a run in which most
 * requests failed never passes a latency threshold.
 */
export function failedShareAllowed(metric: LoadMetric): number {
  const q =
    metric.kind === 'percentile'
      ? metric.percentile
      : metric.kind === 'latency'
        ? STAT_PERCENTILE[metric.stat]
        : 0;
  return Math.min(100 - q, 50) / 100;
}

/** "timeouts 519, connection refused 3, status 500 10": why requests failed, most first. */
export function failureReasons(result: LoadResult): string {
  return Object.entries(result.errors)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `${reason === 'timeout' ? 'timeouts' : reason} ${count}`)
    .join(', ');
}

/** "2 s", "300 ms", "1.5 s". */
export function formatTimeout(ms: number): string {
  return ms >= 1000 ? `${formatNumber(ms / 1000)} s` : `${formatNumber(ms)} ms`;
}

/** "519 of 767 requests failed (timeouts 519): latency p95 over all requests counts them at the 2 s timeout". */
export function failedRequestsNote(result: LoadResult, statistic = ''): string {
  const attempted = result.succeeded + result.failed;
  return `${result.failed} of ${attempted} request${attempted === 1 ? '' : 's'} failed (${failureReasons(result)}): latency${statistic ? ` ${statistic}` : ''} over all requests counts them at the ${formatTimeout(result.timeoutMs)} timeout`;
}

export function judgeLoadThreshold(result: LoadResult, loadThreshold: LoadThreshold): ThresholdVerdict {
  const { metric, threshold, text } = loadThreshold;
  const attempted = result.succeeded + result.failed;
  let value: number | null;
  let label: string;
  let statistic = '';
  let unit = '';
  // Latency is judged over every measured request, failures at the timeout; with no
  // successful answer at all there is nothing to measure.
  const overall = result.succeeded > 0 ? result.overall : null;
  switch (metric.kind) {
    case 'percentile':
      label = `p(${metric.percentile})`;
      statistic = `p${metric.percentile}`;
      value = result.succeeded > 0 ? result.overallPercentile(metric.percentile) : null;
      unit = ' ms';
      break;
    case 'latency':
      label = metric.stat;
      statistic = metric.stat;
      value = overall
        ? {
            avg: overall.mean,
            med: overall.p50,
            min: overall.min,
            max: overall.max,
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
    // Throughput is what the service served: a failed request (a fast 500, a reset) is not
    // throughput, or a service failing every request would pass "rps > 50".
    case 'rps':
      label = 'rps';
      value =
        result.succeeded > 0 ? Math.round((result.succeeded / (result.durationMs / 1000)) * 10) / 10 : 0;
      break;
    case 'requests':
      label = 'requests';
      value = result.succeeded;
      break;
  }
  if (value === null) {
    const why =
      metric.kind === 'error_rate'
        ? 'no request was made'
        : `no request succeeded, so there is no latency to measure${result.failed > 0 ? ` (${result.failed} of ${attempted} failed: ${failureReasons(result)})` : ''}`;
    return { text, ok: false, value: null, message: `${label}: no data — ${why}` };
  }
  const format = (n: number) =>
    metric.kind === 'error_rate' && threshold.percent
      ? `${formatNumber(n * 100)}%`
      : `${formatNumber(unit ? Math.round(n * (n < 10 ? 100 : 10)) / (n < 10 ? 100 : 10) : n)}${unit}`;
  const isLatency = metric.kind === 'percentile' || metric.kind === 'latency';
  if (isLatency && result.failed > 0) {
    const note = failedRequestsNote(result, statistic);
    const allowed = failedShareAllowed(metric);
    if (result.failed / attempted > allowed) {
      const most = allowed === 0 ? 'a request failed' : `more than ${formatNumber(allowed * 100)}% failed`;
      return {
        text,
        ok: false,
        value,
        message: `${label} ${format(value)}: ${note}; ${most}, so ${label} is a request without a good answer and cannot pass ${threshold.text}`,
      };
    }
    const ok = meets(value, threshold);
    return { text, ok, value, message: `${label} ${describeComparison(value, threshold, format)} (${note})` };
  }
  const ok = meets(value, threshold);
  const served =
    (metric.kind === 'rps' || metric.kind === 'requests') && result.failed > 0
      ? ` (successful answers only: ${result.failed} of ${attempted} requests failed: ${failureReasons(result)})`
      : '';
  return { text, ok, value, message: `${label} ${describeComparison(value, threshold, format)}${served}` };
}
