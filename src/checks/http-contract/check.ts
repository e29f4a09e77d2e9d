import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { METHODS, RequestFields, requestTargetIssue } from '../../service/request-fields.js';
import { Duration, Size } from '../../spec/schema.js';
import { parseDuration } from '../../util/units.js';
import { runIn } from '../_shared/run-module.js';

export type Level = 'error' | 'warning';

/** Every probe and rule, with its default level and what a finding asks the team to do. */
export const RULES = {
  'valid-request': {
    level: 'error',
    fix: 'The valid request in the spec must succeed (2xx); otherwise no rejection below means anything.',
  },
  'malformed-json': {
    level: 'error',
    fix: 'Parse the body in a try/except and answer 400 with a JSON error.',
  },
  'wrong-content-type': {
    level: 'error',
    fix: 'Reject bodies that are not application/json with 415 (or 400).',
  },
  'missing-field': {
    level: 'error',
    fix: 'Validate the request (pydantic, zod, JSON Schema) and answer 422/400 naming the missing field.',
  },
  'wrong-type': { level: 'error', fix: 'Validate field types and answer 422/400 naming the field.' },
  'oversized-body': {
    level: 'error',
    fix: 'Limit the body size (server or framework setting) and answer 413.',
  },
  'unknown-path': { level: 'error', fix: 'Answer 404 for paths the service does not have.' },
  'wrong-method': {
    level: 'error',
    fix: 'Answer 405 (with an Allow header) for a method the path does not support.',
  },
  'no-credentials': {
    level: 'error',
    fix: 'Require the credential on this endpoint: answer 401 without it.',
  },
  'wrong-credentials': { level: 'error', fix: 'Check the credential: answer 401 or 403 for a wrong one.' },
  'json-errors': {
    level: 'error',
    fix: 'Answer errors with a JSON body (application/json) clients can read.',
  },
  'no-stack-traces': {
    level: 'error',
    fix: 'Log exceptions; answer with a short JSON error, never a stack trace.',
  },
  'cors-credentials': {
    level: 'error',
    fix: 'Never combine Access-Control-Allow-Credentials: true with a wildcard or reflected origin; list the allowed origins.',
  },
  'cors-origins': { level: 'warning', fix: 'Allow only the origins listed in cors.allowed_origins.' },
  'security-headers': {
    level: 'error',
    fix: 'Send the headers on every response (a middleware), e.g. X-Content-Type-Options: nosniff.',
  },
  'version-disclosure': {
    level: 'warning',
    fix: 'Drop X-Powered-By and the version from the Server header.',
  },
  'metrics-format': {
    level: 'error',
    fix: 'Expose metrics with a Prometheus client library, which writes valid text format.',
  },
  'metrics-required': {
    level: 'error',
    fix: 'Export the missing metrics (a counter of requests, a latency histogram, ...).',
  },
} as const satisfies Record<string, { level: Level; fix: string }>;

const DEFAULT_SECURITY_HEADERS = { 'x-content-type-options': '^nosniff$' };

