/**
 * Reading the project's files for the secrets scan: small files at once, large ones streamed in
 * windows (bounded memory), gzip through node:zlib, tar archives (plain or gzipped) member by
 * member from their 512-byte headers, zip archives (.zip, .whl, .jar, …) member by member from
 * their central directory (and its comments). UTF-16 and UTF-32 text is decoded; binary files (pickles, .pyc, weights, a CSV
 * with a NUL) are scanned as `strings` would read them: every byte that is not printable ASCII
 * becomes a blank, so a token stored in them is still whole. What is not scanned is never
 * silent: every file or member left out is recorded with its reason (too large, compressed in a
 * form not read, unreadable).
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createInflateRaw } from 'node:zlib';
import type { Finding, InlineIgnore } from '../../rules/findings.js';
import { DEFAULT_WINDOW, TextScanner, type WindowOptions } from './scanner.js';

/**
 * Why a file was not scanned. `compressed` and `unreadable` leave an input the check could not
 * judge (the outcome is then an error unless the path is excluded); `too large` is the limit the
 * spec set: an error too when the file is text or an archive (`text`), listed when it is binary
 * (weights, images); `ignored by .gitignore` is not in the repository.
 */
export type SkipReason = 'too large' | 'compressed' | 'unreadable' | 'ignored by .gitignore';

export interface Skipped {
  path: string;
  reason: SkipReason;
  /** "4.2 MB", "bzip2", "encrypted zip member". */
  note?: string;
  /**
   * Too large, and text (or an archive): a secret in it would be missed, so it is an input not
   * judged. Binary files too large (weights, images) are listed only.
   */
  text?: boolean;
}

export interface ReadTotals {
  /** Files and archive members whose text was scanned. */
  scanned: number;
  /** Of those, members of archives and gzip files. */
  unpacked: number;
  /** Of those, binary files and members scanned for printable strings. */
  binary: number;
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
  /** Members read from one archive at most (default MAX_MEMBERS). */
  maxMembers?: number;
}

/** Bytes read at once; a file up to this size is read whole. */
const CHUNK = 1 << 20;
const BINARY_SAMPLE = 8192;
/** Archive bombs: members read from one archive, and their bytes in all, at most. */
export const MAX_MEMBERS = 10_000;
const TOTAL_FACTOR = 4;
const TAR_BLOCK = 512;

const buffer = Buffer.alloc(CHUNK);

/** How bytes become the text scanned. */
export type Encoding = 'utf8' | 'utf16le' | 'utf16be' | 'utf32le' | 'utf32be' | 'strings';

type Sniffed =
  | { kind: 'text'; encoding: Encoding }
  | { kind: 'gzip' }
  | { kind: 'zip' }
  | { kind: 'tar' }
  | { kind: 'compressed'; format: string };

const MAGIC: Array<[number[], string]> = [
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
  [[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], '7z'],
  [[0x52, 0x61, 0x72, 0x21], 'rar'],
];

/** UTF-16 without a BOM: nearly every other byte NUL, the bytes between them not. */
function utf16Order(head: Buffer): 'utf16le' | 'utf16be' | undefined {
  const n = Math.min(head.length, 1024) & ~1;
  if (n < 8) return undefined;
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) zeroEven++;
    if (head[i + 1] === 0) zeroOdd++;
  }
  const pairs = n / 2;
  if (zeroOdd >= pairs * 0.9 && zeroEven <= pairs * 0.1) return 'utf16le';
  if (zeroEven >= pairs * 0.9 && zeroOdd <= pairs * 0.1) return 'utf16be';
  return undefined;
}

/** UTF-32 without a BOM: three NUL bytes of every four (ASCII text), in the same places. */
function utf32Order(head: Buffer): 'utf32le' | 'utf32be' | undefined {
  const n = Math.min(head.length, 1024) & ~3;
  if (n < 16) return undefined;
  let le = 0;
  let be = 0;
  for (let i = 0; i < n; i += 4) {
    if (head[i + 1] === 0 && head[i + 2] === 0 && head[i + 3] === 0 && head[i] !== 0) le++;
    if (head[i] === 0 && head[i + 1] === 0 && head[i + 2] === 0 && head[i + 3] !== 0) be++;
  }
  const units = n / 4;
  if (le >= units * 0.9) return 'utf32le';
  if (be >= units * 0.9) return 'utf32be';
  return undefined;
}

