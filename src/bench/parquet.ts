/**
 * Metrics over a 10M-row binary predictions table stored as Parquet with small, large and one
 * huge row group, beside the same rows as CSV: rows/s and peak RSS. The reader goes page by
 * page and only through the columns a check asks for, so memory must not grow with the
 * row-group size. Each run is its own process (this file, run with a path), so its peak RSS is
 * its own. The files are generated under .bench/ on first use, never committed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TableFormat } from '../data/table.js';
import { BENCH_DIR, type Benchmark, fmt, row } from './harness.js';

const ROWS = Number(process.env.BENCH_PARQUET_ROWS ?? 10_000_000);
const GROUP_SIZES = [100_000, 1_000_000, ROWS];
const GOAL_MB = 300;
const SELF = fileURLToPath(import.meta.url);

/** label, pred and a score with full float64 digits; a calibrated-ish binary classifier. */
function columns(): { label: Int32Array; pred: Int32Array; score: Float64Array } {
  const label = new Int32Array(ROWS);
  const pred = new Int32Array(ROWS);
  const score = new Float64Array(ROWS);
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let r = 0; r < ROWS; r++) {
    const y = random() < 0.3 ? 1 : 0;
    const s = Math.min(1, Math.max(0, (y ? 0.65 : 0.35) + (random() - 0.5) * 0.8));
    label[r] = y;
    score[r] = s;
    pred[r] = s >= 0.5 ? 1 : 0;
  }
  return { label, pred, score };
}

async function generate(): Promise<{ csv: string; parquet: Map<number, string> }> {
  const csv = join(BENCH_DIR, `binary-${ROWS}.csv`);
  const parquet = new Map(
    GROUP_SIZES.map((size) => [size, join(BENCH_DIR, `binary-${ROWS}-rg${size}.parquet`)]),
  );
  if (existsSync(csv) && [...parquet.values()].every((path) => existsSync(path))) return { csv, parquet };
  const { parquetWriteFile } = await import('hyparquet-writer');
  const data = columns();
  for (const [size, path] of parquet) {
    if (existsSync(path)) continue;
    parquetWriteFile({
      filename: `${path}.partial`,
      columnData: [
        { name: 'label', data: data.label, type: 'INT32' },
        { name: 'pred', data: data.pred, type: 'INT32' },
        { name: 'score', data: data.score, type: 'DOUBLE' },
      ],
      rowGroupSize: size,
    });
    renameSync(`${path}.partial`, path);
  }
  if (!existsSync(csv)) {
    const lines: string[] = ['label,pred,score'];
    for (let r = 0; r < ROWS; r++) lines.push(`${data.label[r]},${data.pred[r]},${data.score[r]}`);
    writeFileSync(`${csv}.partial`, `${lines.join('\n')}\n`);
    renameSync(`${csv}.partial`, csv);
  }
  return { csv, parquet };
}

interface RunResult {
  rows: number;
  ms: number;
  cpuMs: number;
  maxRssMB: number;
  accuracy: number;
}

/** One run in a fresh process: `scan` reads the columns and nothing else (the floor). */
function runChild(path: string, format: TableFormat, mode: 'metrics' | 'scan'): RunResult {
  const output = execFileSync(process.execPath, [SELF, path, format, mode], { maxBuffer: 1 << 20 });
  return JSON.parse(output.toString()) as RunResult;
}

/**
 * This process's peak RSS. Linux keeps getrusage's maxrss across exec, so a child spawned by a
 * big parent would report the parent's size; VmHWM belongs to the process's own memory.
 */
function peakRssMB(): number {
  try {
    const hwm = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

async function child(path: string, format: TableFormat, mode: 'metrics' | 'scan'): Promise<void> {
  const began = performance.now();
  const cpu = process.cpuUsage();
  let rows = 0;
  let accuracy = Number.NaN;
  if (mode === 'metrics') {
    const { evaluatePredictions } = await import('../metrics/predictions.js');
    const evaluation = await evaluatePredictions(path, format, {
      label: 'label',
      pred: 'pred',
      probs: 'score',
    });
    rows = evaluation.result.n;
    accuracy = evaluation.result.metrics.accuracy ?? Number.NaN;
  } else {
    const { scanTable } = await import('../data/table.js');
    let sum = 0;
    await scanTable(path, {
      format,
      onHeader(_columns, hints) {
        hints.numeric([0, 2]);
      },
      onRow(row) {
        sum += row.number(0) + row.number(2);
      },
    }).then((result) => (rows = result.rows));
    accuracy = sum;
  }
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    JSON.stringify({
      rows,
      ms: performance.now() - began,
      cpuMs: (used.user + used.system) / 1000,
      maxRssMB: peakRssMB(),
      accuracy,
    } satisfies RunResult),
  );
}

export const parquetBenchmark: Benchmark = {
  name: `Parquet vs CSV: metrics over ${ROWS / 1e6}M binary predictions (label, pred, score), by row-group size`,
  goal: `peak RSS under ${GOAL_MB} MB whatever the row-group size; rows/s near the same CSV's`,
  async run() {
    const files = await generate();
    row('', 'CPU time', 'rows/CPU-s', 'peak RSS', `< ${GOAL_MB} MB`);
    const show = (label: string, result: RunResult) =>
      row(
        label,
        fmt.ms(result.cpuMs),
        fmt.rate(result.rows / (result.cpuMs / 1000), 'rows/s'),
        `${result.maxRssMB.toFixed(0)} MB`,
        result.maxRssMB < GOAL_MB ? 'met' : 'MISSED',
      );
    show('CSV, columns only', runChild(files.csv, 'csv', 'scan'));
    show('CSV, metrics', runChild(files.csv, 'csv', 'metrics'));
    for (const [size, path] of files.parquet) {
      const groups = `${size >= 1e6 ? `${size / 1e6}M` : `${size / 1e3}k`} rows/group`;
      show(`Parquet ${groups}, columns`, runChild(path, 'parquet', 'scan'));
      show(`Parquet ${groups}, metrics`, runChild(path, 'parquet', 'metrics'));
    }
    const sizes = [...files.parquet.values()].map((path) => statSync(path).size / 1e6);
    console.log(
      `  (CSV ${(statSync(files.csv).size / 1e6).toFixed(0)} MB; Parquet ${sizes.map((mb) => mb.toFixed(0)).join(' / ')} MB, snappy; CPU seconds, one process per run)`,
    );
  },
};

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const [path, format, mode] = process.argv.slice(2) as [string, TableFormat, 'metrics' | 'scan'];
  await child(path, format, mode);
}
