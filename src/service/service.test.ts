/**
 * The service's life during a run, with real specs, the real runner and the toy model service
 * (a real HTTP server on loopback, made to misbehave on purpose): it starts on first need,
 * its death is every later item's error, it is stopped at the end, and nothing of it — no
 * process, no socket — outlives the run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { makePlan } from '../engine/plan.js';
import { loadBuiltinChecks } from '../engine/registry.js';
import { runPlan } from '../engine/run.js';
import { parseSpec } from '../spec/load.js';
import { TOY_MODEL } from '../testing/fixtures.js';
import { tempFiles } from '../testing/temp.js';
import { serviceFromSpec } from './controller.js';
import { freePort } from './managed.js';

const ROW = `[${Array(64).fill(0.5).join(', ')}]`;

async function run(service: string, items: string, concurrency = 4, files: Record<string, string> = {}) {
  const dir = tempFiles({ 'notes.txt': 'a file to check\n', ...files });
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
      // The exit, and the line of its output that says why.
      expect(byId[id]!.summary).toMatch(
        /^the service exited \(code 1\) [\d.]+ m?s after it started: \S+ ERROR model runtime aborted$/,
      );
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
      expect(byId[id]!.summary).toMatch(
        /^the service did not start: it exited \(code 3\) before it was ready: \S+ ERROR cannot load model: file not found$/,
      );
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
  });

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
  });
});

/** Polls until `ready()` holds; generous, so a loaded machine only makes it slower. */
async function waitFor(ready: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  for (let waited = 0; !ready(); waited += 50) {
    if (waited > timeoutMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Another program's HTTP server on loopback (not started by mlgate): 200 to everything. */
async function startStranger(port = 0): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const s = require('node:http').createServer((q, r) => r.end('a stranger')).listen(${port}, '127.0.0.1', () => console.log(s.address().port))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve) =>
    child.stdout!.once('data', (chunk) => resolve(String(chunk))),
  );
  return { port: Number(line.trim()), child };
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

const pidIn = (text: string) => Number(/pid (\d+)/.exec(text)?.[1]);

describe('what answers on the port is the service mlgate started', () => {
  test('a fixed port another process holds is refused: every item that needs the service is an error, the stranger is left alone', async () => {
    const stranger = await startStranger();
    try {
      const { byId } = await run(
        toy('', `  port: ${stranger.port}`),
        `
- { id: health, title: Health, check: { kind: http, path: /health } }
- { id: load, title: Load, check: { kind: load, path: /health, requests: 20, concurrency: 2, warmup: 0s, thresholds: ["error_rate < 1%"] } }
`,
      );
      for (const id of ['health', 'load']) {
        expect(byId[id]!.status).toBe('error');
        expect(byId[id]!.summary).toBe(
          `the service did not start: port ${stranger.port} on 127.0.0.1 is already in use by another process (pid ${stranger.child.pid} (${process.execPath} -e ${stranger.child.spawnargs[2]})); free it or use port: auto`,
        );
      }
      expect(alive(stranger.child.pid)).toBe(true);
    } finally {
      stranger.child.kill('SIGKILL');
    }
  });

  test('a stranger that takes the port after the check and answers readiness: an error naming it, not a ready service', async () => {
    const port = await freePort('127.0.0.1');
    const marker = join(mkdtempSync(join(tmpdir(), 'mlgate-marker-')), 'started');
    let stranger: Awaited<ReturnType<typeof startStranger>> | undefined;
    try {
      // The service never listens; the stranger starts once the service is running.
      const running = run(
        `start:\n  command: node quiet.mjs\n  port: ${port}\n  env: { MARKER: "${marker}" }\n  ready: { timeout: 2m }`,
        `- { id: health, title: Health, check: { kind: http, path: /health } }`,
        4,
        {
          'quiet.mjs':
            "import { writeFileSync } from 'node:fs';\nwriteFileSync(process.env.MARKER, '');\nsetInterval(() => {}, 1000);\n",
        },
      );
      await waitFor(() => existsSync(marker), 'the service to start');
      stranger = await startStranger(port);
      const { byId, controller } = await running;
      expect(byId.health!.status).toBe('error');
      expect(byId.health!.summary).toBe(
        `the service did not start: port ${port} on 127.0.0.1 is answered by another process, not by the service mlgate started: pid ${stranger.child.pid} (${process.execPath} -e ${stranger.child.spawnargs[2]}) listening on 127.0.0.1`,
      );
      expect(alive(controller.state().pid)).toBe(false);
    } finally {
      stranger?.child.kill('SIGKILL');
    }
  });

  test('verify_listener: false is the spec saying so: the port is taken as it answers, and the report records it unverified', async () => {
    const { byId, controller } = await run(
      toy('', '  verify_listener: false\n'),
      `- { id: health, title: Health, check: { kind: http, path: /health } }`,
    );
    expect(byId.health!.status).toBe('pass');
    expect(controller.state().listenerVerified).toBe(false);
    const verified = await run(
      toy(),
      `- { id: health, title: Health, check: { kind: http, path: /health } }`,
    );
    expect(verified.controller.state().listenerVerified).toBe(true);
  });

  test('it dies after it was ready: later items are errors naming the exit and the line that says why, not the stack', async () => {
    const crash = [
      "import { writeFileSync } from 'node:fs';",
      "import { createServer } from 'node:http';",
      'const port = Number(process.env.PORT);',
      "writeFileSync('service.port', String(port));",
      'createServer((request, response) => {',
      "  response.end('ok');",
      // A second listen on its own port: an unhandled 'error' event, printed after node's
      // own lines and before a long stack.
      "  if (request.url === '/crash') setTimeout(() => createServer().listen(port, process.env.HOST), 10);",
      '}).listen(port, process.env.HOST);',
    ].join('\n');
    // Waits until the service's port is closed (it has crashed), then a moment more.
    const pause =
      'p=$(cat service.port); while (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; do sleep 0.05; done; sleep 0.2';
    const { byId, controller } = await run(
      `start:\n  command: node crash.mjs\n  ready: { path: / }`,
      `
- { id: crash, title: Crash it, check: { kind: http, path: /crash } }
- { id: pause, title: Pause, check: { kind: command, run: "${pause}" } }
- { id: health, title: Health afterwards, check: { kind: http, path: / } }
`,
      1,
      { 'crash.mjs': crash },
    );
    expect(byId.crash!.status).toBe('pass');
    expect(byId.pause!.status).toBe('pass');
    expect(byId.health!.status).toBe('error');
    expect(byId.health!.summary).toMatch(
      /^the service exited \(code 1\) [\d.]+ m?s after it started: Error: listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+$/,
    );
    expect(controller.state().exit).toMatchObject({ code: 1, expected: false });
  });

  test('readiness does not follow a redirect: a 302 is not ready unless ready.status says 302', async () => {
    const redirecting =
      "import { createServer } from 'node:http';\n" +
      "createServer((request, response) => {\n  if (request.url === '/health') response.writeHead(302, { location: '/elsewhere' });\n  response.end('ok');\n}).listen(Number(process.env.PORT), process.env.HOST);\n";
    const items = `- { id: a, title: A, check: { kind: http, path: /elsewhere } }`;
    const followed = await run(
      `start:\n  command: node redirecting.mjs\n  ready: { timeout: 2s }`,
      items,
      4,
      { 'redirecting.mjs': redirecting },
    );
    expect(followed.byId.a!.status).toBe('error');
    expect(followed.byId.a!.summary).toBe(
      'the service did not start: not ready after 2.00 s (GET /health answered 302 (a redirect to /elsewhere, not followed))',
    );
    const asked = await run(`start:\n  command: node redirecting.mjs\n  ready: { status: 302 }`, items, 4, {
      'redirecting.mjs': redirecting,
    });
    expect(asked.byId.a!.status).toBe('pass');
  });

  test('a child that left with setsid and keeps the port open fails the shutdown item, by pid and command, and is ended', async () => {
    const listener =
      "import { createServer } from 'node:http';\n" +
      "createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), process.env.HOST);\n";
    const { byId, controller } = await run(
      `start:\n  command: bash -c "trap 'exit 0' TERM; setsid node listener.mjs & wait"\n  ready: { path: / }`,
      `
- { id: root, title: Root, check: { kind: http, path: / } }
- { id: stop, title: Stop, check: { kind: service-shutdown, within: 5s } }
`,
      4,
      { 'listener.mjs': listener },
    );
    expect(byId.root!.status).toBe('pass');
    expect(byId.stop!.status).toBe('fail');
    expect(byId.stop!.summary).toMatch(
      /^on SIGTERM: processes it started were still running after it exited: pid \d+ `node listener\.mjs` \(started by it, then left its process group; still listening on port \d+\)$/,
    );
    const pid = pidIn(byId.stop!.summary);
    await waitFor(() => !alive(pid), 'the listener to be gone');
    expect(await refused(Number(new URL(controller.url).port))).toBe(true);
  });
});

/**
 * A service that lets go of its port on request, staying alive: `/slow` closes its listener and
 * answers once the test has put a stranger on the port; SIGTERM closes it and exits once the
 * stranger is there. It writes its port and "closed" into $DIR; "stranger.ready" lets it go on.
 */
const RELEASING = [
  "import { existsSync, writeFileSync } from 'node:fs';",
  "import { createServer } from 'node:http';",
  'const dir = process.env.DIR;',
  'const release = (then) => {',
  '  server.close();',
  "  writeFileSync(`${dir}/closed`, '');",
  '  const wait = setInterval(() => {',
  '    if (existsSync(`${dir}/stranger.ready`)) {',
  '      clearInterval(wait);',
  '      then();',
  '    }',
  '  }, 20);',
  '};',
  'const server = createServer((request, response) => {',
  "  if (request.url === '/slow') release(() => response.end('ok'));",
  "  else response.end('ok');",
  '}).listen(Number(process.env.PORT), process.env.HOST, () =>',
  '  writeFileSync(`${dir}/port`, String(server.address().port)),',
  ');',
  "process.on('SIGTERM', () => release(() => process.exit(0)));",
  'setInterval(() => {}, 1000);',
].join('\n');

/** Puts a stranger on the service's port once the service has let go of it. */
async function strangerWhenReleased(dir: string) {
  await waitFor(() => existsSync(join(dir, 'closed')), 'the service to close its listener');
  const stranger = await startStranger(Number(readFileSync(join(dir, 'port'), 'utf8')));
  writeFileSync(join(dir, 'stranger.ready'), '');
  return stranger;
}

describe('the port stays the service’s for the whole run', () => {
  test('a stranger that takes the port after the service closed its listener: the item it answered and every later one are errors, not passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlgate-owner-'));
    const running = run(
      `start:\n  command: node releasing.mjs\n  env: { DIR: "${dir}" }\n  ready: { path: / }`,
      `
- { id: slow, title: Answered while the port changes hands, check: { kind: http, path: /slow } }
- { id: pause, title: Pause, check: { kind: command, run: "true" } }
- { id: health, title: Health afterwards, needs: [pause], check: { kind: http, path: /health } }
`,
      1,
      { 'releasing.mjs': RELEASING },
    );
    const stranger = await strangerWhenReleased(dir);
    try {
      const { byId } = await running;
      const named = `pid ${stranger.child.pid} (${process.execPath} -e ${stranger.child.spawnargs[2]})`;
      // The service answered this one, but the port was the stranger's by the time it ended.
      expect(byId.slow!.status).toBe('error');
      expect(byId.slow!.summary).toBe(`the port was answered by another process during this item: ${named}`);
      expect(byId.pause!.status).toBe('pass');
      // The service is still alive; only the owner of the port changed.
      expect(byId.health!.status).toBe('error');
      expect(byId.health!.summary).toBe(
        `the service no longer holds its port: port ${stranger.port} on 127.0.0.1 is answered by another process, not by the service mlgate started: ${named} listening on 127.0.0.1`,
      );
      expect(alive(stranger.child.pid)).toBe(true);
    } finally {
      stranger.child.kill('SIGKILL');
    }
  });

  test('a service that closed its listener and stays alive: the next item is an error, not a connection failure judged as a fail', async () => {
    const close =
      "import { createServer } from 'node:http';\n" +
      "const server = createServer((q, s) => { s.end('ok'); if (q.url === '/close') server.close(); });\n" +
      'server.listen(Number(process.env.PORT), process.env.HOST);\nsetInterval(() => {}, 1000);\n';
    const { byId } = await run(
      `start:\n  command: node close.mjs\n  ready: { path: / }`,
      `
- { id: close, title: Close, check: { kind: http, path: /close } }
- { id: health, title: Health afterwards, needs: [close], check: { kind: http, path: / } }
`,
      1,
      { 'close.mjs': close },
    );
    expect(byId.close!.status).toBe('pass');
    expect(byId.health!.status).toBe('error');
    expect(byId.health!.summary).toMatch(
      /^the service no longer listens on port \d+: it is still running, but nothing accepts connections there/,
    );
  });

  test('a stranger on the port after the service stopped is named as another process, left running, not as one the service started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlgate-owner-'));
    const running = run(
      `start:\n  command: node releasing.mjs\n  env: { DIR: "${dir}" }\n  ready: { path: / }`,
      `- { id: stop, title: Stop, check: { kind: service-shutdown, within: 1m } }`,
      1,
      { 'releasing.mjs': RELEASING },
    );
    const stranger = await strangerWhenReleased(dir);
    try {
      const { byId } = await running;
      expect(byId.stop!.status).toBe('fail');
      expect(byId.stop!.summary).toBe(
        `on SIGTERM: another process is listening on the service's port after it stopped: pid ${stranger.child.pid} (${process.execPath} -e ${stranger.child.spawnargs[2]}) (not started by mlgate; left running)`,
      );
      expect(alive(stranger.child.pid)).toBe(true);
    } finally {
      stranger.child.kill('SIGKILL');
    }
  });
});