const params = z
  .strictObject({
    ...RequestFields,
    method: z.enum(METHODS).default('POST').describe('Method of the valid request.'),
    probe_timeout: Duration.optional().describe(
      "Each probe's own limit (default 5s): no answer within it is a hang, a failed probe, and the next probe goes on. Must fit in the item's timeout.",
    ),
    timeout: Duration.optional().describe('The old name of probe_timeout.'),
    body_limit: Size.default('1MB').describe(
      'The largest body the service should accept; the probe sends twice as much.',
    ),
    auth: z
      .strictObject({
        header: z.string().default('authorization').describe('The header carrying the credential.'),
      })
      .optional()
      .describe(
        'Probe authentication (on by default when the request has an Authorization or X-Api-Key header).',
      ),
    cors: z
      .strictObject({
        allowed_origins: z
          .array(z.string())
          .default([])
          .describe('Origins that may call the service from a browser.'),
      })
      .optional()
      .describe('Also warn when an origin outside this list is allowed.'),
    security_headers: z
      .record(z.string(), z.string())
      .default(DEFAULT_SECURITY_HEADERS)
      .describe('Headers every answer must carry, each matching a regular expression.'),
    metrics: z
      .strictObject({
        path: z.string().regex(/^\//).default('/metrics'),
        require: z
          .array(z.string())
          .default([])
          .describe('Metric names that must be exposed (family or sample names).'),
      })
      .optional()
      .describe('Check the Prometheus metrics endpoint.'),
    levels: z
      .record(z.string(), z.enum(['error', 'warning', 'off']))
      .default({})
      .describe('Per-rule level, by short id (wrong-method: warning).'),
  })
  .superRefine((params, ctx) => {
    const target = requestTargetIssue(params);
    if (target) ctx.addIssue({ code: 'custom', message: target });
    if (params.probe_timeout !== undefined && params.timeout !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['timeout'],
        message: 'timeout is the old name of probe_timeout: give only probe_timeout',
      });
    for (const rule of Object.keys(params.levels)) {
      const id = rule.replace(/^http-contract\//, '');
      if (!(id in RULES)) {
        ctx.addIssue({
          code: 'custom',
          path: ['levels', rule],
          message: `unknown rule "${rule}" (known: ${Object.keys(RULES).join(', ')})`,
        });
      }
    }
  });

export type HttpContractParams = z.output<typeof params>;

/** Time kept back from the item's timeout to judge the probes and report them. */
export const REPORT_RESERVE_MS = 1000;

export function probeTimeoutMs(params: {
  probe_timeout?: string | number;
  timeout?: string | number;
}): number {
  return parseDuration(params.probe_timeout ?? params.timeout ?? '5s')!;
}

export default defineCheck({
  kind: 'http-contract',
  title: 'An endpoint rejects bad requests cleanly and follows HTTP hygiene',
  description: [
    'Starts from a valid request to one endpoint and probes what users expect of a production',
    'service, each reported separately (rule ids `http-contract/<probe>`): malformed JSON, the',
    'wrong content type, each top-level field missing and mistyped, an oversized body (413),',
    'an unknown path (404) and a wrong method (405) must get a 4xx — never a 5xx, a hang or a',
    '2xx — with a JSON error body and no stack trace. With a credential header: no credential',
    'gets 401 and a wrong one 401/403. CORS: no wildcard or reflected origin together with',
    'credentials. Security headers on the answer (`X-Content-Type-Options: nosniff` by',
    'default); no version disclosure. With `metrics:`, the metrics endpoint must be valid',
    'Prometheus text (parsed, problems by line) with the required metric names. `levels` sets',
    'any rule to error, warning or off. Each probe has its own `probe_timeout`: one that gets no',
    'answer within it is a failed probe ("no answer within 5 s"), and the next probe goes on. The',
    "probes are paced to the item's timeout: when too little of it is left for another probe, the",
    'rest are listed as not sent (an error, unless a probe already failed). Every probe is in a',
    'table, hung and unsent ones too; failed ones keep their exchange.',
  ].join(' '),
  defaultTimeout: '2m',
  // One probe and the time to report must fit in the item's timeout.
  minTimeoutMs: (params) => probeTimeoutMs(params) + REPORT_RESERVE_MS,
  params,
  examples: [
    {
      title: 'The prediction endpoint rejects bad input cleanly and requires its token',
      params: {
        path: '/predict',
        headers: { Authorization: 'Bearer ${env.API_TOKEN}' },
        body: { json: { inputs: [[0, 0.5, 1]] } },
        metrics: { path: '/metrics', require: ['http_requests_total', 'prediction_latency_seconds'] },
      },
    },
    {
      title: 'A public endpoint; a 404 for a wrong method is accepted',
      params: {
        path: '/v1/classify',
        body: { json: { text: 'hello' } },
        levels: { 'wrong-method': 'warning' },
      },
    },
  ],
  service: (params) => params.url === undefined,
  run: runIn(() => import('./run.js')),
});
