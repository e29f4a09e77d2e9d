import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { DEFAULT_EXTERNAL_METRICS, DEFAULT_TARGET_LABELS } from '../../alerts/exported.js';
import { IgnoreParam, levelsParam, type RuleSet, rulesParam } from '../../rules/findings.js';
import { Duration } from '../../spec/schema.js';
import { runIn } from '../_shared/run-module.js';

export const RULES: RuleSet = {
  prefix: 'alerts',
  rules: [
    {
      id: 'alerts/rule-file',
      title: 'Prometheus can load every rule file',
      level: 'error',
      fix: 'Fix the field Prometheus refuses (`promtool check rules FILE` shows the same); until then no rule in the file exists.',
    },
    {
      id: 'alerts/promql-syntax',
      title: 'Every expression is valid PromQL',
      level: 'error',
      fix: 'Fix the expression (try it in the Prometheus UI); Prometheus refuses the whole file otherwise.',
    },
    {
      id: 'alerts/broken-condition',
      title: 'Every alert can fire, and only when its condition holds',
      level: 'error',
      fix: 'Compare the metric with a threshold it can cross, without "bool", and without gating on a constant.',
    },
    {
      id: 'alerts/error-rate',
      title: "An alert watches the service's error rate",
      level: 'error',
      fix: 'Alert on the share of 5xx answers, e.g. sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.01.',
    },
    {
      id: 'alerts/latency',
      title: "An alert watches the service's latency at the required quantile and threshold",
      level: 'error',
      fix: 'Alert on histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.05 (seconds, as the metric).',
    },
    {
      id: 'alerts/availability',
      title: 'An alert fires when the service is down',
      level: 'error',
      fix: 'Alert on up{job="..."} == 0, absent(up{job="..."}), or probe_success == 0 from a blackbox probe.',
    },
    {
      id: 'alerts/for',
      title: 'Alerts wait a while (for:) before firing, and not too long',
      level: 'error',
      fix: 'Add "for: 5m" (or what the alert needs) so that one bad scrape does not page anyone.',
    },
    {
      id: 'alerts/severity',
      title: 'Alerts carry a severity label from the agreed list',
      level: 'error',
      fix: 'labels: {severity: critical} (or warning): routes and people decide by it.',
    },
    {
      id: 'alerts/annotations',
      title: 'Alerts carry the required annotations (summary, runbook)',
      level: 'error',
      fix: 'annotations: {summary: "...", runbook_url: "https://..."}: whoever is paged needs to know what to do.',
    },
    {
      id: 'alerts/metric-not-exported',
      title: 'Every metric an alert uses is exported by the service',
      level: 'error',
      fix: 'Use the name the service exports (see the closest names), or export the metric; an alert on a metric nobody exports never fires.',
    },
    {
      id: 'alerts/label-not-exported',
      title: "The labels alerts select on are ones the service's series carry",
      level: 'error',
      fix: 'Select on the label the service exports (e.g. code, not status), or add it to metrics.target_labels when Prometheus attaches it to the target.',
    },
    {
      id: 'alerts/timing',
      title: 'Alerts react in time: no long offsets, windows or evaluation intervals',
      level: 'error',
      fix: 'Drop the offset, use a window of minutes ([5m]), and evaluate the group every 1m (interval) with query_offset under 10m.',
    },
    {
      id: 'alerts/group-limit',
      title: 'No rule group has a "limit" that can fail all its alerts',
      level: 'error',
      fix: 'Remove "limit:" from the group: when a rule yields more alerts than the limit, Prometheus fails every alert of the group.',
    },
    {
      id: 'alerts/delivery',
      title: 'Alertmanager delivers each alert to a receiver that notifies someone',
      level: 'error',
      fix: 'Route the severity to a receiver with an integration (email_configs, slack_configs, pagerduty_configs, webhook_configs, ...).',
    },
  ],
};

const DEFAULT_SEVERITIES = ['critical', 'error', 'high', 'page', 'warning', 'ticket'];
const DEFAULT_ANNOTATIONS = ['summary', 'runbook_url'];

const Share = z
  .union([
    z.number().min(0).max(1, { error: 'a share is between 0 and 1 (0.01), or a percentage ("1%")' }),
    z.string().regex(/^\s*\d+(\.\d+)?\s*%\s*$/, { error: 'expected a share such as "1%" or 0.01' }),
  ])
  .transform((value) => (typeof value === 'number' ? value : Number(value.replace('%', '').trim()) / 100))
  .refine((value) => value <= 1, { error: 'a share of requests is at most 100%' });

