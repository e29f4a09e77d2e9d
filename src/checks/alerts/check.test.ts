import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { executeCheck } from '../../engine/execute.js';
import { loadBuiltinChecks } from '../../engine/registry.js';
import type { CheckOutcome } from '../../engine/types.js';
import { serviceFromSpec } from '../../service/controller.js';
import { ServiceSpec } from '../../spec/schema.js';
import { describeFixtures } from '../../testing/fixtures.js';
import { tempFiles } from '../../testing/temp.js';

describeFixtures(import.meta.url);

/** What the bundled example's service answers at /metrics (saved from a real run). */
const DIGITS_METRICS = readFileSync(new URL('./fixtures/_data/digits-metrics.txt', import.meta.url), 'utf8');

const RULES = `groups:
  - name: digits
    rules:
      - alert: DigitsDown
        expr: up{job="digits"} == 0
        for: 1m
        labels: { severity: critical }
        annotations: { summary: Down, runbook_url: https://runbooks.example.com/down }
      - alert: DigitsHighLatency
        expr: histogram_quantile(0.95, sum by (le) (rate(LATENCY_bucket[5m]))) > 0.05
        for: 10m
        labels: { severity: warning }
        annotations: { summary: Slow, runbook_url: https://runbooks.example.com/latency }
`;

const REQUIRE = { availability: true, latency: { quantile: 0.95, max: '50ms' } };

