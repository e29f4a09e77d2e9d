/**
 * The mlops template's production signals: what detection finds (alert rules, Alertmanager's
 * configuration, a saved exposition, reference and current features, a sensitive column), the
 * checks it writes from them, and that those checks run and pass on a project that has them.
 * Without the inputs, each stays a manual sign-off: never a check pointed at nothing.
 */
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { loadBuiltinChecks } from '../engine/registry.js';
import { executeCheck } from '../engine/execute.js';
import { parseSpec } from '../spec/load.js';
import { csv, tempFiles } from '../testing/temp.js';
import { describeDetected, detectProject } from './detect.js';
import { TEMPLATES, type TemplateItem } from './templates.js';

const RULES = `groups:
  - name: model
    rules:
      - alert: ModelDown
        expr: up{job="model"} == 0
        for: 1m
        labels: { severity: critical }
        annotations: { summary: The model does not answer., runbook_url: https://example.com/runbook }
      - alert: ModelErrors
        expr: sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.01
        for: 5m
        labels: { severity: critical }
        annotations: { summary: More than 1% of requests fail., runbook_url: https://example.com/runbook }
      - alert: ModelSlow
        expr: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.2
        for: 10m
        labels: { severity: warning }
        annotations: { summary: p95 above 200 ms., runbook_url: https://example.com/runbook }
`;

const ALERTMANAGER = `route:
  receiver: team
receivers:
  - name: team
    email_configs:
      - to: team@example.com
        from: alertmanager@example.com
        smarthost: smtp.example.com:587
`;

const EXPOSITION = `# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{method="POST",status="200"} 3
# HELP http_request_duration_seconds Time to answer.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} 1
http_request_duration_seconds_bucket{le="+Inf"} 1
http_request_duration_seconds_sum 0.05
http_request_duration_seconds_count 1
`;

/** Two features, the same distribution in both tables (a permutation of the same values). */
function features(offset: number): string {
  const rows = Array.from({ length: 200 }, (_, i) => {
    const k = (i + offset) % 200;
    return [k % 10, (k * 7) % 13];
  });
  return csv(['rooms', 'age'], rows);
}

/** Binary predictions; 40% selected in each group, so the selection-rate ratio is 1. */
function predictions(): string {
  const rows = Array.from({ length: 200 }, (_, i) => {
    const pred = i % 5 < 2 ? 1 : 0;
    return [i % 3 === 0 ? 1 - pred : pred, pred, i < 100 ? 'F' : 'M'];
  });
  return csv(['label', 'pred', 'sex'], rows);
}

function project(extra: Record<string, string> = {}): string {
  return tempFiles({
    'monitoring/rules/model.rules.yml': RULES,
    'monitoring/alertmanager.yml': ALERTMANAGER,
    'monitoring/metrics.prom': EXPOSITION,
    'data/X_train.csv': features(0),
    'data/X_val.csv': features(50),
    'data/X_test.csv': features(100),
    'data/X_serving.csv': features(150),
    'data/y_train.csv': csv(['label'], [[0], [1]]),
    'eval/predictions_test.csv': predictions(),
    ...extra,
  });
}

const mlops = TEMPLATES.find((t) => t.name === 'mlops')!;
const item = (items: TemplateItem[], id: string) => items.find((i) => i.id === id)!;

