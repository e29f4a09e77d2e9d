import { describe, expect, test } from 'vitest';
import { type Finding, type RuleSet, ruleOutcome } from './findings.js';

const RULES: RuleSet = {
  prefix: 'demo',
  rules: [
    { id: 'demo/a', title: 'A', level: 'error', fix: 'fix a' },
    { id: 'demo/b', title: 'B', level: 'error', fix: 'fix b' },
    { id: 'demo/c', title: 'C', level: 'warning', fix: 'fix c' },
  ],
};
const findings: Finding[] = [
  { rule: 'demo/a', message: 'a here', path: 'f', line: 1 },
  { rule: 'demo/b', message: 'b here', path: 'f', line: 2 },
];
const outcome = (extra: Partial<Parameters<typeof ruleOutcome>[0]>) =>
  ruleOutcome({ ruleset: RULES, findings, inline: [], spec: [], levels: {}, judged: ['f'], ...extra });

describe('ruleOutcome levels', () => {
  test('a rule turned off in the spec stays visible: listed, counted, named', () => {
    const result = outcome({ levels: { 'demo/a': 'off', 'demo/b': 'off' } });
    expect(result.status).toBe('pass');
    expect(result.summary).toBe('f: 1 rules hold (2 off)');
    expect(result.measured).toMatchObject({ off: 2, errors: 0, rules_off: 'demo/a, demo/b' });
    expect(result.evidence).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          rule: 'demo/a',
          ignored: { reason: 'turned off in the spec (levels: demo/a: off)', source: 'spec' },
        }),
      ]),
    );
  });

  test('a wildcard applies to every rule it matches; an exact or short id wins over it', () => {
    const result = outcome({ levels: { 'demo/*': 'off', b: 'error' } });
    expect(result.status).toBe('fail');
    expect(result.measured).toMatchObject({ errors: 1, off: 1, rules_off: 'demo/a, demo/c' });
  });

  test('every rule off is nothing judged: an error, not a pass', () => {
    const result = outcome({ levels: { 'demo/*': 'off' } });
    expect(result.status).toBe('error');
    expect(result.summary).toBe(
      'nothing judged: every rule of demo is turned off in the spec (levels) (2 off)',
    );
  });

  test('an unknown key is an error with the closest id, never silently without effect', () => {
    const result = outcome({ levels: { 'demo/aa': 'off' } });
    expect(result.status).toBe('error');
    expect(result.summary).toContain('unknown rule "demo/aa"; did you mean "demo/a"?');
    expect(outcome({ levels: { 'other/*': 'off' } }).status).toBe('error');
  });

  test("off by the kind's own default is not run, and not listed", () => {
    const result = outcome({ defaults: { 'demo/a': 'off' } });
    expect(result.measured).toMatchObject({ errors: 1, off: 0 });
    expect(result.evidence?.some((e) => e.type === 'finding' && e.rule === 'demo/a')).toBe(false);
  });

  test('rules: selection says which rules ran', () => {
    const result = outcome({ only: ['b'] });
    expect(result.measured).toMatchObject({ errors: 1, off: 0, rules_run: 'demo/b' });
  });
});
