import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { loadThresholdError } from '../../service/load-thresholds.js';
import { RequestFields, requestTargetIssue } from '../../service/request-fields.js';
import { Duration } from '../../spec/schema.js';
import { parseDuration } from '../../util/units.js';
import { runIn } from '../_shared/run-module.js';

const Rate = z
  .union([
    z.number().positive(),
    z
      .string()
      .regex(/^\s*\d+(\.\d+)?\s*\/\s*(s|m)\s*$/, { error: 'expected a rate such as "200/s" or "600/m"' }),
  ])
  .transform((value) => {
    if (typeof value === 'number') return value;
    const [count, unit] = value.split('/').map((part) => part.trim());
    return Number(count) / (unit === 'm' ? 60 : 1);
  });

const params = z
  .strictObject({
    ...RequestFields,
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .optional()
      .describe('Closed loop: connections, each with one request in flight (default 8).'),
    rate: Rate.optional().describe('Open loop: requests per second ("200/s", "600/m").'),
    max_connections: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(256)
      .describe('Open loop: connections at most.'),
    requests: z.number().int().min(1).max(10_000_000).default(1000).describe('Measured requests at most.'),
    duration: Duration.default('30s').describe('Measured time at most.'),
    warmup: Duration.default('2s').describe('Load before measuring (not counted).'),
    timeout: Duration.default('10s').describe('A request without an answer within this is an error.'),
    success_status: z
      .union([z.number().int(), z.array(z.number().int()).min(1), z.string().regex(/^[1-5]xx$/)])
      .default('2xx')
      .describe('Statuses that count as success (others are errors).'),
    thresholds: z
      .array(
        z.string().superRefine((text, ctx) => {
          const problem = loadThresholdError(text);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
      )
      .min(1, { error: 'give at least one threshold, e.g. "p(95) < 100ms"' })
      .describe('k6-style thresholds; all must hold.'),
    allow_remote: z.boolean().default(false).describe('Allow a target that is not on this machine.'),
  })
  .superRefine((params, ctx) => {
    const target = requestTargetIssue(params);
    if (target) ctx.addIssue({ code: 'custom', message: target });
    if (params.concurrency !== undefined && params.rate !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'give either concurrency (closed loop) or rate (open loop), not both',
      });
    }
  });

export type LoadParams = z.output<typeof params>;

export default defineCheck({
  kind: 'load',
  title: 'The service keeps its latency, throughput and error rate under load',
  description: [
    'Load-tests one request against the service and judges k6-style thresholds:',
    '`p(95) < 100ms`, `p(99.9) < 1s`, `avg`, `med`, `max`, `error_rate < 1%`, `rps > 50`,',
    '`errors == 0`. Closed loop (`concurrency`: N connections, each sends when its last answer',
    'arrives) or open loop (`rate`: requests due at a constant rate whatever the service does;',
    'latency counts from when a request was due, so a stalling service cannot hide the queue',
    'it causes — coordinated omission). Bounded by `requests` and `duration`, after a',
    '`warmup`. Latencies go into HDR histograms; the evidence has the percentiles, status',
    'codes, error reasons and a per-second series. Failed requests are never left out: a',
    'request that timed out, hit a connection error (refused, reset, closed) or got a status',
    'outside `success_status` counts in `errors` and `error_rate`, and in latency at the request',
    '`timeout` (as k6 records a timed-out request); `rps` and `requests` count successful',
    'answers only, so a service failing fast is no throughput. Latency thresholds are judged over all',
    'measured requests, and p(q) cannot pass when more than (100 − q)% of them failed — nor any',
    'latency threshold when more than half failed (med, avg and min: 50%, max: none) — whatever',
    'its limit. A latency threshold with no successful answer (every request failed) fails.',
    'Targets must be on this machine',
    '(loopback) unless `allow_remote: true`. Runs alone, so that other items do not distort it;',
    'a service that dies under load fails the item with its last output.',
  ].join(' '),
  defaultTimeout: '15m',
  params,
  examples: [
    {
      title: 'p95 under 100 ms and under 1% errors at 16 concurrent clients',
      params: {
        method: 'POST',
        path: '/predict',
        body: { file: 'data/sample-request.json' },
        concurrency: 16,
        requests: 2000,
        thresholds: ['p(95) < 100ms', 'p(99) < 250ms', 'error_rate < 1%', 'rps > 50'],
      },
    },
    {
      title: 'A steady 200 requests/s for 30 s: latency counted from when each was due',
      params: {
        path: '/predict',
        method: 'POST',
        body: { json: { inputs: [[0, 1, 2]] } },
        rate: '200/s',
        duration: '30s',
        requests: 6000,
        thresholds: ['p(99) < 200ms', 'errors == 0'],
      },
    },
  ],
  exclusive: () => true,
  // Warm-up, measurement, the last answers (up to one request timeout), and some slack.
  minTimeoutMs: (params) =>
    parseDuration(params.warmup)! + parseDuration(params.duration)! + parseDuration(params.timeout)! + 5000,
  service: (params) => params.url === undefined,
  run: runIn(() => import('./run.js')),
});
