/** Metrics over a large predictions CSV: rows/s and peak RSS, streaming and with rank metrics. */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRankThreads } from '../metrics/parallel-score-summary.js';
import { BENCH_DIR, type Benchmark, fmt, row } from './harness.js';

const ROWS = Number(process.env.BENCH_METRICS_ROWS ?? 10_000_000);
const CLASSES = 10;
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const WORKER = fileURLToPath(new URL('./metrics-worker.js', import.meta.url));

/** label + prob_0..prob_9 at full float64 precision, as pandas writes them, or rounded. */
async function generate(path: string, decimals?: number): Promise<void> {
  if (existsSync(path) && statSync(path).size > 0) return;
  const out = createWriteStream(path);
  out.write(`label,${Array.from({ length: CLASSES }, (_, c) => `prob_${c}`).join(',')}\n`);
  let seed = 1;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const probs = new Float64Array(CLASSES);
  let chunk: string[] = [];
  for (let r = 0; r < ROWS; r++) {
    const label = r % CLASSES;
    let sum = 0;
    for (let c = 0; c < CLASSES; c++) {
      probs[c] = random() ** 4 + (c === label && random() < 0.9 ? 2 : 0);
      sum += probs[c]!;
    }
    let line = String(label);
    for (let c = 0; c < CLASSES; c++)
      line += `,${decimals === undefined ? probs[c]! / sum : (probs[c]! / sum).toFixed(decimals)}`;
    chunk.push(line);
    if (chunk.length === 10_000) {
      if (!out.write(`${chunk.join('\n')}\n`))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = [];
    }
  }
  if (chunk.length) out.write(`${chunk.join('\n')}\n`);
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

function runWorker(path: string, mode: 'streaming' | 'all', threads?: number) {
  const env = { ...process.env };
  if (threads !== undefined) env.MLGATE_RANK_THREADS = String(threads);
  const output = execFileSync(process.execPath, [WORKER, path, mode], { maxBuffer: 1 << 20, env }).toString();
  return JSON.parse(output) as {
    rows: number;
    ms: number;
    cpuMs: number;
    maxRssMB: number;
    accuracy: number;
    rocAuc: number | null;
  };
}

export const metricsBenchmark: Benchmark = {
  name: `metrics over a ${ROWS / 1e6}M-row, ${CLASSES}-class predictions CSV (label + probabilities)`,
  goal: '>= 1M rows/s with RSS under 300 MB, every metric included (exact ROC AUC / AP / OvO: the per-column sorts run in worker threads beside the parse)',
  async run() {
    const path = join(BENCH_DIR, `predictions-${ROWS}.csv`);
    const rounded = join(BENCH_DIR, `predictions-${ROWS}-6dp.csv`);
    await generate(path);
    await generate(rounded, 6);
    const megabytes = statSync(path).size / 1e6;
    row('', 'time', 'rows/s', 'CPU', 'CPU rows/s', 'peak RSS', '× streaming');
    let base = 0;
    const threads = defaultRankThreads();
    const runs = [
      ['every metric but ROC AUC / AP', path, 'streaming', undefined],
      ['every metric, one thread', path, 'all', 0],
      [`every metric, ${threads} worker thread${threads === 1 ? '' : 's'}`, path, 'all', threads],
      ['6-decimal probabilities, one thread', rounded, 'all', 0],
      [`  the same, ${threads} worker thread${threads === 1 ? '' : 's'}`, rounded, 'all', threads],
    ] as const;
    // Each configuration REPEAT times, in turns (a busy moment of a shared machine hits them
    // alike); the fastest run of each is shown.
    const best: Array<ReturnType<typeof runWorker> | undefined> = runs.map(() => undefined);
    for (let round = 0; round < REPEAT; round++)
      runs.forEach(([, file, mode, workers], i) => {
        const result = runWorker(file, mode, workers);
        if (!best[i] || result.ms < best[i]!.ms) best[i] = result;
      });
    for (const [i, [label, , mode]] of runs.entries()) {
      const result = best[i]!;
      if (mode === 'streaming') base = result.cpuMs;
      row(
        label,
        fmt.ms(result.ms),
        fmt.rate(result.rows / (result.ms / 1000), 'rows/s'),
        fmt.ms(result.cpuMs),
        fmt.rate(result.rows / (result.cpuMs / 1000), 'rows/s'),
        `${result.maxRssMB.toFixed(0)} MB`,
        fmt.ratio(result.cpuMs / base),
      );
    }
    console.log(
      `  (file: ${megabytes.toFixed(0)} MB; one process per run, the fastest of ${REPEAT} taken in turns (BENCH_REPEAT); rows/s is wall time, the figure users see; CPU is the process's user + system time over all its threads; × streaming is the CPU ratio; worker threads: MLGATE_RANK_THREADS, default the spare cores up to 4)`,
    );
  },
};
