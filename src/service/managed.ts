/**
 * The model's HTTP service for the duration of a run: a URL of one already running, or a
 * process mlgate starts (a free port handed in through an environment variable), waits for,
 * watches and stops — SIGTERM to its process group, SIGKILL after a grace period — so no
 * process or socket outlives the run, whatever happens to the service or to mlgate.
 *
 * What answers on the port must be the process mlgate started: a fixed port that is taken is
 * refused, and once ready the listening socket must belong to the service or a process it
 * started (Linux /proc) — at readiness and again around every item that needs the service, so
 * a stranger that takes the port later is caught too. Processes it started are recorded, and
 * each carries MLGATE_CHILD=<marker> in its environment, so that one that left its process
 * group (setsid) or the whole tree (a daemon: double fork) is still found and ended when the
 * service stops.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import {
  allProcesses,
  commandLine,
  endProcesses,
  hasMarker,
  isRunning,
  isSameProcess,
  type ProcessInfo,
  processInfo,
  ProcUnavailable,
  processesWithMarker,
  processTree,
} from '../util/procfs.js';
import { formatDuration } from '../util/units.js';
import { spawnWatched } from '../util/watchdog.js';
import {
  describeHolders,
  listeningSockets,
  type PortListener,
  type SocketHolder,
  socketHolders,
} from './listeners.js';
import { rootCauseLine } from './root-cause.js';

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
  /**
   * Check that the socket answering on the port belongs to the service (default true).
   * Without it, a stranger holding the port could answer for a service that died.
   */
  verifyListener?: boolean;
  /**
   * `review: required`: the start command came from an imported checklist and nobody has read
   * it yet; it is never run.
   */
  awaitingReview?: boolean;
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
  /** Whether the listener on the port was checked to be the service's (false: turned off). */
  listenerVerified?: boolean;
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

export class ServiceUnavailable extends Error {
  /** Set when another process holds the service's port: "pid N (command)". */
  stranger?: string;
}

/** A process still running after the service exited. */
export interface Leftover {
  pid: number;
  command: string;
  /** How mlgate knows it: in the service's process group, started by it, on its port… */
  why: string;
  /** mlgate ended it (it does not kill processes it cannot tell are the service's). */
  killed: boolean;
}

