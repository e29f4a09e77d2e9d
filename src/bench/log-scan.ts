/** The log kind's scan over a large training log, beside grep on the same file. */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { executeCheck } from '../engine/execute.js';
import { loadBuiltinChecks } from '../engine/registry.js';
import { BENCH_DIR, type Benchmark, fmt, medianMs, row } from './harness.js';

const LINES = 2_000_000;

async function writeLog(path: string): Promise<void> {
  if (existsSync(path) && statSync(path).size > 0) return;
  const out = createWriteStream(path);
  for (let i = 1; i <= LINES; i++) {
    const line = `2026-11-18 14:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} INFO  step ${i} loss=${(1 / i).toFixed(6)} lr=0.001 grad_norm=${(i % 97) / 10}\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.write('2026-11-18 15:00:00 INFO  Training complete\n');
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

export const logScanBenchmark: Benchmark = {
  name: `log kind: scan a ${LINES / 1e6}M-line training log for 1 required and 2 forbidden texts`,
  goal: 'streamed, memory flat; throughput within a small factor of grep',
  async run() {
    const path = join(BENCH_DIR, 'train.log');
    await writeLog(path);
    const megabytes = statSync(path).size / 1e6;
    const definition = (await loadBuiltinChecks()).get('log')!;
    const params = definition.params.parse({
      path,
      contains: 'Training complete',
      not_contains: ['nan', 'Traceback'],
    });
    const base = { root: BENCH_DIR, itemId: 'bench', profile: null, artifacts: new Map() };
    let status = '';
    const mlgate = await medianMs(3, async () => {
      status = (await executeCheck(definition, params, base, 600_000)).status;
    });
    const grep = await medianMs(3, () => {
      execFileSync('grep', ['-c', '-e', 'Training complete', '-e', 'nan', '-e', 'Traceback', path]);
    });
    row('', 'median of 3', 'throughput');
    row(`mlgate log check (${status})`, fmt.ms(mlgate), fmt.rate(megabytes / (mlgate / 1000), 'MB/s'));
    row('grep -c, same patterns', fmt.ms(grep), fmt.rate(megabytes / (grep / 1000), 'MB/s'));
    row('mlgate throughput / grep', fmt.ratio(grep / mlgate));
  },
};
