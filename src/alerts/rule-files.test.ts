import { describe, expect, test } from 'vitest';
import { readRuleFiles } from './rule-files.js';

const read = (text: string, file = 'rules.yaml') => readRuleFiles([{ file, text }]);

describe('rule files: what Prometheus loads, and what it refuses', () => {
  test('each PrometheusRule is refused on its own; a plain file as a whole', () => {
    const result = read(
      `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: { name: broken }
spec:
  groups:
    - name: a
      rules:
        - alert: Broken
          expr: rate(x[5m] > 1
        - alert: Innocent
          expr: up == 0
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: { name: fine }
spec:
  groups:
    - name: b
      rules:
        - alert: Fine
          expr: up == 0
`,
      'k8s/rules.yaml',
    );
    expect(result.rules.map((r) => [r.name, r.refused])).toEqual([
      ['Broken', 'k8s/rules.yaml:9'],
      ['Innocent', 'k8s/rules.yaml:9'],
      ['Fine', undefined],
    ]);
    expect(result.problems).toEqual([
      expect.objectContaining({ rule: 'alerts/promql-syntax', file: 'k8s/rules.yaml', line: 9, column: 31 }),
    ]);
  });

  test('a misspelt field, a duplicate group, "for" on a recording rule: the file is refused, each problem at its line', () => {
    const result = read(`groups:
  - name: a
    rules:
      - alert: Down
        expr: up == 0
        annotation: { summary: Down }
  - name: a
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        for: 5m
`);
    expect(result.problems.map((p) => [p.line, p.message])).toEqual([
      [6, 'unknown field "annotation" in a rule'],
      [7, 'group name "a" is used twice'],
      [11, '"for" is only for alerting rules'],
    ]);
    expect(result.rules.every((rule) => rule.refused === 'rules.yaml:6')).toBe(true);
  });

  test('group labels apply to every rule, its own labels win; for: is read in seconds', () => {
    const result = read(`groups:
  - name: a
    labels: { severity: warning, team: ml }
    rules:
      - alert: A
        expr: up == 0
        for: 1h30m
        labels: { severity: critical }
`);
    expect(result.problems).toEqual([]);
    expect(result.rules[0]).toMatchObject({
      labels: { severity: 'critical', team: 'ml' },
      forSeconds: 5400,
      line: 5,
      group: 'a',
    });
  });

  test('documents that are not rules are skipped and said so', () => {
    const result = read('route: { receiver: x }\nreceivers: [{ name: x }]\n', 'alertmanager.yml');
    expect(result.ruleFiles).toEqual([]);
    expect(result.skipped).toEqual([{ file: 'alertmanager.yml', why: 'no "groups:"' }]);
  });
});
