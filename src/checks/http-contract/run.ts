/**
 * What the http-contract check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { randomBytes } from 'node:crypto';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { sendOversized } from '../../service/oversized.js';
import { type ExpositionProblem, parseExposition } from '../../service/prometheus.js';
import {
  emptyExchange,
  exchangeEvidence,
  type HttpExchange,
  HttpClient,
  isJsonContentType,
  type OutgoingRequest,
} from '../../service/request.js';
import { buildRequest, Secrets, templateEnv } from '../../service/request-spec.js';
import { TemplateError } from '../../service/template.js';
import { formatDuration, formatSize, parseSize } from '../../util/units.js';
import { type HttpContractParams, type Level, probeTimeoutMs, REPORT_RESERVE_MS, RULES } from './check.js';

type RuleId = keyof typeof RULES;

const STACK_TRACE =
  /Traceback \(most recent call last\)|^\s+at [\w$.<>[\] ]+ \(.*:\d+:\d+\)|File "[^"]+", line \d+|Exception in thread|^\s+at (?:java|org|com)\.[\w.$]+\(|goroutine \d+ \[running\]|panicked at/m;

export async function run(ctx: CheckContext, params: HttpContractParams): Promise<CheckOutcome> {
  const secrets = new Secrets();
  const timeoutMs = probeTimeoutMs(params);
  const deadline = ctx.deadline ?? Number.POSITIVE_INFINITY;
  let valid: OutgoingRequest;
  try {
    valid = await buildRequest(ctx, params, secrets, { timeoutMs, maxBodyBytes: 256 * 1024 });
  } catch (error) {
    if (error instanceof TemplateError) return { status: 'error', summary: error.message };
    throw error;
  }
  const levelOf = (rule: RuleId): Level | 'off' => {
    const level = params.levels[rule] ?? params.levels[`http-contract/${rule}`];
    return level ?? RULES[rule].level;
  };
  const client = new HttpClient();
  const probes: Probe[] = [];
  const run = async (
    probe: Omit<Probe, 'exchange' | 'problem'> & {
      request: OutgoingRequest;
      judge(exchange: HttpExchange): string | undefined;
      oversized?: number;
    },
  ) => {
    if (levelOf(probe.rule) === 'off' || ctx.signal.aborted) return undefined;
    // Not enough of the item's time left for this probe's own limit: listed, not sent, so
    // that the outcome (and the table of every probe) is reported before the item times out.
    const left = deadline - REPORT_RESERVE_MS - performance.now();
    // Sending a large body can take longer than a small one: up to 15 s, time permitting.
    const request = probe.oversized
      ? { ...probe.request, timeoutMs: Math.max(timeoutMs, Math.min(15_000, left)) }
      : probe.request;
    if (left < request.timeoutMs) {
      const skipped: Probe = {
        rule: probe.rule,
        name: probe.name,
        expected: probe.expected,
        exchange: { ...emptyExchange(request), error: 'not sent' },
        problem: undefined,
        notSent: `not sent: too little of the item's timeout left for its ${formatDuration(request.timeoutMs)}`,
      };
      probes.push(skipped);
      return undefined;
    }
    const exchange = probe.oversized
      ? await sendOversized(request, probe.oversized, ctx.signal)
      : await client.send(request, ctx.signal);
    const done: Probe = {
      rule: probe.rule,
      name: probe.name,
      expected: probe.expected,
      exchange,
      problem: probe.judge(exchange),
    };
    probes.push(done);
    return done;
  };
  const url = new URL(valid.url);
  const pathShown = params.path ?? url.pathname;
  try {
    const baseline = await run({
      rule: 'valid-request',
      name: 'the valid request',
      expected: '2xx',
      request: valid,
      judge: (exchange) =>
        exchange.status === undefined
          ? noAnswer(exchange, timeoutMs)
          : exchange.status >= 200 && exchange.status < 300
            ? undefined
            : `answered ${exchange.status}`,
    });

    // The valid body as text and as JSON (inline, or a JSON file), for the mutations.
    const validBody =
      typeof valid.body === 'string'
        ? valid.body
        : Buffer.isBuffer(valid.body) && isJsonContentType(valid.headers['content-type'])
          ? valid.body.toString('utf8')
          : undefined;
    let json: unknown;
    if (params.body && 'json' in params.body) json = params.body.json;
    else if (validBody !== undefined) {
      try {
        json = JSON.parse(validBody);
      } catch {
        json = undefined;
      }
    }
    const env = templateEnv(ctx);
    const encode = (document: unknown) => secrets.expand(JSON.stringify(document), env, 'body.json');
    const withBody = (body: string, headers: Record<string, string> = {}): OutgoingRequest => ({
      ...valid,
      headers: { ...valid.headers, 'content-type': 'application/json', ...headers },
      body,
      bodyShown: body.length > 300 ? `${body.slice(0, 300)}…` : body,
    });
    const rejects =
      (...statuses: number[]) =>
      (exchange: HttpExchange) =>
        rejection(exchange, statuses, timeoutMs);

    if (validBody !== undefined) {
      await run({
        rule: 'malformed-json',
        name: 'malformed JSON',
        expected: '400/422',
        request: withBody(validBody.slice(0, Math.max(1, Math.floor(validBody.length / 2)))),
        judge: rejects(400, 422),
      });
      await run({
        rule: 'wrong-content-type',
        name: 'body sent as text/plain',
        expected: '415/400/422',
        request: withBody(validBody, { 'content-type': 'text/plain' }),
        judge: rejects(415, 400, 422),
      });
    }
    if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
      const fields = Object.keys(json as Record<string, unknown>);
      for (const field of fields.slice(0, 12)) {
        const rest = { ...(json as Record<string, unknown>) };
        delete rest[field];
        await run({
          rule: 'missing-field',
          name: `without "${field}"`,
          expected: '400/422',
          request: withBody(encode(rest)),
          judge: rejects(400, 422),
        });
      }
      for (const mutation of typeMutations(json as Record<string, unknown>).slice(0, 12)) {
        await run({
          rule: 'wrong-type',
          name: `${mutation.path} as ${mutation.shown}`,
          expected: '400/422',
          request: withBody(encode(mutation.document)),
          judge: rejects(400, 422),
        });
      }
    }
    if (valid.method !== 'GET' && valid.method !== 'HEAD') {
      const limit = parseSize(params.body_limit)!;
      const size = Math.max(limit * 2, limit + 64 * 1024);
      await run({
        rule: 'oversized-body',
        name: `a ${formatSize(size)} body`,
        expected: '413',
        request: valid,
        oversized: size,
        judge: rejects(413),
      });
    }
    const unknownPath = `${url.pathname.replace(/\/$/, '')}/mlgate-no-such-path-${randomBytes(3).toString('hex')}`;
    await run({
      rule: 'unknown-path',
      name: `GET ${unknownPath}`,
      expected: '404',
      request: {
        ...valid,
        method: 'GET',
        url: new URL(unknownPath, url).toString(),
        body: undefined,
        bodyShown: undefined,
      },
      judge: rejects(404),
    });
    const otherMethod = valid.method === 'GET' ? 'DELETE' : 'GET';
    await run({
      rule: 'wrong-method',
      name: `${otherMethod} ${pathShown}`,
      expected: '405',
      request: { ...valid, method: otherMethod, body: undefined, bodyShown: undefined },
      judge: rejects(405),
    });

    const authHeader =
      params.auth?.header.toLowerCase() ??
      ['authorization', 'x-api-key', 'api-key'].find((name) => name in valid.headers);
    if (authHeader && valid.headers[authHeader] !== undefined) {
      const without = { ...valid.headers };
      delete without[authHeader];
      await run({
        rule: 'no-credentials',
        name: `without ${authHeader}`,
        expected: '401',
        request: { ...valid, headers: without },
        judge: rejects(401, 403),
      });
      const real = valid.headers[authHeader]!;
      const wrong = real.replace(/(\S+)$/, `mlgate-wrong-${randomBytes(6).toString('hex')}`);
      await run({
        rule: 'wrong-credentials',
        name: `a wrong ${authHeader}`,
        expected: '401/403',
        request: { ...valid, headers: { ...valid.headers, [authHeader]: wrong } },
        judge: rejects(401, 403),
      });
    }

    // CORS: a browser on another site asks first (preflight), then sends the request.
    const evil = 'https://mlgate-probe.invalid';
    await run({
      rule: 'cors-credentials',
      name: `OPTIONS preflight from ${evil}`,
      expected: 'no credentials for any origin',
      request: {
        ...valid,
        method: 'OPTIONS',
        headers: {
          origin: evil,
          'access-control-request-method': valid.method,
          'access-control-request-headers': Object.keys(valid.headers).join(', '),
        },
        body: undefined,
        bodyShown: undefined,
      },
      judge: (exchange) => corsProblem(exchange, evil),
    });
    await run({
      rule: 'cors-credentials',
      name: `request with Origin: ${evil}`,
      expected: 'no credentials for any origin',
      request: { ...valid, headers: { ...valid.headers, origin: evil } },
      judge: (exchange) => corsProblem(exchange, evil),
    });
    if (params.cors) {
      const allowed = params.cors.allowed_origins;
      await run({
        rule: 'cors-origins',
        name: `request with Origin: ${evil}`,
        expected: `allowed only: ${allowed.join(', ') || 'none'}`,
        request: { ...valid, headers: { ...valid.headers, origin: evil } },
        judge: (exchange) => {
          const origin = exchange.headers['access-control-allow-origin'];
          return origin !== undefined && (origin === '*' || origin === evil)
            ? `allows ${origin === '*' ? 'any origin (*)' : `the unlisted origin ${evil}`}`
            : undefined;
        },
      });
    }

    // Headers are judged on the valid request's answer.
    if (baseline?.exchange.status !== undefined) {
      const headers = baseline.exchange.headers;
      const missing = Object.entries(params.security_headers)
        .filter(([name, pattern]) => !new RegExp(pattern, 'i').test(headers[name.toLowerCase()] ?? '\u0000'))
        .map(([name, pattern]) =>
          headers[name.toLowerCase()] === undefined
            ? `no ${name}`
            : `${name}: "${headers[name.toLowerCase()]}" does not match /${pattern}/`,
        );
      if (levelOf('security-headers') !== 'off') {
        probes.push({
          rule: 'security-headers',
          name: 'security headers on the answer',
          expected: Object.keys(params.security_headers).join(', '),
          exchange: baseline.exchange,
          problem: missing.length ? missing.join('; ') : undefined,
        });
      }
      const disclosed = [
        headers['x-powered-by'] !== undefined ? `X-Powered-By: ${headers['x-powered-by']}` : '',
        /\d+\.\d+/.test(headers.server ?? '') ? `Server: ${headers.server}` : '',
      ].filter(Boolean);
      if (levelOf('version-disclosure') !== 'off') {
        probes.push({
          rule: 'version-disclosure',
          name: 'software versions in headers',
          expected: 'none',
          exchange: baseline.exchange,
          problem: disclosed.length ? `discloses ${disclosed.join(', ')}` : undefined,
        });
      }
    }

    if (params.metrics) {
      const metricsRequest: OutgoingRequest = {
        ...valid,
        method: 'GET',
        url: new URL(params.metrics.path, url).toString(),
        headers: {
          accept: 'text/plain',
          ...(authHeader && valid.headers[authHeader] ? { [authHeader]: valid.headers[authHeader]! } : {}),
        },
        body: undefined,
        bodyShown: undefined,
        maxBodyBytes: 8 * 1024 * 1024,
      };
      let parseProblems: ExpositionProblem[] = [];
      let missingNames: string[] = [];
      const scraped = await run({
        rule: 'metrics-format',
        name: `GET ${params.metrics.path}`,
        expected: '200, Prometheus text format',
        request: metricsRequest,
        judge: (exchange) => {
          if (exchange.status === undefined) return noAnswer(exchange, timeoutMs);
          if (exchange.status !== 200) return `answered ${exchange.status}`;
          const exposition = parseExposition(exchange.body.toString('utf8'));
          parseProblems = exposition.problems;
          missingNames = params.metrics!.require.filter(
            (name) => !exposition.families.has(name) && !exposition.sampleNames.has(name),
          );
          if (exposition.samples === 0 && parseProblems.length === 0) return 'no samples at all';
          if (parseProblems.length > 0) {
            const first = parseProblems[0]!;
            return `not valid Prometheus text: line ${first.line}: ${first.message}${parseProblems.length > 1 ? ` (+${parseProblems.length - 1} more)` : ''}`;
          }
          return undefined;
        },
      });
      if (scraped && parseProblems.length > 0) {
        scraped.evidence = [
          {
            type: 'table',
            title: `${params.metrics.path}: what a Prometheus scrape would reject`,
            columns: ['line', 'problem', 'text'],
            rows: parseProblems.slice(0, 30).map((problem) => [problem.line, problem.message, problem.text]),
          },
        ];
      }
      if (
        scraped?.exchange.status === 200 &&
        params.metrics.require.length > 0 &&
        levelOf('metrics-required') !== 'off'
      ) {
        probes.push({
          rule: 'metrics-required',
          name: 'required metrics',
          expected: params.metrics.require.join(', '),
          exchange: scraped.exchange,
          problem: missingNames.length ? `missing ${missingNames.join(', ')}` : undefined,
        });
      }
    }
  } finally {
    await client.close();
  }
  if (ctx.signal.aborted) return { status: 'error', summary: 'stopped before the probes finished' };

  // Across probes: error answers must be JSON and must not carry a stack trace.
  const rejectionsAnswered = probes.filter(
    (probe) =>
      !probe.notSent &&
      RULES_WITH_ERROR_BODIES.has(probe.rule) &&
      probe.exchange.status !== undefined &&
      probe.exchange.status >= 400,
  );
  const notJson = rejectionsAnswered.filter((probe) => !isJsonErrorBody(probe.exchange));
  if (levelOf('json-errors') !== 'off' && rejectionsAnswered.length > 0) {
    probes.push({
      rule: 'json-errors',
      name: 'error bodies are JSON',
      expected: 'application/json',
      exchange: notJson[0]?.exchange ?? rejectionsAnswered[0]!.exchange,
      problem: notJson.length
        ? `${notJson.length} of ${rejectionsAnswered.length} error answers are not JSON (${notJson
            .slice(0, 3)
            .map((probe) => `${probe.name}: ${probe.exchange.headers['content-type'] ?? 'no content-type'}`)
            .join('; ')})`
        : undefined,
    });
  }
  const traces = probes.filter(
    (probe) => !DERIVED.has(probe.rule) && STACK_TRACE.test(probe.exchange.body.toString('utf8')),
  );
  if (levelOf('no-stack-traces') !== 'off' && probes.length > 0) {
    probes.push({
      rule: 'no-stack-traces',
      name: 'no stack traces in answers',
      expected: 'none',
      exchange: traces[0]?.exchange ?? probes[0]!.exchange,
      problem: traces.length
        ? `a stack trace in the answer to ${traces
            .map((probe) => probe.name)
            .slice(0, 3)
            .join(', ')}`
        : undefined,
    });
  }

  return judge(probes, levelOf, secrets, `${valid.method} ${pathShown}`);
}

interface Probe {
  rule: RuleId;
  name: string;
  expected: string;
  exchange: HttpExchange;
  problem: string | undefined;
  /** Why it was not sent (the item's time ran out); such a probe neither holds nor fails. */
  notSent?: string;
  /** More evidence when it fails. */
  evidence?: Evidence[];
}

