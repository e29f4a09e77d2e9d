/**
 * Reading the project's files for the secrets scan: small files at once, large ones streamed in
 * windows (bounded memory), gzip through node:zlib, zip archives (.zip, .whl, .jar, …) member by
 * member from their central directory. What is not scanned is never silent: every file or member
 * left out is recorded with its reason (too large, binary, compressed in a form not read,
 * unreadable).
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createInflateRaw } from 'node:zlib';
import type { Finding, InlineIgnore } from '../../rules/findings.js';
import { DEFAULT_WINDOW, TextScanner, type WindowOptions } from './scanner.js';

export type SkipReason = 'too large' | 'binary' | 'compressed' | 'unreadable';

export interface Skipped {
  path: string;
  reason: SkipReason;
  /** "4.2 MB", "bzip2", "encrypted zip member". */
  note?: string;
}

export interface ReadTotals {
  /** Files and archive members whose text was scanned. */
  scanned: number;
  /** Of those, members of zip archives and gzip files. */
  unpacked: number;
  bytes: number;
  skipped: Skipped[];
}

export interface ReadOptions {
  maxFileSize: number;
  findings: Finding[];
  inline: InlineIgnore[];
  totals: ReadTotals;
  window?: WindowOptions;
  signal?: AbortSignal;
  /** Members read from one zip archive at most (default MAX_MEMBERS). */
  maxMembers?: number;
}

/** Bytes read at once; a file up to this size is read whole. */
const CHUNK = 1 << 20;
const BINARY_SAMPLE = 8192;
/** Zip bombs: members read from one archive, and their text in all, at most. */
export const MAX_MEMBERS = 10_000;
const TOTAL_FACTOR = 4;

const buffer = Buffer.alloc(CHUNK);

type Sniffed =
  | { kind: 'text' }
  | { kind: 'binary' }
  | { kind: 'gzip' }
  | { kind: 'zip' }
  | { kind: 'compressed'; format: string };

const MAGIC: Array<[number[], string]> = [
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
  [[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], '7z'],
  [[0x52, 0x61, 0x72, 0x21], 'rar'],
];

/** What the first bytes say a file is. */
export function sniff(head: Buffer): Sniffed {
  const at = (i: number) => head[i];
  if (at(0) === 0x1f && at(1) === 0x8b) return { kind: 'gzip' };
  if (at(0) === 0x50 && at(1) === 0x4b && ((at(2) === 3 && at(3) === 4) || (at(2) === 5 && at(3) === 6)))
    return { kind: 'zip' };
  if (at(0) === 0x42 && at(1) === 0x5a && at(2) === 0x68 && at(3)! >= 0x31 && at(3)! <= 0x39)
    return { kind: 'compressed', format: 'bzip2' };
  for (const [magic, format] of MAGIC)
    if (magic.every((byte, i) => head[i] === byte)) return { kind: 'compressed', format };
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar')
    return { kind: 'compressed', format: 'tar archive' };
  if (head.subarray(0, BINARY_SAMPLE).includes(0)) return { kind: 'binary' };
  return { kind: 'text' };
}

export function formatSize(bytes: number): string {
  if (bytes >= 1e6) return `${Number((bytes / 1e6).toFixed(1))} MB`;
  if (bytes >= 1e3) return `${Number((bytes / 1e3).toFixed(1))} kB`;
  return `${bytes} B`;
}

