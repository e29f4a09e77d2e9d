/**
 * One summary, three ways to build it (hash table of distinct scores, sorted in memory,
 * sorted runs spilled to disk): the same groups, the same rank metrics to the last digit,
 * and the same numbers as a brute-force pairwise count.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { scoreRows } from '../testing/score-rows.js';
import { ClassIndex } from './classes.js';
import { ClassificationAccumulator } from './classification.js';
import { decimalKey, decimalScore } from './decimal-scores.js';
import { openWritten, rankColumn, ScoreSummary } from './score-summary.js';
import { ScoreLabelRuns, sortScoreLabels, SpillDirectory } from './sorted-runs.js';

const rows = (count: number, k: number, decimals: number | undefined, seed = 11) =>
  scoreRows(count, k, decimals, seed);

function metricsWith(
  data: ReturnType<typeof rows>,
  k: number,
  options: { rankHashBytes?: number; rankMemoryValues?: number },
) {
  const accumulator = new ClassificationAccumulator({
    classes: new ClassIndex(
      Array.from({ length: k }, (_, c) => String(c)),
      false,
    ),
    probabilities: true,
    rankMetrics: true,
    ...options,
  });
  for (let i = 0; i < data.labels.length; i++)
    accumulator.add(data.labels[i]!, data.labels[i]!, data.probs.subarray(i * k, i * k + k));
  return accumulator.finish().metrics;
}

/** ROC AUC of one column by counting every (positive, negative) pair. */
function bruteForceAuc(data: ReturnType<typeof rows>, k: number, column: number, against?: number): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < data.labels.length; i++) {
    if (data.labels[i] !== column) continue;
    for (let j = 0; j < data.labels.length; j++) {
      const other = data.labels[j]!;
      if (other === column || (against !== undefined && other !== against)) continue;
      const a = data.probs[i * k + column]!;
      const b = data.probs[j * k + column]!;
      wins += a > b ? 1 : a === b ? 0.5 : 0;
      pairs++;
    }
  }
  return wins / pairs;
}

