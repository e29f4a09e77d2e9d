/**
 * The load generator against the toy service (a real server in its own process): counts,
 * bounds, errors, and why the open loop exists — a stalling service cannot hide its queue.
 * Failed requests against a service that never answers most of them: they count in the
 * error rate and in latency at the timeout, and latency thresholds cannot pass over them.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TOY_MODEL } from '../testing/fixtures.js';
import { encodeRequest } from './http1.js';
import { judgeLoadThreshold, parseLoadThreshold } from './load-thresholds.js';
import { type LoadPlan, runLoad } from './load.js';
import { ManagedService } from './managed.js';

const body = Buffer.from(JSON.stringify({ inputs: [Array(64).fill(0.5)] }));

/** A service that leaves chosen predictions unanswered (ANSWER_EVERY, STALL_EVERY). */
const STALL_SERVER = fileURLToPath(
  new URL('../checks/load/fixtures/ng.most-requests-time-out/stall.mjs', import.meta.url),
);

async function startToy(faults: string, program = TOY_MODEL, env: Record<string, string> = {}) {
  const service = new ManagedService({
    argv: [process.execPath, program],
    cwd: process.cwd(),
    env: { TOY_FAULTS: faults, ...env },
    port: 'auto',
    portEnv: 'PORT',
    host: '127.0.0.1',
    ready: { path: '/health', status: 200, timeoutMs: 10_000 },
    graceMs: 2000,
  });
  await service.ensureStarted();
  return service;
}

function plan(service: ManagedService, overrides: Partial<LoadPlan>): LoadPlan {
  const url = new URL(service.url);
  return {
    host: url.hostname,
    port: Number(url.port),
    request: encodeRequest('POST', '/predict', url.host, { 'content-type': 'application/json' }, body),
    method: 'POST',
    mode: { kind: 'closed', concurrency: 4 },
    requests: 500,
    durationMs: 20_000,
    warmupMs: 0,
    timeoutMs: 5000,
    isSuccess: (status) => status >= 200 && status < 300,
    ...overrides,
  };
}

describe('closed loop', () => {
  let service: ManagedService;
  beforeAll(async () => {
    service = await startToy('error-status-every=25');
  });
  afterAll(() => service.stop());

  test('measures exactly the requested number after the warm-up, with statuses and a series', async () => {
    const result = await runLoad(plan(service, { requests: 500, warmupMs: 200 }));
    expect(result.succeeded + result.failed).toBe(500);
    expect(result.statuses['200']! + result.statuses['500']!).toBe(500);
    expect(result.errors['status 500']).toBe(result.statuses['500']);
    // Every 25th prediction fails, counted from the service's start (warm-up included).
    expect(result.failed).toBeGreaterThanOrEqual(19);
    expect(result.failed).toBeLessThanOrEqual(21);
    expect(result.latency!.p50).toBeGreaterThan(0);
    expect(result.latency!.p99).toBeLessThanOrEqual(result.latency!.max);
    expect(result.series.length).toBeGreaterThanOrEqual(1);
    expect(result.series.reduce((sum, s) => sum + s.requests, 0)).toBe(result.completed);
    expect(result.connectionsOpened).toBe(4);
  });

  test('the duration bounds it too', async () => {
    // Ten million requests would not end within the test's timeout: the duration ended it.
    const result = await runLoad(plan(service, { requests: 10_000_000, durationMs: 500 }));
    expect(result.issued).toBeLessThan(10_000_000);
    expect(result.durationMs).toBeGreaterThanOrEqual(450);
  });
});

describe('open loop: coordinated omission', () => {
  let service: ManagedService;
  beforeAll(async () => {
    // Every 40th prediction stalls for 400 ms.
    service = await startToy('slow-every=40:400');
  });
  afterAll(() => service.stop());

  test('a stall delays the requests queued behind it, and the open loop counts that wait', async () => {
    // One connection: while it waits 400 ms, the closed loop simply sends nothing…
    const closed = await runLoad(plan(service, { mode: { kind: 'closed', concurrency: 1 }, requests: 200 }));
    // …while at 100 requests/s, 40 requests fall due during the stall and wait for it.
    const open = await runLoad(
      plan(service, { mode: { kind: 'open', rate: 100, maxConnections: 1 }, requests: 200 }),
    );
    expect(closed.failed + open.failed).toBe(0);
    // Closed loop: only the stalled requests are slow (5 of 200): p90 is not a stalled one.
    expect(closed.latency!.p90).toBeLessThan(400);
    // Open loop: the queue behind each stall is counted; p90 tells the truth.
    expect(open.latency!.p90).toBeGreaterThan(100);
    expect(open.maxBacklog).toBeGreaterThan(10);
  });
});