/** Scans one file of the project (absolute path), shown as `shown` in findings. */
export async function scanFile(absolute: string, shown: string, options: ReadOptions): Promise<void> {
  const { totals, maxFileSize } = options;
  let fd: number;
  try {
    fd = openSync(absolute, 'r');
  } catch (error) {
    totals.skipped.push({ path: shown, reason: 'unreadable', note: (error as NodeJS.ErrnoException).code });
    return;
  }
  let size: number;
  let kind: Sniffed;
  try {
    size = fstatSync(fd).size;
    if (size > maxFileSize) {
      totals.skipped.push({ path: shown, reason: 'too large', note: formatSize(size) });
      return;
    }
    let read = 0;
    const want = Math.min(size, CHUNK);
    while (read < want) {
      const n = readSync(fd, buffer, read, want - read, read);
      if (n === 0) break;
      read += n;
    }
    const head = buffer.subarray(0, read);
    kind = sniff(head);
    if (kind.kind === 'binary') {
      totals.skipped.push({ path: shown, reason: 'binary' });
      return;
    }
    if (kind.kind === 'compressed') {
      totals.skipped.push({ path: shown, reason: 'compressed', note: kind.format });
      return;
    }
    if (kind.kind === 'text') {
      const scanner = new TextScanner(
        shown,
        options.findings,
        options.inline,
        options.window ?? DEFAULT_WINDOW,
      );
      let position = read;
      if (position >= size) {
        // The whole file at once: the common case.
        scanner.push(head.toString('utf8'));
        scanner.end();
        totals.scanned++;
        totals.bytes += position;
        return;
      }
      const decoder = new StringDecoder('utf8');
      scanner.push(decoder.write(head));
      // The rest of a large file, a chunk at a time: memory stays at a window. Its own buffer,
      // as it yields to the event loop (a timeout can stop it) while other scans may run.
      const chunk = Buffer.alloc(CHUNK);
      for (let count = 1; position < size; count++) {
        const n = readSync(fd, chunk, 0, CHUNK, position);
        if (n === 0) break;
        position += n;
        scanner.push(decoder.write(chunk.subarray(0, n)));
        if (count % 8 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        if (options.signal?.aborted) throw options.signal.reason;
      }
      scanner.push(decoder.end());
      scanner.end();
      totals.scanned++;
      totals.bytes += position;
      return;
    }
  } catch (error) {
    if (options.signal?.aborted) throw error;
    totals.skipped.push({ path: shown, reason: 'unreadable', note: (error as Error).message });
    return;
  } finally {
    closeSync(fd);
  }
  if (kind.kind === 'gzip') await scanGzip(absolute, shown, options);
  else await scanZip(absolute, shown, size, options);
}

/** The text of a stream (decompressed bytes), up to `limit` bytes; what it was, if not text. */
async function scanStream(
  chunks: AsyncIterable<Buffer>,
  shown: string,
  limit: number,
  options: ReadOptions,
): Promise<void> {
  const { totals } = options;
  let scanner: TextScanner | undefined;
  const decoder = new StringDecoder('utf8');
  let head: Buffer[] = [];
  let headBytes = 0;
  let total = 0;
  let over = false;
  let overBy = 0;
  const start = (): boolean => {
    const first = Buffer.concat(head);
    head = [];
    const kind = sniff(first);
    if (kind.kind !== 'text') {
      totals.skipped.push(
        kind.kind === 'binary'
          ? { path: shown, reason: 'binary' }
          : {
              path: shown,
              reason: 'compressed',
              note: kind.kind === 'compressed' ? kind.format : `${kind.kind} inside`,
            },
      );
      return false;
    }
    scanner = new TextScanner(shown, options.findings, options.inline, options.window ?? DEFAULT_WINDOW);
    scanner.push(decoder.write(first));
    return true;
  };
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > limit) {
      over = true;
      overBy = chunk.length;
      break;
    }
    if (options.signal?.aborted) throw options.signal.reason;
    if (scanner) {
      scanner.push(decoder.write(chunk));
      continue;
    }
    head.push(chunk);
    headBytes += chunk.length;
    if (headBytes >= BINARY_SAMPLE && !start()) return;
  }
  if (!scanner && !over && !start()) return;
  if (scanner) {
    scanner.push(decoder.end());
    scanner.end();
  }
  if (over) {
    // What was read of it was scanned; the rest is not, and says so.
    if (scanner) totals.bytes += total - overBy;
    totals.skipped.push({
      path: shown,
      reason: 'too large',
      note: `more than ${formatSize(limit)} unpacked`,
    });
    return;
  }
  totals.scanned++;
  totals.unpacked++;
  totals.bytes += total;
}

/** `source` through `transform`; an error reading the source ends the transform's stream too. */
function through<T extends NodeJS.ReadWriteStream & { destroy(error?: Error): unknown }>(
  source: NodeJS.ReadableStream & { on(event: 'error', listener: (error: Error) => void): unknown },
  transform: T,
): T {
  source.on('error', (error) => transform.destroy(error));
  return source.pipe(transform);
}

async function scanGzip(absolute: string, shown: string, options: ReadOptions): Promise<void> {
  const stream = through(createReadStream(absolute), createGunzip());
  try {
    await scanStream(stream, shown, options.maxFileSize, options);
  } catch (error) {
    if (options.signal?.aborted) throw error;
    options.totals.skipped.push({
      path: shown,
      reason: 'unreadable',
      note: `gzip: ${(error as Error).message}`,
    });
  } finally {
    stream.destroy();
  }
}

interface Member {
  name: string;
  flags: number;
  method: number;
  compressedSize: number;
  size: number;
  offset: number;
}