/** A real HTTP server on loopback whose /metrics answers what `answer` says. */
describe('alerts: the cross-check against a service on loopback', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body: string } = { status: 200, body: DIGITS_METRICS };
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url} ${req.headers['x-metrics-token'] ?? ''}`);
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'text/plain; version=0.0.4' }).end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function run(
    rules: string,
    params: Record<string, unknown>,
    viaService = true,
  ): Promise<CheckOutcome> {
    const dir = tempFiles({ 'monitoring/rules.yaml': rules, ...(params.files as Record<string, string>) });
    delete params.files;
    const definition = (await loadBuiltinChecks()).get('alerts')!;
    const service = viaService ? serviceFromSpec(ServiceSpec.parse({ url }), dir) : undefined;
    return executeCheck(
      definition,
      definition.params.parse({ paths: 'monitoring/', ...params }),
      { root: dir, itemId: 'alerts', profile: null, artifacts: new Map(), service },
      30_000,
    );
  }

  test("every metric is in the service's /metrics: pass", async () => {
    answer = { status: 200, body: DIGITS_METRICS };
    const outcome = await run(RULES.replace('LATENCY', 'http_request_duration_seconds'), {
      require: REQUIRE,
    });
    expect(outcome.status, outcome.summary).toBe('pass');
    expect(requests.at(-1)).toMatch(/^GET \/metrics/);
    const table = outcome.evidence?.find((e) => e.type === 'table' && e.title === 'metrics the alerts use');
    expect(table && table.type === 'table' ? table.rows : []).toEqual(
      expect.arrayContaining([
        ['DigitsDown', 'up', 'from elsewhere (allowed)', ''],
        ['DigitsHighLatency', 'http_request_duration_seconds_bucket', 'exported', ''],
      ]),
    );
  });

  test('a metric the service does not export fails, naming the alert, the metric and the closest names', async () => {
    answer = { status: 200, body: DIGITS_METRICS };
    const outcome = await run(RULES.replace('LATENCY', 'http_request_latency_seconds'), { require: REQUIRE });
    expect(outcome.status).toBe('fail');
    const finding = outcome.evidence?.find(
      (e) => e.type === 'finding' && e.rule === 'alerts/metric-not-exported',
    );
    expect(finding).toMatchObject({
      message: expect.stringContaining(
        'alert "DigitsHighLatency" uses http_request_latency_seconds_bucket, which the service does not export (closest: http_request_duration_seconds_bucket',
      ),
      location: { path: 'monitoring/rules.yaml', line: 9 },
    });
  });

  test('no /metrics at all (404): every metric is missing, a failure', async () => {
    answer = { status: 404, body: 'Not Found' };
    const outcome = await run(RULES.replace('LATENCY', 'http_request_duration_seconds'), {
      require: REQUIRE,
    });
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toContain('(it exports no metric at all)');
  });

  test('a /metrics that answers 500 cannot be read: an error, never a pass', async () => {
    answer = { status: 500, body: 'boom' };
    const outcome = await run(RULES.replace('LATENCY', 'http_request_duration_seconds'), {
      require: REQUIRE,
    });
    expect(outcome.status).toBe('error');
    expect(outcome.summary).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/metrics answered 500/);
  });

  test('metrics.url reads an exposition on its own port, with headers from the environment, never shown', async () => {
    answer = { status: 200, body: DIGITS_METRICS };
    process.env.MLGATE_TEST_METRICS_TOKEN = 'metrics-token-0123456789';
    try {
      const outcome = await run(
        RULES.replace('LATENCY', 'http_request_duration_seconds'),
        {
          require: REQUIRE,
          metrics: {
            url: `${url}/metrics`,
            headers: { 'X-Metrics-Token': '${env.MLGATE_TEST_METRICS_TOKEN}' },
          },
        },
        false,
      );
      expect(outcome.status, outcome.summary).toBe('pass');
      expect(requests.at(-1)).toBe('GET /metrics metrics-token-0123456789');
      expect(JSON.stringify(outcome)).not.toContain('metrics-token-0123456789');
    } finally {
      delete process.env.MLGATE_TEST_METRICS_TOKEN;
    }
  });

  test('no service, no file, no url: an error that says how to fix it', async () => {
    const outcome = await run(
      RULES.replace('LATENCY', 'http_request_duration_seconds'),
      { require: REQUIRE },
      false,
    );
    expect(outcome.status).toBe('error');
    expect(outcome.summary).toContain('give metrics.file (a saved exposition) or metrics.url');
  });

  test('metrics: false turns the cross-check off, and the evidence says so', async () => {
    const outcome = await run(
      RULES.replace('LATENCY', 'http_request_typo_seconds'),
      { require: REQUIRE, metrics: false },
      false,
    );
    expect(outcome.status).toBe('pass');
    expect(outcome.summary).toContain('metrics cross-check OFF');
    expect(outcome.evidence).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'text', title: 'metrics cross-check' })]),
    );
  });
});

describe("alerts: Alertmanager receivers' secrets", () => {
  test('never appear in the outcome, whatever is delivered', async () => {
    const slack = 'https://hooks.slack.com/services/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';
    const routingKey = 'e93facc04764012d7bfb002500d5d1a6';
    const dir = tempFiles({
      'rules.yaml': RULES.replace('LATENCY', 'http_request_duration_seconds'),
      'metrics.txt': DIGITS_METRICS,
      // The receiver's name carries the key too: a name is printed, so it must be redacted.
      'alertmanager.yml': `global:
  slack_api_url: ${slack}
route:
  receiver: slack
  routes:
    - matchers: [severity="critical"]
      receiver: pd-${routingKey}
receivers:
  - name: slack
    slack_configs: [{ channel: "#alerts" }]
  - name: pd-${routingKey}
    pagerduty_configs: [{ routing_key: ${routingKey} }]
    webhook_configs: [{ url: "", http_config: { basic_auth: { username: am, password: hunter2-hunter2 } } }]
`,
    });
    const definition = (await loadBuiltinChecks()).get('alerts')!;
    const outcome = await executeCheck(
      definition,
      definition.params.parse({
        paths: 'rules.yaml',
        require: REQUIRE,
        metrics: { file: 'metrics.txt' },
        alertmanager: 'alertmanager.yml',
      }),
      { root: dir, itemId: 'alerts', profile: null, artifacts: new Map() },
      30_000,
    );
    const text = JSON.stringify(outcome);
    expect(outcome.status, outcome.summary).toBe('pass');
    for (const secret of [slack, 'q8Zr3XkP0vW7mNc2LsT9yH4e', routingKey, 'hunter2-hunter2'])
      expect(text).not.toContain(secret);
    // The routes table names the receivers and integrations, and says the empty webhook cannot deliver.
    expect(text).toContain('pagerduty, webhook (no url / url_file)');
  });
});
