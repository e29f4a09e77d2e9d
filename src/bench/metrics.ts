/** Metrics over a large predictions CSV: rows/s and peak RSS, streaming and with rank metrics. */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_DIR, type Benchmark, fmt, row } from './harness.js';

const ROWS = Number(process.env.BENCH_METRICS_ROWS ?? 10_000_000);
const CLASSES = 10;
const WORKER = fileURLToPath(new URL('./metrics-worker.js', import.meta.url));

/** label + prob_0..prob_9 at full float64 precision, as pandas writes them. */
async function generate(path: string): Promise<void> {
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
    for (let c = 0; c < CLASSES; c++) line += `,${probs[c]! / sum}`;
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

function runWorker(path: string, mode: 'streaming' | 'all') {
  const output = execFileSync(process.execPath, [WORKER, path, mode], { maxBuffer: 1 << 20 }).toString();
  return JSON.parse(output) as {
    rows: number;
    ms: number;
    maxRssMB: number;
    accuracy: number;
    rocAuc: number | null;
  };
}

export const metricsBenchmark: Benchmark = {
  name: `metrics over a ${ROWS / 1e6}M-row, ${CLASSES}-class predictions CSV (label + probabilities)`,
  goal: '>= 1M rows/s on one core with RSS under 300 MB (streaming metrics); rank metrics exact, memory bounded',
  async run() {
    const path = join(BENCH_DIR, `predictions-${ROWS}.csv`);
    await generate(path);
    const megabytes = statSync(path).size / 1e6;
    row('', 'time', 'rows/s', 'MB/s', 'peak RSS');
    for (const mode of ['streaming', 'all'] as const) {
      const result = runWorker(path, mode);
      row(
        mode === 'streaming' ? 'every metric but ROC AUC / AP' : 'every metric, ROC AUC and AP exact',
        fmt.ms(result.ms),
        fmt.rate(result.rows / (result.ms / 1000), 'rows/s'),
        fmt.rate(megabytes / (result.ms / 1000), 'MB/s'),
        `${result.maxRssMB.toFixed(0)} MB`,
      );
    }
    console.log(`  (file: ${megabytes.toFixed(0)} MB; one process per run, single-threaded)`);
  },
};
