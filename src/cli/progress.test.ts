/**
 * Live progress of long steps: on a plain stream (CI logs) at most one line per item every
 * few seconds, never after the item ended; on a TTY the live line shows the latest text.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { loadProgressLine } from '../checks/load/progress.js';
import type { PlannedItem } from '../engine/plan.js';
import type { ItemResult } from '../domain/run-report.js';
import { makeProgress } from './progress.js';
import { makeStyle } from './style.js';

function sink() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

const planned = (id: string) => ({ item: { id } }) as unknown as PlannedItem;
const result = (id: string) =>
  ({ id, applicable: true, status: 'pass', summary: 'ok', durationMs: 30_000 }) as unknown as ItemResult;

describe('progress on a plain stream', () => {
  test('one line per item every 5 s at most, none in the first 5 s, none after it ended', async () => {
    let clock = 0;
    const out = sink();
    const progress = makeProgress(out.stream, 2, makeStyle(false), false, { now: () => clock });
    progress.onItemStart!(planned('latency'));
    for (clock = 0; clock <= 12_000; clock += 100) progress.onItemProgress!('latency', `at ${clock}`);
    progress.onItemEnd!(result('latency'));
    progress.onItemProgress!('latency', 'late');
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text().split('\n').filter(Boolean)).toEqual([
      '        latency: at 5000',
      '        latency: at 10000',
      '[1/2] PASS    latency (30.0 s)',
    ]);
  });

  test('control characters in progress text do not reach the terminal', async () => {
    let clock = 0;
    const out = sink();
    const progress = makeProgress(out.stream, 1, makeStyle(false), false, {
      now: () => clock,
      plainEveryMs: 1,
    });
    progress.onItemStart!(planned('a'));
    clock = 10;
    progress.onItemProgress!('a', 'x\u001b[2Jy\nz');
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text()).not.toContain('\u001b');
    expect(out.text()).toContain('a: xy\\nz');
  });
});

describe('progress on a TTY', () => {
  test('the live line shows the running item’s latest progress', async () => {
    const out = sink();
    const progress = makeProgress(out.stream, 3, makeStyle(false), true);
    progress.onItemStart!(planned('latency'));
    progress.onItemProgress!('latency', '12s of 30s · 640 req/s');
    progress.onItemStart!(planned('other'));
    progress.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text()).toContain('0/3 done · latency: 12s of 30s · 640 req/s +1');
  });
});

describe('the load test’s progress line', () => {
  test('elapsed of total, requests, rate, p95 so far and errors, as k6 shows them', () => {
    expect(
      loadProgressLine({
        phase: 'measuring',
        elapsedMs: 12_400,
        phaseMs: 30_000,
        issued: 7_940,
        maxRequests: 100_000,
        succeeded: 7_936,
        failed: 1,
        p95Ms: 12.3456,
      }),
    ).toBe('12s of 30s · 7940 of 100000 requests · 640 req/s · p95 12.3 ms · 1 error');
    expect(
      loadProgressLine({
        phase: 'warmup',
        elapsedMs: 1_000,
        phaseMs: 2_000,
        issued: 0,
        maxRequests: 10,
        succeeded: 0,
        failed: 0,
        p95Ms: null,
      }),
    ).toBe('warm-up 1s of 2s');
    expect(
      loadProgressLine({
        phase: 'measuring',
        elapsedMs: 125_000,
        phaseMs: 300_000,
        issued: 1,
        maxRequests: 10,
        succeeded: 0,
        failed: 0,
        p95Ms: null,
      }),
    ).toBe('2m05s of 5m00s · 1 of 10 requests · 0 req/s · p95 — · 0 errors');
  });
});