/** The central directory: where each member is, how it is stored. Throws on a damaged archive. */
function readCentralDirectory(fd: number, fileSize: number): Member[] | string {
  const tailSize = Math.min(fileSize, 22 + 0xffff);
  const tail = Buffer.alloc(tailSize);
  readSync(fd, tail, 0, tailSize, fileSize - tailSize);
  let end = -1;
  for (let i = tailSize - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end === -1) throw new Error('no end of central directory');
  const count = tail.readUInt16LE(end + 10);
  const cdSize = tail.readUInt32LE(end + 12);
  const cdOffset = tail.readUInt32LE(end + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) return 'zip64 archive';
  if (cdOffset + cdSize > fileSize) throw new Error('central directory outside the file');
  const cd = Buffer.alloc(cdSize);
  readSync(fd, cd, 0, cdSize, cdOffset);
  const members: Member[] = [];
  for (let at = 0; at + 46 <= cd.length;) {
    if (cd.readUInt32LE(at) !== 0x02014b50) throw new Error('damaged central directory');
    const flags = cd.readUInt16LE(at + 8);
    const nameLength = cd.readUInt16LE(at + 28);
    const extra = cd.readUInt16LE(at + 30);
    const comment = cd.readUInt16LE(at + 32);
    const name = cd.toString(flags & 0x800 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLength);
    members.push({
      name,
      flags,
      method: cd.readUInt16LE(at + 10),
      compressedSize: cd.readUInt32LE(at + 20),
      size: cd.readUInt32LE(at + 24),
      offset: cd.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + extra + comment;
  }
  return members;
}

async function scanZip(
  absolute: string,
  shown: string,
  fileSize: number,
  options: ReadOptions,
): Promise<void> {
  const { totals, maxFileSize } = options;
  const maxMembers = options.maxMembers ?? MAX_MEMBERS;
  let members: Member[] | string;
  const starts: number[] = [];
  let fd: number | undefined;
  try {
    fd = openSync(absolute, 'r');
    members = readCentralDirectory(fd, fileSize);
    if (typeof members !== 'string') {
      const local = Buffer.alloc(30);
      for (const member of members.slice(0, maxMembers)) {
        readSync(fd, local, 0, 30, member.offset);
        if (local.readUInt32LE(0) !== 0x04034b50) throw new Error(`damaged member ${member.name}`);
        starts.push(member.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28));
      }
    }
  } catch (error) {
    totals.skipped.push({ path: shown, reason: 'unreadable', note: `zip: ${(error as Error).message}` });
    return;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (typeof members === 'string') {
    totals.skipped.push({ path: shown, reason: 'compressed', note: members });
    return;
  }
  // An archive of folders only was read whole: it holds no text to scan.
  if (!members.some((member) => !member.name.endsWith('/'))) {
    totals.scanned++;
    return;
  }
  let budget = maxFileSize * TOTAL_FACTOR;
  for (const [index, member] of members.entries()) {
    if (member.name.endsWith('/')) continue;
    const path = `${shown}!${member.name}`;
    const skip = (reason: SkipReason, note?: string) =>
      totals.skipped.push({ path, reason, ...(note ? { note } : {}) });
    if (index >= maxMembers) skip('compressed', `past the first ${maxMembers} members`);
    else if (member.flags & 1) skip('compressed', 'encrypted member');
    else if (member.method !== 0 && member.method !== 8) skip('compressed', `zip method ${member.method}`);
    else if (member.size > maxFileSize) skip('too large', formatSize(member.size));
    else if (budget <= 0)
      skip('compressed', `past ${formatSize(maxFileSize * TOTAL_FACTOR)} unpacked from the archive`);
    else {
      const start = starts[index]!;
      const raw = createReadStream(absolute, {
        start,
        end: Math.max(start, start + member.compressedSize - 1),
      });
      const stream = member.method === 8 ? through(raw, createInflateRaw()) : raw;
      const before = totals.bytes;
      try {
        // The sizes a member declares are not trusted: reading stops at the limit anyway.
        if (member.compressedSize === 0) {
          totals.scanned++;
          totals.unpacked++;
        } else await scanStream(stream, path, Math.min(maxFileSize, budget), options);
      } catch (error) {
        if (options.signal?.aborted) throw error;
        skip('unreadable', `zip: ${(error as Error).message}`);
      } finally {
        raw.destroy();
        stream.destroy();
      }
      budget -= Math.max(totals.bytes - before, member.size);
    }
  }
}