describe('the mlops template: alerts, drift and fairness', () => {
  test('detection finds the rule files, Alertmanager, a saved exposition, the feature tables and the sensitive column', () => {
    const found = detectProject(project());
    expect(found.alertRules).toEqual(['monitoring/rules/model.rules.yml']);
    expect(found.alertmanager).toBe('monitoring/alertmanager.yml');
    expect(found.exposition).toBe('monitoring/metrics.prom');
    // Training features over validation ones; a serving sample over the test set.
    expect(found.drift).toEqual({ reference: 'data/X_train.csv', current: 'data/X_serving.csv' });
    expect(found.groups).toEqual({ file: 'eval/predictions_test.csv', column: 'sex' });
    expect(describeDetected(found)).toContain(
      '  ✓ reference and current features: data/X_train.csv vs data/X_serving.csv',
    );
  });

  test('validation features against the test set, when that is what the project has', () => {
    const dir = tempFiles({ 'data/X_val.npy': 'x', 'data/X_test.npy': 'x', 'data/y_val.npy': 'x' });
    expect(detectProject(dir).drift).toEqual({ reference: 'data/X_val.npy', current: 'data/X_test.npy' });
  });

  test('the checks it writes validate, run, and pass on a project that meets them', async () => {
    const root = project();
    const [section] = mlops.build(detectProject(root));
    const items = section!.items;
    expect(item(items, 'alerts').check).toEqual({
      kind: 'alerts',
      paths: 'monitoring/rules/model.rules.yml',
      require: { error_rate: true, latency: { quantile: 0.95, max: '500ms' }, availability: true },
      metrics: { file: 'monitoring/metrics.prom' },
      alertmanager: 'monitoring/alertmanager.yml',
    });
    expect(item(items, 'drift').check).toMatchObject({
      kind: 'drift',
      reference: 'data/X_train.csv',
      current: 'data/X_serving.csv',
      thresholds: { psi: '< 0.2' },
    });
    expect(item(items, 'fairness').check).toMatchObject({
      kind: 'predictions',
      file: 'eval/predictions_test.csv',
      groups: { column: 'sex', thresholds: { demographic_parity_ratio: '>= 0.8' } },
    });

    const spec = {
      version: 1,
      project: { name: 'x' },
      sections: [{ ...section, items: items.map(({ todo: _todo, ...rest }) => rest) }],
    };
    const loaded = parseSpec(stringify(spec), `${root}/mlgate.yaml`, await loadBuiltinChecks());
    const outcomes: Array<[string, string, string | undefined]> = [];
    for (const loadedItem of loaded.items.filter((i) => ['alerts', 'drift', 'fairness'].includes(i.id))) {
      const outcome = await executeCheck(
        loadedItem.check!.definition,
        loadedItem.check!.params,
        { root, itemId: loadedItem.id, profile: null, artifacts: new Map() },
        60_000,
      );
      outcomes.push([loadedItem.id, outcome.status, outcome.summary]);
    }
    expect(
      outcomes.map(([id, status]) => [id, status]),
      JSON.stringify(outcomes),
    ).toEqual([
      ['alerts', 'pass'],
      ['drift', 'pass'],
      ['fairness', 'pass'],
    ]);
  });

  test('without a saved exposition, the metrics cross-check is off, and the TODO says so', () => {
    const root = project();
    const found = { ...detectProject(root), exposition: undefined };
    const alerts = item(mlops.build(found)[0]!.items, 'alerts');
    expect(alerts.check).toMatchObject({ metrics: false });
    expect(alerts.todo).toContain('metrics: false turns off the check that every alert');
  });

  test('an alert on a metric the saved exposition lacks fails the item the template wrote', async () => {
    const root = project({
      'monitoring/metrics.prom': EXPOSITION.replace(
        /http_request_duration_seconds/g,
        'request_latency_seconds',
      ),
    });
    const alerts = item(mlops.build(detectProject(root))[0]!.items, 'alerts');
    const kind = (await loadBuiltinChecks()).get('alerts')!;
    const { kind: _kind, ...raw } = alerts.check!;
    const outcome = await executeCheck(
      kind,
      kind.params.parse(raw),
      { root, itemId: 'alerts', profile: null, artifacts: new Map() },
      60_000,
    );
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toContain('http_request_duration_seconds');
  });

  test('a project without them: three manual sign-offs, no check pointed at nothing', () => {
    const found = detectProject(
      tempFiles({ 'README.md': '# x\n', 'data/predictions_test.csv': 'label,pred\n1,1\n' }),
    );
    expect(found).toMatchObject({ alertRules: [], drift: undefined, groups: undefined });
    const items = mlops.build(found)[0]!.items;
    for (const id of ['alerts', 'drift', 'fairness']) expect(item(items, id)).toMatchObject({ manual: {} });
  });

  test('a YAML file that merely has groups:, or a compose file, is not a rule file', () => {
    const found = detectProject(
      tempFiles({
        'config/groups.yaml': 'groups:\n  - name: admins\n    members: [a]\n',
        'monitoring/recording.rules.yml':
          'groups:\n  - name: r\n    rules:\n      - record: x\n        expr: up\n',
      }),
    );
    expect(found.alertRules).toEqual([]);
  });
});
