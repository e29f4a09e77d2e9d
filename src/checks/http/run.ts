/**
 * What the http check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { checkJsonAssertion, validateJsonSchema } from '../../service/json-assert.js';
import { buildRequest, Secrets } from '../../service/request-spec.js';
import {
  describeRedirect,
  type FollowResult,
  redirectEvidence,
  sendFollowingRedirects,
} from '../../service/redirects.js';
import { exchangeEvidence, HttpClient, isJsonContentType } from '../../service/request.js';
import { TemplateError } from '../../service/template.js';
import { formatDuration, parseDuration, parseSize } from '../../util/units.js';
import { type HttpParams, StatusSpec } from './check.js';

export async function run(ctx: CheckContext, params: HttpParams): Promise<CheckOutcome> {
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
}

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