describe('a daemon the service starts is found by MLGATE_CHILD and does not outlive the run', () => {
  test('a service started in the background (setsid -f): the error names the daemon, which is ended, and nothing listens afterwards', async () => {
    const listener =
      "import { createServer } from 'node:http';\n" +
      "createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), process.env.HOST);\n";
    const { byId, controller } = await run(
      `start:\n  command: setsid -f node listener.mjs\n  ready: { path: / }`,
      `- { id: root, title: Root, check: { kind: http, path: / } }`,
      4,
      { 'listener.mjs': listener },
    );
    expect(byId.root!.status).toBe('error');
    expect(byId.root!.summary).toMatch(
      /^the service did not start: it exited \(code 0\) before it was ready; its process pid \d+ `(setsid -f )?node listener\.mjs` kept running \(a daemon: start the service in the foreground\) and was ended$/,
    );
    const pid = pidIn(byId.root!.summary);
    await waitFor(() => !alive(pid), 'the daemon to be gone');
    expect(await refused(Number(new URL(controller.url).port))).toBe(true);
  });

  test('a daemon (double fork) next to the service fails the shutdown item by pid and command, and is ended', async () => {
    const { byId } = await run(
      `start:\n  command: bash -c "setsid -f sleep 306 >/dev/null 2>&1; exec node \\"${TOY_MODEL}\\""`,
      `- { id: stop, title: Stop, check: { kind: service-shutdown, within: 30s } }`,
    );
    expect(byId.stop!.status).toBe('fail');
    expect(byId.stop!.summary).toMatch(
      /^on SIGTERM: processes it started were still running after it exited: pid \d+ `sleep 306` \(left the service's process tree \(a daemon: double fork or setsid\)\)$/,
    );
    const pid = pidIn(byId.stop!.summary);
    await waitFor(() => !alive(pid), 'the daemon to be gone');
  });
});
