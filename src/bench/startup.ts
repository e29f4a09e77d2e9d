/**
 * Start-up: how long `mlgate --version` and `mlgate validate` take from process start to exit.
 * Both run in CI and in editors on every save, so they must not pay for what they do not use
 * (the commands' modules, onnxruntime, undici, the store, parsers of Dockerfiles and reports):
 * commands are imported when they run, and a check kind's run module (checks/KIND/run.ts) when
 * an item of the kind runs; validate loads only the definitions (check.ts: params and docs).
 * Beside them, the floor: a bare `node -e 0`, and node importing the libraries validate cannot
 * do without (zod, yaml, commander).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Benchmark, fmt, row } from './harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 15);
const GOAL_MS = 300;

/** Median wall time of `node ...args` over RUNS runs (after one warm-up for the file cache). */
function medianSpawnMs(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const once = () => {
    const began = performance.now();
    const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env });
    const ms = performance.now() - began;
    if (result.status !== 0)
      throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr.slice(0, 500)}`);
    return ms;
  };
  once();
  const samples = Array.from({ length: RUNS }, once).sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

export const startupBenchmark: Benchmark = {
  name: `start-up of mlgate --version and mlgate validate (median of ${RUNS} processes)`,
  goal: `each under ${GOAL_MS} ms from process start to exit`,
  async run() {
    const bin = `${ROOT}bin/mlgate.js`;
    const floor = medianSpawnMs(['-e', '0']);
    const libraries = medianSpawnMs([
      '--input-type=module',
      '-e',
      "await import('zod'); await import('yaml'); await import('commander');",
    ]);
    const version = medianSpawnMs([bin, '--version']);
    const validate = medianSpawnMs([bin, 'validate', 'examples/digits-classifier']);
    const verdict = (ms: number) => (ms < GOAL_MS ? 'met' : 'MISSED');
    row('', 'median', 'over node', `< ${GOAL_MS} ms`);
    row('node -e 0 (process floor)', fmt.ms(floor));
    // Node 20 reads and parses the NODE_EXTRA_CA_CERTS bundle before any script runs: with a
    // system bundle that is tens of ms of every process, in the floor, none of it mlgate's.
    if (process.env.NODE_EXTRA_CA_CERTS) {
      const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
      const bare = medianSpawnMs(['-e', '0'], env);
      row('  of it, NODE_EXTRA_CA_CERTS', fmt.ms(floor - bare));
    }
    row('node importing zod, yaml, commander', fmt.ms(libraries), fmt.ms(libraries - floor));
    row('mlgate --version', fmt.ms(version), fmt.ms(version - floor), verdict(version));
    row('mlgate validate (digits example)', fmt.ms(validate), fmt.ms(validate - floor), verdict(validate));
  },
};
