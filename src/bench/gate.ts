/** The whole gate on the bundled example, as CI runs it on every commit. */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Benchmark, fmt, medianMs, row, timeIt } from './harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const gateBenchmark: Benchmark = {
  name: 'gate on examples/digits-classifier (process start to verdict)',
  goal: 'fast enough for every commit: the whole example (39 items, with its service load-tested) under 15 s; all but the load tests under 3 s',
  async run() {
    const bin = `${ROOT}bin/mlgate.js`;
    const bare = await medianMs(5, () => execFileSync(process.execPath, ['-e', '0']));
    const version = await medianMs(5, () => spawnSync(process.execPath, [bin, '--version'], { cwd: ROOT }));
    // Three whole runs; the load tests run alone, so their time is the items' own.
    const runs: Array<{ ms: number; loadMs: number; items: number }> = [];
    for (let i = 0; i < 3; i++) {
      const { ms, value } = await timeIt(() =>
        spawnSync(
          process.execPath,
          [bin, 'check', 'examples/digits-classifier', '--quiet', '--format', 'json'],
          { cwd: ROOT },
        ),
      );
      const report = JSON.parse(value.stdout.toString()) as {
        items: Array<{ kind: string; durationMs: number }>;
      };
      const loadMs = report.items
        .filter((item) => item.kind === 'load')
        .reduce((sum, item) => sum + item.durationMs, 0);
      runs.push({ ms, loadMs, items: report.items.length });
    }
    runs.sort((a, b) => a.ms - b.ms);
    const median = runs[1]!;
    row('', 'median');
    row('node -e 0 (process floor)', fmt.ms(bare));
    row('mlgate --version (start-up)', fmt.ms(version));
    row(`mlgate check (${median.items} items)`, fmt.ms(median.ms));
    row('  of which the two load tests', fmt.ms(median.loadMs));
    row('  everything else', fmt.ms(median.ms - median.loadMs));
  },
};
