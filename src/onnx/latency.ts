/**
 * Latency of one model on this machine: warm-up runs, then timed runs per batch size, each
 * run timed around session.run alone. Percentiles use numpy's linear interpolation.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-node';

export interface LatencyResult {
  batchSize: number;
  runs: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  /** Samples (rows) per second over the timed runs. */
  throughput: number;
  /** Every timed run in ms, in run order (for histograms). */
  samples: number[];
}

export function percentileOf(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (q / 100) * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

export async function profileLatency(
  session: InferenceSession,
  feeds: Record<string, Tensor>,
  batchSize: number,
  options: { warmup: number; runs: number; maxMs: number; signal?: AbortSignal },
): Promise<LatencyResult> {
  for (let i = 0; i < options.warmup; i++) await session.run(feeds);
  const samples: number[] = [];
  const began = performance.now();
  for (let i = 0; i < options.runs; i++) {
    if (options.signal?.aborted) throw options.signal.reason;
    const start = performance.now();
    await session.run(feeds);
    samples.push(performance.now() - start);
    if (performance.now() - began > options.maxMs && samples.length >= 10) break;
  }
  const total = samples.reduce((a, b) => a + b, 0);
  const sorted = Float64Array.from(samples).sort();
  return {
    batchSize,
    runs: samples.length,
    p50: percentileOf(sorted, 50),
    p90: percentileOf(sorted, 90),
    p95: percentileOf(sorted, 95),
    p99: percentileOf(sorted, 99),
    max: sorted[sorted.length - 1]!,
    mean: total / samples.length,
    throughput: (batchSize * samples.length) / (total / 1000),
    samples,
  };
}
