import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { JsonAssertion } from '../../service/json-assert.js';
import { RequestFields, requestTargetIssue } from '../../service/request-fields.js';
import { Duration, Size } from '../../spec/schema.js';
import { runIn } from '../_shared/run-module.js';

export const StatusSpec = z
  .union([
    z.number().int().min(100).max(599),
    z.array(z.number().int().min(100).max(599)).min(1),
    z.string().regex(/^[1-5]xx$/, { error: 'a status class is written 2xx, 4xx, ...' }),
  ])
  .describe('Expected status: 200, a list [200, 201], or a class "2xx".');

const Expect = z
  .strictObject({
    status: StatusSpec.default('2xx'),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe(
        'Response headers that must be present, each matching a regular expression (name case-insensitive).',
      ),
    headers_absent: z
      .array(z.string())
      .default([])
      .describe('Headers that must not be sent (e.g. x-powered-by).'),
    body_matches: z.string().optional().describe('The body (as text) must match this regular expression.'),
    body_not_matches: z
      .string()
      .optional()
      .describe('The body must not match this regular expression (a stack trace, say).'),
    json_schema: z
      .union([z.string().min(1), z.record(z.string(), z.unknown()), z.boolean()])
      .optional()
      .describe(
        'A JSON Schema (inline, or a file relative to the spec) the JSON body must satisfy; any draft, by $schema.',
      ),
    json: z.array(JsonAssertion).default([]).describe('Assertions on values in the JSON body, by JSONPath.'),
    max_latency: Duration.optional().describe('The whole answer must arrive within this (e.g. 200ms).'),
  })
  .default({ status: '2xx', headers: {}, headers_absent: [], json: [] })
  .describe('What the response must be.');

const params = z
  .strictObject({
    ...RequestFields,
    timeout: Duration.default('10s').describe('No complete answer within this is a failure.'),
    max_response: Size.default('1MB').describe('Response bytes kept for the assertions; more fails.'),
    follow_redirects: z
      .boolean()
      .default(false)
      .describe(
        'Follow 3xx redirects (only to loopback unless the service has allow_remote: true); by default a redirect is the answer judged.',
      ),
    max_redirects: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(5)
      .describe('With follow_redirects: the most hops followed; one more fails.'),
    expect: Expect,
  })
  .superRefine((params, ctx) => {
    const target = requestTargetIssue(params);
    if (target) ctx.addIssue({ code: 'custom', message: target });
    for (const key of ['body_matches', 'body_not_matches'] as const) {
      const pattern = params.expect[key];
      if (pattern === undefined) continue;
      try {
        new RegExp(pattern);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          path: ['expect', key],
          message: `not a regular expression: ${(error as Error).message}`,
        });
      }
    }
  });

export type HttpParams = z.output<typeof params>;

export default defineCheck({
  kind: 'http',
  title: 'An HTTP endpoint answers as it must',
  description: [
    "Sends one request to the spec's service (`path`) or to an absolute `url`: any method,",
    'query, headers (values may read `${env.NAME}`; credentials never reach the report), and a',
    'body — JSON, text, a file, or a multipart form with file uploads (`curl -F image=@x.png`).',
    'Then checks the status (default any 2xx), headers, the body against regular expressions,',
    'a JSON Schema (any draft) and JSONPath assertions (equals, in, matches, type, a threshold,',
    'length, sum — "probabilities sum to 1"), and how long the answer took. No answer (refused,',
    'reset, no headers within `timeout`) fails, with the reason. Redirects are not followed: a 3xx',
    'is the answer judged, and a wrong one names its Location. With `follow_redirects: true` up',
    'to `max_redirects` hops are followed, only to loopback (127.0.0.0/8, ::1, localhost) unless',
    'the service has `allow_remote: true`, credentials are not sent to another origin, and every',
    'hop is in the evidence. The exchange is the evidence: request, status, headers and a body',
    'excerpt, secrets masked.',
  ].join(' '),
  defaultTimeout: '60s',
  params,
  examples: [
    {
      title: 'Health endpoint says healthy',
      params: { path: '/health', expect: { status: 200, json: [{ path: '$.status', equals: 'healthy' }] } },
    },
    {
      title: 'A prediction is valid, with a token from the environment',
      params: {
        method: 'POST',
        path: '/predict',
        headers: { Authorization: 'Bearer ${env.API_TOKEN}' },
        body: { file: 'data/sample-request.json' },
        expect: {
          status: 200,
          json_schema: 'schemas/prediction.schema.json',
          json: [
            { path: '$.prediction', type: 'integer', threshold: 'between 0 and 9' },
            { path: '$.probabilities', length: '== 10', sum: 'within 0.001 of 1' },
          ],
          max_latency: '200ms',
        },
      },
    },
    {
      title: 'Image upload, as curl -F image=@digit.png',
      params: {
        method: 'POST',
        path: '/predict/image',
        body: { multipart: { image: { file: 'data/digit.png' } } },
        expect: { status: 200 },
      },
    },
  ],
  service: (params) => params.url === undefined,
  run: runIn(() => import('./run.js')),
});
