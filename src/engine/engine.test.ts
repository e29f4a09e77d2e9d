/**
 * The engine with purpose-built check kinds (registered only here) whose behaviour we
 * control: pass, fail, throw, hang, return garbage. Real specs, real runner, real gate.
 */
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { buildReport } from '../report/build.js';
import { parseSpec } from '../spec/load.js';
import { UsageError } from './errors.js';
import { makePlan } from './plan.js';
import { CheckRegistry } from './registry.js';
import { runPlan } from './run.js';
import { defineCheck } from './types.js';

// Counts only "probe" items, so a deliberately stuck check from another test cannot skew it.
let running = 0;
let maxRunning = 0;

const behave = defineCheck({
  kind: 'behave',
  title: 'Test kind: does what its params say',
  description: 'Only for engine tests.',
  params: z.strictObject({
    status: z.enum(['pass', 'fail', 'error', 'skip']).default('pass'),
    ms: z.number().default(0),
    mode: z.enum(['normal', 'probe', 'throw', 'hang', 'malformed', 'ignore-abort']).default('normal'),
  }),
  examples: [{ title: 'pass', params: {} }],
  async run(ctx, params) {
    const probe = params.mode === 'probe';
    if (probe) {
      running++;
      maxRunning = Math.max(maxRunning, running);
    }
    try {
      if (params.mode === 'throw') throw new Error('boom');
      if (params.mode === 'hang') {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        return { status: 'pass', summary: 'should never be seen' };
      }
      if (params.mode === 'ignore-abort') {
        await new Promise((resolve) => setTimeout(resolve, 10_000).unref());
        return { status: 'pass', summary: 'late' };
      }
      if (params.mode === 'malformed') return { status: 'maybe', summary: 42 } as never;
      if (params.ms) await new Promise((resolve) => setTimeout(resolve, params.ms));
      return {
        status: params.status,
        summary: `${params.status} as asked`,
        measured: { ms: params.ms },
      };
    } finally {
      if (probe) running--;
    }
  },
});

const registry = new CheckRegistry([behave]);

function spec(items: string, head = ''): string {
  return `version: 1\nproject: { name: engine-test }\n${head}sections:\n  - title: S\n    items:\n${items}`;
}

async function run(
  yaml: string,
  options: { profile?: string; only?: string[]; concurrency?: number; signal?: AbortSignal } = {},
) {
  const loaded = parseSpec(yaml, '/tmp/mlgate-engine-test/mlgate.yaml', registry);
  const plan = makePlan(loaded, options);
  const startedAt = new Date();
  const outcome = await runPlan(loaded, plan, {
    concurrency: options.concurrency ?? 4,
    signal: options.signal,
    artifacts: [],
  });
  return buildReport({
    loaded,
    plan,
    outcome,
    artifacts: [],
    startedAt,
    finishedAt: new Date(),
    specPath: 'mlgate.yaml',
  });
}

const item = (id: string, check: string, extra = '') =>
  `      - { id: ${id}, title: ${id}, check: { kind: behave, ${check} }${extra ? `, ${extra}` : ''} }\n`;
const byId = (report: Awaited<ReturnType<typeof run>>) =>
  Object.fromEntries(report.items.map((i) => [i.id, i]));

describe('a check that misbehaves is an error, and the run goes on', () => {
  test('a throw becomes error with its message and stack', async () => {
    const report = await run(spec(item('crash', 'mode: throw') + item('fine', 'status: pass')));
    const items = byId(report);
    expect(items.crash).toMatchObject({ status: 'error', summary: 'check crashed: boom' });
    expect(items.crash!.evidence[0]).toMatchObject({ type: 'text', title: 'stack' });
    expect(items.fine!.status).toBe('pass');
    expect(report.verdict.status).toBe('BLOCKED');
  });

  test('a hang hits the item timeout', async () => {
    const report = await run(
      spec(item('stuck', 'mode: hang', 'timeout: 200ms') + item('fine', 'status: pass')),
    );
    const items = byId(report);
    expect(items.stuck!.status).toBe('error');
    expect(items.stuck!.summary).toBe(
      'timed out after 200 ms (raise "timeout" on the item if it needs longer)',
    );
    expect(items.stuck!.durationMs).toBeGreaterThanOrEqual(190);
    expect(items.fine!.status).toBe('pass');
  });

  test('a check that ignores the abort signal still times out', async () => {
    const report = await run(spec(item('deaf', 'mode: ignore-abort', 'timeout: 100ms')));
    expect(byId(report).deaf).toMatchObject({
      status: 'error',
      summary: expect.stringContaining('timed out after 100 ms'),
    });
  });

  test('a malformed result is an error, never a pass', async () => {
    const report = await run(spec(item('odd', 'mode: malformed')));
    expect(byId(report).odd).toMatchObject({
      status: 'error',
      summary: 'check kind "behave" returned a malformed result (a bug in the check)',
    });
  });

  test('the spec default timeout applies when the item sets none', async () => {
    const report = await run(spec(item('stuck', 'mode: hang'), 'defaults: { timeout: 150ms }\n'));
    expect(byId(report).stuck!.summary).toContain('timed out after 150 ms');
  });
});