const QUANTILE_ERROR = 'expected a quantile such as 0.95 or "p95" (between 0 and 1)';
const Quantile = z
  .union([
    z.number().gt(0, { error: QUANTILE_ERROR }).lt(1, { error: QUANTILE_ERROR }),
    z.string().regex(/^p\d{1,2}(\.\d+)?$/i, { error: QUANTILE_ERROR }),
  ])
  .transform((value) => (typeof value === 'number' ? value : Number(value.slice(1)) / 100));

const MetricsSource = z
  .strictObject({
    path: z.string().regex(/^\//).default('/metrics').describe("The metrics path on the spec's service."),
    url: z
      .string()
      .url()
      .optional()
      .describe('Or an absolute URL of the exposition (metrics served on their own port).'),
    file: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Or a file with a saved exposition (`curl service/metrics > metrics.txt`), when no service runs.',
      ),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe('Request headers; values may use ${env.NAME}, never shown in reports.'),
    external: z
      .array(z.string().min(1))
      .default([])
      .describe(
        `Metric names (globs with a trailing *) that come from elsewhere, in addition to the defaults: ${DEFAULT_EXTERNAL_METRICS.join(', ')}.`,
      ),
    target_labels: z
      .array(z.string().min(1))
      .default([])
      .describe(
        `Labels Prometheus attaches to the target (relabeling, podTargetLabels), in addition to: ${DEFAULT_TARGET_LABELS.join(', ')}.`,
      ),
  })
  .superRefine((value, ctx) => {
    if (value.url !== undefined && value.file !== undefined)
      ctx.addIssue({ code: 'custom', message: 'give metrics.url or metrics.file, not both' });
  });

const params = z
  .strictObject({
    paths: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .transform((value) => (Array.isArray(value) ? value : [value]))
      .describe(
        'Rule files, folders or globs: Prometheus rule files and PrometheusRule resources (.yaml, .yml, .json).',
      ),
    require: z
      .strictObject({
        error_rate: z
          .union([
            z.boolean(),
            z.strictObject({
              max: Share.optional().describe('The threshold may be at most this share of requests ("1%").'),
            }),
          ])
          .optional()
          .describe(
            'An alert on the error rate (5xx share or an errors counter); {max: "1%"} bounds its threshold.',
          ),
        latency: z
          .strictObject({
            quantile: Quantile.describe(
              'The quantile, 0.95 or "p95"; an alert at a higher quantile is stricter and counts.',
            ),
            max: Duration.describe('The threshold may be at most this: "50ms" (a bare number is seconds).'),
          })
          .optional()
          .describe('An alert on a latency quantile (histogram_quantile or a summary) no looser than this.'),
        availability: z
          .boolean()
          .optional()
          .describe('An alert when the service is down: up == 0, absent(...), or probe_success == 0.'),
      })
      .default({})
      .describe("Alerts that must exist, in the checklist's words."),
    min_for: Duration.optional().describe(
      'Shortest "for:" allowed on the required alerts; by default "for:" must be there and above 0.',
    ),
    max_for: Duration.default('1h').describe('Longest "for:" allowed: a longer wait pages too late.'),
    severities: z
      .array(z.string().min(1))
      .min(1)
      .default(DEFAULT_SEVERITIES)
      .describe(`Allowed values of the severity label (default ${DEFAULT_SEVERITIES.join(', ')}).`),
    annotations: z
      .array(z.string().min(1))
      .default(DEFAULT_ANNOTATIONS)
      .describe(
        'Annotations each required alert must carry, not empty and not a placeholder (default summary, runbook_url).',
      ),
    scrape_interval: Duration.default('15s').describe(
      "Prometheus's scrape interval: rate(x[w]) needs w of at least two scrapes, or it returns nothing.",
    ),
    max_offset: Duration.default('1h').describe(
      'Longest "offset" an alert may read with: the alert sees a change that much later.',
    ),
    max_window: Duration.default('1h').describe(
      'Longest range window ([5m], *_over_time) in the required alerts: a change shows only after it.',
    ),
    max_group_interval: Duration.default('5m').describe(
      'Longest evaluation "interval" of a rule group holding alerts.',
    ),
    max_query_offset: Duration.default('10m').describe('Longest "query_offset" of a rule group.'),
    metrics: z
      .union([z.literal(false), MetricsSource])
      .default({ path: '/metrics', headers: {}, external: [], target_labels: [] })
      .describe(
        "Where the cross-check reads the exported metrics: the spec's service (default), a URL or a saved file; false turns the cross-check off (the evidence says so).",
      ),
    alertmanager: z
      .union([
        z.string().min(1),
        z.strictObject({
          path: z.string().min(1).describe("Alertmanager's configuration file."),
          labels: z
            .record(z.string(), z.string())
            .default({})
            .describe(
              'Labels the alerts get from their series at run time (namespace, team) that routes match on.',
            ),
        }),
      ])
      .optional()
      .describe(
        "Alertmanager's configuration file: each required alert must be routed to a receiver with an integration.",
      ),
    rules: rulesParam(RULES),
    levels: levelsParam(RULES),
    ignore: IgnoreParam,
  })
  .superRefine((value, ctx) => {
    const required = Object.values(value.require).some((entry) => entry !== undefined && entry !== false);
    if (!required && value.metrics === false)
      ctx.addIssue({
        code: 'custom',
        message:
          'nothing to judge but syntax: give "require" (error_rate, latency, availability) or keep the metrics cross-check',
      });
  });

