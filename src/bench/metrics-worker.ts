/** One metrics run in its own process, so its peak RSS is its own. Prints JSON. */
import { evaluatePredictions } from '../metrics/predictions.js';

const [path, mode] = process.argv.slice(2) as [string, 'streaming' | 'all'];
const start = performance.now();
const evaluation = await evaluatePredictions(path, 'csv', { rankMetrics: mode === 'all' });
const ms = performance.now() - start;
process.stdout.write(
  JSON.stringify({
    rows: evaluation.result.n,
    ms,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    accuracy: evaluation.result.metrics.accuracy,
    rocAuc: evaluation.result.metrics.roc_auc ?? null,
  }),
);
