import { describe, expect, test } from 'vitest';
import { parseMatchers, route, readAlertmanager } from './alertmanager.js';
import { brokenCondition, readAvailability, readErrorRate, readLatency, triggers } from './conditions.js';
import { parseNumber, parsePromDuration, parsePromql, selectors, type Expr } from './promql.js';
import { YamlSource } from '../util/yaml-source.js';

function parse(text: string): Expr {
  const parsed = parsePromql(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.error.message}`);
  return parsed.expr;
}

const firstTrigger = (text: string) => triggers(parse(text)).triggers[0]!;
const HQ = (q: number, metric = 'http_request_duration_seconds') =>
  `histogram_quantile(${q}, sum by (le) (rate(${metric}_bucket{job="digits"}[5m])))`;

describe('promql: parsing with the Prometheus grammar', () => {
  test.each([
    ['rate(foo[5m] > 1', 'unexpected end of the expression (1 parenthesis not closed)'],
    ['# sum(rate(x[5m])) > 1', 'the expression is only a comment'],
    ['', 'the expression is empty'],
    ['foo >', 'unexpected end of the expression'],
    ['sum(rate(x[5m])) > > 1', 'unexpected'],
  ])('%s is refused: %s', (text, message) => {
    const parsed = parsePromql(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.message).toContain(message);
  });

  test('metric names from identifiers, __name__ matchers and quoted names', () => {
    const names = selectors(
      parse('{__name__="up", job="a"} + {"my.metric"} + foo_total{code=~"5.."} + {__name__=~"http_.*"}'),
    );
    expect(names.map((s) => s.name ?? `~${s.namePattern}`)).toEqual([
      'up',
      'my.metric',
      'foo_total',
      '~http_.*',
    ]);
    expect(names[2]!.matchers).toEqual([{ label: 'code', op: '=~', value: '5..' }]);
  });

  test.each([
    ['0.05', 0.05],
    ['5e-2', 0.05],
    ['0x10', 16],
    ['Inf', Infinity],
    ['50ms', 0.05],
    ['1h30m', 5400],
  ])('the number %s is %s', (text, value) => expect(parseNumber(text)).toBe(value));

  test('for: durations', () => {
    expect(parsePromDuration('5m')).toBe(300);
    expect(parsePromDuration('1h30m')).toBe(5400);
    expect(parsePromDuration('0s')).toBe(0);
    expect(parsePromDuration('5 minutes')).toBeUndefined();
  });
});

describe('conditions: latency', () => {
  test.each([
    [`${HQ(0.95)} > 0.05`, 0.95, 0.05],
    [`${HQ(0.95)} > 50ms`, 0.95, 0.05],
    [`${HQ(0.99)} * 1000 > 50`, 0.99, 0.05],
    [`1000 * ${HQ(0.99)} >= 50`, 0.99, 0.05],
    [`0.05 < ${HQ(0.95)}`, 0.95, 0.05],
    [`max by (route) (${HQ(0.95)}) > 0.05`, 0.95, 0.05],
    [`${HQ(0.95, 'request_latency_milliseconds')} > 50`, 0.95, 0.05],
    [`${HQ(0.95)} > 5`, 0.95, 5],
    ['http_request_duration_seconds{quantile="0.95"} > 0.05', 0.95, 0.05],
  ])('%s reads as the %s quantile above %s s', (text, quantile, seconds) => {
    const reading = readLatency(firstTrigger(text));
    expect(reading).toMatchObject({ quantile, op: expect.stringMatching(/^>/) });
    if (typeof reading === 'object') expect(reading.thresholdSeconds).toBeCloseTo(seconds, 9);
  });

  test('a metric without a unit in its name has no threshold in seconds', () => {
    const reading = readLatency(firstTrigger(`${HQ(0.95, 'request_latency')} > 50`));
    expect(reading).toMatchObject({ quantile: 0.95 });
    expect(typeof reading === 'object' && reading.thresholdSeconds).toBe(undefined);
  });

  test('a quantile compared with another series, or buried in arithmetic, has no threshold to read', () => {
    expect(readLatency(firstTrigger(`${HQ(0.95)} > ${HQ(0.5)} * 3`))).toMatch(/with another series/);
    expect(readLatency(firstTrigger(`${HQ(0.95)} - ${HQ(0.5)} > 0.05`))).toMatch(/cannot be read/);
  });
});

describe('conditions: error rate', () => {
  const errors = 'sum(rate(http_requests_total{status=~"5.."}[5m]))';
  const total = 'sum(rate(http_requests_total[5m]))';
  test.each([
    [`${errors} / ${total} > 0.01`, 0.01],
    [`(${errors} / ${total}) * 100 > 1`, 0.01],
    [`100 * ${errors} / ${total} > 1`, 0.01],
    [`sum(rate(http_requests_total{code=~"5.."}[5m])) / ${total} > 0.05`, 0.05],
  ])('%s is an error share above %s', (text, ratio) => {
    const reading = readErrorRate(firstTrigger(text));
    expect(typeof reading === 'object' && reading.ratio).toBeCloseTo(ratio, 12);
  });

  test('an errors counter is an error rate, but not a share', () => {
    expect(readErrorRate(firstTrigger('sum(rate(model_errors_total[5m])) > 1'))).toEqual({
      threshold: 1,
      op: '>',
      metric: 'model_errors_total',
    });
    expect(
      readErrorRate(firstTrigger('sum(rate(http_requests_total{status="200"}[5m])) > 1')),
    ).toBeUndefined();
  });
});

describe('conditions: availability', () => {
  test.each([
    'up{job="digits"} == 0',
    '{__name__="up", job="digits"} == 0',
    'avg_over_time(up{job="digits"}[5m]) < 0.9',
    'probe_success{job="blackbox"} == 0',
    'count(up{job="digits"} == 0) > 0',
    'sum(up{job="digits"}) < 1',
  ])('%s means the service is down', (text) => {
    expect(readAvailability(firstTrigger(text))).toMatchObject({ op: expect.any(String) });
  });
  test.each(['up{job="digits"} == 1', 'up > 0'])('%s does not', (text) => {
    expect(typeof readAvailability(firstTrigger(text))).toBe('string');
  });
});

describe('conditions: alerts that cannot fire', () => {
  test.each([
    ['vector(0) > 1', 'watches no metric and can never fire'],
    ['up == 0 and on() vector(0) > 1', 'gated by a constant'],
    ['up == 0 unless on() vector(1)', 'gated by a constant'],
    ['sum(rate(errors_total[5m])) > bool 0', 'fires whenever the series exist'],
    ['sum(rate(x{status=~"5.."}[5m])) / sum(rate(x[5m])) > 1', 'can never fire'],
    ['up{job="a"} > 1', 'never > 1'],
    [`${HQ(0.95)} > 0.05 or vector(1)`, 'fires all the time'],
    [`${HQ(0.95)} > 0`, 'it always is while there is traffic'],
  ])('%s: %s', (text, message) => {
    expect(brokenCondition(parse(text), 'A')).toContain(message);
  });
  test.each(['vector(1)', 'up == 0 and on() hour() > 8', `${HQ(0.95)} > 0.05`])('%s can fire', (text) => {
    expect(brokenCondition(parse(text), 'A')).toBeUndefined();
  });
});

describe('alertmanager: routes as Alertmanager walks them', () => {
  const config = readAlertmanager(
    new YamlSource(
      'am.yml',
      `route:
  receiver: default
  routes:
    - matchers: ['alertname = "Watchdog"']
      receiver: heartbeat
    - match: { severity: critical }
      receiver: pager
      continue: true
      routes:
        - matchers: ['{team="ml", env=~"prod|staging"}']
          receiver: ml-pager
    - match_re: { severity: "warning|critical" }
      receiver: chat
receivers:
  - name: default
  - name: heartbeat
  - name: pager
  - name: ml-pager
  - name: chat
`,
    ),
  );
  const receivers = (labels: Record<string, string>) => route(config.route!, labels).map((d) => d.receiver);

  test('the first matching child wins, continue goes on, children inherit and refine', () => {
    expect(receivers({ alertname: 'Watchdog', severity: 'critical' })).toEqual(['heartbeat']);
    expect(receivers({ alertname: 'X', severity: 'critical' })).toEqual(['pager', 'chat']);
    expect(receivers({ alertname: 'X', severity: 'critical', team: 'ml', env: 'prod' })).toEqual([
      'ml-pager',
      'chat',
    ]);
    expect(receivers({ alertname: 'X', severity: 'warning' })).toEqual(['chat']);
    // Anchored: "critical-ish" is not "warning|critical".
    expect(receivers({ alertname: 'X', severity: 'critical-ish' })).toEqual(['default']);
  });

  test('matchers as written in the wild', () => {
    expect(parseMatchers('severity=~"warning|critical"')).toEqual([
      { label: 'severity', op: '=~', value: 'warning|critical' },
    ]);
    expect(parseMatchers('alertname != Watchdog')).toEqual([
      { label: 'alertname', op: '!=', value: 'Watchdog' },
    ]);
    expect(parseMatchers('{a="1", b!~"x|y"}')).toEqual([
      { label: 'a', op: '=', value: '1' },
      { label: 'b', op: '!~', value: 'x|y' },
    ]);
    expect(parseMatchers('severity critical')).toMatch(/cannot read the matcher/);
  });
});
