import { describe, expect, test } from 'vitest';
import {
  type FairnessJudgement,
  fairnessMetrics,
  GroupAccumulator,
  type GroupCounts,
  GroupError,
  groupKeyReader,
  groupRates,
  GroupsParams,
  judgeFairness,
  MISSING_VALUE,
} from './fairness.js';

/** (group, label, prediction) rows with class indices into `names`. */
function counts(rows: Array<[string, number, number]>, names = ['0', '1']): GroupCounts {
  const accumulator = new GroupAccumulator(['g']);
  for (const [group, label, predicted] of rows) accumulator.add(group, label, predicted);
  return accumulator.finish(names);
}

// Worked by hand:
//   a: (y, ŷ) = (1,1) (1,1) (1,0) (0,1) (0,0) (0,0): TP 2, FN 1, FP 1, TN 2
//      selection rate 3/6, TPR 2/3, FPR 1/3, precision 2/3, accuracy 4/6
//   b: (1,1) (1,0) (0,0) (0,0): TP 1, FN 1, FP 0, TN 2
//      selection rate 1/4, TPR 1/2, FPR 0, precision 1, accuracy 3/4
//   demographic parity: difference 1/2 − 1/4 = 1/4, ratio (1/4)/(1/2) = 1/2
//   equal opportunity: difference 2/3 − 1/2 = 1/6, ratio (1/2)/(2/3) = 3/4
//   equalized odds: difference max(1/6, 1/3 − 0) = 1/3, ratio min(3/4, 0/(1/3)) = 0
const HAND: Array<[string, number, number]> = [
  ['a', 1, 1],
  ['b', 1, 1],
  ['a', 1, 1],
  ['b', 1, 0],
  ['a', 1, 0],
  ['b', 0, 0],
  ['a', 0, 1],
  ['b', 0, 0],
  ['a', 0, 0],
  ['a', 0, 0],
];

function judgement(): FairnessJudgement {
  return { failures: [], errors: [], passes: [], measured: {}, threshold: {} };
}

function options(thresholds: Record<string, string>, extra: Record<string, unknown> = {}) {
  return GroupsParams.parse({ column: 'g', thresholds, ...extra });
}

describe('group rates and fairness metrics (worked by hand)', () => {
  const groups = counts(HAND).groups;

  test('per group', () => {
    const [a, b] = groups.map((group) => groupRates(group, '1'));
    expect(a).toMatchObject({
      group: 'a',
      n: 6,
      positives: 3,
      selected: 3,
      truePositives: 2,
      falsePositives: 1,
    });
    expect(a!.selectionRate).toBeCloseTo(1 / 2, 15);
    expect(a!.tpr).toBeCloseTo(2 / 3, 15);
    expect(a!.fpr).toBeCloseTo(1 / 3, 15);
    expect(a!.precision).toBeCloseTo(2 / 3, 15);
    expect(a!.accuracy).toBeCloseTo(4 / 6, 15);
    expect(b).toMatchObject({ group: 'b', n: 4, positives: 2, selected: 1 });
    expect(b!.selectionRate).toBeCloseTo(1 / 4, 15);
    expect(b!.tpr).toBeCloseTo(1 / 2, 15);
    expect(b!.fpr).toBe(0);
    expect(b!.precision).toBe(1);
    expect(b!.accuracy).toBeCloseTo(3 / 4, 15);
  });

  test('between groups, as Fairlearn defines them', () => {
    const values = fairnessMetrics(groups.map((group) => groupRates(group, '1')));
    expect(values.metrics.demographic_parity_difference).toBeCloseTo(1 / 4, 15);
    expect(values.metrics.demographic_parity_ratio).toBeCloseTo(1 / 2, 15);
    expect(values.metrics.equal_opportunity_difference).toBeCloseTo(1 / 6, 15);
    expect(values.metrics.equal_opportunity_ratio).toBeCloseTo(3 / 4, 15);
    expect(values.metrics.equalized_odds_difference).toBeCloseTo(1 / 3, 15);
    expect(values.metrics.equalized_odds_ratio).toBe(0);
    expect(values.selection.low).toEqual({ group: 'b', value: 1 / 4 });
    expect(values.selection.high).toEqual({ group: 'a', value: 1 / 2 });
  });

  test('the outcome is a class by name, whatever its index', () => {
    // The same rows with the reader's indices the other way round (class "1" seen first).
    const swapped = counts(
      HAND.map(([group, label, predicted]) => [group, 1 - label, 1 - predicted]),
      ['1', '0'],
    ).groups;
    const values = fairnessMetrics(swapped.map((group) => groupRates(group, '1')));
    expect(values.metrics.demographic_parity_ratio).toBeCloseTo(1 / 2, 15);
    expect(values.metrics.equalized_odds_difference).toBeCloseTo(1 / 3, 15);
  });

  test('one class against the rest: selection rate, TPR and FPR of that class', () => {
    // Group x: labels 0,1,2,2 predicted 2,1,2,0: class 2 TP 1, FN 1, FP 1 (the 0 read as 2).
    const [x] = counts(
      [
        ['x', 0, 2],
        ['x', 1, 1],
        ['x', 2, 2],
        ['x', 2, 0],
      ],
      ['0', '1', '2'],
    ).groups.map((group) => groupRates(group, '2'));
    expect(x).toMatchObject({ n: 4, positives: 2, selected: 2, selectionRate: 0.5, tpr: 0.5, fpr: 0.5 });
    expect(x!.accuracy).toBe(0.5); // rows predicted right, any class
  });
});

