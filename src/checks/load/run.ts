/**
 * What the load check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { encodeRequest } from '../../service/http1.js';
import {
  failedRequestsNote,
  formatTimeout,
  judgeLoadThreshold,
  parseLoadThreshold,
} from '../../service/load-thresholds.js';
import { type LatencyStats, runLoad } from '../../service/load.js';
import { isLoopbackHost } from '../../service/managed.js';
import { buildRequest, Secrets } from '../../service/request-spec.js';
import type { OutgoingRequest } from '../../service/request.js';
import { TemplateError } from '../../service/template.js';
import { formatNumber } from '../../util/threshold.js';
import { formatDuration, parseDuration } from '../../util/units.js';
import { loadProgressLine } from './progress.js';
import type { LoadParams } from './check.js';

export async function run(ctx: CheckContext, params: LoadParams): Promise<CheckOutcome> {
  const secrets = new Secrets();
  let outgoing: OutgoingRequest;
  try {
    outgoing = await buildRequest(ctx, params, secrets, {
      timeoutMs: parseDuration(params.timeout)!,
      maxBodyBytes: 0,
    });
  } catch (error) {
    if (error instanceof TemplateError) return { status: 'error', summary: error.message };
    throw error;
  }
  const url = new URL(outgoing.url);
  if (url.protocol !== 'http:') {
    return {
      status: 'error',
      summary: `load tests speak plain HTTP/1.1 to a local service; ${url.protocol} is not supported (test the service behind the TLS terminator)`,
    };
  }
  const allowRemote = params.allow_remote || Boolean(ctx.service?.allowRemote && params.url === undefined);
  if (!isLoopbackHost(url.hostname) && !allowRemote) {
    return {
      status: 'error',
      summary: `load tests target this machine only (127.0.0.0/8, ::1, localhost), and ${url.hostname} is not; set allow_remote: true on the item if you mean to load another host`,
    };
  }
  const body = await encodeBody(outgoing);
  const request = encodeRequest(
    outgoing.method,
    `${url.pathname}${url.search}`,
    url.host,
    { ...outgoing.headers, ...body.headers },
    body.bytes,
  );
  const thresholds = params.thresholds.map(parseLoadThreshold);
  const mode =
    params.rate !== undefined
      ? ({ kind: 'open', rate: params.rate, maxConnections: params.max_connections } as const)
      : ({ kind: 'closed', concurrency: params.concurrency ?? 8 } as const);
  const result = await runLoad({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 80),
    request,
    method: outgoing.method,
    mode,
    requests: params.requests,
    durationMs: parseDuration(params.duration)!,
    warmupMs: parseDuration(params.warmup)!,
    timeoutMs: parseDuration(params.timeout)!,
    isSuccess: successTest(params.success_status),
    signal: ctx.signal,
    onProgress: ctx.progress && ((progress) => ctx.progress!(loadProgressLine(progress))),
  });
  if (result.interrupted) return { status: 'error', summary: 'the load test was stopped before it finished' };

  const verdicts = thresholds.map((threshold) => judgeLoadThreshold(result, threshold));
  const timeouts = result.errors.timeout ?? 0;
  // The latency thresholds judge: every request, failures at the timeout.
  const latency = result.succeeded > 0 ? result.overall : null;
  // Throughput is what was served: failed requests are not counted (as the rps threshold).
  const rps = result.succeeded / (result.durationMs / 1000);
  const attempted = result.succeeded + result.failed;
  const target = `${outgoing.method} ${params.path ?? secrets.mask(outgoing.url)}`;
  const how =
    mode.kind === 'closed'
      ? `${attempted} requests at concurrency ${mode.concurrency}`
      : `${attempted} requests at ${formatNumber(mode.rate)}/s (open loop)`;
  const evidence: Evidence[] = [
    {
      type: 'table',
      title: 'thresholds',
      columns: ['threshold', 'measured', 'result'],
      rows: verdicts.map((verdict) => [verdict.text, verdict.message, verdict.ok ? 'ok' : 'FAILED']),
    },
    ...(result.latency
      ? [
          {
            type: 'table' as const,
            title:
              result.failed > 0
                ? `latency (ms): thresholds judge all requests, the ${result.failed} failed at the ${formatTimeout(result.timeoutMs)} timeout`
                : 'latency of successful answers (ms)',
            columns: ['requests', 'count', 'min', 'mean', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'],
            rows: [
              ...(result.failed > 0 && result.overall
                ? [['all (failures at the timeout)', ...latencyRow(result.overall)]]
                : []),
              ['successful answers', ...latencyRow(result.latency)],
            ],
          },
        ]
      : []),
    {
      type: 'table',
      title: 'answers',
      columns: ['status or error', 'count'],
      rows: [
        ...Object.entries(result.statuses).map(([status, count]) => [`status ${status}`, count]),
        ...Object.entries(result.errors)
          .filter(([reason]) => !reason.startsWith('status '))
          .map(([reason, count]) => [reason, count]),
      ],
    },
    {
      type: 'text',
      title: 'load',
      text: [
        `${target}, ${how}`,
        `measured ${formatDuration(result.durationMs)} after ${params.warmup} of warm-up; ${result.connectionsOpened} connection(s) opened`,
        mode.kind === 'open' ? `most requests waiting for a free connection: ${result.maxBacklog}` : '',
        result.failedLatency
          ? `failed answers: ${result.failedLatency.count}, median ${result.failedLatency.p50} ms`
          : '',
        result.failed > 0 ? failedRequestsNote(result) : '',
      ]
        .filter(Boolean)
        .join('\n'),
    },
    {
      type: 'data',
      title: 'latency and throughput per second',
      name: 'load-timeseries',
      data: {
        columns: ['t', 'requests', 'errors', 'p50_ms', 'p99_ms', 'max_ms'],
        rows: result.series.map((s) => [s.t, s.requests, s.errors, s.p50Ms, s.p99Ms, s.maxMs]),
      },
    },
    { type: 'data', title: 'latency distribution', name: 'latency-percentiles', data: result.distribution },
  ];
  const measured: Record<string, number | null> = {
    requests: attempted,
    succeeded: result.succeeded,
    errors: result.failed,
    timeouts,
    error_rate: attempted > 0 ? Math.round((result.failed / attempted) * 1e6) / 1e6 : null,
    rps: Math.round(rps * 10) / 10,
    p50_ms: latency?.p50 ?? null,
    p90_ms: latency?.p90 ?? null,
    p95_ms: latency?.p95 ?? null,
    p99_ms: latency?.p99 ?? null,
    max_ms: latency?.max ?? null,
  };
  for (const verdict of verdicts) measured[verdict.text.split(/\s*[<>=!]/)[0]!.trim()] = verdict.value;
  const threshold = Object.fromEntries(
    thresholds.map((t) => [t.text.split(/\s*[<>=!]/)[0]!.trim(), t.threshold.text]),
  );

  // A service that died under load failed, whatever the numbers say.
  let died: string | undefined;
  try {
    ctx.service?.assertAlive();
  } catch (error) {
    died = (error as Error).message;
    const log = ctx.service?.log().slice(-20) ?? [];
    if (log.length) evidence.push({ type: 'text', title: "the service's last output", text: log.join('\n') });
  }
  const failedVerdicts = verdicts.filter((verdict) => !verdict.ok);
  const figures = `p95 ${latency ? formatMs(latency.p95) : '—'}, p99 ${latency ? formatMs(latency.p99) : '—'}, ${formatNumber(Math.round(rps))} rps, ${result.failed} error${result.failed === 1 ? '' : 's'}${timeouts > 0 ? ` (${timeouts} timeout${timeouts === 1 ? '' : 's'})` : ''}`;
  if (died || failedVerdicts.length > 0) {
    const reasons = [
      ...(died ? [`the service died during the load test: ${died.replace(/^the service /, '')}`] : []),
      ...failedVerdicts.map((verdict) => verdict.message),
    ];
    return {
      status: 'fail',
      summary: `${target}: ${reasons.join('; ')} (${how}: ${figures})`,
      measured,
      threshold,
      evidence,
    };
  }
  return {
    status: 'pass',
    summary: `${target}, ${how}: ${figures}; ${verdicts.length} threshold${verdicts.length > 1 ? 's' : ''} held`,
    measured,
    threshold,
    evidence,
  };
}

/** The body as bytes, once: every request of the test sends the same ones. */
async function encodeBody(
  outgoing: OutgoingRequest,
): Promise<{ bytes?: Buffer; headers: Record<string, string> }> {
  if (outgoing.body === undefined) return { headers: {} };
  if (typeof outgoing.body === 'string') return { bytes: Buffer.from(outgoing.body), headers: {} };
  if (Buffer.isBuffer(outgoing.body)) return { bytes: outgoing.body, headers: {} };
  // A multipart form: let undici encode it (boundary included).
  const { Response } = await import('undici');
  const response = new Response(outgoing.body);
  return {
    bytes: Buffer.from(await response.arrayBuffer()),
    headers: { 'content-type': response.headers.get('content-type')! },
  };
}

function latencyRow(stats: LatencyStats): number[] {
  return [
    stats.count,
    stats.min,
    stats.mean,
    stats.p50,
    stats.p90,
    stats.p95,
    stats.p99,
    stats.p999,
    stats.max,
  ];
}

/** Enough digits to read, not more: 0.42 ms, 12.3 ms, 230 ms. */
function formatMs(ms: number): string {
  return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

function successTest(spec: number | number[] | string): (status: number) => boolean {
  if (typeof spec === 'number') return (status) => status === spec;
  if (Array.isArray(spec)) return (status) => spec.includes(status);
  const hundred = Number(spec[0]);
  return (status) => Math.floor(status / 100) === hundred;
}
