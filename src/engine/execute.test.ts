/**
 * executeCheck's timeout when the timer cannot fire: a check that keeps the thread busy (a
 * synchronous stretch, as rank metrics waiting on worker threads do) past its deadline.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { z } from 'zod';
import { defineCheck } from './types.js';
import { executeCheck } from './execute.js';

// A kind written only for this test: it holds the thread for `ms`, then claims a pass.
const busy = defineCheck({
  kind: 'busy',
  title: 'Test kind: blocks its thread, then passes',
  description: 'Only for this test.',
  params: z.strictObject({ ms: z.number() }),
  examples: [{ title: 'x', params: { ms: 1 } }],
  async run(_ctx, params) {
    const until = performance.now() + params.ms;
    while (performance.now() < until) {
      // busy: no timer can fire
    }
    return { status: 'pass', summary: 'finished' };
  },
});

const base = () => ({
  root: mkdtempSync(join(tmpdir(), 'mlgate-execute-')),
  itemId: 'x',
  profile: null,
  artifacts: new Map(),
});

test('a check that finishes after its timeout, having held the thread, is a timeout, not a pass', async () => {
  const outcome = await executeCheck(busy, { ms: 300 }, base(), 100);
  expect(outcome).toEqual({
    status: 'error',
    summary: 'timed out after 100 ms (raise "timeout" on the item if it needs longer)',
  });
});

test('one that finishes in time keeps its outcome', async () => {
  const outcome = await executeCheck(busy, { ms: 5 }, base(), 5_000);
  expect(outcome).toMatchObject({ status: 'pass', summary: 'finished' });
});
