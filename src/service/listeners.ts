/**
 * Who answers on a TCP port: the LISTEN sockets in /proc/net/tcp and /proc/net/tcp6, and the
 * processes holding them (by socket inode in /proc/PID/fd). A ready answer proves nothing
 * by itself: it may come from a stranger that held the port while the service mlgate
 * started died of EADDRINUSE.
 */
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { allProcesses, commandLine, ProcUnavailable, socketInodes } from '../util/procfs.js';

export interface PortListener {
  address: string;
  inode: string;
}

export interface SocketHolder {
  pid: number;
  command: string;
}

const LISTEN = '0A';

/** The sockets listening on `port` that a connection to `host` may reach. */
export function listeningSockets(port: number, host: string): PortListener[] {
  const found: PortListener[] = [];
  let readable = 0;
  for (const [file, family] of [
    ['/proc/net/tcp', 4],
    ['/proc/net/tcp6', 6],
  ] as const) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
      readable += 1;
    } catch {
      continue; // no IPv6 on this machine, for one
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [hexAddress, hexPort] = (fields[1] ?? '').split(':');
      if (fields[3] !== LISTEN || parseInt(hexPort ?? '', 16) !== port) continue;
      const address = decodeAddress(hexAddress!, family);
      if (reaches(host, address)) found.push({ address, inode: fields[9]! });
    }
  }
  if (readable === 0) throw new ProcUnavailable('cannot read /proc/net/tcp');
  return found;
}

/**
 * For each inode, the processes holding it: `candidates` are looked at first (they are
 * usually the answer), then every other process mlgate can see.
 */
export function socketHolders(inodes: string[], candidates: number[]): Map<string, SocketHolder[]> {
  const holders = new Map<string, SocketHolder[]>(inodes.map((inode) => [inode, []]));
  const look = (pids: number[]) => {
    for (const pid of pids) {
      for (const inode of socketInodes(pid)) {
        holders.get(inode)?.push({ pid, command: commandLine(pid) });
      }
    }
  };
  look(candidates);
  if ([...holders.values()].some((list) => list.length === 0)) {
    const seen = new Set(candidates);
    look(
      allProcesses()
        .map((info) => info.pid)
        .filter((pid) => !seen.has(pid)),
    );
  }
  return holders;
}

export function describeHolders(holders: SocketHolder[]): string {
  return holders.length === 0
    ? 'a process mlgate cannot inspect (another user’s?)'
    : holders.map((holder) => `pid ${holder.pid} (${holder.command})`).join(', ');
}

/** /proc/net/tcp writes addresses as 32-bit words in host (little-endian) order. */
function decodeAddress(hex: string, family: 4 | 6): string {
  const bytes = Buffer.from(hex, 'hex');
  for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  if (family === 4) return [...bytes].join('.');
  // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 address to a client.
  if (bytes.subarray(0, 10).every((byte) => byte === 0) && bytes.readUInt16BE(10) === 0xffff)
    return [...bytes.subarray(12)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** Whether a connection to `host` may land on a socket bound to `address`. */
function reaches(host: string, address: string): boolean {
  const hostName = host.replace(/^\[|\]$/g, '');
  const family = isIP(hostName);
  if (family === 0) return true; // a name: it may resolve to any of them
  if (address === '0.0.0.0' || address === '0:0:0:0:0:0:0:0') return true;
  const addressFamily = isIP(address);
  if (addressFamily !== family) return false;
  const list = new BlockList();
  list.addAddress(hostName, family === 4 ? 'ipv4' : 'ipv6');
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}
