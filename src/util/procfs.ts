/**
 * Linux's process table as /proc shows it: who is whose child, which process group and
 * session, what command line, which sockets each holds. Used to tell the processes mlgate
 * started (and everything they started) from strangers. Every reader throws ProcUnavailable
 * when /proc cannot be read at all, so a caller can say "cannot verify" instead of guessing.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export class ProcUnavailable extends Error {}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** R, S, D…; Z is a zombie (exited, not yet reaped), X dead. */
  state: string;
  /** Clock ticks after boot: with the pid, names one process even if the pid is reused. */
  startTime: string;
}

/** One process, or undefined when it is gone (or not visible). */
export function processInfo(pid: number): ProcessInfo | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp session … starttime(22nd)"; comm may hold spaces and parens.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    sid: Number(fields[3]),
    startTime: fields[19] ?? '',
  };
}

/** Every process visible in /proc (zombies included). */
export function allProcesses(): ProcessInfo[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch (error) {
    throw new ProcUnavailable(`cannot read /proc (${(error as Error).message})`);
  }
  return entries
    .filter((name) => /^\d+$/.test(name))
    .map((name) => processInfo(Number(name)))
    .filter((info): info is ProcessInfo => info !== undefined);
}

/** The process `root` and everything below it (by parent pid), root first. */
export function processTree(root: number, table: ProcessInfo[] = allProcesses()): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const info of table) children.set(info.ppid, [...(children.get(info.ppid) ?? []), info]);
  const tree = table.filter((info) => info.pid === root);
  for (let i = 0; i < tree.length; i += 1) tree.push(...(children.get(tree[i]!.pid) ?? []));
  return tree;
}

/** Its command line as a shell would show it; the process name when that is not readable. */
export function commandLine(pid: number): string {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '');
    if (raw) return raw.split('\0').join(' ');
  } catch {
    // gone or not ours
  }
  try {
    return `[${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}]`;
  } catch {
    return '?';
  }
}

/** The socket inodes a process holds open ("socket:[123]" in /proc/PID/fd). */
export function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes; // gone, or another user's
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Not a zombie (exited, waiting to be reaped) nor dead. */
export function isRunning(info: ProcessInfo): boolean {
  return !/[ZX]/.test(info.state);
}

/** Whether the process that started at `startTime` still runs as `pid`. */
export function isSameProcess(pid: number, startTime: string): boolean {
  const info = processInfo(pid);
  return info !== undefined && info.startTime === startTime && isRunning(info);
}

/**
 * The environment variable mlgate sets, with a value unique to each child, in the environment
 * of the service and of every command. Processes inherit it through fork, setsid and exec, so
 * a daemon that left the process tree, group and session (a double fork) still carries it.
 */
export const CHILD_MARKER = 'MLGATE_CHILD';

/**
 * The running processes whose environment holds `MLGATE_CHILD=<marker>`. Processes whose
 * environment cannot be read (another user's) are skipped: they cannot carry the marker
 * unless mlgate started them as another user.
 */
export function processesWithMarker(marker: string, table: ProcessInfo[] = allProcesses()): ProcessInfo[] {
  const needle = Buffer.from(`${CHILD_MARKER}=${marker}\0`);
  return table.filter(
    (info) => isRunning(info) && info.pid !== process.pid && carriesMarker(info.pid, needle),
  );
}

/** Whether one process's environment holds the marker. */
export function hasMarker(pid: number, marker: string): boolean {
  return carriesMarker(pid, Buffer.from(`${CHILD_MARKER}=${marker}\0`));
}

function carriesMarker(pid: number, needle: Buffer): boolean {
  let environ: Buffer;
  try {
    environ = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return false; // gone, or another user's
  }
  // At the start, or after the NUL that ends the previous variable.
  return (
    environ.subarray(0, needle.length).equals(needle) ||
    environ.includes(Buffer.concat([Buffer.from([0]), needle]))
  );
}

/**
 * Ends these processes: SIGTERM, SIGKILL to those still there after `graceMs`, and waits
 * (bounded) until they are gone, so the ports and files they held are free.
 */
export async function endProcesses(infos: ProcessInfo[], graceMs: number): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    for (const info of infos) {
      try {
        process.kill(info.pid, sig);
      } catch {
        // gone
      }
    }
  };
  const allGone = () => infos.every((info) => !isSameProcess(info.pid, info.startTime));
  const waitGone = async (limitMs: number) => {
    for (let waited = 0; waited < limitMs && !allGone(); waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  if (infos.length === 0) return;
  signal('SIGTERM');
  await waitGone(graceMs);
  if (allGone()) return;
  signal('SIGKILL');
  await waitGone(5000);
}
