/**
 * A tiny benchmark harness: each benchmark runs its contenders side by side in one process
 * run (machines are noisy; only same-run ratios mean anything) and prints figures and ratios.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = fileURLToPath(new URL('../../.bench/', import.meta.url));
mkdirSync(BENCH_DIR, { recursive: true });

export interface Benchmark {
  name: string;
  /** What the benchmark shows and its goal, one line. */
  goal: string;
  run(): Promise<void>;
}

export async function timeIt<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** Runs `fn` `times` times (after one warm-up) and returns the median in ms. */
export async function medianMs(times: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < times; i++) samples.push((await timeIt(fn)).ms);
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

export function row(label: string, ...cells: string[]): void {
  console.log(`  ${label.padEnd(34)} ${cells.map((c) => c.padStart(14)).join('')}`);
}

export const fmt = {
  ms: (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`),
  rate: (n: number, unit: string) =>
    `${n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(1)} ${unit}`,
  ratio: (r: number) => `${r.toFixed(2)}x`,
};