describe('undefined rates', () => {
  test('a group without positives has no TPR: the metrics made of it are undefined', () => {
    const values = fairnessMetrics(
      counts([
        ['a', 1, 1],
        ['a', 0, 0],
        ['b', 0, 1],
        ['b', 0, 0],
      ]).groups.map((group) => groupRates(group, '1')),
    );
    expect(values.tpr.undefinedIn).toEqual(['b']);
    expect(values.metrics.equal_opportunity_difference).toBeNaN();
    expect(values.metrics.equalized_odds_difference).toBeNaN();
    expect(values.metrics.demographic_parity_difference).toBe(0);
  });

  test('no group ever selected: the ratio is 0/0, undefined (Fairlearn: NaN)', () => {
    const values = fairnessMetrics(
      counts([
        ['a', 1, 0],
        ['b', 1, 0],
      ]).groups.map((group) => groupRates(group, '1')),
    );
    expect(values.metrics.demographic_parity_difference).toBe(0);
    expect(values.metrics.demographic_parity_ratio).toBeNaN();
  });
});

describe('groups', () => {
  test('missing values form their own group; intersections never merge', () => {
    const header = ['label', 'sex', 'age'];
    const key = groupKeyReader(header, ['sex', 'age']);
    const row = (...values: string[]) => ({ text: (column: number) => ['1', ...values][column]! });
    const accumulator = new GroupAccumulator(['sex', 'age']);
    for (const values of [
      ['a / b', 'c'],
      ['a', 'b / c'],
      [' ', 'c'],
      ['', 'c'],
    ])
      accumulator.add(key(row(...values)), 0, 0);
    const groups = accumulator.finish(['0', '1']).groups;
    expect(groups.map((group) => [group.name, group.values, group.n, group.missing])).toEqual([
      ['"a / b" / c', ['a / b', 'c'], 1, false],
      [`${MISSING_VALUE} / c`, [MISSING_VALUE, 'c'], 2, true],
      ['a / "b / c"', ['a', 'b / c'], 1, false],
    ]);
  });

  test('a group column not in the header names the columns there are', () => {
    expect(() => groupKeyReader(['label', 'pred', 'gender'], ['gendre'])).toThrow(
      'no column "gendre" (groups). Did you mean "gender"? Columns: label, pred, gender',
    );
  });

  test('too many distinct values: an id column, an error', () => {
    const accumulator = new GroupAccumulator(['user_id'], 3);
    for (const id of ['u1', 'u2', 'u3', 'u1']) accumulator.add(id, 0, 0);
    expect(() => accumulator.add('u4', 0, 0)).toThrow(GroupError);
    expect(() => accumulator.add('u4', 0, 0)).toThrow(/more than 3 distinct values in user_id/);
  });
});

