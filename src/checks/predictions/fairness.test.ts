/**
 * Fairness across groups in the predictions kind (`groups:`), driven by the fixtures in
 * fixtures/fairness/: ok.* must pass, ng.* fail with evidence, err.* be an error, each as its
 * expect.yaml says; where a reference.json is beside them (written by
 * scripts/reference/fairness.py from the same rows, Fairlearn's definitions in numpy), every
 * group's rates and every fairness metric must equal it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { loadBuiltinChecks } from '../../engine/registry.js';
import type { CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { runFixture } from '../../testing/fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, 'fixtures', 'fairness');
const folders = readdirSync(root, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && /^(ok|ng|err)\./.test(entry.name))
  .map((entry) => entry.name)
  .sort();

const EXPECTED = { ok: 'pass', ng: 'fail', err: 'error' } as const;

interface Reference {
  positive: string;
  min_group_size: number;
  groups: Record<
    string,
    {
      n: number;
      positives: number;
      selected: number;
      selection_rate: number;
      tpr: number | null;
      fpr: number | null;
      precision: number | null;
      accuracy: number;
      judged: boolean;
    }
  >;
  metrics: Record<string, number | null>;
}

async function predictionsKind() {
  return (await loadBuiltinChecks()).get('predictions')!;
}

function table(outcome: CheckOutcome, prefix: string) {
  return outcome.evidence?.find(
    (entry): entry is Extract<Evidence, { type: 'table' }> =>
      entry.type === 'table' && entry.title.startsWith(prefix),
  );
}

function close(actual: unknown, expected: number | null, what: string) {
  if (expected === null) expect(actual, what).toBeNull();
  else expect(actual as number, what).toBeCloseTo(expected, 12);
}

describe('predictions: fairness fixtures', () => {
  test('has passing, failing and error cases', () => {
    for (const prefix of ['ok.', 'ng.', 'err.'])
      expect(folders.some((name) => name.startsWith(prefix))).toBe(true);
  });

  for (const name of folders) {
    test(name, async () => {
      const folder = join(root, name);
      const expectation = (parse(readFileSync(join(folder, 'expect.yaml'), 'utf8')) ?? {}) as {
        summary?: string;
        measured?: Record<string, unknown>;
        evidence?: Array<Record<string, unknown>>;
      };
      const outcome = await runFixture(await predictionsKind(), folder);
      expect(outcome.status, `${name}: ${outcome.summary}`).toBe(
        EXPECTED[name.split('.')[0] as keyof typeof EXPECTED],
      );
      if (outcome.status === 'fail') expect(outcome.evidence?.length ?? 0).toBeGreaterThan(0);
      if (expectation.summary) expect(outcome.summary).toMatch(new RegExp(expectation.summary));
      if (expectation.measured) expect(outcome.measured).toMatchObject(expectation.measured);
      for (const entry of expectation.evidence ?? [])
        expect(outcome.evidence).toEqual(expect.arrayContaining([expect.objectContaining(entry)]));

      const referenceFile = join(folder, 'reference.json');
      if (!existsSync(referenceFile) || outcome.status === 'error') return;
      const reference = JSON.parse(readFileSync(referenceFile, 'utf8')) as Reference;
      const groups = table(outcome, 'groups by');
      expect(groups, 'the per-group table').toBeDefined();
      expect(groups!.columns).toEqual([
        'group',
        'rows',
        `label ${reference.positive}`,
        `predicted ${reference.positive}`,
        'selection rate',
        'TPR',
        'FPR',
        'precision',
        'accuracy',
        'judged',
      ]);
      expect(groups!.rows.map((row) => row[0])).toEqual(Object.keys(reference.groups));
      for (const row of groups!.rows) {
        const want = reference.groups[row[0] as string]!;
        const label = `group ${row[0]}`;
        expect(row.slice(1, 4), label).toEqual([want.n, want.positives, want.selected]);
        close(row[4], want.selection_rate, `${label} selection rate`);
        close(row[5], want.tpr, `${label} TPR`);
        close(row[6], want.fpr, `${label} FPR`);
        close(row[7], want.precision, `${label} precision`);
        close(row[8], want.accuracy, `${label} accuracy`);
        expect(row[9] === 'yes', `${label} judged`).toBe(want.judged);
      }
      const metrics = table(outcome, 'fairness by');
      expect(metrics, 'the fairness metrics table').toBeDefined();
      expect(metrics!.rows.map((row) => row[0]).sort()).toEqual(Object.keys(reference.metrics).sort());
      for (const row of metrics!.rows) {
        const metric = row[0] as string;
        close(row[1], reference.metrics[metric]!, metric);
        if (reference.metrics[metric] !== null)
          expect(outcome.measured?.[metric] as number, metric).toBeCloseTo(reference.metrics[metric]!, 12);
      }
    });
  }
});

describe('predictions: groups params', () => {
  const invalid: Array<[string, unknown, string]> = [
    [
      'a misspelt metric',
      { column: 'sex', thresholds: { demographic_parity_ration: '>= 0.8' } },
      'unknown fairness metric "demographic_parity_ration". Did you mean "demographic_parity_ratio"?',
    ],
    [
      'a percentage written as a number',
      { column: 'sex', thresholds: { demographic_parity_ratio: '>= 80' } },
      'did you mean 0.8 or 80%?',
    ],
    [
      'both column and columns',
      { column: 'sex', columns: ['sex', 'age'], thresholds: { demographic_parity_ratio: '>= 0.8' } },
      'give either "column"',
    ],
    [
      'neither column nor columns',
      { thresholds: { demographic_parity_ratio: '>= 0.8' } },
      'give either "column"',
    ],
    [
      'three columns',
      { columns: ['a', 'b', 'c'], thresholds: { demographic_parity_ratio: '>= 0.8' } },
      'Too big',
    ],
    [
      'a column twice',
      { columns: ['sex', 'sex'], thresholds: { demographic_parity_ratio: '>= 0.8' } },
      'names a column twice',
    ],
    [
      'a ratio bound pointing the wrong way',
      { column: 'sex', thresholds: { demographic_parity_ratio: '<= 0.8' } },
      'would pass unfair models: did you mean ">= 0.8"?',
    ],
    [
      'a difference bound pointing the wrong way',
      { column: 'sex', thresholds: { equalized_odds_difference: '> 0.1' } },
      'would pass unfair models: did you mean "<= 0.1"?',
    ],
    [
      'a bound every value meets',
      { column: 'sex', thresholds: { equal_opportunity_difference: 'between 0 and 1' } },
      'holds for every value of equal_opportunity_difference (0 to 1): it judges nothing',
    ],
    [
      'a ratio bound of 0',
      { column: 'sex', thresholds: { demographic_parity_ratio: '>= 0' } },
      'it judges nothing',
    ],
    [
      'no thresholds',
      { column: 'sex', thresholds: {} },
      'groups.thresholds is empty: nothing would be judged',
    ],
    [
      'a bad threshold',
      { column: 'sex', thresholds: { demographic_parity_ratio: '=> 0.8' } },
      'did you mean ">= 0.8"',
    ],
  ];
  for (const [what, groups, message] of invalid) {
    test(`refuses ${what}`, async () => {
      const result = (await predictionsKind()).params.safeParse({ file: 'p.csv', groups });
      expect(result.success).toBe(false);
      expect(result.error!.issues.map((issue) => issue.message).join(' | ')).toContain(message);
    });
  }

  test('refuses groups on regression and on NumPy arrays', async () => {
    const kind = await predictionsKind();
    const groups = { column: 'sex', thresholds: { demographic_parity_ratio: '>= 0.8' } };
    const regression = kind.params.safeParse({ file: 'p.csv', task: 'regression', groups });
    expect(regression.error!.issues.map((issue) => issue.message).join(' | ')).toContain(
      'this is regression',
    );
    const arrays = kind.params.safeParse({ arrays: { labels: 'y.npy', preds: 'p.npy' }, groups });
    expect(arrays.error!.issues.map((issue) => issue.message).join(' | ')).toContain(
      'groups needs a predictions table',
    );
  });

  test('groups alone is something to judge, and min_group_size defaults to 30', async () => {
    const result = (await predictionsKind()).params.parse({
      file: 'p.csv',
      groups: { column: 'sex', thresholds: { demographic_parity_ratio: '>= 0.8' } },
    }) as { groups: { min_group_size: number } };
    expect(result.groups.min_group_size).toBe(30);
  });
});
