/**
 * The model's HTTP service for the duration of a run: a URL of one already running, or a
 * process mlgate starts (a free port handed in through an environment variable), waits for,
 * watches and stops — SIGTERM to its process group, SIGKILL after a grace period — so no
 * process or socket outlives the run, whatever happens to the service or to mlgate.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { formatDuration } from '../util/units.js';

export interface ServiceStartSpec {
  command?: string;
  argv?: string[];
  cwd: string;
  env: Record<string, string>;
  /** A number, or "auto" for a free port. */
  port: number | 'auto';
  /** Environment variable the port is passed in. */
  portEnv: string;
  host: string;
  ready: { path: string; status: number; timeoutMs: number };
  graceMs: number;
}

export interface ServiceState {
  url: string;
  managed: boolean;
  command?: string;
  pid?: number;
  startedAt?: string;
  readyMs?: number;
  exit?: { code: number | null; signal: string | null; afterMs: number; expected: boolean };
  logTail: string[];
  error?: string;
}

/** Lines kept: the first ones (start-up) and the most recent ones. */
const HEAD_LINES = 200;
const TAIL_LINES = 50_000;

export interface LogLine {
  /** 1-based number among every line the service wrote. */
  n: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

export class ServiceUnavailable extends Error {}

export interface StopResult {
  exitedAfterMs: number;
  code: number | null;
  signal: string | null;
  /** It did not exit within the grace period and was killed. */
  killed: boolean;
  /** Processes it started were still running after it exited (mlgate killed them). */
  orphans: boolean;
}

export class ManagedService {
  private child: ChildProcess | undefined;
  private starting: Promise<void> | undefined;
  private startError: string | undefined;
  private exitInfo: ServiceState['exit'] | undefined;
  private expectingExit = false;
  private readonly head: LogLine[] = [];
  private readonly tail: LogLine[] = [];
  private written = 0;
  private partial = { stdout: '', stderr: '' };
  private began = 0;
  private readyMs: number | undefined;
  private startedAt: string | undefined;
  private exited: Promise<void> | undefined;
  url: string;

  constructor(private readonly spec: { url: string } | ServiceStartSpec) {
    this.url = 'url' in spec ? spec.url.replace(/\/$/, '') : '';
  }

  get managed(): boolean {
    return !('url' in this.spec);
  }

  /** Starts the service once (the first item that needs it waits for it to be ready). */
  ensureStarted(signal?: AbortSignal): Promise<void> {
    if (!this.managed) return Promise.resolve();
    this.starting ??= this.start(signal).catch((error: unknown) => {
      this.startError = (error as Error).message;
    });
    return this.starting.then(() => {
      if (this.startError) throw new ServiceUnavailable(`the service did not start: ${this.startError}`);
    });
  }

  /** Throws with the reason when the service is not (any longer) there to test. */
  assertAlive(): void {
    if (this.startError) throw new ServiceUnavailable(`the service did not start: ${this.startError}`);
    if (this.exitInfo && !this.exitInfo.expected) {
      const { code, signal, afterMs } = this.exitInfo;
      throw new ServiceUnavailable(
        `the service exited (${signal ? `signal ${signal}` : `code ${code}`}) ${formatDuration(afterMs)} after it started`,
      );
    }
  }

  get alive(): boolean {
    return !this.managed || (this.child !== undefined && this.exitInfo === undefined);
  }

  log(): string[] {
    return this.logLines().lines.map((line) => line.text);
  }

