/**
 * The load generator reports how far it is about once a second, from its own counters and
 * histogram (a real server on loopback): the live line's figures are the run's figures.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from 'vitest';
import { encodeRequest } from '../../service/http1.js';
import { type LoadProgress, runLoad } from '../../service/load.js';
import { loadProgressLine } from './progress.js';

test('progress during warm-up and measurement, then the result agrees with the last of it', async () => {
  const server = createServer((_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const seen: LoadProgress[] = [];
  try {
    const result = await runLoad({
      host: '127.0.0.1',
      port,
      request: encodeRequest('GET', '/', `127.0.0.1:${port}`, {}),
      method: 'GET',
      mode: { kind: 'closed', concurrency: 2 },
      requests: 1_000_000,
      durationMs: 2_500,
      warmupMs: 1_100,
      timeoutMs: 2_000,
      isSuccess: (status) => status === 200,
      onProgress: (progress) => seen.push(progress),
    });
    expect(seen.some((p) => p.phase === 'warmup')).toBe(true);
    const measuring = seen.filter((p) => p.phase === 'measuring');
    expect(measuring.length).toBeGreaterThan(0);
    const last = measuring[measuring.length - 1]!;
    expect(last.phaseMs).toBe(2_500);
    expect(last.issued).toBeGreaterThan(0);
    expect(last.issued).toBeLessThanOrEqual(result.issued);
    expect(last.succeeded).toBeLessThanOrEqual(result.succeeded);
    expect(last.failed).toBe(0);
    expect(last.p95Ms).not.toBeNull();
    expect(loadProgressLine(last)).toMatch(
      /^\ds of 2s · \d+ of 1000000 requests · \d+ req\/s · p95 [\d.]+ ms · 0 errors$/,
    );
  } finally {
    server.close();
  }
});