describe('judging', () => {
  const result = { task: 'classification', classes: ['0', '1'], positive: '1' };

  test('thresholds on the measured values, with the groups at each end', () => {
    const j = judgement();
    const evidence = judgeFairness(
      j,
      counts(HAND),
      result,
      options(
        { demographic_parity_ratio: '>= 0.8', equal_opportunity_difference: '<= 0.2' },
        { min_group_size: 1 },
      ),
    );
    expect(j.errors).toEqual([]);
    expect(j.failures).toEqual([
      'demographic_parity_ratio = 0.5 across 2 groups by g (selection rate 0.25 in "b" to 0.5 in "a") fails >= 0.8',
    ]);
    expect(j.passes[0]).toMatch(/^equal_opportunity_difference = 0\.1666\d* .* meets <= 0\.2$/);
    expect(j.threshold).toEqual({
      demographic_parity_ratio: '>= 0.8',
      equal_opportunity_difference: '<= 0.2',
    });
    expect(j.measured).toMatchObject({ groups: 2, 'groups judged': 2, demographic_parity_ratio: 0.5 });
    expect(evidence.map((entry) => entry.type === 'table' && entry.title)).toEqual([
      "fairness by g (Fairlearn's between-groups definitions, 2 judged groups)",
      'groups by g (outcome: class 1; judged: at least 1 rows)',
    ]);
  });

  test('fewer than two groups large enough is an error, never a pass', () => {
    const j = judgement();
    judgeFairness(
      j,
      counts(HAND),
      result,
      options({ demographic_parity_ratio: '>= 0.1' }, { min_group_size: 5 }),
    );
    expect(j.passes).toEqual([]);
    expect(j.errors).toEqual([
      'groups: only one group (a) has at least 5 rows of 2 groups by g: there is nothing to compare (lower min_group_size or gather more rows)',
    ]);
  });

  test('an undefined metric under a threshold is an error naming the group', () => {
    const j = judgement();
    judgeFairness(
      j,
      counts([
        ['a', 1, 1],
        ['a', 0, 0],
        ['b', 0, 1],
        ['b', 0, 0],
      ]),
      result,
      options({ equalized_odds_difference: '<= 0.1' }, { min_group_size: 1 }),
    );
    expect(j.errors).toEqual([
      'equalized_odds_difference cannot be judged: group "b" has no rows labelled 1, so the true positive rate is undefined there (Fairlearn would count it as 0)',
    ]);
  });

  test('more than two classes needs the outcome class; two unknown ones need positive:', () => {
    const many = judgement();
    judgeFairness(
      many,
      counts([['a', 2, 2]], ['0', '1', '2']),
      { task: 'classification', classes: ['0', '1', '2'] },
      options({ demographic_parity_ratio: '>= 0.8' }),
    );
    expect(many.errors[0]).toContain(
      'there are 3 classes (0, 1, 2): name the outcome class with groups.positive',
    );
    const words = judgement();
    judgeFairness(
      words,
      counts([['a', 0, 0]], ['cat', 'dog']),
      { task: 'classification', classes: ['cat', 'dog'] },
      options({ demographic_parity_ratio: '>= 0.8' }),
    );
    expect(words.errors[0]).toContain('which class is positive is not known');
    const unknown = judgement();
    judgeFairness(
      unknown,
      counts(HAND),
      result,
      options({ demographic_parity_ratio: '>= 0.8' }, { positive: 'yes' }),
    );
    expect(unknown.errors[0]).toBe('groups: positive: "yes" is not one of the classes (0, 1)');
  });

  test('regression results are refused', () => {
    const j = judgement();
    expect(
      judgeFairness(j, undefined, { task: 'regression' }, options({ demographic_parity_ratio: '>= 0.8' })),
    ).toEqual([]);
    expect(j.errors[0]).toContain('regression');
  });
});
