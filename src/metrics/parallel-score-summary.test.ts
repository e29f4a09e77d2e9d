/**
 * Rank metrics summarised in worker threads equal those of one thread to the last bit, with
 * batches, a ring that wraps, spilled runs and columns shared between workers; a worker that
 * fails or never starts fails the evaluation (never a metric from part of the rows).
 * The fixture workers stand in for what a user never runs: a thread that fails on purpose.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { scoreRows } from '../testing/score-rows.js';
import { evaluatePredictions } from './predictions.js';
import { ParallelScoreSummary, rankSummary } from './parallel-score-summary.js';
import { ScoreSummary } from './score-summary.js';
import { SpillDirectory } from './sorted-runs.js';

const rows = (count: number, k: number, decimals: number | undefined, seed = 5) =>
  scoreRows(count, k, decimals, seed);

const k = 5;
const columns = [0, 1, 2, 3, 4];

function ranksOf(
  summary: { add(label: number, probs: Float64Array, offset: number): void; ranks: ScoreSummary['ranks'] },
  data: ReturnType<typeof rows>,
) {
  for (let i = 0; i < data.labels.length; i++) summary.add(data.labels[i]!, data.probs, i * k);
  return columns.map((column) => summary.ranks(column, data.support));
}

describe('rank metrics in worker threads', () => {
  // Tables of 1,024 slots a column at most: 6-decimal columns leave them to be counted by key.
  const smallTables = { hashBudgetBytes: 1024 * (8 + 8 * k) * columns.length, runsMemoryValues: 700 };
  for (const decimals of [2, 6, undefined]) {
    for (const [how, forced] of [
      ['', {}],
      [', sorted and spilled', { hashBudgetBytes: 1, runsMemoryValues: 700 }],
      [', past small tables and spilled', smallTables],
    ] as const) {
      test(`${decimals ? `${decimals} decimals` : 'full precision'}${how}: one and two workers give the bits of one thread`, () => {
        const data = rows(6000, k, decimals);
        const spill = new SpillDirectory();
        const expected = ranksOf(new ScoreSummary({ k, columns, spill, ...forced }), data);
        for (const threads of [1, 2]) {
          const parallel = new ParallelScoreSummary({
            k,
            columns,
            spill,
            threads,
            batchRows: 97, // 62 batches through a ring of 3: it wraps many times
            ringSize: 3,
            ...forced,
          });
          const ranks = ranksOf(parallel, data);
          expect(parallel.threadsUsed).toBe(threads);
          for (let c = 0; c < k; c++) {
            expect(ranks[c]!.auc).toBe(expected[c]!.auc);
            expect(ranks[c]!.averagePrecision).toBe(expected[c]!.averagePrecision);
            expect([...ranks[c]!.pairAuc]).toEqual([...expected[c]!.pairAuc]);
          }
        }
        spill.dispose();
      });
    }
  }

  test('while the workers finish, the reading thread ranks columns they wrote out: the same bits', () => {
    const many = [...Array(12).keys()];
    const data = rows(20_000, 12, undefined);
    const rankAll = (summary: Parameters<typeof ranksOf>[0]) => {
      for (let i = 0; i < data.labels.length; i++) summary.add(data.labels[i]!, data.probs, i * 12);
      return many.map((column) => summary.ranks(column, data.support));
    };
    const spill = new SpillDirectory();
    const forced = { k: 12, columns: many, spill, hashBudgetBytes: 1, runsMemoryValues: 24_000 };
    const expected = rankAll(new ScoreSummary(forced));
    // Which thread claims a column is a race: over a few tries the reader must take some.
    let rankedHere = 0;
    for (let attempt = 0; attempt < 5 && rankedHere === 0; attempt++) {
      const parallel = new ParallelScoreSummary({ ...forced, threads: 1, batchRows: 1000 });
      expect(rankAll(parallel)).toEqual(expected);
      rankedHere = parallel.columnsRankedHere;
    }
    expect(rankedHere).toBeGreaterThan(0);
    // Left: only the one-thread summary's own runs (run-N); the threads removed theirs.
    expect(readdirSync(spill.directory()).filter((name) => !name.startsWith('run-'))).toEqual([]);
    spill.dispose();
  });

  test("workers spill into the reader's directory and leave nothing there", () => {
    const data = rows(3000, k, undefined);
    const spill = new SpillDirectory();
    const parallel = new ParallelScoreSummary({
      k,
      columns,
      spill,
      threads: 2,
      batchRows: 100,
      hashBudgetBytes: 1,
      runsMemoryValues: 400,
    });
    ranksOf(parallel, data);
    const directory = spill.directory();
    expect(readdirSync(directory)).toEqual([]);
    spill.dispose();
    expect(existsSync(directory)).toBe(false);
  });

  test('many classes: a batch holds fewer rows, the ring stays small', () => {
    const parallel = new ParallelScoreSummary({
      k: 1000,
      columns: [0],
      spill: new SpillDirectory(),
      threads: 1,
    });
    expect((parallel as unknown as { batchRows: number }).batchRows).toBeLessThan(300);
  });

  test('fewer rows than a batch: no thread is started', () => {
    const data = rows(50, k, undefined);
    const spill = new SpillDirectory();
    const parallel = new ParallelScoreSummary({ k, columns, spill, threads: 2 });
    const ranks = ranksOf(parallel, data);
    expect(parallel.threadsUsed).toBe(0);
    expect(ranks).toEqual(ranksOf(new ScoreSummary({ k, columns, spill }), data));
    spill.dispose();
  });

  test('threads asked for run the built worker; none asked for: the summary stays in this thread', () => {
    const spill = new SpillDirectory();
    expect(rankSummary({ k, columns, spill, threads: 1 })).toBeInstanceOf(ParallelScoreSummary);
    expect(rankSummary({ k, columns, spill, threads: 0 })).not.toBeInstanceOf(ParallelScoreSummary);
  });

  test("a worker's failure is the evaluation's error, and stays one", () => {
    const data = rows(2000, k, undefined);
    const spill = new SpillDirectory();
    const parallel = new ParallelScoreSummary({
      k,
      columns,
      spill,
      threads: 1,
      batchRows: 100,
      ringSize: 2,
      workerUrl: new URL('./fixtures/failing-score-worker.mjs', import.meta.url),
    });
    expect(() => ranksOf(parallel, data)).toThrow(
      'rank metrics: a worker thread failed: ENOSPC: no space left on device, write',
    );
    expect(() => parallel.ranks(0, data.support)).toThrow(/ENOSPC/);
    spill.dispose();
  });

  test("a column a worker offers that cannot be read is the evaluation's error, not a metric", () => {
    const data = rows(2000, k, undefined);
    const spill = new SpillDirectory();
    const parallel = new ParallelScoreSummary({
      k,
      columns,
      spill,
      threads: 1,
      batchRows: 100,
      workerUrl: new URL('./fixtures/offering-missing-score-worker.mjs', import.meta.url),
    });
    expect(() => ranksOf(parallel, data)).toThrow(
      /rank metrics: cannot read a column a worker thread wrote out: ENOENT/,
    );
    expect(() => parallel.ranks(1, data.support)).toThrow(/ENOENT/);
    spill.dispose();
  });

  test('a worker that never starts: an error after the start timeout, not a hang', () => {
    const data = rows(2000, k, undefined);
    const spill = new SpillDirectory();
    const parallel = new ParallelScoreSummary({
      k,
      columns,
      spill,
      threads: 1,
      batchRows: 100,
      ringSize: 2,
      startTimeoutMs: 300,
      workerUrl: new URL('./fixtures/silent-score-worker.mjs', import.meta.url),
    });
    expect(() => ranksOf(parallel, data)).toThrow(/a worker thread did not start within 0.3 s/);
    spill.dispose();
  });

  test('a worker that dies without a word: an error at the deadline, not a hang', () => {
    const data = rows(2000, k, undefined);
    const spill = new SpillDirectory();
    const parallel = new ParallelScoreSummary({
      k,
      columns,
      spill,
      threads: 1,
      batchRows: 100,
      ringSize: 2,
      deadline: performance.now() + 400,
      workerUrl: new URL('./fixtures/vanishing-score-worker.mjs', import.meta.url),
    });
    const began = performance.now();
    expect(() => ranksOf(parallel, data)).toThrow(
      /rank metrics: timed out waiting for a worker thread to read a batch \(a worker that died without a word/,
    );
    expect(performance.now() - began).toBeLessThan(5000);
    expect(() => parallel.ranks(columns[0]!, data.support)).toThrow(/timed out/);
    spill.dispose();
  });

  test('workers that cannot start (no temporary directory) make the evaluation an error that says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlgate-parallel-'));
    const saved = { threads: process.env.MLGATE_RANK_THREADS, tmp: process.env.TMPDIR };
    try {
      const data = rows(20_000, 3, undefined, 3);
      const lines = ['label,prob_0,prob_1,prob_2'];
      for (let i = 0; i < data.labels.length; i++)
        lines.push(
          `${data.labels[i]},${data.probs[i * 3]},${data.probs[i * 3 + 1]},${1 - data.probs[i * 3]! - data.probs[i * 3 + 1]!}`,
        );
      const file = join(dir, 'predictions.csv');
      writeFileSync(file, `${lines.join('\n')}\n`);
      process.env.MLGATE_RANK_THREADS = '1';
      process.env.TMPDIR = join(dir, 'missing');
      await expect(evaluatePredictions(file, 'csv', { rankMetrics: true })).rejects.toThrow(
        /rank metrics: cannot start a worker thread: .*ENOENT/,
      );
    } finally {
      for (const [name, value] of [
        ['MLGATE_RANK_THREADS', saved.threads],
        ['TMPDIR', saved.tmp],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a predictions file of many batches: the same metrics with threads as without', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlgate-parallel-'));
    try {
      const data = rows(40_000, 3, undefined, 17);
      const lines = ['label,prob_0,prob_1,prob_2'];
      for (let i = 0; i < data.labels.length; i++) {
        const p = [0, 1, 2].map((c) => data.probs[i * 3 + c]!);
        lines.push(`${data.labels[i]},${p[0]},${p[1]},${1 - p[0]! - p[1]!}`);
      }
      const file = join(dir, 'predictions.csv');
      writeFileSync(file, `${lines.join('\n')}\n`);
      const saved = process.env.MLGATE_RANK_THREADS;
      const metricsWith = async (threads: string) => {
        process.env.MLGATE_RANK_THREADS = threads;
        try {
          return (await evaluatePredictions(file, 'csv', { rankMetrics: true })).result.metrics;
        } finally {
          if (saved === undefined) delete process.env.MLGATE_RANK_THREADS;
          else process.env.MLGATE_RANK_THREADS = saved;
        }
      };
      const single = await metricsWith('0');
      const threaded = await metricsWith('2');
      expect(single.roc_auc_ovo).toBeDefined();
      expect(threaded).toEqual(single);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
