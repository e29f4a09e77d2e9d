/**
 * Starts a program under a watchdog, so that nothing mlgate starts survives mlgate, whatever
 * ends it (SIGKILL and OOM included, when no exit handler runs).
 *
 * The watchdog is a small node process, the leader of a new session and process group, that
 * runs the program in that group. It holds one end of a socket pair (its fd 3); mlgate holds
 * the other and never closes it. When mlgate dies the kernel closes mlgate's end, the
 * watchdog reads EOF and ends the group: SIGTERM, then SIGKILL after the grace period.
 * Otherwise it is transparent: the program writes straight to mlgate's stdout/stderr pipes,
 * and the watchdog exits the way the program did (the same code, or the same signal), so
 * `-pid` of the returned child is still the program's process group.
 *
 * The program's argv, cwd and environment travel over fd 3, not on the command line, so
 * secrets in the environment are not visible in `ps`.
 *
 * The program's environment gets MLGATE_CHILD=<a value unique to this child>: its processes
 * inherit it through fork, setsid and exec, so one that left the group and session (a daemon)
 * is still found — by mlgate when the program ends, and by the watchdog when mlgate is gone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { CHILD_MARKER } from './procfs.js';

/** The watchdog itself (CommonJS, run with `node -e`: it works from src/ and dist/ alike). */
const WATCHDOG = String.raw`
const { spawn } = require('node:child_process');
const { readdirSync, readFileSync, writeSync } = require('node:fs');
const { Socket } = require('node:net');
const control = new Socket({ fd: 3, readable: true, writable: true });
const group = (signal) => { try { process.kill(-process.pid, signal); } catch {} };
// Processes that carry the program's marker (MLGATE_CHILD) left its group and session (a
// daemon: double fork or setsid), but they are still the program's.
let marker;
const marked = (signal) => {
  if (!marker) return;
  const needle = Buffer.from('MLGATE_CHILD=' + marker + '\0');
  const inside = Buffer.concat([Buffer.from([0]), needle]);
  let names = [];
  try { names = readdirSync('/proc'); } catch {}
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const environ = readFileSync('/proc/' + name + '/environ');
      if (environ.subarray(0, needle.length).equals(needle) || environ.includes(inside)) process.kill(Number(name), signal);
    } catch {}
  }
};
// The group last: the watchdog is in it.
const endAll = (signal) => { marked(signal); group(signal); };
// Signals sent to the group are meant for the program: stay to report how it ended.
const relayed = ['SIGTERM', 'SIGINT', 'SIGHUP'];
for (const signal of relayed) process.on(signal, () => {});
let child;
let orphaned = false;
let input = '';
control.on('error', () => {});
control.on('data', (chunk) => {
  if (child) return;
  input += chunk;
  const end = input.indexOf('\n');
  if (end < 0) return;
  const { argv, cwd, env } = JSON.parse(input.slice(0, end));
  marker = env.MLGATE_CHILD;
  child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('error', (error) => {
    writeSync(3, JSON.stringify({ spawnError: { code: error.code, message: error.message } }) + '\n');
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    if (orphaned) return endAll('SIGKILL');
    if (code !== null) process.exit(code);
    for (const name of relayed) process.removeAllListeners(name);
    process.kill(process.pid, signal);
    setTimeout(() => process.exit(128), 1000);
  });
});
// EOF: mlgate is gone. End the program and everything in its group.
control.on('close', () => {
  orphaned = true;
  if (!child || child.exitCode !== null || child.signalCode !== null) return endAll('SIGKILL');
  endAll('SIGTERM');
  setTimeout(() => endAll('SIGKILL'), Number(process.argv[1]) || 2000);
});
`;

export interface WatchedOptions {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** When mlgate is gone: after SIGTERM, how long before SIGKILL. */
  graceMs?: number;
}

export interface WatchedProcess {
  /** The value of MLGATE_CHILD in the program's environment (see processesWithMarker). */
  marker: string;
  /** The watchdog: its pid is the process group's, its stdout/stderr are the program's. */
  child: ChildProcess;
  /**
   * How the program ended; `spawnError` when it could not be started (the watchdog's own
   * exit then says nothing). Settles after the watchdog has said all it had to say.
   */
  ended: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    spawnError?: NodeJS.ErrnoException;
  }>;
}

export function spawnWatched(options: WatchedOptions): WatchedProcess {
  // The user's NODE_OPTIONS are for the program, not for the watchdog.
  const { NODE_OPTIONS: _ignored, ...ownEnv } = process.env;
  const child = spawn(process.execPath, ['-e', WATCHDOG, String(options.graceMs ?? 2000)], {
    cwd: '/',
    env: ownEnv,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const control = child.stdio[3] as Socket;
  // Never ended from this side: its closing is the signal that mlgate is gone.
  control.on('error', () => {});
  const marker = `${process.pid}-${randomBytes(12).toString('hex')}`;
  const env = { ...options.env, [CHILD_MARKER]: marker };
  control.write(`${JSON.stringify({ argv: options.argv, cwd: options.cwd, env })}\n`);

  let spawnError: NodeJS.ErrnoException | undefined;
  let reply = '';
  control.on('data', (chunk: Buffer) => {
    reply += chunk.toString('utf8');
    for (let end = reply.indexOf('\n'); end >= 0; end = reply.indexOf('\n')) {
      const message = JSON.parse(reply.slice(0, end)) as { spawnError?: { code?: string; message: string } };
      reply = reply.slice(end + 1);
      if (message.spawnError)
        spawnError = Object.assign(new Error(message.spawnError.message), { code: message.spawnError.code });
    }
  });
  const ended = new Promise<Awaited<WatchedProcess['ended']>>((resolve) => {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let closed = false;
    const settle = () => {
      if (exit && closed) resolve(spawnError ? { code: null, signal: null, spawnError } : exit);
    };
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      settle();
    });
    control.once('close', () => {
      closed = true;
      settle();
    });
    // The watchdog itself could not be started (no exit event follows).
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnError ??= error;
      resolve({ code: null, signal: null, spawnError });
    });
  });
  return { child, ended, marker };
}
