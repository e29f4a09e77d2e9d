/** `npm run bench [NAME-FILTER]`: every benchmark, figures and same-run ratios. */
import { driftBenchmark } from './drift.js';
import { gateBenchmark } from './gate.js';
import type { Benchmark } from './harness.js';
import { loadBenchmark } from './load.js';
import { logScanBenchmark } from './log-scan.js';
import { metricsBenchmark } from './metrics.js';
import { onnxBenchmark } from './onnx.js';
import { parquetBenchmark } from './parquet.js';
import { reportsBenchmark } from './reports.js';
import { secretsBenchmark } from './secrets.js';
import { serverBenchmark } from './server.js';
import { sqlBenchmark } from './sql.js';
import { startupBenchmark } from './startup.js';

const BENCHMARKS: Benchmark[] = [
  driftBenchmark,
  gateBenchmark,
  loadBenchmark,
  logScanBenchmark,
  metricsBenchmark,
  onnxBenchmark,
  parquetBenchmark,
  reportsBenchmark,
  secretsBenchmark,
  serverBenchmark,
  sqlBenchmark,
  startupBenchmark,
];

const filter = process.argv[2]?.toLowerCase();
for (const benchmark of BENCHMARKS) {
  if (filter && !benchmark.name.toLowerCase().includes(filter)) continue;
  console.log(`\n${benchmark.name}\n  goal: ${benchmark.goal}`);
  await benchmark.run();
}