/** "no answer within 5.00 s (it hangs)", or why nothing came back. */
function noAnswer(exchange: HttpExchange, timeoutMs: number): string {
  return exchange.timedOut
    ? `no answer within ${formatDuration(timeoutMs)} (it hangs)`
    : (exchange.error ?? 'no answer');
}

/** Rules judged on another probe's exchange. */
const DERIVED = new Set<RuleId>([
  'security-headers',
  'version-disclosure',
  'metrics-required',
  'json-errors',
]);

const RULES_WITH_ERROR_BODIES = new Set<RuleId>([
  'malformed-json',
  'wrong-content-type',
  'missing-field',
  'wrong-type',
  'oversized-body',
  'unknown-path',
  'wrong-method',
  'no-credentials',
  'wrong-credentials',
]);

/** What is wrong with the answer to a request that must be rejected with one of `statuses`. */
function rejection(exchange: HttpExchange, statuses: number[], timeoutMs: number): string | undefined {
  if (exchange.status === undefined) return noAnswer(exchange, timeoutMs);
  const status = exchange.status;
  if (statuses.includes(status)) return undefined;
  if (status >= 500) return `answered ${status}: a server error, where ${statuses.join('/')} was expected`;
  if (status < 300) return `accepted it (${status})`;
  return `answered ${status}, expected ${statuses.join('/')}`;
}