  /** Every kept line with its number; `dropped` lines from the middle were not kept. */
  logLines(): { lines: LogLine[]; dropped: number } {
    const lines = [...this.head, ...this.tail];
    let n = this.written;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) lines.push({ n: ++n, stream, text: this.partial[stream] });
    }
    return { lines, dropped: this.written - this.head.length - this.tail.length };
  }

  private addLine(stream: 'stdout' | 'stderr', text: string): void {
    const line = { n: ++this.written, stream, text };
    if (this.head.length < HEAD_LINES) this.head.push(line);
    else {
      this.tail.push(line);
      if (this.tail.length > TAIL_LINES * 1.2) this.tail.splice(0, this.tail.length - TAIL_LINES);
    }
  }

  private async start(signal?: AbortSignal): Promise<void> {
    const spec = this.spec as ServiceStartSpec;
    const port = spec.port === 'auto' ? await freePort(spec.host) : spec.port;
    this.url = `http://${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${port}`;
    const argv = spec.argv ?? ['bash', '--noprofile', '--norc', '-c', `exec ${spec.command}`];
    this.began = performance.now();
    this.startedAt = new Date().toISOString();
    this.child = spawn(argv[0]!, argv.slice(1), {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, [spec.portEnv]: String(port), HOST: spec.host },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = this.partial[stream] + chunk.toString('utf8');
      const parts = text.split('\n');
      this.partial[stream] = parts.pop()!;
      for (const line of parts) this.addLine(stream, line.replace(/\r$/, ''));
    };
    this.child.stdout!.on('data', collect('stdout'));
    this.child.stderr!.on('data', collect('stderr'));
    this.exited = new Promise((resolve) => {
      this.child!.on('exit', (code, exitSignal) => {
        this.exitInfo = {
          code,
          signal: exitSignal,
          afterMs: performance.now() - this.began,
          expected: this.expectingExit,
        };
        resolve();
      });
      this.child!.on('error', (error) => {
        this.exitInfo = { code: null, signal: null, afterMs: 0, expected: false };
        this.addLine('stderr', `mlgate: cannot start the service: ${error.message}`);
        resolve();
      });
    });
    // Whatever happens to mlgate, the service does not outlive it.
    process.once('exit', this.killOnExit);
    const deadline = performance.now() + spec.ready.timeoutMs;
    let last = 'no answer yet';
    while (performance.now() < deadline) {
      if (signal?.aborted) throw new Error('interrupted while waiting for the service');
      if (this.exitInfo)
        throw new Error(
          `it exited (${this.exitInfo.signal ?? `code ${this.exitInfo.code}`}) before it was ready`,
        );
      try {
        const response = await fetch(`${this.url}${spec.ready.path}`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.status === spec.ready.status) {
          this.readyMs = performance.now() - this.began;
          return;
        }
        last = `GET ${spec.ready.path} answered ${response.status}`;
      } catch (error) {
        last = `GET ${spec.ready.path}: ${(error as Error).cause ? String((error as { cause: Error }).cause.message ?? (error as Error).cause) : (error as Error).message}`;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`not ready after ${formatDuration(spec.ready.timeoutMs)} (${last})`);
  }

  private readonly killOnExit = () => {
    if (this.child?.pid && !this.exitInfo) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };

  /**
   * Stops the service: SIGTERM to its process group, SIGKILL after the grace period. Returns
   * how it ended. Safe to call more than once.
   */
  async stop(graceMs?: number): Promise<StopResult | undefined> {
    if (!this.managed || !this.child?.pid) return undefined;
    process.off('exit', this.killOnExit);
    if (this.exitInfo)
      return {
        exitedAfterMs: 0,
        code: this.exitInfo.code,
        signal: this.exitInfo.signal,
        killed: false,
        orphans: false,
      };
    this.expectingExit = true;
    const grace = graceMs ?? (this.spec as ServiceStartSpec).graceMs;
    const sent = performance.now();
    const group = (sig: NodeJS.Signals) => {
      try {
        process.kill(-this.child!.pid!, sig);
      } catch {
        // already gone
      }
    };
    group('SIGTERM');
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      group('SIGKILL');
    }, grace);
    await this.exited;
    clearTimeout(timer);
    const exitedAfterMs = performance.now() - sent;
    // Processes the service started and left behind (they would hold ports and files).
    let orphans = false;
    try {
      process.kill(-this.child.pid, 0);
      orphans = true;
    } catch {
      // the group is empty
    }
    group('SIGKILL');
    // Set by the exit handler while we awaited (TypeScript cannot see that).
    const info = this.exitInfo as ServiceState['exit'] | undefined;
    if (info) info.expected = true;
    return { exitedAfterMs, code: info?.code ?? null, signal: info?.signal ?? null, killed, orphans };
  }

  state(): ServiceState {
    const spec = this.spec as Partial<ServiceStartSpec>;
    return {
      url: this.url,
      managed: this.managed,
      ...(this.managed
        ? {
            command: spec.command ?? spec.argv?.join(' '),
            pid: this.child?.pid,
            startedAt: this.startedAt,
            readyMs: this.readyMs,
          }
        : {}),
      ...(this.exitInfo ? { exit: this.exitInfo } : {}),
      logTail: this.log().slice(-40),
      ...(this.startError ? { error: this.startError } : {}),
    };
  }
}

/** A port the OS says is free on this host right now. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Loopback only, unless allowed: load and fault tests never leave the machine by accident. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '0:0:0:0:0:0:0:1'
  );
}