describe('scheduling', () => {
  test('needs: runs after what it needs; skipped when that does not pass', async () => {
    const report = await run(
      spec(
        item('slow', 'ms: 80') +
          item('after-slow', 'status: pass', 'needs: [slow]') +
          item('broken', 'status: fail') +
          item('after-broken', 'status: pass', 'needs: [broken]') +
          item('after-after', 'status: pass', 'needs: [after-broken]'),
      ),
    );
    const items = byId(report);
    expect(items['after-slow']!.status).toBe('pass');
    expect(Date.parse(items['after-slow']!.startedAt!)).toBeGreaterThanOrEqual(
      Date.parse(items.slow!.startedAt!) + 70,
    );
    expect(items['after-broken']).toMatchObject({
      status: 'skip',
      summary: 'not run: needs "broken" (fail)',
    });
    expect(items['after-after']).toMatchObject({
      status: 'skip',
      summary: 'not run: needs "after-broken" (skip)',
    });
    // Report order is spec order, whatever order items finished in.
    expect(report.items.map((i) => i.id)).toEqual([
      'slow',
      'after-slow',
      'broken',
      'after-broken',
      'after-after',
    ]);
  });

  test('no more than `concurrency` items run at once', async () => {
    maxRunning = 0;
    const items = Array.from({ length: 8 }, (_, i) => item(`i${i}`, 'ms: 40, mode: probe')).join('');
    const report = await run(spec(items), { concurrency: 3 });
    expect(report.counts.pass).toBe(8);
    expect(maxRunning).toBe(3);
  });

  test('an interrupted run is incomplete and BLOCKED: in-flight items error, the rest are not run', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const report = await run(
      spec(
        item('quick', 'status: pass') +
          item('long', 'mode: hang') +
          item('later', 'status: pass', 'needs: [long]'),
      ),
      {
        signal: controller.signal,
      },
    );
    const items = byId(report);
    expect(report.complete).toBe(false);
    expect(items.quick!.status).toBe('pass');
    expect(items.long).toMatchObject({
      status: 'error',
      summary: 'interrupted before it finished',
    });
    expect(items.later).toMatchObject({
      status: 'skip',
      summary: 'not run: the run was interrupted',
    });
    expect(report.verdict.status).toBe('BLOCKED');
    expect(report.verdict.blocking[0]).toMatchObject({ itemId: null, status: 'incomplete' });
  });
});