function isJsonErrorBody(exchange: HttpExchange): boolean {
  if (!isJsonContentType(exchange.headers['content-type'])) return false;
  // A body that was cut off cannot be parsed, and the content type already says JSON.
  if (exchange.truncated) return true;
  try {
    JSON.parse(exchange.body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

function corsProblem(exchange: HttpExchange, origin: string): string | undefined {
  const allowOrigin = exchange.headers['access-control-allow-origin'];
  const credentials = /^true$/i.test(exchange.headers['access-control-allow-credentials'] ?? '');
  if (!credentials || allowOrigin === undefined) return undefined;
  if (allowOrigin === '*')
    return 'Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true';
  if (allowOrigin === origin)
    return `reflects any origin (${origin}) and allows credentials: any site can call it as the user`;
  return undefined;
}

/** One wrong-typed copy of the body per top-level field, and per first element of arrays. */
function typeMutations(
  json: Record<string, unknown>,
): Array<{ path: string; shown: string; document: unknown }> {
  const mutations: Array<{ path: string; shown: string; document: unknown }> = [];
  const wrongFor = (value: unknown): { value: unknown; shown: string } => {
    if (typeof value === 'string') return { value: 12345, shown: 'a number' };
    if (typeof value === 'number') return { value: 'not-a-number', shown: 'a string' };
    if (typeof value === 'boolean') return { value: 'yes', shown: 'a string' };
    if (Array.isArray(value)) return { value: 'not-a-list', shown: 'a string' };
    if (value !== null && typeof value === 'object') return { value: 'not-an-object', shown: 'a string' };
    return { value: { unexpected: true }, shown: 'an object' };
  };
  for (const [field, value] of Object.entries(json)) {
    const top = wrongFor(value);
    mutations.push({ path: field, shown: top.shown, document: { ...json, [field]: top.value } });
    // Down the first elements of nested arrays: inputs[0][0] as a string.
    let path = field;
    const copy = structuredClone(value);
    let holder: unknown = copy;
    let leaf: { parent: unknown[]; index: number } | undefined;
    while (Array.isArray(holder) && holder.length > 0) {
      leaf = { parent: holder, index: 0 };
      path += '[0]';
      holder = holder[0];
    }
    if (leaf && path !== field) {
      const wrong = wrongFor(leaf.parent[leaf.index]);
      leaf.parent[leaf.index] = wrong.value;
      mutations.push({ path, shown: wrong.shown, document: { ...json, [field]: copy } });
    }
  }
  return mutations;
}

function judge(
  probes: Probe[],
  levelOf: (rule: RuleId) => Level | 'off',
  secrets: Secrets,
  target: string,
): CheckOutcome {
  const evidence: Evidence[] = [];
  const notSent = probes.filter((probe) => probe.notSent !== undefined);
  const failed = probes.filter((probe) => probe.problem !== undefined);
  const errors = failed.filter((probe) => levelOf(probe.rule) === 'error');
  const warnings = failed.filter((probe) => levelOf(probe.rule) === 'warning');
  for (const probe of [...errors, ...warnings]) {
    evidence.push({
      type: 'finding',
      rule: `http-contract/${probe.rule}`,
      level: levelOf(probe.rule) as Level,
      message: `${probe.name}: ${probe.problem}`,
      fix: RULES[probe.rule].fix,
    });
  }
  evidence.push({
    type: 'table',
    title: `probes of ${target}`,
    columns: ['rule', 'probe', 'expected', 'answer', 'result'],
    rows: probes.map((probe) => [
      probe.rule,
      probe.name,
      probe.expected,
      probe.notSent ??
        (probe.exchange.status !== undefined
          ? `${probe.exchange.status} in ${formatDuration(probe.exchange.durationMs)}`
          : (probe.problem ?? probe.exchange.error ?? 'none')),
      probe.notSent
        ? 'not run'
        : probe.problem === undefined
          ? 'ok'
          : levelOf(probe.rule) === 'error'
            ? 'FAILED'
            : 'warning',
    ]),
  });
  // The exchanges behind failures (once each), so a reviewer sees what the service answered.
  const shown = new Set<HttpExchange>();
  for (const probe of [...errors, ...warnings]) {
    if (shown.has(probe.exchange) || shown.size >= 8) continue;
    shown.add(probe.exchange);
    evidence.push(exchangeEvidence(probe.exchange, secrets, probe.name));
  }
  for (const probe of [...errors, ...warnings]) evidence.push(...(probe.evidence ?? []));
  const measured = {
    probes: probes.length,
    failed: errors.length,
    warnings: warnings.length,
    not_sent: notSent.length,
  };
  const tail = [
    warnings.length ? `${warnings.length} warning${warnings.length > 1 ? 's' : ''}` : '',
    notSent.length ? `${notSent.length} not sent: the item's timeout ran out` : '',
  ]
    .filter(Boolean)
    .map((part) => ` (${part})`)
    .join('');
  if (errors.length > 0) {
    const first = errors.slice(0, 3).map((probe) => `${probe.rule}: ${probe.name}: ${probe.problem}`);
    return {
      status: 'fail',
      summary: `${target}: ${errors.length} of ${probes.length} probes failed — ${first.join('; ')}${errors.length > 3 ? '; …' : ''}${tail}`,
      measured,
      threshold: { failed: '== 0' },
      evidence,
    };
  }
  if (notSent.length > 0) {
    // Could not tell: the probes that were not sent might have failed.
    return {
      status: 'error',
      summary: `${target}: ${notSent.length} of ${probes.length} probes not sent, the item's timeout ran out before them (${notSent
        .slice(0, 3)
        .map((probe) => probe.name)
        .join(', ')}${notSent.length > 3 ? ', …' : ''}); raise timeout on the item or lower probe_timeout`,
      measured,
      threshold: { failed: '== 0', not_sent: '== 0' },
      evidence,
    };
  }
  return {
    status: 'pass',
    summary: `${target}: ${probes.length} probes held${tail}`,
    measured,
    threshold: { failed: '== 0' },
    evidence,
  };
}