describe('nothing to measure', () => {
  test('a refused connection is an error per request, and there is no latency', async () => {
    const result = await runLoad({
      host: '127.0.0.1',
      port: 9,
      request: Buffer.from('GET / HTTP/1.1\r\nhost: x\r\n\r\n'),
      method: 'GET',
      mode: { kind: 'closed', concurrency: 2 },
      requests: 50,
      durationMs: 5000,
      warmupMs: 0,
      timeoutMs: 1000,
      isSuccess: () => true,
    });
    expect(result.latency).toBeNull();
    expect(result.percentile(95)).toBeNull();
    expect(result.failed).toBeGreaterThanOrEqual(50);
    expect(Object.keys(result.errors)).toEqual(['connection refused']);
  });
});

describe('failed requests are never left out of latency', () => {
  test('two of three requests time out: counted as errors, at the timeout, and p(95) cannot pass', async () => {
    const service = await startToy('', STALL_SERVER, { ANSWER_EVERY: '3' });
    try {
      const result = await runLoad(
        plan(service, { mode: { kind: 'closed', concurrency: 4 }, requests: 45, timeoutMs: 500 }),
      );
      const attempted = result.succeeded + result.failed;
      expect(attempted).toBe(45);
      // The service answers every third prediction; the others get no answer at all.
      expect(result.failed).toBeGreaterThanOrEqual(30);
      expect(result.errors.timeout).toBe(result.failed);
      // Every request is in the latency of all requests; the failures sit at the timeout.
      expect(result.overall!.count).toBe(attempted);
      expect(result.overall!.max).toBe(500);
      expect(result.overallPercentile(95)).toBe(500);
      expect(result.latency!.count).toBe(result.succeeded);

      // A latency threshold alone, with a limit above the timeout: it must not pass.
      const p95 = judgeLoadThreshold(result, parseLoadThreshold('p(95) < 2s'));
      expect(p95.ok).toBe(false);
      expect(p95.message).toContain(
        `${result.failed} of 45 requests failed (timeouts ${result.failed}): latency p95 over all requests counts them at the 500 ms timeout`,
      );
      // Most requests failed: no latency statistic passes, however generous its limit.
      for (const text of ['med < 3600s', 'avg < 3600s', 'min < 3600s', 'max < 3600s', 'p(10) < 3600s']) {
        expect(judgeLoadThreshold(result, parseLoadThreshold(text)).ok, text).toBe(false);
      }
      const errorRate = judgeLoadThreshold(result, parseLoadThreshold('error_rate < 50%'));
      expect(errorRate.ok).toBe(false);
      expect(errorRate.value).toBeCloseTo(result.failed / 45, 10);
    } finally {
      await service.stop();
    }
  });

  test('a few failures: p(q) absorbs up to (100 - q)% of them, max none', async () => {
    // Every 25th prediction gets no answer: 8 of 200 (4%) time out.
    const service = await startToy('', STALL_SERVER, { STALL_EVERY: '25' });
    try {
      const result = await runLoad(
        plan(service, { mode: { kind: 'closed', concurrency: 4 }, requests: 200, timeoutMs: 2000 }),
      );
      expect(result.succeeded + result.failed).toBe(200);
      expect(result.errors.timeout).toBeGreaterThanOrEqual(8);
      // Room for two more timeouts on a loaded machine before 5% is exceeded.
      expect(result.failed).toBeLessThanOrEqual(10);
      const p95 = judgeLoadThreshold(result, parseLoadThreshold('p(95) < 3600s'));
      expect(p95.ok).toBe(true);
      expect(p95.message).toContain('latency p95 over all requests counts them at the 2 s timeout');
      for (const text of ['p(99) < 3600s', 'max < 3600s']) {
        const verdict = judgeLoadThreshold(result, parseLoadThreshold(text));
        expect(verdict.ok, text).toBe(false);
        expect(verdict.message).toMatch(/cannot pass/);
      }
      // p(99) over all requests is a failed one, at the timeout.
      expect(result.overallPercentile(99)).toBe(2000);
    } finally {
      await service.stop();
    }
  });

  test('connection errors are failed requests in the error rate', async () => {
    const result = await runLoad({
      host: '127.0.0.1',
      port: 9,
      request: Buffer.from('GET / HTTP/1.1\r\nhost: x\r\n\r\n'),
      method: 'GET',
      mode: { kind: 'closed', concurrency: 2 },
      requests: 20,
      durationMs: 5000,
      warmupMs: 0,
      timeoutMs: 1000,
      isSuccess: () => true,
    });
    const verdict = judgeLoadThreshold(result, parseLoadThreshold('error_rate < 1%'));
    expect(verdict.ok).toBe(false);
    expect(verdict.value).toBe(1);
    const latency = judgeLoadThreshold(result, parseLoadThreshold('p(50) < 3600s'));
    expect(latency.ok).toBe(false);
    expect(latency.message).toMatch(/no request succeeded.*connection refused/);
  });
});
