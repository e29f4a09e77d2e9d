/**
 * Runs a program as its own process group, so a timeout or Ctrl-C ends it and everything it
 * started, not just the shell on top, and under a watchdog, so that it does not outlive
 * mlgate even when mlgate is killed outright. Output is kept (bounded) for matching and
 * evidence. What it leaves running when it exits — background jobs, daemons that left its
 * group and session (found by the MLGATE_CHILD marker in their environment) — is ended and
 * named.
 */
import { commandLine, endProcesses, type ProcessInfo, processesWithMarker } from './procfs.js';
import { spawnWatched } from './watchdog.js';

export interface RunProcessOptions {
  argv: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Bytes kept per stream for matching; the rest is dropped (and said so). */
  maxBytes?: number;
  /** After SIGTERM, how long before SIGKILL. */
  killGraceMs?: number;
}

export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  durationMs: number;
  /** Set when the program could not be started at all (not found, not executable). */
  spawnError?: string;
  /** True when it was stopped because the signal aborted. */
  aborted: boolean;
  /**
   * Its processes still running after it exited (a background job, a daemon that left with
   * setsid or a double fork): mlgate ended them.
   */
  leftovers: Array<{ pid: number; command: string }>;
}

/** After the program exits, how long its output pipes may stay open before its leftovers are ended. */
const PIPE_GRACE_MS = 500;

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const began = performance.now();
  return new Promise((resolvePromise) => {
    const program = options.argv[0];
    const { child, ended, marker } = spawnWatched({
      argv: options.argv,
      cwd: options.cwd,
      env: options.env ?? process.env,
      graceMs: options.killGraceMs,
    });
    const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const sizes = { stdout: 0, stderr: 0 };
    let truncated = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;

    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const room = maxBytes - sizes[stream];
      if (room <= 0) {
        truncated = true;
        return;
      }
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (kept.length < chunk.length) truncated = true;
      chunks[stream].push(kept);
      sizes[stream] += kept.length;
    };
    child.stdout!.on('data', collect('stdout'));
    child.stderr!.on('data', collect('stderr'));

    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const onAbort = () => {
      aborted = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 2000);
      killTimer.unref();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    const describeSpawnError = (error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT'
        ? `cannot start "${program}": not found (is it installed and on PATH?)`
        : error.code === 'EACCES'
          ? `cannot start "${program}": permission denied`
          : `cannot start "${program}": ${error.message}`;
    // Whatever of it still runs once it has exited: found by its marker (a daemon left the
    // group and session, but not its environment), named, ended — SIGTERM, then SIGKILL.
    const leftovers = new Map<number, { pid: number; command: string }>();
    const endLeftovers = async () => {
      let found: ProcessInfo[];
      try {
        found = processesWithMarker(marker);
      } catch {
        found = []; // no /proc: the group is all mlgate can end
      }
      for (const info of found) {
        if (!leftovers.has(info.pid))
          leftovers.set(info.pid, { pid: info.pid, command: commandLine(info.pid) });
      }
      killGroup('SIGTERM');
      await endProcesses(found, options.killGraceMs ?? 2000);
      killGroup('SIGKILL');
    };
    // A background job or daemon may hold its output open after it exits: give the pipes a
    // moment, then end what is left, which closes them.
    let reaper: NodeJS.Timeout | undefined;
    let reaping: Promise<void> | undefined;
    child.on('exit', () => {
      reaper = setTimeout(() => (reaping = endLeftovers()), PIPE_GRACE_MS);
      reaper.unref();
    });
    child.on('close', async () => {
      options.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (reaper) clearTimeout(reaper);
      await reaping;
      // The pipes closed by themselves: a daemon that let go of them may still run.
      await endLeftovers();
      const { code, signal, spawnError } = await ended;
      resolvePromise({
        exitCode: code,
        signal,
        stdout: Buffer.concat(chunks.stdout).toString('utf8'),
        stderr: Buffer.concat(chunks.stderr).toString('utf8'),
        truncated,
        durationMs: performance.now() - began,
        spawnError: spawnError && describeSpawnError(spawnError),
        aborted,
        leftovers: [...leftovers.values()],
      });
    });
  });
}

/** The last lines of some output, bounded in lines and characters, for evidence. */
export function tail(text: string, maxLines = 30, maxChars = 4000): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  let out = lines.slice(-maxLines).join('\n');
  if (out.length > maxChars) out = `…${out.slice(out.length - maxChars + 1)}`;
  else if (lines.length > maxLines) out = `…\n${out}`;
  return out;
}
