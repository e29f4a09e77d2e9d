/**
 * Thresholds that cannot tell good from bad are refused when the spec is read, in every form:
 * found by trying to slip "between", "within", "!=" and vacuous bounds past the drift and
 * fairness checks.
 */
import { describe, expect, test } from 'vitest';
import drift from '../checks/drift/check.js';
import predictions from '../checks/predictions/check.js';

const driftProblem = (thresholds: Record<string, string>, extra: Record<string, unknown> = {}) => {
  const parsed = drift.params.safeParse({ reference: 'ref.csv', current: 'cur.csv', thresholds, ...extra });
  return parsed.success ? '' : parsed.error.issues.map((issue) => issue.message).join('\n');
};
const fairnessProblem = (thresholds: Record<string, string>) => {
  const parsed = predictions.params.safeParse({ file: 'p.csv', groups: { column: 'sex', thresholds } });
  return parsed.success ? '' : parsed.error.issues.map((issue) => issue.message).join('\n');
};

describe('drift thresholds', () => {
  test.each([
    [{ ks_pvalue: 'between 0 and 0.01' }],
    [{ chi2_pvalue: 'between 0 and 0.01' }],
    [{ psi: 'within 100 of 0' }],
    [{ ks_pvalue: '>= 0' }],
    [{ ks_statistic: '<= 1' }],
    [{ js_distance: '<= 1' }],
    [{ psi: '< 1e9' }],
    [{ psi: '!= 0.5' }],
  ])('%o is refused', (thresholds) => {
    expect(driftProblem(thresholds)).toMatch(/passes|fails|must bound/);
  });

  test.each(['between 0 and 1', 'within 1 of 0', '<= 100%'])('drifted_share "%s" is refused', (share) => {
    expect(driftProblem({ psi: '< 0.2' }, { drifted_share: share })).toMatch(/passes|judges nothing/);
  });

  test('sensible thresholds are kept', () => {
    expect(driftProblem({ psi: '< 0.2', ks_pvalue: '> 0.01', js_distance: 'between 0 and 0.1' })).toBe('');
    expect(driftProblem({ psi: '< 0.2' }, { drifted_share: '<= 20%' })).toBe('');
  });
});

describe('fairness thresholds', () => {
  test.each([
    [{ demographic_parity_ratio: 'between 0 and 0.5' }],
    [{ demographic_parity_ratio: 'within 0.3 of 0' }],
    [{ demographic_parity_difference: '!= 0' }],
    [{ demographic_parity_ratio: '>= 0.8%' }],
  ])('%o is refused', (thresholds) => {
    expect(fairnessProblem(thresholds)).toMatch(/passes|fails|did you mean|judges nothing|would pass/);
  });

  test('the four-fifths rule and a bounded difference are kept', () => {
    expect(fairnessProblem({ demographic_parity_ratio: '>= 0.8', equalized_odds_difference: '<= 0.1' })).toBe(
      '',
    );
    expect(fairnessProblem({ demographic_parity_ratio: 'between 0.8 and 1' })).toBe('');
  });
});