export interface StopResult {
  exitedAfterMs: number;
  code: number | null;
  signal: string | null;
  /** It did not exit within the grace period and was killed. */
  killed: boolean;
  /** Processes it started were still running after it exited (mlgate killed them). */
  orphans: boolean;
  /** Those processes, and any process still listening on its port. */
  leftovers: Leftover[];
  /** Why mlgate could not look for leftovers beyond the process group (no /proc). */
  unverified?: string;
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
  private port: number | undefined;
  /** MLGATE_CHILD in the service's environment: every process it starts inherits it. */
  private marker: string | undefined;
  /** Every process seen below the service (at readiness and at stop), by pid. */
  private readonly family = new Map<number, ProcessInfo>();
  /** The sockets it listened on, once they were verified to be its own. */
  private readonly ownSockets = new Set<string>();
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
    if ((this.spec as ServiceStartSpec).awaitingReview) {
      this.startError ??=
        'its start command was imported from a checklist and has not been reviewed: read service.start in the spec and delete `review: required` to allow it';
      return Promise.reject(new ServiceUnavailable(`the service did not start: ${this.startError}`));
    }
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
        `the service exited (${signal ? `signal ${signal}` : `code ${code}`}) ${formatDuration(afterMs)} after it started${this.cause()}`,
      );
    }
  }

  /** ": <the line of its output that says why>", or nothing when no line does. */
  private cause(): string {
    const line = rootCauseLine(this.log().slice(-200));
    return line ? `: ${line}` : '';
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
    // A stranger on a fixed port would answer every request while the service dies.
    if (spec.port !== 'auto') await assertPortFree(spec.host, port);
    this.port = port;
    this.url = `http://${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${port}`;
    const argv = spec.argv ?? ['bash', '--noprofile', '--norc', '-c', `exec ${spec.command}`];
    this.began = performance.now();
    this.startedAt = new Date().toISOString();
    const watched = spawnWatched({
      argv,
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, [spec.portEnv]: String(port), HOST: spec.host },
      graceMs: spec.graceMs,
    });
    this.child = watched.child;
    this.marker = watched.marker;
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = this.partial[stream] + chunk.toString('utf8');
      const parts = text.split('\n');
      this.partial[stream] = parts.pop()!;
      for (const line of parts) this.addLine(stream, line.replace(/\r$/, ''));
    };
    this.child.stdout!.on('data', collect('stdout'));
    this.child.stderr!.on('data', collect('stderr'));
    this.exited = watched.ended.then(({ code, signal: exitSignal, spawnError }) => {
      if (spawnError) this.addLine('stderr', `mlgate: cannot start the service: ${spawnError.message}`);
      this.exitInfo = {
        code,
        signal: exitSignal,
        afterMs: spawnError ? 0 : performance.now() - this.began,
        expected: this.expectingExit,
      };
    });
    // Whatever happens to mlgate, the service does not outlive it.
    process.once('exit', this.killOnExit);
    const deadline = performance.now() + spec.ready.timeoutMs;
    let last = 'no answer yet';
    while (performance.now() < deadline) {
      if (signal?.aborted) throw new Error('interrupted while waiting for the service');
      if (this.exitInfo)
        throw new Error(
          `it exited (${this.exitInfo.signal ?? `code ${this.exitInfo.code}`}) before it was ready${this.cause()}${await this.endDaemons()}`,
        );
      const answer = await this.probeReady();
      if (answer === 'ready') {
        if (spec.verifyListener !== false) this.verifyListener(port);
        this.recordFamily();
        this.readyMs = performance.now() - this.began;
        return;
      }
      last = answer;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`not ready after ${formatDuration(spec.ready.timeoutMs)} (${last})`);
  }

  /** One readiness request: "ready", or what came back instead. */
  private async probeReady(): Promise<'ready' | string> {
    const { path, status } = (this.spec as ServiceStartSpec).ready;
    try {
      // Never followed: a redirect is not "ready", and could lead away from loopback.
      const response = await fetch(`${this.url}${path}`, {
        signal: AbortSignal.timeout(2000),
        redirect: 'manual',
      });
      await response.arrayBuffer();
      if (response.status === status) return 'ready';
      const location = response.headers.get('location');
      return `GET ${path} answered ${response.status}${location ? ` (a redirect to ${location}, not followed)` : ''}`;
    } catch (error) {
      const { cause, message } = error as Error & { cause?: Error };
      return `GET ${path}: ${cause ? String(cause.message ?? cause) : message}`;
    }
  }

  /**
   * The launcher exited before the service was ready, but what it started as a daemon (setsid
   * -f, a double fork) may run on, unseen: it is ended, and "; its process … was ended" says so.
   */
  private async endDaemons(): Promise<string> {
    let daemons: ProcessInfo[];
    try {
      daemons = processesWithMarker(this.marker!);
    } catch {
      return ''; // no /proc: stop() says so
    }
    if (daemons.length === 0) return '';
    const named = daemons.map((info) => `pid ${info.pid} \`${commandLine(info.pid)}\``).join(', ');
    await endProcesses(daemons, (this.spec as ServiceStartSpec).graceMs);
    return daemons.length === 1
      ? `; its process ${named} kept running (a daemon: start the service in the foreground) and was ended`
      : `; its processes ${named} kept running (daemons: start the service in the foreground) and were ended`;
  }

  /**
   * The socket answering on the port must be held by the service or a process it started:
   * otherwise the answers come from a stranger (the service may have died of EADDRINUSE).
   */
  private verifyListener(port: number): void {
    const host = (this.spec as ServiceStartSpec).host;
    const unverifiable = (why: string) =>
      new Error(
        `it answered on port ${port}, but mlgate cannot verify that the answer came from the process it started: ${why}`,
      );
    try {
      const { listeners, strangers } = this.inspectListeners(port);
      if (listeners.length === 0)
        throw unverifiable(`no socket on this machine listens on port ${port} (another network namespace?)`);
      if (strangers.length > 0)
        throw new Error(
          `port ${port} on ${host} is answered by another process, not by the service mlgate started: ${describeStrangers(strangers)}`,
        );
    } catch (error) {
      if (error instanceof ProcUnavailable) throw unverifiable(`${error.message} (this needs Linux /proc)`);
      throw error;
    }
  }

  /**
   * Throws (ServiceUnavailable) unless the sockets listening on the service's port are still
   * the service's own: it may have closed its listener or died under a restart wrapper while
   * staying alive, and a stranger may have taken the port since. Called before each item that
   * needs the service and after it passed. A no-op for a service mlgate did not start, before
   * it is ready, and with `verify_listener: false`.
   */
  assertOwned(): void {
    const spec = this.spec as ServiceStartSpec;
    if (!this.managed || spec.verifyListener === false) return;
    if (this.port === undefined || this.readyMs === undefined || this.exitInfo) return;
    const port = this.port;
    let found: ReturnType<ManagedService['inspectListeners']>;
    try {
      found = this.inspectListeners(port);
    } catch (error) {
      throw new ServiceUnavailable(
        `mlgate cannot verify that port ${port} is still answered by the service it started: ${(error as Error).message}`,
      );
    }
    if (found.strangers.length > 0) {
      const stranger = describeStrangers(found.strangers);
      const error = new ServiceUnavailable(
        `the service no longer holds its port: port ${port} on ${spec.host} is answered by another process, not by the service mlgate started: ${stranger}`,
      );
      error.stranger = found.strangers.map(({ holders }) => describeHolders(holders)).join('; ');
      throw error;
    }
    if (found.listeners.length === 0)
      throw new ServiceUnavailable(
        `the service no longer listens on port ${port}: it is still running, but nothing accepts connections there (it closed its listener, or a wrapper restarts it)`,
      );
  }

  /**
   * The sockets listening on the port, and those not held by the service: its tree, group or
   * session, a process recorded as its own, or one carrying its marker. Throws ProcUnavailable.
   */
  private inspectListeners(port: number): {
    listeners: PortListener[];
    strangers: Array<{ listener: PortListener; holders: SocketHolder[] }>;
  } {
    const listeners = listeningSockets(port, (this.spec as ServiceStartSpec).host);
    // Sockets already verified to be its own (the usual case: no need to look for holders).
    if (listeners.every((listener) => this.ownSockets.has(listener.inode)))
      return { listeners, strangers: [] };
    const ours = new Set(this.remaining(allProcesses()).map((info) => info.pid));
    const holders = socketHolders(
      listeners.map((listener) => listener.inode),
      [...ours],
    );
    const isOurs = (holder: SocketHolder) =>
      ours.has(holder.pid) || (this.marker !== undefined && hasMarker(holder.pid, this.marker));
    const strangers = listeners
      .filter((listener) => !this.ownSockets.has(listener.inode))
      .map((listener) => ({ listener, holders: holders.get(listener.inode)! }))
      .filter(({ holders: held }) => !held.some(isOurs));
    if (strangers.length === 0) for (const listener of listeners) this.ownSockets.add(listener.inode);
    return { listeners, strangers };
  }

  /** The service's processes now: its tree, and whatever is still in its group or session. */
  private familyNow(table: ProcessInfo[] = allProcesses()): ProcessInfo[] {
    const root = this.child!.pid!;
    // Once the watchdog has exited its pid may name another process: only the group counts.
    const tree = this.exitInfo ? [] : processTree(root, table);
    const inTree = new Set(tree.map((info) => info.pid));
    return [
      ...tree,
      ...table.filter((info) => !inTree.has(info.pid) && (info.pgid === root || info.sid === root)),
    ].filter(isRunning);
  }

  /** Its processes still running: in its group, session or tree, or recorded earlier. */
  private remaining(table: ProcessInfo[]): ProcessInfo[] {
    const now = this.familyNow(table);
    const seen = new Set(now.map((info) => info.pid));
    const recorded = [...this.family.values()].filter((info) => {
      const current = table.find((entry) => entry.pid === info.pid);
      return !seen.has(info.pid) && current?.startTime === info.startTime && isRunning(current);
    });
    return [...now, ...recorded];
  }

  /** Remembers the service's processes, so one that leaves its group is still found later. */
  private recordFamily(): void {
    if (!this.child?.pid) return;
    try {
      for (const info of this.familyNow()) this.family.set(info.pid, info);
    } catch {
      // no /proc: stop() says so
    }
  }

  private readonly killOnExit = () => {
    if (this.child?.pid && !this.exitInfo) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    let marked: ProcessInfo[] = [];
    try {
      if (this.marker) marked = processesWithMarker(this.marker);
    } catch {
      // no /proc
    }
    for (const info of [...this.family.values(), ...marked]) {
      if (isSameProcess(info.pid, info.startTime)) {
        try {
          process.kill(info.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  };

  /**
   * Stops the service: SIGTERM to its process group, SIGKILL after the grace period. Returns
   * how it ended. Safe to call more than once.
   */
  async stop(graceMs?: number): Promise<StopResult | undefined> {
    if (!this.managed || !this.child?.pid) return undefined;
    if (this.exitInfo) {
      process.off('exit', this.killOnExit);
      const { leftovers, unverified } = await this.endLeftovers();
      return {
        exitedAfterMs: 0,
        code: this.exitInfo.code,
        signal: this.exitInfo.signal,
        killed: false,
        orphans: leftovers.some((leftover) => leftover.killed),
        leftovers,
        ...(unverified ? { unverified } : {}),
      };
    }
    this.recordFamily();
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
    const { leftovers, unverified } = await this.endLeftovers();
    process.off('exit', this.killOnExit);
    // Set by the exit handler while we awaited (TypeScript cannot see that).
    const info = this.exitInfo as ServiceState['exit'] | undefined;
    if (info) info.expected = true;
    return {
      exitedAfterMs,
      code: info?.code ?? null,
      signal: info?.signal ?? null,
      killed,
      orphans: unverified ? orphans : leftovers.some((leftover) => leftover.killed),
      leftovers,
      ...(unverified ? { unverified } : {}),
    };
  }

  /**
   * After the service exited: finds what is still running of it — its process group and
   * session, the processes recorded below it (one may have left with setsid), whatever
   * listens on its port — ends what is provably its own, and names everything.
   */
  private async endLeftovers(): Promise<{ leftovers: Leftover[]; unverified?: string }> {
    const root = this.child!.pid!;
    const killGroup = () => {
      try {
        process.kill(-root, 'SIGKILL');
      } catch {
        // the group is empty
      }
    };
    let table: ProcessInfo[];
    try {
      table = allProcesses();
      // Processes signalled with the service may still be on their way out: a moment for them.
      for (let waited = 0; waited < 1000 && this.remaining(table).length > 0; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        table = allProcesses();
      }
    } catch (error) {
      killGroup();
      return { leftovers: [], unverified: (error as Error).message };
    }
    const found = new Map<number, Leftover>();
    const startTimes = new Map<number, string | undefined>();
    const add = (pid: number, why: string, killed = true) => {
      const known = found.get(pid);
      if (known) known.why += `; ${why}`;
      else found.set(pid, { pid, command: commandLine(pid), why, killed });
      if (!startTimes.has(pid)) startTimes.set(pid, processInfo(pid)?.startTime);
    };
    for (const info of this.remaining(table)) {
      add(
        info.pid,
        info.pgid === root
          ? 'in its process group'
          : info.sid === root
            ? 'in its session'
            : this.family.has(info.pid)
              ? 'started by it, then left its process group'
              : 'started by it',
      );
    }
    // Daemons: out of its tree, group and session, but carrying its marker.
    for (const info of this.marker ? processesWithMarker(this.marker, allProcesses()) : []) {
      if (!found.has(info.pid))
        add(info.pid, "left the service's process tree (a daemon: double fork or setsid)");
    }
    let unverified: string | undefined;
    if (this.port !== undefined) {
      try {
        const listeners = listeningSockets(this.port, (this.spec as ServiceStartSpec).host);
        const holders = socketHolders(
          listeners.map((listener) => listener.inode),
          [...found.keys()],
        );
        for (const listener of listeners) {
          const own = this.ownSockets.has(listener.inode);
          for (const holder of holders.get(listener.inode)!) {
            const ours = own || found.has(holder.pid);
            add(
              holder.pid,
              `still listening on port ${this.port}${ours ? '' : ' (not started by mlgate as far as it can tell: left running)'}`,
              ours,
            );
          }
        }
      } catch (error) {
        unverified = (error as Error).message;
      }
    }
    killGroup();
    const doomed = [...found.values()].filter((leftover) => leftover.killed);
    for (const leftover of doomed) {
      try {
        process.kill(leftover.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    // Gone before stop() returns: the port and files are free for whatever runs next.
    for (let waited = 0; waited < 5000; waited += 20) {
      if (doomed.every((leftover) => !isSameProcess(leftover.pid, startTimes.get(leftover.pid) ?? ''))) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.family.clear();
    return { leftovers: [...found.values()], ...(unverified ? { unverified } : {}) };
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
            ...(this.readyMs !== undefined
              ? { listenerVerified: (this.spec as ServiceStartSpec).verifyListener !== false }
              : {}),
          }
        : {}),
      ...(this.exitInfo ? { exit: this.exitInfo } : {}),
      logTail: this.log().slice(-40),
      ...(this.startError ? { error: this.startError } : {}),
    };
  }
}

function describeStrangers(strangers: Array<{ listener: PortListener; holders: SocketHolder[] }>): string {
  return strangers
    .map(({ listener, holders }) => `${describeHolders(holders)} listening on ${listener.address}`)
    .join('; ');
}

/** Refuses a fixed port another process holds, naming the holder when /proc says who. */
async function assertPortFree(host: string, port: number): Promise<void> {
  const taken = await new Promise<boolean>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(true) : reject(error),
    );
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
  if (!taken) return;
  let holder = '';
  try {
    const listeners = listeningSockets(port, host);
    const holders = socketHolders(
      listeners.map((listener) => listener.inode),
      [],
    );
    holder = ` (${[...new Set(listeners.map((listener) => describeHolders(holders.get(listener.inode)!)))].join('; ')})`;
  } catch {
    // who holds it is a detail; that it is taken is the point
  }
  throw new Error(
    `port ${port} on ${host} is already in use by another process${holder}; free it or use port: auto`,
  );
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