/**
 * A tar header: "ustar" at 257 and a checksum that adds up (a source file that writes tar
 * headers, such as tar-stream's headers.js, can have "ustar" at 257 too).
 */
export function isTarHeader(head: Buffer): boolean {
  if (head.length < TAR_BLOCK || head.toString('latin1', 257, 262) !== 'ustar') return false;
  const field = head
    .toString('latin1', 148, 156)
    .replace(/[\0 ]+$/, '')
    .trim();
  if (!/^[0-7]{1,7}$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : head[i]!;
  return sum === parseInt(field, 8);
}

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
  if (isTarHeader(head)) return { kind: 'tar' };
  // UTF-32's BOMs first: FF FE 00 00 starts a UTF-16 BOM too.
  if (at(0) === 0xff && at(1) === 0xfe && at(2) === 0 && at(3) === 0)
    return { kind: 'text', encoding: 'utf32le' };
  if (at(0) === 0 && at(1) === 0 && at(2) === 0xfe && at(3) === 0xff)
    return { kind: 'text', encoding: 'utf32be' };
  if (at(0) === 0xff && at(1) === 0xfe) return { kind: 'text', encoding: 'utf16le' };
  if (at(0) === 0xfe && at(1) === 0xff) return { kind: 'text', encoding: 'utf16be' };
  const sample = head.subarray(0, BINARY_SAMPLE);
  if (!sample.includes(0)) return { kind: 'text', encoding: 'utf8' };
  return { kind: 'text', encoding: utf32Order(sample) ?? utf16Order(sample) ?? 'strings' };
}

/** Incremental bytes-to-text for one encoding (a character cut between chunks is kept whole). */
export interface Decoder {
  write(bytes: Buffer): string;
  end(): string;
}

/** Printable ASCII, tab and carriage return (a line feed ends a run, and is kept). */
const PRINTABLE = new Uint8Array(256).map((_, byte) =>
  (byte >= 0x20 && byte < 0x7f) || byte === 9 || byte === 13 ? 1 : 0,
);
/** Runs shorter than this are dropped (as `strings` does): every token is longer. */
export const MIN_RUN = 16;
/** A run longer than this is passed on in pieces. */
const MAX_PENDING = 1 << 16;

/**
 * The text `strings` would see in binary bytes: runs of MIN_RUN printable characters or more,
 * every line feed kept, so line numbers still count in a text file with a stray NUL.
 */
export class StringsDecoder implements Decoder {
  private run: number[] = [];
  private long = false;

  write(bytes: Buffer): string {
    const out: string[] = [];
    let from = -1;
    const flush = (to: number) => {
      // The run so far: its start may be in an earlier chunk (pending in `run`).
      const length = this.run.length + (from === -1 ? 0 : to - from);
      if (length >= MIN_RUN || this.long) {
        if (this.run.length) out.push(Buffer.from(this.run).toString('latin1'));
        if (from !== -1) out.push(bytes.toString('latin1', from, to));
        out.push(' ');
      }
      this.run = [];
      this.long = false;
      from = -1;
    };
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (PRINTABLE[byte]) {
        if (from === -1) from = i;
        continue;
      }
      if (from !== -1 || this.run.length) flush(i);
      if (byte === 10) out.push('\n');
    }
    // A run that reaches the chunk's end waits for the next one (a long one is passed on).
    if (from !== -1) {
      const tail = bytes.subarray(from);
      if (this.run.length + tail.length >= MAX_PENDING) {
        if (this.run.length) out.push(Buffer.from(this.run).toString('latin1'));
        out.push(tail.toString('latin1'));
        this.run = [];
        this.long = true;
      } else for (const byte of tail) this.run.push(byte);
    }
    return out.join('');
  }

  end(): string {
    const text = this.run.length >= MIN_RUN || this.long ? Buffer.from(this.run).toString('latin1') : '';
    this.run = [];
    return text;
  }
}

/** UTF-32 to text, a code unit cut between chunks kept; a BOM and invalid units are dropped. */
class Utf32Decoder implements Decoder {
  private odd: Buffer | undefined;

  constructor(private readonly littleEndian: boolean) {}

