/**
 * The load generator against the toy service (a real server in its own process): counts,
 * bounds, errors, and why the open loop exists — a stalling service cannot hide its queue.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TOY_MODEL } from '../testing/fixtures.js';
import { encodeRequest } from './http1.js';
import { type LoadPlan, runLoad } from './load.js';
import { ManagedService } from './managed.js';

const body = Buffer.from(JSON.stringify({ inputs: [Array(64).fill(0.5)] }));

async function startToy(faults: string) {
  const service = new ManagedService({
    argv: [process.execPath, TOY_MODEL],
    cwd: process.cwd(),
    env: { TOY_FAULTS: faults },
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
    const started = performance.now();
    const result = await runLoad(plan(service, { requests: 10_000_000, durationMs: 500 }));
    expect(performance.now() - started).toBeLessThan(2500);
    expect(result.durationMs).toBeGreaterThanOrEqual(450);
    expect(result.durationMs).toBeLessThan(1000);
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
    // Closed loop: only the stalled requests are slow (5 of 200): p90 looks excellent.
    expect(closed.latency!.p90).toBeLessThan(50);
    // Open loop: the queue behind each stall is counted; p90 tells the truth.
    expect(open.latency!.p90).toBeGreaterThan(100);
    expect(open.maxBacklog).toBeGreaterThan(10);
  }, 30_000);
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
