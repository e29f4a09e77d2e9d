/**
 * One metrics run in its own process, so its peak RSS is its own. Prints JSON.
 *   metrics-worker FILE streaming|all       the streaming path over a CSV
 *   metrics-worker SOURCE-JSON sql|count    a SQL source (source: as in a spec): mlgate's
 *                                           summaries, or the engine's own SELECT count(*)
 */
import { evaluatePredictions } from '../metrics/predictions.js';
import { evaluateSqlSource } from '../metrics/sql-predictions.js';
import { openSource, type SqlSourceSpec } from '../data/sql/source.js';

const [target, mode] = process.argv.slice(2) as [string, 'streaming' | 'all' | 'sql' | 'count'];
const context = {
  env: process.env,
  resolve: (p: string) => p,
  display: (p: string) => p,
  root: process.cwd(),
};
const start = performance.now();
let output: Record<string, unknown>;
if (mode === 'sql') {
  const evaluation = await evaluateSqlSource(JSON.parse(target) as SqlSourceSpec, context, {
    probs: process.env.BENCH_PROBS,
  });
  output = {
    rows: evaluation.result.n,
    accuracy: evaluation.result.metrics.accuracy,
    rocAuc: evaluation.result.metrics.roc_auc ?? null,
    bytesPulled: evaluation.bytesPulled,
    queries: evaluation.queries,
  };
} else if (mode === 'count') {
  const source = await openSource(JSON.parse(target) as SqlSourceSpec, context);
  const [[count]] = (await source.engine.query(`SELECT count(*) FROM ${source.relation}`)) as [[bigint]];
  await source.engine.close();
  output = { rows: Number(count) };
} else {
  const evaluation = await evaluatePredictions(target, 'csv', { rankMetrics: mode === 'all' });
  output = {
    rows: evaluation.result.n,
    accuracy: evaluation.result.metrics.accuracy,
    rocAuc: evaluation.result.metrics.roc_auc ?? null,
  };
}
const ms = performance.now() - start;
const usage = process.resourceUsage();
process.stdout.write(
  JSON.stringify({
    ...output,
    ms,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    maxRssMB: usage.maxRSS / 1024,
  }),
);