  write(bytes: Buffer): string {
    const all = this.odd ? Buffer.concat([this.odd, bytes]) : bytes;
    const whole = all.length & ~3;
    this.odd = whole < all.length ? Buffer.from(all.subarray(whole)) : undefined;
    const out: string[] = [];
    for (let i = 0; i < whole; i += 4) {
      const code = this.littleEndian ? all.readUInt32LE(i) : all.readUInt32BE(i);
      if (code === 0xfeff || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) continue;
      out.push(String.fromCodePoint(code));
    }
    return out.join('');
  }

  end(): string {
    this.odd = undefined;
    return '';
  }
}

export function decoderFor(encoding: Encoding): Decoder {
  if (encoding === 'strings') return new StringsDecoder();
  if (encoding === 'utf32le' || encoding === 'utf32be') return new Utf32Decoder(encoding === 'utf32le');
  if (encoding !== 'utf16be') return new StringDecoder(encoding);
  // Big-endian: swap each pair of bytes into little-endian, a byte cut between chunks kept.
  const inner = new StringDecoder('utf16le');
  let odd: Buffer | undefined;
  return {
    write(bytes) {
      const all = odd ? Buffer.concat([odd, bytes]) : bytes;
      const even = all.length & ~1;
      odd = even < all.length ? Buffer.from(all.subarray(even)) : undefined;
      return inner.write(Buffer.from(all.subarray(0, even)).swap16());
    },
    end: () => inner.end(),
  };
}

export function formatSize(bytes: number): string {
  if (bytes >= 1e6) return `${Number((bytes / 1e6).toFixed(1))} MB`;
  if (bytes >= 1e3) return `${Number((bytes / 1e3).toFixed(1))} kB`;
  return `${bytes} B`;
}

/**
 * Files whose bytes are data, not text, by their name: model weights and tensors, datasets in
 * binary formats, media, compiled code. Over `max_file_size` they are listed, not an error.
 */
const BINARY_NAME =
  /\.(?:bin|safetensors|pt|pth|ckpt|onnx|pb|tflite|h5|hdf5|keras|npy|npz|gguf|ggml|mlmodel|joblib|pkl|pickle|msgpack|parquet|arrow|feather|orc|avro|tfrecords?|lmdb|mdb|db|sqlite3?|png|jpe?g|gif|webp|bmp|tiff?|ico|heic|psd|mp3|mp4|m4a|wav|flac|ogg|opus|avi|mov|mkv|webm|pdf|woff2?|ttf|otf|so|dylib|dll|exe|class|wasm|iso|img|dmg|qcow2|vmdk)$/i;

/** Share of control bytes (NUL and the like, not tab or line breaks) above which bytes are binary. */
const BINARY_CONTROLS = 0.05;

/**
 * Whether bytes too large to scan would be text: by the name, then by the first bytes (UTF-16
 * and UTF-32 are text; a stray NUL in a CSV is not enough to make it binary, many are).
 */
export function largeIsText(name: string, head: Buffer): boolean {
  if (BINARY_NAME.test(name)) return false;
  const kind = sniff(head);
  // An archive or compressed file: its members may be text, and are not read.
  if (kind.kind !== 'text') return true;
  if (kind.encoding !== 'strings') return true;
  const sample = head.subarray(0, BINARY_SAMPLE);
  let controls = 0;
  for (const byte of sample)
    if ((byte < 0x20 && byte !== 9 && byte !== 10 && byte !== 13 && byte !== 12) || byte === 0x7f) controls++;
  return controls <= sample.length * BINARY_CONTROLS;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

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
    const big = size > maxFileSize;
    let read = 0;
    // Too large: only what it is, text or not, is read.
    const want = Math.min(size, big ? BINARY_SAMPLE : CHUNK);
    while (read < want) {
      const n = readSync(fd, buffer, read, want - read, read);
      if (n === 0) break;
      read += n;
    }
    const head = buffer.subarray(0, read);
    if (big) {
      const text = largeIsText(shown, head);
      totals.skipped.push({
        path: shown,
        reason: 'too large',
        note: formatSize(size),
        ...(text ? { text } : {}),
      });
      return;
    }
    kind = sniff(head);
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
      const decoder = decoderFor(kind.encoding);
      let position = read;
      scanner.push(decoder.write(head));
      // The rest of a large file, a chunk at a time: memory stays at a window. Its own buffer,
      // as it yields to the event loop (a timeout can stop it) while other scans may run.
      if (position < size) {
        const chunk = Buffer.alloc(CHUNK);
        for (let count = 1; position < size; count++) {
          const n = readSync(fd, chunk, 0, CHUNK, position);
          if (n === 0) break;
          position += n;
          scanner.push(decoder.write(chunk.subarray(0, n)));
          if (count % 8 === 0) await yieldToLoop();
          if (options.signal?.aborted) throw options.signal.reason;
        }
      }
      scanner.push(decoder.end());
      scanner.end();
      totals.scanned++;
      if (kind.encoding === 'strings') totals.binary++;
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
  else if (kind.kind === 'tar') await scanTarStream(createReadStream(absolute), shown, options, shown);
  else await scanZip(absolute, shown, size, options);
}

