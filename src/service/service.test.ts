/**
 * The service's life during a run, with real specs, the real runner and the toy model service
 * (a real HTTP server on loopback, made to misbehave on purpose): it starts on first need,
 * its death is every later item's error, it is stopped at the end, and nothing of it — no
 * process, no socket — outlives the run.
 */
import { describe, expect, test } from 'vitest';
import { makePlan } from '../engine/plan.js';
import { loadBuiltinChecks } from '../engine/registry.js';
import { runPlan } from '../engine/run.js';
import { parseSpec } from '../spec/load.js';
import { TOY_MODEL } from '../testing/fixtures.js';
import { tempFiles } from '../testing/temp.js';
import { serviceFromSpec } from './controller.js';

const ROW = `[${Array(64).fill(0.5).join(', ')}]`;

async function run(service: string, items: string, concurrency = 4) {
  const dir = tempFiles({ 'notes.txt': 'a file to check\n' });
  const text = [
    'version: 1',
    'project: { name: service-test }',
    'service:',
    ...service
      .trim()
      .split('\n')
      .map((line) => `  ${line}`),
    'sections:',
    '  - title: Service',
    '    items:',
    ...items
      .trim()
      .split('\n')
      .map((line) => `      ${line}`),
    '',
  ].join('\n');
  const loaded = parseSpec(text, `${dir}/mlgate.yaml`, await loadBuiltinChecks());
  const plan = makePlan(loaded, {});
  const controller = serviceFromSpec(loaded.spec.service!, dir);
  try {
    const outcome = await runPlan(loaded, plan, { concurrency, artifacts: [], service: controller });
    return { outcome, byId: Object.fromEntries(outcome.items.map((item) => [item.id, item])), controller };
  } finally {
    await controller.stop();
  }
}

const toy = (faults = '', extra = '') =>
  `start:\n  command: node "${TOY_MODEL}"\n  env: { TOY_FAULTS: "${faults}" }\n${extra}`;

const alive = (pid: number | undefined) => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const sockets = () => process.getActiveResourcesInfo().filter((type) => /^TCP/.test(type)).length;

describe('the service during a run', () => {
  test('it dies mid-run: the items after it are errors that say so, with its last output', async () => {
    const { byId, controller } = await run(
      toy('crash-after=1'),
      `
- id: predict
  title: Predict (crashes it)
  check: { kind: http, method: POST, path: /predict, body: { json: { inputs: [${ROW}] } } }
- { id: pause, title: Pause, check: { kind: command, run: sleep 0.2 } }
- { id: health, title: Health afterwards, check: { kind: http, path: /health } }
- { id: log, title: Log, check: { kind: service-log } }
`,
      1,
    );
    expect(byId.predict!.status).toBe('fail');
    expect(byId.predict!.summary).toMatch(
      /POST \/predict: the service closed the connection without an answer/,
    );
    // Items that start after the death: an error naming it, not a vague connection failure.
    for (const id of ['health', 'log']) {
      expect(byId[id]!.status).toBe('error');
      expect(byId[id]!.summary).toMatch(/^the service exited \(code 1\) \d+ ms after it started$/);
      expect(byId[id]!.evidence).toEqual([
        expect.objectContaining({
          type: 'text',
          text: expect.stringContaining('ERROR model runtime aborted'),
        }),
      ]);
    }
    expect(controller.state().exit).toMatchObject({ code: 1, expected: false });
  });

  test('it does not start: every item that needs it is an error with the reason; it is not left running', async () => {
    const { byId, controller } = await run(
      toy('exit-at-start'),
      `
- { id: a, title: A, check: { kind: http, path: /health } }
- { id: b, title: B, check: { kind: http-contract, path: /predict, body: { json: { inputs: [] } } } }
- { id: c, title: C, check: { kind: file, path: notes.txt } }
`,
    );
    for (const id of ['a', 'b']) {
      expect(byId[id]!.status).toBe('error');
      expect(byId[id]!.summary).toBe('the service did not start: it exited (code 3) before it was ready');
      expect(JSON.stringify(byId[id]!.evidence)).toContain('cannot load model: file not found');
    }
    expect(byId.c!.status).toBe('pass');
    expect(alive(controller.state().pid)).toBe(false);
  });

  test('it is not ready in time: an error with the last thing readiness saw; then it is killed', async () => {
    const { byId, controller } = await run(
      toy('slow-start=20000', '  ready: { timeout: 1s }'),
      `- { id: a, title: A, check: { kind: http, path: /health } }`,
    );
    expect(byId.a!.status).toBe('error');
    expect(byId.a!.summary).toMatch(
      /^the service did not start: not ready after 1\.00 s \(GET \/health: .*ECONNREFUSED|refused/,
    );
    expect(alive(controller.state().pid)).toBe(false);
  }, 20_000);

  test('it is only started when an item needs it', async () => {
    const { byId, controller } = await run(
      toy(),
      `- { id: c, title: C, check: { kind: file, path: notes.txt } }`,
    );
    expect(byId.c!.status).toBe('pass');
    expect(controller.state().pid).toBeUndefined();
  });

  test('the log is read after the other items and the shutdown comes last, whatever the order in the spec', async () => {
    const { outcome, byId } = await run(
      toy('error-logs'),
      `
- { id: stop, title: Stop, check: { kind: service-shutdown, within: 5s } }
- { id: log, title: Log, check: { kind: service-log } }
- id: predict
  title: Predict
  check: { kind: http, method: POST, path: /predict, body: { json: { inputs: [${ROW}] } } }
`,
    );
    const order = [...outcome.items]
      .sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!))
      .map((item) => item.id);
    expect(order).toEqual(['predict', 'log', 'stop']);
    expect(byId.predict!.status).toBe('pass');
    // The prediction's error line was logged before the log item read it.
    expect(byId.log!.summary).toMatch(/^the service's output: 2 error lines/);
    expect(byId.stop!.status).toBe('pass');
  });

  test('no socket and no process outlives a run with probes, a load test and a crash under load', async () => {
    const before = sockets();
    const { byId, controller } = await run(
      toy('crash-after=300'),
      `
- { id: contract, title: Contract, check: { kind: http-contract, path: /predict, body: { json: { inputs: [${ROW}] } }, timeout: 2s } }
- id: load
  title: Load
  check: { kind: load, method: POST, path: /predict, body: { json: { inputs: [${ROW}] } }, concurrency: 16, requests: 5000, warmup: 0s, timeout: 2s, thresholds: ["error_rate < 1%"] }
`,
    );
    expect(byId.load!.status).toBe('fail');
    expect(byId.load!.summary).toMatch(
      /^POST \/predict: the service died during the load test: exited \(code 1\)/,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sockets()).toBe(before);
    expect(alive(controller.state().pid)).toBe(false);
  }, 30_000);
});
