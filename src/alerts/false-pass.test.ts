/**
 * The shapes an attacker used to make alerts that read as right but cannot page in time
 * (each also has an ng.* fixture of the alerts kind, named after the attack case).
 */
import { describe, expect, test } from 'vitest';
import { compileRe2, readAlertmanager, route } from './alertmanager.js';
import {
  absentTrigger,
  brokenCondition,
  lateness,
  mayAlwaysFire,
  readErrorRate,
  triggers,
  valueRange,
} from './conditions.js';
import { ExportedNames } from './exported.js';
import { matcherCanMatch } from './label-values.js';
import { type Expr, parsePromql, selectors } from './promql.js';
import { readRuleFiles } from './rule-files.js';
import { parseExposition } from '../service/prometheus.js';
import { YamlSource } from '../util/yaml-source.js';

function parse(text: string): Expr {
  const parsed = parsePromql(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.error.message}`);
  return parsed.expr;
}

const HQ = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))';

describe('availability: absent() only of what plainly reads the series', () => {
  test.each([
    ['absent(up{job="digits"})', true],
    ['absent_over_time(up{job="digits"}[5m])', true],
    ['absent(sum(up{job="digits"}))', true],
    // Fires when the comparison yields nothing: while the service is UP.
    ['absent(up{job="digits"} == 0)', false],
    ['absent(up{job="digits"} and on() vector(1))', false],
    ['absent(vector(1))', false],
  ])('%s counts: %s', (text, counts) => {
    expect(absentTrigger(parse(text)) !== undefined).toBe(counts);
  });
});

describe('conditions that can never fire', () => {
  test.each([
    [`${HQ} > NaN`, 'compares with NaN'],
    [`${HQ} > vector(NaN)`, 'compares with NaN'],
    [`${HQ} > Inf`, 'no number is > Inf'],
    [`clamp_max(${HQ}, 0.01) > 0.05`, 'never > 0.05'],
    [`clamp(${HQ}, 0, 0.01) >= 0.02`, 'never >= 0.02'],
    [`${HQ} > 0.05 and on() clamp_max(vector(0), 0) > 1`, 'gated by a constant'],
    [`${HQ} > 0.05 unless on() up`, 'never fires while the service runs'],
    [`${HQ} > 0.05 unless on() sum(up{job="digits"})`, 'never fires while the service runs'],
    ['histogram_quantile(0.95, sum without (le) (rate(x_bucket[5m]))) > 0.05', 'summed away'],
    ['histogram_quantile(0.95, sum by (job) (rate(x_bucket[5m]))) > 0.05', 'summed away'],
    ['histogram_quantile(0.95, sum(rate(x_bucket[5m]))) > 0.05', 'summed away'],
    ['sum(rate(errors_total[1s])) > 0', 'fewer than two scrapes'],
    ['sum(increase(errors_total[29s])) > 0', 'fewer than two scrapes'],
    ['up{job="a", job="b"} == 0', 'both "a" and "b"'],
    [`${HQ} > 0.05 unless on() up == 1`, 'never fires while the service runs'],
    [`${HQ} > 0.05 unless on() sum(up{job="digits"})`, 'never fires while the service runs'],
    ['up{job="digits"} offset -1h == 0', 'in the future'],
    ['rate(x_total[5m]) < 0', 'never < 0'],
    ['avg_over_time(up[5m]) > 1', 'never > 1'],
  ])('%s: %s', (text, message) => {
    expect(brokenCondition(parse(text), 'A')).toContain(message);
  });

  test.each([
    `${HQ} > 0.05`,
    `${HQ} > 0.05 unless on() (up == 0)`,
    `${HQ} > 0.05 unless on() absent(up{job="digits"})`,
    'up{job="digits"} offset -1m == 0',
    `clamp_max(${HQ}, 1) > 0.05`,
    'histogram_quantile(0.95, sum by (le, route) (rate(x_bucket[5m]))) > 0.05',
    'histogram_quantile(0.95, sum without (instance) (rate(x_bucket[5m]))) > 0.05',
    'histogram_quantile(0.95, rate(x_bucket[5m])) > 0.05',
    'sum(rate(errors_total[30s])) > 0',
    'up{job="digits"} == 0',
  ])('%s can fire', (text) => {
    expect(brokenCondition(parse(text), 'A')).toBeUndefined();
  });

  test('the scrape interval decides how short a range is too short', () => {
    expect(brokenCondition(parse('rate(x_total[1m]) > 0'), 'A', { scrapeSeconds: 60 })).toContain(
      'fewer than two scrapes (every 60 s)',
    );
    expect(brokenCondition(parse('rate(x_total[2m]) > 0'), 'A', { scrapeSeconds: 60 })).toBeUndefined();
  });

  test('value ranges: clamps bound, up is 0..1, rates are never negative', () => {
    expect(valueRange(parse(`clamp_max(${HQ}, 0.01)`))).toEqual([-Infinity, 0.01]);
    expect(valueRange(parse(`clamp_min(${HQ}, 2)`))).toEqual([2, Infinity]);
    expect(valueRange(parse('max(up{job="x"})'))).toEqual([0, 1]);
    expect(valueRange(parse('rate(x[5m]) * 100'))).toEqual([0, Infinity]);
    expect(valueRange(parse(`${HQ} * 0`))).toEqual([0, 0]);
  });
});

describe('alerts that react too late', () => {
  const limits = { maxOffsetSeconds: 3600, maxWindowSeconds: 3600 };
  test.each([
    ['up{job="digits"} offset 1y == 0', 'offset 1y'],
    ['rate(x_bucket[5m] offset 52w) > 1', 'offset 52w'],
    ['max_over_time(up{job="digits"}[52w]) == 0', 'looks over 52w'],
    ['avg_over_time(up{job="digits"}[30d]) == 0', 'looks over 4w2d'],
    ['max_over_time(sum(up{job="digits"})[2d:1m]) == 0', 'looks over 2d'],
    ['up{job="digits"} @ 1609459200 == 0', 'at a fixed time'],
  ])('%s: %s', (text, message) => {
    expect(lateness(parse(text), limits)?.why).toContain(message);
  });

  test.each(['up{job="digits"} == 0', 'rate(x[5m] offset 1m) > 1', 'max_over_time(up[1h]) == 0'])(
    '%s is in time',
    (text) => {
      expect(lateness(parse(text), limits)).toBeUndefined();
    },
  );

  test('the delay is computed: window plus offset', () => {
    expect(lateness(parse('max_over_time(up[2h] offset 30m) == 0'), limits)?.delaySeconds).toBe(9000);
  });

  test('windows are not judged when no window limit is given (alerts outside the requirements)', () => {
    expect(lateness(parse('max_over_time(up[52w]) == 0'), { maxOffsetSeconds: 3600 })).toBeUndefined();
  });

  test('offsets and ranges are read from the grammar', () => {
    const [selector] = selectors(parse('rate(x[5m] offset -1h)'));
    expect(selector).toMatchObject({ rangeSeconds: 300, windowSeconds: 300, offsetSeconds: -3600 });
  });
});

describe('error ratio the wrong way round', () => {
  test('all / errors > t is refused, errors / all > t read', () => {
    const swapped = triggers(
      parse('sum(rate(http_requests_total[5m])) / sum(rate(http_requests_total{status=~"5.."}[5m])) > 0.01'),
    ).triggers[0]!;
    expect(readErrorRate(swapped)).toContain('the errors are the denominator');
    const right = triggers(
      parse('sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.01'),
    ).triggers[0]!;
    expect(readErrorRate(right)).toMatchObject({ ratio: 0.01 });
  });
});

describe('alerts that may always fire (as inhibit sources they mute for good)', () => {
  test.each([
    ['vector(1)', true],
    ['time() > 0', true],
    ['hour() > 8', true],
    ['vector(0) > 1', false],
    ['up{job="x"} == 0', false],
    ['up{job="x"} == 0 or vector(1)', true],
  ])('%s: %s', (text, always) => {
    expect(mayAlwaysFire(parse(text))).toBe(always);
  });
});

describe('Alertmanager: RE2 patterns, time intervals, waits', () => {
  test('leading RE2 flags become JavaScript flags; what cannot be translated says why', () => {
    const insensitive = compileRe2('(?i)CRITICAL|WARNING');
    expect(insensitive instanceof RegExp && insensitive.test('critical')).toBe(true);
    expect(compileRe2('(?U)crit.*')).toContain('ungreedy');
    expect(compileRe2('[[:alpha:]]+')).toContain('RE2 syntax');
    expect(compileRe2('crit(')).toEqual(expect.any(String));
  });

  const am = (text: string) => readAlertmanager(new YamlSource('am.yaml', text));

  test('a (?i) matcher routes as Alertmanager routes it', () => {
    const config = am(`route:
  receiver: pager
  routes:
    - match_re: { severity: "(?i)CRITICAL" }
      receiver: blackhole
receivers: [{ name: pager }, { name: blackhole }]
`);
    expect(route(config.route!, { severity: 'critical' })[0]!.receiver).toBe('blackhole');
  });

  test('a matcher that cannot be compiled is a problem: routing cannot be told', () => {
    const config = am(`route:
  receiver: pager
  routes:
    - matchers: ['severity=~"(?U)crit.*"']
      receiver: blackhole
receivers: [{ name: pager }, { name: blackhole }]
`);
    expect(config.problems.map((p) => p.message).join()).toContain('cannot be evaluated');
  });

  test.each([
    ['[{}]', true],
    ["[{ weekdays: ['sunday:saturday'] }]", true],
    [
      "[{ weekdays: ['monday:friday', 'saturday', 'sunday'], times: [{ start_time: '00:00', end_time: '24:00' }] }]",
      true,
    ],
    [
      "[{ times: [{ start_time: '00:00', end_time: '12:00' }, { start_time: '12:00', end_time: '24:00' }] }]",
      true,
    ],
    ["[{ days_of_month: ['1:31'], months: ['january:december'] }]", true],
    ["[{ weekdays: ['saturday', 'sunday'] }]", false],
    ["[{ times: [{ start_time: '00:00', end_time: '23:00' }] }]", false],
    ["[{ years: ['2020:2100'] }]", false],
  ])('a route muted in %s is muted for good: %s', (intervals, always) => {
    const config = am(`route:
  receiver: pager
  routes:
    - receiver: pager
      mute_time_intervals: [quiet]
time_intervals:
  - name: quiet
    time_intervals: ${intervals}
receivers: [{ name: pager }]
`);
    expect(route(config.route!, {})[0]!.mutedAlways === 'quiet').toBe(always);
  });

  test('time intervals on the root route, or undefined ones, are refused by Alertmanager', () => {
    const config = am(`route:
  receiver: pager
  mute_time_intervals: [nowhere]
receivers: [{ name: pager }]
`);
    const messages = config.problems.map((p) => p.message).join('\n');
    expect(messages).toContain('root route has "mute_time_intervals"');
    expect(messages).toContain('which no time_intervals entry defines');
  });

  test('waits above the limits are problems; usual ones are not', () => {
    const config = am(`route:
  receiver: pager
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - receiver: pager
      group_wait: 10m
      repeat_interval: 30d
receivers: [{ name: pager }]
`);
    expect(config.problems.map((p) => p.message)).toEqual([
      expect.stringContaining('"group_wait: 10m", longer than 5m'),
      expect.stringContaining('"repeat_interval: 30d", longer than 7d'),
    ]);
  });
});

describe('label values against the series the service exports', () => {
  const names = (text: string) => new ExportedNames(parseExposition(text), text);
  const exposition = `# TYPE http_requests_total counter
http_requests_total{route="/predict",status="200"} 1
http_requests_total{route="/ready",status="404"} 1 # {trace_id="a}b"} 1
# TYPE d histogram
d_bucket{route="/predict",le="0.05"} 1
d_bucket{route="/predict",le="+Inf"} 1
d_sum{route="/predict"} 1
d_count{route="/predict"} 1
`;
  const series = (name: string) => names(exposition).seriesOf(name)!;
  const verdict = (name: string, label: string, op: '=' | '!=' | '=~' | '!~', value: string) =>
    matcherCanMatch({ label, op, value }, series(name)).ok;

  test('values the series carry (an exemplar after the value is not a label)', () => {
    expect([...series('http_requests_total').labels.get('route')!.values]).toEqual(['/predict', '/ready']);
    expect(series('http_requests_total').labels.has('trace_id')).toBe(false);
  });

  test.each([
    ['route', '=', '/predict', true],
    ['route', '=', '/predictx', false],
    ['route', '=~', '^$', false],
    ['route', '!~', '.*', false],
    ['route', '=~', '(?i)/PREDICT', true],
    // Status codes: any code can come, seen or not; "5xx" is not a code.
    ['status', '=~', '5..', true],
    ['status', '=', '503', true],
    ['status', '=~', '5xx', false],
  ] as const)('http_requests_total{%s%s"%s"} can match: %s', (label, op, value, ok) => {
    expect(verdict('http_requests_total', label, op, value)).toBe(ok);
  });

  test('le is compared as a number; failure values are skipped (they appear with the first failure)', () => {
    expect(verdict('d_bucket', 'le', '=', '0.050')).toBe(true);
    expect(verdict('d_bucket', 'le', '=', '+Inf')).toBe(true);
    expect(verdict('d_bucket', 'le', '=', '0.1')).toBe(false);
    const outcome = names('x_total{outcome="success"} 1\n').seriesOf('x_total')!;
    expect(matcherCanMatch({ label: 'outcome', op: '=', value: 'error' }, outcome).ok).toBe('skipped');
    // A status label that is not all codes: which values can come cannot be told.
    const mixed = names('y_total{status="200"} 1\ny_total{status="unknown"} 1\n').seriesOf('y_total')!;
    expect(matcherCanMatch({ label: 'status', op: '=~', value: '5..' }, mixed).ok).toBe('skipped');
  });
});

describe('rule groups: settings that delay or drop every alert', () => {
  test('interval, query_offset and limit are read with their lines; a bad duration is refused', () => {
    const read = readRuleFiles([
      {
        file: 'rules.yaml',
        text: `groups:
  - name: g
    interval: 100y
    query_offset: 1h
    limit: 1
    rules:
      - alert: Down
        expr: up == 0
  - name: h
    interval: soon
    rules:
      - alert: Other
        expr: up == 0
`,
      },
    ]);
    expect(read.rules[0]!.groupSettings).toMatchObject({
      line: 2,
      interval: { text: '100y', seconds: 3_153_600_000, line: 3 },
      queryOffset: { seconds: 3600, line: 4 },
      limit: { value: 1, line: 5 },
    });
    expect(read.problems.map((p) => p.message).join()).toContain('"interval: soon" is not a duration');
  });
});