/**
 * One member's bytes (or a gzip file's), pushed as they come: the first ones say what it is;
 * text and binary are scanned up to `limit` bytes, an archive inside an archive is listed as not
 * read.
 */
class MemberScan {
  private scanner: TextScanner | undefined;
  private decoder: Decoder | undefined;
  private head: Buffer[] = [];
  private headBytes = 0;
  private total = 0;
  private scannedBytes = 0;
  private done = false;
  private over = false;
  private binary = false;
  /** The first bytes, to tell text from binary if the member proves too large. */
  private first: Buffer | undefined;

  constructor(
    private readonly shown: string,
    private readonly limit: number,
    private readonly options: ReadOptions,
  ) {}

  write(chunk: Buffer): void {
    if (this.done) return;
    this.total += chunk.length;
    if (this.total > this.limit) {
      // What fits under the limit is scanned; the rest is not, and says so.
      chunk = chunk.subarray(0, chunk.length - (this.total - this.limit));
      this.over = true;
    }
    if (this.scanner) this.push(chunk);
    else {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      if (this.headBytes >= BINARY_SAMPLE || this.over) this.start();
    }
    if (this.over) this.done = true;
  }

  private push(chunk: Buffer): void {
    this.scanner!.push(this.decoder!.write(chunk));
    this.scannedBytes += chunk.length;
  }

  private start(): void {
    const first = Buffer.concat(this.head);
    this.first = first.subarray(0, BINARY_SAMPLE);
    this.head = [];
    const kind = sniff(first);
    if (kind.kind !== 'text') {
      this.options.totals.skipped.push({
        path: this.shown,
        reason: 'compressed',
        note: kind.kind === 'compressed' ? kind.format : `${kind.kind} inside`,
      });
      this.done = true;
      return;
    }
    const { options } = this;
    this.binary = kind.encoding === 'strings';
    this.decoder = decoderFor(kind.encoding);
    this.scanner = new TextScanner(
      this.shown,
      options.findings,
      options.inline,
      options.window ?? DEFAULT_WINDOW,
    );
    this.push(first);
  }

  /** The member ended: count it (scanned, or read only up to the limit). */
  end(): void {
    if (!this.scanner && !this.done) this.start();
    const { totals } = this.options;
    if (!this.scanner) return;
    this.scanner.push(this.decoder!.end());
    this.scanner.end();
    totals.bytes += this.scannedBytes;
    if (this.over) {
      // Read up to the limit (what was found there is reported); the rest was not.
      const text = largeIsText(this.shown, this.first ?? Buffer.alloc(0));
      totals.skipped.push({
        path: this.shown,
        reason: 'too large',
        note: `more than ${formatSize(this.limit)} unpacked`,
        ...(text ? { text } : {}),
      });
      return;
    }
    totals.scanned++;
    totals.unpacked++;
    if (this.binary) totals.binary++;
  }

  get finished(): boolean {
    return this.done;
  }
}

/** The text of a stream (decompressed bytes), up to `limit` bytes; what it was, if not text. */
async function scanStream(
  chunks: AsyncIterable<Buffer>,
  shown: string,
  limit: number,
  options: ReadOptions,
): Promise<void> {
  const member = new MemberScan(shown, limit, options);
  for await (const chunk of chunks) {
    if (options.signal?.aborted) throw options.signal.reason;
    member.write(chunk);
    if (member.finished) break;
  }
  member.end();
}

