/** The whole gate on the bundled example, as CI runs it on every commit. */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Benchmark, fmt, medianMs, row } from './harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const gateBenchmark: Benchmark = {
  name: 'gate on examples/digits-classifier (process start to verdict)',
  goal: 'fast enough for every commit: well under a second end to end',
  async run() {
    const bin = `${ROOT}bin/mlgate.js`;
    const gate = await medianMs(7, () =>
      spawnSync(process.execPath, [bin, 'check', 'examples/digits-classifier', '--quiet'], { cwd: ROOT }),
    );
    const bare = await medianMs(7, () => execFileSync(process.execPath, ['-e', '0']));
    const version = await medianMs(7, () => spawnSync(process.execPath, [bin, '--version'], { cwd: ROOT }));
    row('', 'median of 7');
    row('node -e 0 (process floor)', fmt.ms(bare));
    row('mlgate --version (start-up)', fmt.ms(version));
    const items = JSON.parse(
      spawnSync(
        process.execPath,
        [bin, 'check', 'examples/digits-classifier', '--quiet', '--format', 'json'],
        { cwd: ROOT },
      ).stdout.toString(),
    ).items.length as number;
    row(`mlgate check (${items} items)`, fmt.ms(gate));
    row('checks and report beyond start-up', fmt.ms(gate - version));
  },
};