describe('exact rank metrics from per-score counts', () => {
  const k = 4;
  for (const decimals of [2, undefined]) {
    const data = rows(1500, k, decimals);
    test(`${decimals ? `${decimals} decimals (many ties)` : 'full precision'}: hash, sorted and spilled agree exactly`, () => {
      const hashed = metricsWith(data, k, {});
      const sorted = metricsWith(data, k, { rankHashBytes: 1 });
      const spilled = metricsWith(data, k, { rankHashBytes: 1, rankMemoryValues: 101 });
      for (const name of ['roc_auc', 'roc_auc_ovo', 'roc_auc_weighted', 'average_precision']) {
        expect(hashed[name], name).toBeDefined();
        expect(sorted[name], name).toBe(hashed[name]);
        expect(spilled[name], name).toBe(hashed[name]);
      }
    });
    test(`${decimals ? `${decimals} decimals` : 'full precision'}: ROC AUC one-vs-rest and one-vs-one equal a pairwise count`, () => {
      const metrics = metricsWith(data, k, {});
      let ovr = 0;
      for (let c = 0; c < k; c++) ovr += bruteForceAuc(data, k, c);
      expect(Math.abs(metrics.roc_auc! - ovr / k)).toBeLessThan(1e-12);
      const pairs: number[] = [];
      for (let a = 0; a < k; a++)
        for (let b = a + 1; b < k; b++)
          pairs.push((bruteForceAuc(data, k, a, b) + bruteForceAuc(data, k, b, a)) / 2);
      const ovo = pairs.reduce((x, y) => x + y, 0) / pairs.length;
      expect(Math.abs(metrics.roc_auc_ovo! - ovo)).toBeLessThan(1e-12);
    });
  }

  test('scores of at most 6 decimals past the table are counted by key: the bits of sorting them', () => {
    const k5 = 5;
    const columns = [0, 1, 2, 3, 4];
    const data = rows(12_000, k5, 6);
    // A table of 1,024 slots a column at most: more distinct scores than that leave it.
    const small = { hashBudgetBytes: 1024 * (8 + 8 * k5) * columns.length };
    const ranksOf = (summary: ScoreSummary) => {
      const support = new Float64Array(k5);
      for (let i = 0; i < data.labels.length; i++) {
        summary.add(data.labels[i]!, data.probs, i * k5);
        support[data.labels[i]!]!++;
      }
      return columns.map((column) => summary.ranks(column, support));
    };
    const spill = new SpillDirectory();
    const expected = ranksOf(new ScoreSummary({ k: k5, columns, spill, hashBudgetBytes: 1 })); // sorted
    for (const memory of [undefined, 997]) {
      const counted = new ScoreSummary({ k: k5, columns, spill, ...small, runsMemoryValues: memory });
      expect(ranksOf(counted)).toEqual(expected);
      expect(counted.fallbacks).toBe(columns.length);
      // Written out for another thread, read back from the files: the same.
      const written = new ScoreSummary({ k: k5, columns, spill, ...small, runsMemoryValues: memory });
      const support = new Float64Array(k5);
      for (let i = 0; i < data.labels.length; i++) {
        written.add(data.labels[i]!, data.probs, i * k5);
        support[data.labels[i]!]!++;
      }
      for (const column of columns) {
        const files = written.writeRuns(column)!;
        expect(files.decimal).toBe(true);
        expect(rankColumn(column, support, openWritten(spill, k5, files).groups)).toEqual(expected[column]);
      }
    }
    // A score of more decimals half-way: the column goes back to sorted runs, every row kept.
    const mixed = rows(12_000, k5, 6);
    for (let c = 0; c < k5; c++) mixed.probs[6000 * k5 + c] = 1 / 3;
    const sortedMixed = new ScoreSummary({ k: k5, columns, spill, hashBudgetBytes: 1 });
    const countedMixed = new ScoreSummary({ k: k5, columns, spill, ...small, runsMemoryValues: 997 });
    const support = new Float64Array(k5);
    for (let i = 0; i < mixed.labels.length; i++) {
      sortedMixed.add(mixed.labels[i]!, mixed.probs, i * k5);
      countedMixed.add(mixed.labels[i]!, mixed.probs, i * k5);
      support[mixed.labels[i]!]!++;
    }
    for (const column of columns) {
      expect(countedMixed.writeRuns(column)!.decimal).toBe(false);
      expect(countedMixed.ranks(column, support)).toEqual(sortedMixed.ranks(column, support));
    }
    spill.dispose();
  });

  test('decimal keys: exactly the doubles of 6 decimals, nothing else', () => {
    for (const text of ['0', '1', '0.5', '0.123456', '0.000001', '0.999999', '1.000999', '0.25'])
      expect(decimalScore(decimalKey(Number(text)))).toBe(Number(text));
    for (const score of [1 / 3, 0.1234567, 1e-7, 2, -0.5, Number.NaN, 0.1 + 0.2])
      expect(decimalKey(score)).toBe(-1);
    // Every 6-decimal string from its parse: its own key, in order.
    const wrong: number[] = [];
    for (let m = 0; m <= 1_000_000; m++)
      if (decimalKey(Number((m / 1e6).toFixed(6))) !== m || decimalScore(m) !== Number((m / 1e6).toFixed(6)))
        wrong.push(m);
    expect(wrong).toEqual([]);
  });

  test('hundreds of runs merge 32 at a time (open files stay few): the same groups', () => {
    const spill = new SpillDirectory();
    const pairs = 40_000;
    const many = new ScoreLabelRuns(spill, 97); // 413 runs
    const inMemory = new ScoreLabelRuns(spill);
    let seed = 3;
    for (let i = 0; i < pairs; i++) {
      seed = (seed * 16807) % 2147483647;
      const score = Math.round((seed / 2147483647) * 5000) / 5000; // ties too
      many.push(score, i % 3);
      inMemory.push(score, i % 3);
    }
    const groupsOf = (runs: ScoreLabelRuns) => {
      const seen: string[] = [];
      runs.forEachGroup((score, classes, _counts, start, end) =>
        seen.push(`${score}:${[...classes.subarray(start, end)].sort().join('')}`),
      );
      return seen;
    };
    expect(groupsOf(many)).toEqual(groupsOf(inMemory));
    spill.dispose();
  });

  test('a column of nearly all distinct scores falls back to sorting, a column of few does not', () => {
    const spill = new SpillDirectory();
    const summary = new ScoreSummary({ k: 2, columns: [0, 1], spill });
    const probs = new Float64Array(2);
    for (let i = 0; i < 200_000; i++) {
      probs[0] = i / 200_000; // every score distinct
      probs[1] = (i % 10) / 10; // ten scores
      summary.add(i % 2, probs, 0);
    }
    expect(summary.fallbacks).toBe(1);
    const support = [100_000, 100_000];
    let groups = 0;
    summary.groups(1)(() => groups++);
    expect(groups).toBe(10);
    expect(rankColumn(1, support, summary.groups(1)).auc).toBe(rankColumn(1, support, summary.groups(1)).auc);
    spill.dispose();
  });

  test('the radix sort orders scores as a comparison sort does, negatives and zeros included', () => {
    const values = [0.5, -0, 0, 1, 1e-300, -2.5, 0.25, 3e10, -1e-10, 0.5];
    const scores = Float64Array.from(values);
    const labels = Uint16Array.from(values.map((_, i) => i));
    sortScoreLabels(scores, labels, scores.length);
    expect([...scores]).toEqual([...values].sort((a, b) => a - b));
    for (let i = 0; i < values.length; i++) expect(values[labels[i]!]).toBe(scores[i]);
    // Below and above 64K pairs (three passes of 11 bits, two of 16), negatives, ties; the
    // last in the scratch arrays a larger sort left (they are kept from sort to sort).
    for (const length of [20_000, 150_000, 3_000]) {
      const many = Float64Array.from({ length }, (_, i) =>
        i % 7 === 0 ? 0.125 : Math.sin(i) * 10 ** ((i % 9) - 4),
      );
      const expected = [...many].sort((a, b) => a - b);
      const labels = Uint32Array.from(many, (_, i) => i);
      const values = [...many];
      sortScoreLabels(many, labels, many.length);
      expect([...many]).toEqual(expected);
      for (let i = 0; i < length; i++) expect(values[labels[i]!]).toBe(many[i]);
    }
  });

  test('scores that share their high 32 bits are ordered by the low ones, in short and long runs', () => {
    let seed = 5;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    // 0.5 + a few ulps: one long run of one high word (the radix sort of the low word);
    // values near 0.25 in groups of three: many short runs (insertion sort); exact ties too.
    const values = [
      ...Array.from({ length: 5000 }, () => 0.5 + Math.floor(random() * 1e6) * 2 ** -53),
      ...Array.from({ length: 3000 }, (_, i) => 0.25 + Math.floor(i / 3) * 2 ** -30 + (i % 3) * 2 ** -50),
      ...Array.from({ length: 500 }, () => 0.125),
    ];
    for (let i = values.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [values[i], values[j]] = [values[j]!, values[i]!];
    }
    const scores = Float64Array.from(values);
    const labels = Uint32Array.from(values.map((_, i) => i));
    sortScoreLabels(scores, labels, scores.length);
    expect([...scores]).toEqual([...values].sort((a, b) => a - b));
    for (let i = 0; i < values.length; i++) expect(values[labels[i]!]).toBe(scores[i]);
  });

  test('a thousand classes: columns sort from the start instead of a table of 1,000 counts a slot', () => {
    const k = 1000;
    const spill = new SpillDirectory();
    const summary = new ScoreSummary({ k, columns: Array.from({ length: k }, (_, c) => c), spill });
    const before = process.memoryUsage().rss;
    const probs = new Float64Array(k).fill(1 / k);
    for (let i = 0; i < 2000; i++) {
      probs[i % k] = 0.5 + i / 1e6;
      summary.add(i % k, probs, 0);
      probs[i % k] = 1 / k;
    }
    // Tables would have taken 8 MB a column (8 GB); sorted runs take a few bytes a score.
    expect(process.memoryUsage().rss - before).toBeLessThan(400_000_000);
    const support = new Float64Array(k).fill(2);
    expect(summary.ranks(0, support).auc).toBe(1);
    spill.dispose();
  });

  test('sorted runs on disk are removed when the process exits mid-evaluation (Ctrl-C)', () => {
    // The CLI ends an interrupted run with process.exit: no finally block runs.
    const built = fileURLToPath(new URL('../../dist/metrics/sorted-runs.js', import.meta.url));
    const script = `
      const { SpillDirectory } = await import(${JSON.stringify(built)});
      const { writeFileSync } = await import('node:fs');
      const spill = new SpillDirectory();
      const run = spill.next();
      writeFileSync(run, 'x');
      console.log(spill.directory());
      process.exit(130);`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.status).toBe(130);
    const directory = child.stdout.trim();
    expect(directory).toMatch(/mlgate-sort-/);
    expect(existsSync(directory)).toBe(false);
  });
});