/** `source` through `transform`; an error reading the source ends the transform's stream too. */
function through<T extends NodeJS.ReadWriteStream & { destroy(error?: Error): unknown }>(
  source: NodeJS.ReadableStream & { on(event: 'error', listener: (error: Error) => void): unknown },
  transform: T,
): T {
  source.on('error', (error) => transform.destroy(error));
  return source.pipe(transform);
}

/** Bytes from a stream in exact amounts: a tar header, then a member's data piece by piece. */
class ByteReader {
  private pending: Buffer = Buffer.alloc(0);
  private ended = false;
  /** Bytes taken from the stream so far. */
  consumed = 0;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.source.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    this.pending = this.pending.length ? Buffer.concat([this.pending, next.value]) : next.value;
    return true;
  }

  /** Exactly `n` bytes, or fewer at the stream's end. */
  async take(n: number): Promise<Buffer> {
    while (this.pending.length < n) if (!(await this.fill())) break;
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(out.length);
    this.consumed += out.length;
    return out;
  }

  /** The next `n` bytes to `sink` in pieces; false if the stream ended first. */
  async pass(n: number, sink: (piece: Buffer) => void): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (this.pending.length === 0 && !(await this.fill())) return false;
      const piece = this.pending.subarray(0, left);
      this.pending = this.pending.subarray(piece.length);
      this.consumed += piece.length;
      left -= piece.length;
      sink(piece);
    }
    return true;
  }

  /** What is left, for a stream whose first bytes were read to sniff it. */
  async *rest(): AsyncGenerator<Buffer> {
    if (this.pending.length) yield this.pending;
    this.pending = Buffer.alloc(0);
    if (this.ended) return;
    for (let next = await this.source.next(); !next.done; next = await this.source.next()) yield next.value;
  }
}

/** A tar header's number: octal text, or base-256 (a leading 0x80 byte) for large sizes. */
function tarNumber(field: Buffer): number {
  if (field[0]! & 0x80) {
    let value = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/g, '')
    .trim();
  if (!/^[0-7]*$/.test(text)) throw new Error('damaged header');
  return text === '' ? 0 : parseInt(text, 8);
}

/** A tar header's text field, to its first NUL. */
function tarText(field: Buffer): string {
  const nul = field.indexOf(0);
  return field.toString('utf8', 0, nul === -1 ? field.length : nul);
}

/**
 * A tar archive (ustar, GNU and pax headers), member by member: each regular file's data goes
 * through a MemberScan, the rest (folders, links, pax records) is passed over. Bounded like a
 * zip: MAX_MEMBERS members, and `max_file_size` × 4 bytes read from the stream in all.
 */
