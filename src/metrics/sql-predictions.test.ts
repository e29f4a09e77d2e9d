/**
 * Metrics pushed down to SQL engines equal the streaming path's, metric by metric, and
 * scikit-learn's on the reference pack: DuckDB over the same rows as CSV and as Parquet,
 * PostgreSQL (127.0.0.1:5432, trust auth, database `test`; a schema of its own per run,
 * dropped after) over the same rows as a table. Engine errors are item errors with the
 * engine's message; the connection string never appears in one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { SqlSourceSpec } from '../data/sql/source.js';
import { referencePath } from '../testing/reference.js';
import { tempFiles } from '../testing/temp.js';
import type { ClassificationResult } from './classification.js';
import { evaluatePredictions, type PredictionColumns, PredictionsError } from './predictions.js';
import { evaluateSqlSource } from './sql-predictions.js';

const TOLERANCE = 1e-9;
const SECRET = 'Tr0ub4dor-and-3-horses';
const PG_URL = `postgresql://postgres:${SECRET}@127.0.0.1:5432/test`;
const SCHEMA = `mlgate_sql_${process.pid}_${Date.now()}`;

const extra = JSON.parse(
  readFileSync(new URL('./fixtures/extra-reference.json', import.meta.url), 'utf8'),
) as {
  multiclass: Record<string, number>;
  binary_is_8: Record<string, number | string>;
};

// The digits predictions, plus a slice column and a binary problem (is it an 8?).
const csvText = readFileSync(referencePath('digits', 'predictions_test.csv'), 'utf8');
const [header, ...lines] = csvText.trim().split('\n');
const names = header!.split(',');
const records = lines.map((line) => line.split(',').map(Number));
const REGIONS = ['north', 'south', 'east'];
const dir = tempFiles({});
const csvPath = join(dir, 'preds.csv');
writeFileSync(
  csvPath,
  [`${names.join(',')},region`, ...records.map((record, i) => `${record.join(',')},${REGIONS[i % 3]}`)].join(
    '\n',
  ),
);
const binaryPath = join(dir, 'binary.csv');
writeFileSync(
  binaryPath,
  [
    'label,score',
    ...records.map((record) => `${record[0] === 8 ? 1 : 0},${record[names.indexOf('prob_8')]}`),
  ].join('\n'),
);
const parquetPath = join(dir, 'preds.parquet');
writeFileSync(
  parquetPath,
  new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        ...names.map((name, c) =>
          c < 2
            ? { name, data: records.map((r) => BigInt(r[c]!)), type: 'INT64' as const }
            : { name, data: records.map((r) => r[c]!), type: 'DOUBLE' as const },
        ),
        { name: 'region', data: records.map((_, i) => REGIONS[i % 3]!), type: 'STRING' as const },
      ],
    }),
  ),
);

const context = {
  env: { PG_URL },
  resolve: (path: string) => (path.startsWith('/') ? path : join(dir, path)),
  display: (path: string) => path.slice(dir.length + 1),
  root: dir,
};

function expectSame(ours: ClassificationResult, streaming: ClassificationResult, what: string) {
  expect(ours.n, what).toBe(streaming.n);
  expect(ours.classes, what).toEqual(streaming.classes);
  expect(ours.confusion, what).toEqual(streaming.confusion);
  expect(Object.keys(ours.metrics).sort(), what).toEqual(Object.keys(streaming.metrics).sort());
  for (const [name, value] of Object.entries(streaming.metrics))
    expect(Math.abs(ours.metrics[name]! - value), `${what}: ${name}`).toBeLessThanOrEqual(TOLERANCE);
  expect(
    ours.reliability?.map((bin) => bin.count),
    what,
  ).toEqual(streaming.reliability?.map((bin) => bin.count));
}

const streamingOf = async (path: string, options: PredictionColumns = {}) =>
  evaluatePredictions(path, 'csv', options);

let pgReady = false;
beforeAll(async () => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${SCHEMA}`);
    await client.query(
      `CREATE TABLE ${SCHEMA}.preds (label bigint, pred bigint, ${names
        .slice(2)
        .map((name) => `${name} double precision`)
        .join(', ')}, region text)`,
    );
    // float8 text round-trips: the same doubles as the CSV's.
    const values = records.map(
      (record, i) =>
        `(${record.map((v) => (Number.isInteger(v) ? v : `'${v}'::float8`)).join(', ')}, '${REGIONS[i % 3]}')`,
    );
    await client.query(`INSERT INTO ${SCHEMA}.preds VALUES ${values.join(', ')}`);
    pgReady = true;
  } finally {
    await client.end();
  }
});
afterAll(async () => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await client.end();
});

const SOURCES: Array<[string, SqlSourceSpec]> = [
  ['DuckDB over CSV', { file: 'preds.csv' }],
  ['DuckDB over Parquet', { file: 'preds.parquet' }],
  ['DuckDB, a query over Parquet', { query: "SELECT * FROM read_parquet('preds.parquet') WHERE label >= 0" }],
  ['PostgreSQL table', { engine: 'postgres', table: `${SCHEMA}.preds`, connection_env: 'PG_URL' }],
  [
    'PostgreSQL query',
    { engine: 'postgres', query: `SELECT * FROM ${SCHEMA}.preds WHERE label >= 0`, connection_env: 'PG_URL' },
  ],
];

describe.each(SOURCES)('%s: the same numbers as the streaming path and scikit-learn', (what, source) => {
  test('every metric, per class, confusion matrix, calibration bins; bytes O(distinct scores)', async () => {
    expect(pgReady).toBe(true);
    const streaming = (await streamingOf(csvPath)).result as ClassificationResult;
    const sql = await evaluateSqlSource(source, context, {});
    const result = sql.result as ClassificationResult;
    expectSame(result, streaming, what);
    for (const [name, expected] of Object.entries(extra.multiclass))
      expect(Math.abs(result.metrics[name]! - expected), name).toBeLessThanOrEqual(TOLERANCE);
    // ≤ 10 × 360 (column·k + class, score, count) rows and small summaries: bounded by distinct scores.
    expect(sql.bytesPulled).toBeLessThan(10 * 360 * 3 * 8 + 20_000);
  });

  test('slices: the same per-slice metrics as the streaming path', async () => {
    const streaming = await streamingOf(csvPath, { slices: ['region'] });
    const sql = await evaluateSqlSource(source, context, { slices: ['region'] });
    expect(sql.slices.map((s) => s.key)).toEqual(streaming.slices.map((s) => s.key));
    sql.slices.forEach((slice, i) =>
      expectSame(
        slice.result as ClassificationResult,
        streaming.slices[i]!.result as ClassificationResult,
        `${what} slice ${slice.key}`,
      ),
    );
  });
});

describe('one score column (label, score): binary metrics of the positive class', () => {
  const queries: Array<[string, SqlSourceSpec]> = [
    [
      'DuckDB',
      {
        query: `SELECT CASE WHEN label = 8 THEN 1 ELSE 0 END AS label, prob_8 AS score FROM read_csv('preds.csv')`,
      },
    ],
    [
      'PostgreSQL',
      {
        engine: 'postgres',
        query: `SELECT CASE WHEN label = 8 THEN 1 ELSE 0 END AS label, prob_8 AS score FROM ${SCHEMA}.preds`,
        connection_env: 'PG_URL',
      },
    ],
  ];
  test.each(queries)('%s', async (_, source) => {
    const streaming = (await streamingOf(binaryPath, { probs: 'score' })).result as ClassificationResult;
    const sql = (await evaluateSqlSource(source, context, { probs: 'score' })).result as ClassificationResult;
    expectSame(sql, streaming, 'binary');
    for (const name of ['roc_auc', 'average_precision', 'brier', 'log_loss'])
      expect(Math.abs(sql.metrics[name]! - (extra.binary_is_8[name] as number)), name).toBeLessThanOrEqual(
        TOLERANCE,
      );
    expect(sql.metrics.roc_auc_ovo).toBe(sql.metrics.roc_auc);
  });
});

describe('errors are item errors with the engine message, and never show the connection', () => {
  const fail = async (source: SqlSourceSpec, options: PredictionColumns = {}) => {
    const error = await evaluateSqlSource(source, context, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PredictionsError);
    const message = (error as PredictionsError).message;
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain(PG_URL);
    return message;
  };

  test('a query error: the engine says what is wrong', async () => {
    expect(
      await fail({ engine: 'postgres', query: 'SELECT label FROM nowhere_at_all', connection_env: 'PG_URL' }),
    ).toMatch(/PostgreSQL: relation "nowhere_at_all" does not exist/);
    expect(await fail({ query: 'SELECT label FROM nowhere_at_all' })).toMatch(
      /DuckDB: Catalog Error: .*nowhere_at_all/,
    );
  });

  test('an engine message that quotes the password has it taken out', async () => {
    const message = await fail({
      engine: 'postgres',
      query: `SELECT '${SECRET}'::int AS label`,
      connection_env: 'PG_URL',
    });
    expect(message).toContain('invalid input syntax for type integer');
    expect(message).toContain('[redacted]');
  });

  test('a missing column is named, with the columns there are', async () => {
    expect(
      await fail(
        { engine: 'postgres', table: `${SCHEMA}.preds`, connection_env: 'PG_URL' },
        { label: 'truth' },
      ),
    ).toMatch(/no column "truth" \(label\); columns: label, pred, prob_0/);
  });

  test('a connection that fails: the reason, not the URL', async () => {
    const message = await evaluateSqlSource(
      { engine: 'postgres', table: 'preds', connection_env: 'BAD_URL' },
      {
        ...context,
        env: { BAD_URL: `postgresql://postgres:${SECRET}@127.0.0.1:5432/no_such_database_here` },
      },
      {},
    ).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(message).toMatch(/PostgreSQL: database "no_such_database_here" does not exist/);
    expect(message).not.toContain(SECRET);
  });

  test('an unset connection variable is named', async () => {
    expect(await fail({ engine: 'postgres', table: 'preds', connection_env: 'NOT_SET_ANYWHERE' })).toMatch(
      /NOT_SET_ANYWHERE is not set/,
    );
  });

  test('rows that cannot be judged are counted, as in a file', async () => {
    const message = await fail({
      query: `SELECT label, pred, CASE WHEN label = 3 THEN NULL ELSE prob_0 END AS prob_0, ${names
        .slice(3)
        .join(', ')} FROM read_csv('preds.csv')`,
    });
    expect(message).toMatch(/^37 rows cannot be judged/);
  });

  test('a label that is not a class', async () => {
    expect(
      await fail({
        query: `SELECT label + 100 AS label, ${names.slice(1).join(', ')} FROM read_csv('preds.csv')`,
      }),
    ).toMatch(/label "10\d" is not one of the classes/);
  });

  test('a regression target that is text: the engine says it cannot convert it', async () => {
    expect(
      await fail({ query: "SELECT 'abc' AS target, 1.0 AS prediction" }, { task: 'regression' }),
    ).toMatch(/DuckDB: Conversion Error/);
  });
});

describe('one class in the truth: the reason says so', () => {
  test('ROC AUC is missing because every row is of one class', async () => {
    const sql = await evaluateSqlSource(
      { query: `SELECT 1 AS label, prob_8 AS score FROM read_csv('preds.csv')` },
      context,
      { probs: 'score' },
    );
    const result = sql.result as ClassificationResult;
    expect(result.metrics.roc_auc).toBeUndefined();
    expect(result.unavailable?.roc_auc).toMatch(/the true labels have one class \("1"\)/);
  });
});

describe('the predictions kind and `mlgate metrics` with source:', () => {
  test('a PostgreSQL table passes its thresholds; a failing query is an item error that never shows the connection', async () => {
    const { executeCheck } = await import('../engine/execute.js');
    const { default: definition } = await import('../checks/predictions/check.js');
    process.env.MLGATE_TEST_PG_URL = PG_URL;
    const run = (source: Record<string, unknown>) =>
      executeCheck(
        definition,
        definition.params.parse({ source, thresholds: { accuracy: '>= 0.95', roc_auc_ovo: '>= 0.99' } }),
        { root: dir, projectRoot: dir, itemId: 'sql', profile: null, artifacts: new Map() },
        60_000,
      );
    const passed = await run({
      engine: 'postgres',
      table: `${SCHEMA}.preds`,
      connection_env: 'MLGATE_TEST_PG_URL',
    });
    expect(passed.status, passed.summary).toBe('pass');
    expect(passed.summary.startsWith(`360 rows of postgres table ${SCHEMA}.preds, measured`)).toBe(true);
    const failed = await run({
      engine: 'postgres',
      query: `SELECT '${SECRET}'::int AS label`,
      connection_env: 'MLGATE_TEST_PG_URL',
    });
    expect(failed.status).toBe('error');
    expect(failed.summary).toMatch(/^PostgreSQL: invalid input syntax for type integer/);
    expect(JSON.stringify(failed)).not.toContain(SECRET);
    expect(JSON.stringify(passed)).not.toContain(SECRET);
    delete process.env.MLGATE_TEST_PG_URL;
  });

  test('mlgate metrics --engine postgres --table: the same table as a file, the connection never printed', async () => {
    const { metricsCommand } = await import('../cli/commands/metrics.js');
    const { bufferedIO } = await import('../testing/io.js');
    const io = bufferedIO(dir, { PG_URL });
    const code = await metricsCommand(
      undefined,
      { engine: 'postgres', table: `${SCHEMA}.preds`, connectionEnv: 'PG_URL', format: 'json' },
      io.io,
    );
    expect(code, io.stderr()).toBe(0);
    const printed = io.stdout();
    expect(printed).not.toContain(SECRET);
    const parsed = JSON.parse(printed) as { file: string; metrics: Record<string, number> };
    expect(parsed.file).toBe(`postgres table ${SCHEMA}.preds`);
    expect(Math.abs(parsed.metrics.roc_auc_weighted! - extra.multiclass.roc_auc_weighted!)).toBeLessThan(
      TOLERANCE,
    );
    const failing = bufferedIO(dir, { PG_URL });
    await metricsCommand(
      undefined,
      {
        engine: 'postgres',
        query: `SELECT '${SECRET}'::int AS label`,
        connectionEnv: 'PG_URL',
        format: 'text',
      },
      failing.io,
    );
    expect(failing.stderr()).toMatch(/invalid input syntax/);
    expect(failing.stderr() + failing.stdout()).not.toContain(SECRET);
  });

  test('mlgate metrics FILE --engine duckdb: a Parquet file read by DuckDB', async () => {
    const { metricsCommand } = await import('../cli/commands/metrics.js');
    const { bufferedIO } = await import('../testing/io.js');
    const io = bufferedIO(dir);
    expect(
      await metricsCommand('preds.parquet', { engine: 'duckdb', format: 'text' }, io.io),
      io.stderr(),
    ).toBe(0);
    expect(io.stdout()).toMatch(/^duckdb preds\.parquet: 360 rows, classification/);
    expect(io.stdout()).toMatch(/roc_auc_ovo\s+0\.9980/);
  });
});

describe('a timeout or Ctrl-C stops the engine', () => {
  const abortAfter = (ms: number) => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('timed out')), ms);
    return controller.signal;
  };
  test('DuckDB: the running query is interrupted', async () => {
    const error = await evaluateSqlSource(
      { query: 'SELECT range % 2 AS label, (hash(range) % 1000) / 1000.0 AS score FROM range(10000000000)' },
      context,
      { probs: 'score' },
      abortAfter(1500),
    ).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(PredictionsError);
    // On a loaded machine DuckDB may still be starting when the time is up.
    expect(error!.message).toMatch(/Interrupt|stopped before the first query/i);
  });
  test('PostgreSQL: the statement is cancelled on the server', async () => {
    const error = await evaluateSqlSource(
      {
        engine: 'postgres',
        query: 'SELECT label, prob_8 AS score FROM (SELECT 1 AS label, 0.5 AS prob_8, pg_sleep(30)) AS slow',
        connection_env: 'PG_URL',
      },
      context,
      { probs: 'score' },
      abortAfter(300),
    ).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(PredictionsError);
    expect(error!.message).toMatch(/canceling statement due to user request/);
    expect(error!.message).not.toContain(SECRET);
  });
});

describe('what comes back grows with distinct scores, not rows', () => {
  test('200 000 rows with 100 distinct scores: a few kilobytes', async () => {
    const sql = await evaluateSqlSource(
      { query: 'SELECT range % 2 AS label, (range % 100) / 100.0 AS score FROM range(200000)' },
      context,
      { probs: 'score' },
    );
    expect(sql.result.n).toBe(200_000);
    // Odd scores are positive: a positive at 2j+1 outranks j+1 of the 50 negatives: Σ(j+1) / 2500.
    expect(sql.result.metrics.roc_auc).toBeCloseTo(0.51, 12);
    expect(sql.bytesPulled).toBeLessThan(16_000);
  });
});

describe('regression: the same numbers as the streaming path and scikit-learn (diabetes)', () => {
  const reference = JSON.parse(readFileSync(referencePath('diabetes', 'reference.json'), 'utf8')) as {
    test_metrics_onnx: Record<string, number>;
  };
  const diabetes = referencePath('diabetes', 'predictions_test.csv');
  const targets: Array<[string, SqlSourceSpec]> = [
    ['DuckDB over CSV', { file: diabetes }],
    ['PostgreSQL', { engine: 'postgres', table: `${SCHEMA}.diabetes`, connection_env: 'PG_URL' }],
  ];
  beforeAll(async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const [head, ...body] = readFileSync(diabetes, 'utf8').trim().split('\n');
    await client.query(
      `CREATE TABLE ${SCHEMA}.diabetes (${head!
        .split(',')
        .map((c) => `${c} float8`)
        .join(', ')}, half text)`,
    );
    await client.query(
      `INSERT INTO ${SCHEMA}.diabetes VALUES ${body
        .map(
          (line, i) =>
            `(${line
              .split(',')
              .map((v) => `'${v}'::float8`)
              .join(', ')}, '${i % 2 ? 'odd' : 'even'}')`,
        )
        .join(', ')}`,
    );
    await client.end();
  });
  test.each(targets)('%s', async (_, source) => {
    const streaming = await evaluatePredictions(diabetes, 'csv', { task: 'regression' });
    const sql = await evaluateSqlSource(source, { ...context, resolve: (p) => p }, { task: 'regression' });
    expect(sql.result.n).toBe(streaming.result.n);
    for (const [name, expected] of Object.entries(reference.test_metrics_onnx).filter(
      ([key]) => key !== 'n',
    )) {
      const ours = sql.result.metrics[name]!;
      expect(Math.abs(ours - expected) / Math.max(1, Math.abs(expected)), name).toBeLessThanOrEqual(
        TOLERANCE,
      );
      expect(
        Math.abs(ours - streaming.result.metrics[name]!) / Math.max(1, Math.abs(ours)),
        name,
      ).toBeLessThanOrEqual(TOLERANCE);
    }
  });
  test('per slice', async () => {
    const sql = await evaluateSqlSource(
      { engine: 'postgres', table: `${SCHEMA}.diabetes`, connection_env: 'PG_URL' },
      context,
      { task: 'regression', slices: ['half'] },
    );
    expect(sql.slices.map((s) => s.key)).toEqual(['even', 'odd']);
    expect(sql.slices[0]!.result.n + sql.slices[1]!.result.n).toBe(sql.result.n);
  });
});
