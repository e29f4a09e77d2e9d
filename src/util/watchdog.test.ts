/**
 * The watchdog every child of mlgate runs under, with real processes: it is transparent (exit
 * codes, signals, start failures come through as they were), and when mlgate is killed
 * outright — SIGKILL, no exit handler runs — the service and the commands it started end too.
 * The last test runs the built CLI (bin/mlgate.js → dist/), as users do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../testing/cli.js';
import { tempFiles } from '../testing/temp.js';
import { isRunning, processInfo } from './procfs.js';
import { spawnWatched } from './watchdog.js';

/** Running: neither gone nor a zombie waiting for its parent. */
const alive = (pid: number) => {
  const info = processInfo(pid);
  return info !== undefined && isRunning(info);
};

/** Polls until `ready()` holds; generous, so a loaded machine only makes it slower. */
async function waitFor(ready: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  for (let waited = 0; !ready(); waited += 50) {
    if (waited > timeoutMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const watched = (argv: string[]) => spawnWatched({ argv, cwd: process.cwd(), env: process.env });

describe('the watchdog', () => {
  test('is transparent: the exit code, the signal, the output and a start failure come through', async () => {
    const exits = watched(['bash', '-c', 'echo out; echo err >&2; exit 3']);
    let stdout = '';
    let stderr = '';
    exits.child.stdout!.on('data', (chunk) => (stdout += chunk));
    exits.child.stderr!.on('data', (chunk) => (stderr += chunk));
    expect(await exits.ended).toEqual({ code: 3, signal: null });
    expect([stdout, stderr]).toEqual(['out\n', 'err\n']);

    const signalled = watched(['bash', '-c', 'kill -TERM $$']);
    expect(await signalled.ended).toEqual({ code: null, signal: 'SIGTERM' });

    const missing = watched(['no-such-program-mlgate']);
    const { spawnError } = await missing.ended;
    expect(spawnError?.code).toBe('ENOENT');
  });

  test('a signal to the process group reaches the program; the watchdog waits to report how it ended', async () => {
    const program = watched(['bash', '-c', 'trap "exit 7" TERM; echo ready; while :; do sleep 0.05; done']);
    await new Promise((resolve) => program.child.stdout!.once('data', resolve));
    process.kill(-program.child.pid!, 'SIGTERM');
    expect(await program.ended).toEqual({ code: 7, signal: null });
  });

  test('SIGKILL of mlgate: the service, its child, a running command and daemons of both (setsid -f) end too', async () => {
    const service = [
      "import { spawn } from 'node:child_process';",
      "import { writeFileSync } from 'node:fs';",
      "import { createServer } from 'node:http';",
      "const worker = spawn('sleep', ['300'], { stdio: 'ignore' });",
      // A daemon: its own session, reparented away; only MLGATE_CHILD ties it to the service.
      "spawn('setsid', ['-f', 'bash', '-c', 'echo $$ > service-daemon.pid; exec sleep 300'], { stdio: 'ignore' });",
      "writeFileSync('service.pids', `${process.pid} ${worker.pid}`);",
      "createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), process.env.HOST);",
    ].join('\n');
    const spec = [
      'version: 1',
      'project: { name: sigkill }',
      'service:',
      '  start: { command: node service.mjs }',
      'sections:',
      '  - title: Everything',
      '    items:',
      '      - { id: health, title: Health, check: { kind: http, path: /health } }',
      `      - { id: long, title: Long, check: { kind: command, run: "setsid -f bash -c 'echo $$ > command-daemon.pid; exec sleep 300' >/dev/null 2>&1; echo $$ > command.pid; exec sleep 300" } }`,
      '',
    ].join('\n');
    const dir = tempFiles({ 'mlgate.yaml': spec, 'service.mjs': service });
    const files = ['service.pids', 'command.pid', 'service-daemon.pid', 'command-daemon.pid'].map((name) =>
      join(dir, name),
    );
    let cli: { pid?: number; kill(signal: NodeJS.Signals): boolean } | undefined;
    const finished = runCli(['check', '--no-store', '-q', dir], { onSpawn: (child) => (cli = child) });
    await waitFor(
      () => files.every((file) => existsSync(file) && readFileSync(file, 'utf8').trim()),
      'the children',
    );
    const pids = files.flatMap((file) => readFileSync(file, 'utf8').trim().split(' ').map(Number));
    expect(pids).toHaveLength(5);
    expect(pids.every(alive)).toBe(true);

    cli!.kill('SIGKILL');
    expect((await finished).signal).toBe('SIGKILL');
    // Nothing of it is left: not the service, its worker, the command, nor their daemons.
    await waitFor(() => !pids.some(alive), `pids ${pids.join(', ')} to end`);
  });
});