export type Params = z.output<typeof params>;

export default defineCheck({
  kind: 'alerts',
  title: 'Alert rules exist for errors, latency and availability, and watch metrics the service exports',
  description: [
    'Reads Prometheus alerting rules (rule files and PrometheusRule resources) and parses every',
    'expression with the PromQL grammar; syntax errors and fields Prometheus refuses are findings',
    'with file:line (the whole file is then refused, as Prometheus refuses it). `require` names',
    'the alerts the checklist asks for: on the error rate (a 5xx share or an errors counter,',
    '`{max: "1%"}` bounds the threshold), on latency (`histogram_quantile` or a summary at the',
    'quantile or a higher one, with a threshold no looser than `max`; the unit comes from the',
    'metric name, `_seconds`, and `* 1000` is followed), on availability (`up == 0`, `absent()`,',
    '`probe_success == 0`), each with `for:`, a `severity` label and the required annotations',
    '(with no `require`, every alert is held to that form).',
    'Recording rules are followed. An alert that can never fire (`vector(0) > 1`, a ratio above',
    '1, `> bool`, `> NaN`, `clamp_max(q, 0.01) > 0.05`, a gate `unless on() up`, `rate(x[1s])`,',
    '`histogram_quantile` over `sum without (le)`) counts for nothing and is a finding;',
    '`absent()` counts for availability only around a plain selector (`absent(up == 0)` fires',
    'while the service is up); an error ratio must have the errors as its numerator. An alert',
    'that reacts too late counts for nothing either: an `offset` above `max_offset`, a window',
    'above `max_window` in a required alert, `@` a fixed time; groups with an `interval` above',
    '`max_group_interval`, a `query_offset` above `max_query_offset`, or a `limit` are findings.',
    'Cross-check: every metric an alert uses',
    "must be in the service's /metrics (or a saved exposition): a missing one fails, naming the",
    'alert, the metric and the closest exported names; `up`, `probe_*`, `kube_*` and the like',
    'come from elsewhere and are allowed. A label an alert selects on (`status=~"5.."`) that the',
    "service's series do not carry fails too (target labels such as job and namespace excepted),",
    'and so does a label VALUE no series of the metric has (`route="/predictx"`; status codes',
    'are judged against every code, failure values and metrics without series are skipped).',
    'With `alertmanager`, each required alert must be routed',
    'to a receiver with a working integration (a receiver without one is a black hole), and not be',
    'muted for good by an inhibit rule whose source may always fire (a Watchdog, `time() > 0`),',
    'nor by a mute time interval covering all time; RE2 flags such as `(?i)` are honoured and a',
    'matcher that cannot be evaluated is a finding (routing unknown); group_wait above 5m,',
    "group_interval above 1h, repeat_interval above 7d are findings. Receivers' secrets",
    'are never shown. No rule file, a glob in paths that matches nothing,',
    'no alerting rule, unreadable YAML or an unreadable exposition is an error.',
  ].join(' '),
  defaultTimeout: '60s',
  rules: RULES.rules.map(({ id, title, level }) => ({ id, title, level })),
  params,
  examples: [
    {
      title: 'Alert if p95 > 50 ms, on errors and on downtime, checked against the running service',
      params: {
        paths: 'monitoring/',
        require: { error_rate: { max: '1%' }, latency: { quantile: 0.95, max: '50ms' }, availability: true },
        alertmanager: 'monitoring/alertmanager.yaml',
      },
    },
    {
      title: 'PrometheusRule manifests checked against a saved exposition',
      params: {
        paths: ['k8s/prometheus-rules.yaml'],
        require: { latency: { quantile: 'p99', max: '200ms' } },
        metrics: { file: 'monitoring/metrics.txt', external: ['nginx_*'] },
      },
    },
  ],
  service: (p) => p.metrics !== false && p.metrics.file === undefined && p.metrics.url === undefined,
  // After every other item has exercised the service: label values (route="/predict") appear in
  // /metrics only once that route was called.
  phase: 1,
  run: runIn(() => import('./run.js')),
});