async function scanTarStream(
  chunks: AsyncIterable<Buffer>,
  shown: string,
  options: ReadOptions,
  archive: string,
): Promise<void> {
  const { totals, maxFileSize } = options;
  const maxMembers = options.maxMembers ?? MAX_MEMBERS;
  const cap = maxFileSize * TOTAL_FACTOR;
  const iterator = chunks[Symbol.asyncIterator]();
  const reader = new ByteReader(iterator);
  let members = 0;
  let files = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  try {
    for (;;) {
      if (options.signal?.aborted) throw options.signal.reason;
      const header = await reader.take(TAR_BLOCK);
      if (header.length === 0 || header.every((byte) => byte === 0)) break;
      if (header.length < TAR_BLOCK) throw new Error('truncated header');
      const size = tarNumber(header.subarray(124, 136));
      const type = String.fromCharCode(header[156]!);
      const padded = Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
      if (type === 'L' || type === 'x') {
        // GNU long name, pax extended header: the next member's real name.
        if (size > 1 << 20) throw new Error('oversized extended header');
        const data = (await reader.take(padded)).subarray(0, size).toString('utf8');
        if (type === 'L') longName = data.replace(/\0.*$/s, '');
        else paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data)?.[1] ?? paxPath;
        continue;
      }
      const prefix =
        header.toString('latin1', 257, 262) === 'ustar' ? tarText(header.subarray(345, 500)) : '';
      const name = paxPath ?? longName ?? (prefix ? `${prefix}/` : '') + tarText(header.subarray(0, 100));
      longName = undefined;
      paxPath = undefined;
      const regular = type === '0' || type === '\0' || type === '7';
      if (!regular || size === 0) {
        if (!(await reader.pass(padded, () => {}))) throw new Error('truncated member');
        if (regular) {
          totals.scanned++;
          totals.unpacked++;
        }
        continue;
      }
      files++;
      const path = `${archive}!${name}`;
      if (++members > maxMembers) {
        totals.skipped.push({
          path: `${archive}!…`,
          reason: 'compressed',
          note: `members past the first ${maxMembers}`,
        });
        return;
      }
      if (reader.consumed + padded > cap) {
        totals.skipped.push({
          path: `${archive}!${name} and after`,
          reason: 'compressed',
          note: `past ${formatSize(cap)} unpacked from the archive`,
        });
        return;
      }
      // Weights and the like by name are passed over; anything else is read up to the limit
      // (MemberScan), and if it is text, what is past the limit makes the outcome an error.
      if (size > maxFileSize && BINARY_NAME.test(name)) {
        totals.skipped.push({ path, reason: 'too large', note: formatSize(size) });
        if (!(await reader.pass(padded, () => {}))) throw new Error('truncated member');
        continue;
      }
      const member = new MemberScan(path, maxFileSize, options);
      let left = size;
      const complete = await reader.pass(padded, (piece) => {
        const data = piece.subarray(0, Math.max(0, Math.min(piece.length, left)));
        left -= piece.length;
        if (data.length) member.write(data);
      });
      member.end();
      if (!complete) throw new Error(`truncated member ${name}`);
      if (members % 64 === 0) await yieldToLoop();
    }
    // An archive of folders only was read whole: it holds no text to scan.
    if (files === 0 && members === 0) totals.scanned++;
  } catch (error) {
    if (options.signal?.aborted) throw error;
    totals.skipped.push({ path: shown, reason: 'unreadable', note: `tar: ${(error as Error).message}` });
  } finally {
    // Stopped early (a limit, a damaged member): the file is closed now, not when collected.
    await iterator.return?.();
  }
}

async function scanGzip(absolute: string, shown: string, options: ReadOptions): Promise<void> {
  const stream = through(createReadStream(absolute), createGunzip());
  try {
    // A .tar.gz: the unpacked stream starts with a tar header.
    const reader = new ByteReader(stream[Symbol.asyncIterator]());
    const first = await reader.take(TAR_BLOCK);
    const rest = reader.rest();
    async function* all(): AsyncGenerator<Buffer> {
      if (first.length) yield first;
      yield* rest;
    }
    if (isTarHeader(first)) await scanTarStream(all(), shown, options, shown);
    else await scanStream(all(), shown, options.maxFileSize, options);
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
function readCentralDirectory(fd: number, fileSize: number, comments: string[]): Member[] | string {
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
  // The archive's comment and each member's: free text a zip carries outside its members.
  const commentLength = tail.readUInt16LE(end + 20);
  if (commentLength)
    comments.push(tail.toString('latin1', end + 22, Math.min(tailSize, end + 22 + commentLength)));
  for (let at = 0; at + 46 <= cd.length;) {
    if (cd.readUInt32LE(at) !== 0x02014b50) throw new Error('damaged central directory');
    const flags = cd.readUInt16LE(at + 8);
    const nameLength = cd.readUInt16LE(at + 28);
    const extra = cd.readUInt16LE(at + 30);
    const comment = cd.readUInt16LE(at + 32);
    if (comment)
      comments.push(
        cd.toString('latin1', at + 46 + nameLength + extra, at + 46 + nameLength + extra + comment),
      );
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
  const comments: string[] = [];
  const starts: number[] = [];
  let fd: number | undefined;
  try {
    fd = openSync(absolute, 'r');
    members = readCentralDirectory(fd, fileSize, comments);
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
  if (comments.length) {
    // Scanned as text (a comment is at most 64 kB), shown as a member of its own.
    const scanner = new TextScanner(`${shown}!(zip comment)`, options.findings, options.inline);
    scanner.push(comments.join('\n'));
    scanner.end();
  }
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
    else if (member.size > maxFileSize && BINARY_NAME.test(member.name))
      skip('too large', formatSize(member.size));
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
      budget -= Math.max(totals.bytes - before, Math.min(member.size, maxFileSize));
    }
  }
}
