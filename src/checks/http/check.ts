import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { checkJsonAssertion, JsonAssertion, validateJsonSchema } from '../../service/json-assert.js';
import { buildRequest, RequestFields, requestTargetIssue, Secrets } from '../../service/request-spec.js';
import {
  describeRedirect,
  type FollowResult,
  redirectEvidence,
  sendFollowingRedirects,
} from '../../service/redirects.js';
import { exchangeEvidence, HttpClient, isJsonContentType } from '../../service/request.js';
import { TemplateError } from '../../service/template.js';
import { Duration, Size } from '../../spec/schema.js';
import { formatDuration, parseDuration, parseSize } from '../../util/units.js';

const StatusSpec = z
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
  params: z
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
    }),
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
  async run(ctx, params) {
    const secrets = new Secrets();
    let outgoing;
    try {
      outgoing = await buildRequest(ctx, params, secrets, {
        timeoutMs: parseDuration(params.timeout)!,
        maxBodyBytes: parseSize(params.max_response)!,
      });
    } catch (error) {
      if (error instanceof TemplateError) return { status: 'error', summary: error.message };
      throw error;
    }
    let schema: unknown;
    if (typeof params.expect.json_schema === 'string') {
      const file = params.expect.json_schema;
      try {
        schema = JSON.parse(await readFile(ctx.resolve(file), 'utf8'));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        return {
          status: 'error',
          summary:
            code === 'ENOENT'
              ? `JSON Schema ${file} not found`
              : `cannot read JSON Schema ${file}: ${(error as Error).message}`,
        };
      }
    } else {
      schema = params.expect.json_schema;
    }

    const client = new HttpClient();
    let followed: FollowResult | undefined;
    const exchange = await (
      params.follow_redirects
        ? sendFollowingRedirects(client, outgoing, {
            maxHops: params.max_redirects,
            // The service's allow_remote covers the service, not an absolute url of the item's own.
            allowRemote: Boolean(ctx.service?.allowRemote && params.url === undefined),
            signal: ctx.signal,
            secrets,
          }).then((result) => {
            followed = result;
            return result.exchange;
          })
        : client.send(outgoing, ctx.signal)
    ).finally(() => client.close());
    const target = `${outgoing.method} ${params.path ?? secrets.mask(outgoing.url)}`;
    const evidence: Evidence[] = [exchangeEvidence(exchange, secrets)];
    if (followed && followed.hops.length > 0) evidence.push(redirectEvidence(followed, secrets));
    // Over a redirect chain, the latency is the whole chain's.
    const durationMs = followed?.durationMs ?? exchange.durationMs;
    const measured = {
      status: exchange.status ?? null,
      latency_ms: Math.round(durationMs * 100) / 100,
      bytes: exchange.bytes,
      ...(followed ? { redirects: followed.hops.filter((hop) => hop.outcome === 'followed').length } : {}),
    };
    const threshold = {
      status: String(params.expect.status),
      ...(params.expect.max_latency ? { latency_ms: `<= ${parseDuration(params.expect.max_latency)}` } : {}),
    };
    if (ctx.signal.aborted) return { status: 'error', summary: `${target}: stopped before an answer` };
    if (exchange.status === undefined) {
      return { status: 'fail', summary: `${target}: ${exchange.error}`, measured, threshold, evidence };
    }
    if (followed?.stopped) {
      // Asked to follow, and the chain did not end: whatever the last status, the target was not reached.
      return {
        status: 'fail',
        summary: `${target}: ${secrets.mask(followed.stopped)}`,
        measured,
        threshold,
        evidence,
      };
    }

    const failures: string[] = [];
    const passed: string[] = [];
    if (!statusMatches(exchange.status, params.expect.status)) {
      // The body of a wrong answer is in the evidence; judging it against the spec adds noise.
      const redirect = describeRedirect(exchange, secrets);
      return {
        status: 'fail',
        summary: `${target}: status ${exchange.status}, expected ${statusText(params.expect.status)}${
          redirect && !params.follow_redirects
            ? ` (a redirect: ${redirect}; redirects are not followed unless follow_redirects: true)`
            : ''
        }`,
        measured,
        threshold,
        evidence,
      };
    }
    if (exchange.error) failures.push(`the body did not arrive whole: ${exchange.error}`);
    if (exchange.truncated) failures.push(`the body is larger than max_response (${params.max_response})`);
    for (const [name, pattern] of Object.entries(params.expect.headers)) {
      const value = exchange.headers[name.toLowerCase()];
      if (value === undefined) failures.push(`no ${name} header`);
      else if (!new RegExp(pattern, 'i').test(value))
        failures.push(`${name} is "${secrets.mask(value)}", which does not match /${pattern}/`);
    }
    for (const name of params.expect.headers_absent) {
      if (exchange.headers[name.toLowerCase()] !== undefined)
        failures.push(`${name} header is sent and must not be`);
    }
    const text = exchange.body.toString('utf8');
    if (params.expect.body_matches !== undefined && !new RegExp(params.expect.body_matches).test(text)) {
      failures.push(`the body does not match /${params.expect.body_matches}/`);
    }
    if (params.expect.body_not_matches !== undefined) {
      const match = new RegExp(params.expect.body_not_matches).exec(text);
      if (match)
        failures.push(
          `the body matches /${params.expect.body_not_matches}/: "${secrets.mask(match[0]).slice(0, 120)}"`,
        );
    }

    const wantsJson = schema !== undefined || params.expect.json.length > 0;
    if (wantsJson && !exchange.truncated) {
      let document: unknown;
      let parsed = false;
      try {
        document = JSON.parse(text);
        parsed = true;
      } catch (error) {
        const type = exchange.headers['content-type'];
        failures.push(
          `the body is not JSON (${(error as Error).message}${type && !isJsonContentType(type) ? `; content-type ${type}` : ''})`,
        );
      }
      if (parsed) {
        if (schema !== undefined) {
          let problems;
          try {
            problems = validateJsonSchema(schema, document);
          } catch (error) {
            return {
              status: 'error',
              summary: `the JSON Schema cannot be used: ${(error as Error).message}`,
              evidence,
            };
          }
          if (problems.length > 0) {
            const more =
              problems.length > 1
                ? ` and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''}`
                : '';
            failures.push(
              `the body does not match the JSON Schema: at ${problems[0]!.at || '/'}: ${problems[0]!.message.replace(/\.$/, '')}${more}`,
            );
            evidence.push({
              type: 'table',
              title: 'JSON Schema violations',
              columns: ['at', 'problem'],
              rows: problems.slice(0, 50).map((problem) => [problem.at || '/', problem.message]),
            });
          } else {
            passed.push('matches the JSON Schema');
          }
        }
        const results = params.expect.json.flatMap((assertion) => checkJsonAssertion(document, assertion));
        for (const result of results) (result.ok ? passed : failures).push(result.message);
        if (results.length > 0) {
          evidence.push({
            type: 'table',
            title: 'JSON assertions',
            columns: ['assertion', 'result'],
            rows: results.map((result) => [result.message, result.ok ? 'ok' : 'FAILED']),
          });
        }
      }
    }
    if (params.expect.max_latency) {
      const limit = parseDuration(params.expect.max_latency)!;
      if (durationMs > limit)
        failures.push(`answered in ${formatDuration(durationMs)}, over ${params.expect.max_latency}`);
    }

    if (failures.length > 0) {
      return {
        status: 'fail',
        summary: `${target}: ${failures.slice(0, 3).join('; ')}${failures.length > 3 ? `; and ${failures.length - 3} more` : ''}`,
        measured,
        threshold,
        evidence,
      };
    }
    return {
      status: 'pass',
      summary: `${target} → ${exchange.status} in ${formatDuration(durationMs)}${followedText(followed, secrets)}${passed.length ? `; ${passed.length} assertion${passed.length > 1 ? 's' : ''} held` : ''}`,
      measured,
      threshold,
      evidence,
    };
  },
});

/** " after 1 redirect (302 to http://127.0.0.1:8081/health)" for a pass summary. */
function followedText(followed: FollowResult | undefined, secrets: Secrets): string {
  if (!followed || followed.hops.length === 0) return '';
  const count = followed.hops.length;
  const last = followed.hops[count - 1]!;
  return ` after ${count} redirect${count > 1 ? 's' : ''} (last: ${last.status} to ${secrets.mask(last.to ?? last.location)})`;
}

function statusMatches(status: number, expected: z.output<typeof StatusSpec>): boolean {
  if (typeof expected === 'number') return status === expected;
  if (Array.isArray(expected)) return expected.includes(status);
  return Math.floor(status / 100) === Number(expected[0]);
}

function statusText(expected: z.output<typeof StatusSpec>): string {
  return Array.isArray(expected) ? expected.join(' or ') : String(expected);
}
