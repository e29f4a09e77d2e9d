/**
 * Drift over two 1M-row × 50-feature CSVs (40 numeric, 10 categorical), beside a bare read
 * of the same files (every field parsed, nothing kept). Each run is its own process, so its
 * peak RSS is its own: this module is also that process, when MLGATE_DRIFT_BENCH_WORKER names
 * the mode.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_DIR, type Benchmark, fmt, row } from './harness.js';

const ROWS = Number(process.env.BENCH_DRIFT_ROWS ?? 1_000_000);
const NUMERIC = 40;
const CATEGORICAL = 10;
const SELF = fileURLToPath(import.meta.url);

/** Seeded features; in the current table every 8th numeric feature shifts and c0 changes mix. */
async function generate(path: string, seed: number, shifted: boolean): Promise<void> {
  if (existsSync(path) && statSync(path).size > 0) return;
  const out = createWriteStream(path);
  const header = [
    ...Array.from({ length: NUMERIC }, (_, i) => `f${i}`),
    ...Array.from({ length: CATEGORICAL }, (_, i) => `c${i}`),
  ];
  out.write(`${header.join(',')}\n`);
  let state = seed;
  const random = () => (state = (state * 48271) % 2147483647) / 2147483647;
  const normal = () => Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
  let chunk: string[] = [];
  for (let r = 0; r < ROWS; r++) {
    const fields: string[] = [];
    for (let f = 0; f < NUMERIC; f++) {
      const shift = shifted && f % 8 === 0 ? 0.3 : 0;
      fields.push((normal() * (1 + f / 10) + f + shift).toFixed(3));
    }
    for (let c = 0; c < CATEGORICAL; c++) {
      const skew = shifted && c === 0 ? 2 : 1;
      fields.push(`k${Math.floor(random() ** skew * (4 + c * 2))}`);
    }
    chunk.push(fields.join(','));
    if (chunk.length === 5_000) {
      if (!out.write(`${chunk.join('\n')}\n`))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = [];
    }
  }
  if (chunk.length) out.write(`${chunk.join('\n')}\n`);
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

interface WorkerResult {
  rows: number;
  ms: number;
  maxRssMB: number;
  summary?: string;
}

function runWorker(mode: 'read' | 'drift', reference: string, current: string): WorkerResult {
  const output = execFileSync(process.execPath, [SELF], {
    env: { ...process.env, MLGATE_DRIFT_BENCH_WORKER: JSON.stringify({ mode, reference, current }) },
    maxBuffer: 1 << 20,
  }).toString();
  return JSON.parse(output) as WorkerResult;
}

async function worker(mode: 'read' | 'drift', reference: string, current: string): Promise<WorkerResult> {
  const start = performance.now();
  if (mode === 'read') {
    const { scanTable } = await import('../data/table.js');
    let rows = 0;
    let sink = 0;
    for (const path of [reference, current]) {
      let width = 0;
      const result = await scanTable(path, {
        format: 'csv',
        onHeader(columns, hints) {
          width = columns.length;
          hints.numeric(columns.map((_, i) => i).slice(0, NUMERIC));
        },
        onRow(r) {
          for (let c = 0; c < NUMERIC; c++) sink += r.number(c);
          for (let c = NUMERIC; c < width; c++) sink += r.text(c).length;
        },
      });
      rows += result.rows;
    }
    if (Number.isNaN(sink)) throw new Error('unreadable numbers');
    return { rows, ms: performance.now() - start, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  }
  const { default: drift } = await import('../checks/drift/check.js');
  const root = dirname(reference);
  const params = drift.params.parse({
    reference: basename(reference),
    current: basename(current),
    thresholds: { psi: '< 0.2', ks_pvalue: '> 0.01', chi2_pvalue: '> 0.01' },
    drifted_share: '<= 0.5',
  });
  const outcome = await drift.run(
    {
      root,
      itemId: 'drift',
      profile: null,
      signal: new AbortController().signal,
      artifacts: new Map(),
      resolve: (path: string) => join(root, path),
      display: (path: string) => basename(path),
    },
    params,
  );
  const rows = Number(outcome.measured?.reference_rows) + Number(outcome.measured?.current_rows);
  return {
    rows,
    ms: performance.now() - start,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    summary: `${outcome.status}: ${outcome.summary}`,
  };
}

export const driftBenchmark: Benchmark = {
  name: `drift over two ${ROWS / 1e6}M-row × ${NUMERIC + CATEGORICAL}-feature CSVs (${NUMERIC} numeric, ${CATEGORICAL} categorical)`,
  goal: 'exact KS / Wasserstein / PSI / chi-square per feature within 3x of a bare read of the same files; RSS ≈ 8 bytes per numeric value',
  async run() {
    const reference = join(BENCH_DIR, `drift-reference-${ROWS}.csv`);
    const current = join(BENCH_DIR, `drift-current-${ROWS}.csv`);
    await generate(reference, 1, false);
    await generate(current, 2, true);
    const megabytes = (statSync(reference).size + statSync(current).size) / 1e6;
    row('', 'time', 'rows/s', 'MB/s', 'peak RSS');
    const results: Record<string, WorkerResult> = {};
    for (const mode of ['read', 'drift'] as const) {
      const result = (results[mode] = runWorker(mode, reference, current));
      row(
        mode === 'read' ? 'bare read (every field parsed)' : 'drift check (every statistic)',
        fmt.ms(result.ms),
        fmt.rate(result.rows / (result.ms / 1000), 'rows/s'),
        fmt.rate(megabytes / (result.ms / 1000), 'MB/s'),
        `${result.maxRssMB.toFixed(0)} MB`,
      );
    }
    console.log(`  drift / read: ${fmt.ratio(results.drift!.ms / results.read!.ms)}`);
    console.log(`  (files: ${megabytes.toFixed(0)} MB together; ${results.drift!.summary?.slice(0, 160)})`);
  },
};

const job = process.env.MLGATE_DRIFT_BENCH_WORKER;
if (job) {
  const { mode, reference, current } = JSON.parse(job) as {
    mode: 'read' | 'drift';
    reference: string;
    current: string;
  };
  process.stdout.write(JSON.stringify(await worker(mode, reference, current)));
}