describe('the gate', () => {
  test('required must pass; recommended warns; optional informs', async () => {
    const base = item('req', 'status: pass');
    expect((await run(spec(base))).verdict).toMatchObject({ status: 'PASS', warnings: 0 });
    const recommended = await run(spec(base + item('rec', 'status: fail', 'severity: recommended')));
    expect(recommended.verdict).toMatchObject({ status: 'PASS', warnings: 1 });
    expect(recommended.verdict.warningReasons[0]).toMatchObject({ itemId: 'rec', status: 'fail' });
    const optional = await run(spec(base + item('opt', 'status: error', 'severity: optional')));
    expect(optional.verdict).toMatchObject({ status: 'PASS', warnings: 0 });
  });

  test('a check that finds nothing to judge (skip) is an error on a required item, a skip on others', async () => {
    const report = await run(
      spec(item('req', 'status: skip') + item('opt', 'status: skip', 'severity: optional')),
    );
    expect(byId(report).req).toMatchObject({
      status: 'error',
      summary: 'skip as asked (a required item cannot be skipped)',
    });
    expect(byId(report).opt).toMatchObject({ status: 'skip' });
    expect(report.verdict.status).toBe('BLOCKED');
  });

  test.each(['fail', 'error'] as const)('a required item that ends %s blocks', async (status) => {
    const report = await run(spec(item('req', `status: ${status}`)));
    expect(report.verdict.status).toBe('BLOCKED');
    expect(report.verdict.blocking).toEqual([
      { itemId: 'req', severity: 'required', status, message: `${status} as asked` },
    ]);
  });

  test('a required sign-off that is pending blocks', async () => {
    const report = await run(
      spec('      - { id: lead, title: Lead approves, manual: { roles: [technical-lead] } }\n'),
    );
    expect(report.items[0]).toMatchObject({
      status: 'pending',
      kind: 'manual',
      summary: 'awaiting sign-off by technical-lead',
    });
    expect(report.verdict.status).toBe('BLOCKED');
  });

  test('a missing required artifact blocks; an optional one does not', async () => {
    const yaml = spec(
      item('req', 'status: pass'),
      'artifacts:\n  model: model.onnx\n  extra: { path: extra.bin, required: false }\n',
    );
    const loaded = parseSpec(yaml, '/tmp/mlgate-engine-test/mlgate.yaml', registry);
    const { digestArtifacts } = await import('./artifacts.js');
    const artifacts = await digestArtifacts(loaded);
    const plan = makePlan(loaded);
    const outcome = await runPlan(loaded, plan, { concurrency: 2, artifacts });
    const report = buildReport({
      loaded,
      plan,
      outcome,
      artifacts,
      startedAt: new Date(),
      finishedAt: new Date(),
      specPath: 'mlgate.yaml',
    });
    expect(report.artifacts).toEqual([
      {
        name: 'model',
        path: 'model.onnx',
        required: true,
        sha256: null,
        size: null,
        error: 'not found',
      },
      {
        name: 'extra',
        path: 'extra.bin',
        required: false,
        sha256: null,
        size: null,
        error: 'not found',
      },
    ]);
    expect(report.verdict.blocking).toEqual([
      {
        itemId: null,
        severity: 'required',
        status: 'error',
        message: 'artifact "model" (model.onnx): not found',
      },
    ]);
  });
});

describe('profiles and selection', () => {
  const profiled = spec(
    item('always', 'status: pass') +
      item('prod-only', 'status: fail', 'when: prod') +
      item('graded', 'status: fail', 'severity: { default: recommended, prod: required }'),
    'profiles: { dev: {}, prod: {} }\n',
  );

  test('a spec with profiles needs one chosen', async () => {
    await expect(run(profiled)).rejects.toThrow(UsageError);
    await expect(run(profiled)).rejects.toThrow('this spec defines profiles (dev, prod) and none was chosen');
    await expect(run(profiled, { profile: 'prdo' })).rejects.toThrow(
      'unknown profile "prdo". Did you mean "prod"?',
    );
  });

  test('dev: prod-only items do not apply, graded severity is recommended', async () => {
    const report = await run(profiled, { profile: 'dev' });
    const items = byId(report);
    expect(items['prod-only']).toMatchObject({
      applicable: false,
      status: 'skip',
      summary: 'not applicable: applies only in profile prod (running dev)',
    });
    expect(items.graded!.severity).toBe('recommended');
    expect(report.counts).toMatchObject({ pass: 1, fail: 1, notApplicable: 1, total: 3 });
    expect(report.verdict).toMatchObject({ status: 'PASS', warnings: 1 });
  });

  test('prod: everything applies and the graded item is required', async () => {
    const report = await run(profiled, { profile: 'prod' });
    expect(report.verdict.status).toBe('BLOCKED');
    expect(report.verdict.blocking.map((r) => r.itemId)).toEqual(['prod-only', 'graded']);
  });

  test('--only runs the selection plus what it needs, and says so', async () => {
    const yaml = spec(
      item('a', 'status: pass') + item('b', 'status: pass', 'needs: [a]') + item('c', 'status: fail'),
    );
    const report = await run(yaml, { only: ['b'] });
    expect(report.items.map((i) => i.id)).toEqual(['a', 'b']);
    expect(report.selection).toEqual({ only: ['b'], addedForNeeds: ['a'] });
    expect(report.verdict.status).toBe('PASS');
    await expect(run(yaml, { only: ['d', 'bb'] })).rejects.toThrow('--only: unknown item ids "d", "bb".');
  });
});
