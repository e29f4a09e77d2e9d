/**
 * A minimal HTTP/1.1 response parser over a byte stream, for the two places a general client
 * is in the way: the load generator (one keep-alive socket per virtual user, no per-request
 * objects, so mlgate measures the service and not itself) and the oversized-body probe (the
 * service may answer 413 and close while the body is still being sent).
 *
 * Handles Content-Length, chunked transfer coding (trailers skipped), bodiless answers (HEAD,
 * 1xx, 204, 304) and bodies delimited by the connection closing.
 */

export interface ParsedResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Kept only when the parser was asked to keep bodies. */
  body?: Buffer;
  bodyBytes: number;
  /** The server asked to close the connection after this answer. */
  close: boolean;
}

export class HttpParseError extends Error {}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

type State =
  | { phase: 'head' }
  | { phase: 'length'; remaining: number }
  | { phase: 'chunk-size' }
  | { phase: 'chunk-data'; remaining: number }
  | { phase: 'chunk-crlf' }
  | { phase: 'trailers' }
  | { phase: 'until-close' };

export class ResponseParser {
  private buffer: Buffer | null = null;
  private state: State = { phase: 'head' };
  private current: ParsedResponse | null = null;
  private bodyParts: Buffer[] = [];
  /** Whether the next response answers a HEAD request (no body whatever the headers say). */
  expectHead = false;

  constructor(
    private readonly onResponse: (response: ParsedResponse) => void,
    private readonly keepBodies = false,
    /** Parse every header (probes) or only the ones framing needs (load). */
    private readonly allHeaders = true,
  ) {}

  /** Feeds bytes; calls onResponse for each complete answer. Throws HttpParseError. */
  push(chunk: Buffer): void {
    const data = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk;
    this.buffer = null;
    let offset = 0;
    while (offset < data.length) {
      const state = this.state;
      if (state.phase === 'head') {
        const end = data.indexOf(CRLFCRLF, offset);
        if (end === -1) {
          if (data.length - offset > MAX_HEAD) throw new HttpParseError('response headers larger than 64 kB');
          break;
        }
        this.startResponse(data.toString('latin1', offset, end));
        offset = end + 4;
        continue;
      }
      if (state.phase === 'length' || state.phase === 'chunk-data') {
        const take = Math.min(state.remaining, data.length - offset);
        this.addBody(data, offset, take);
        offset += take;
        state.remaining -= take;
        if (state.remaining === 0) {
          if (state.phase === 'length') this.finish();
          else this.state = { phase: 'chunk-crlf' };
        }
        continue;
      }
      if (state.phase === 'until-close') {
        this.addBody(data, offset, data.length - offset);
        offset = data.length;
        continue;
      }
      // Line-based phases: chunk sizes, the CRLF after chunk data, trailers.
      const lineEnd = data.indexOf('\r\n', offset, 'latin1');
      if (lineEnd === -1) {
        if (data.length - offset > MAX_HEAD) throw new HttpParseError('chunk framing line too long');
        break;
      }
      const line = data.toString('latin1', offset, lineEnd);
      offset = lineEnd + 2;
      if (state.phase === 'chunk-size') {
        const size = Number.parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size) || size < 0)
          throw new HttpParseError(`bad chunk size "${line.slice(0, 20)}"`);
        this.state = size === 0 ? { phase: 'trailers' } : { phase: 'chunk-data', remaining: size };
      } else if (state.phase === 'chunk-crlf') {
        if (line !== '') throw new HttpParseError('chunk data longer than its size');
        this.state = { phase: 'chunk-size' };
      } else if (line === '') {
        this.finish();
      }
    }
    if (offset < data.length) this.buffer = data.subarray(offset);
  }

  /** The connection closed: completes a close-delimited body; true if an answer was cut off. */
  end(): boolean {
    if (this.state.phase === 'until-close') {
      this.finish();
      return false;
    }
    return this.state.phase !== 'head' || (this.buffer !== null && this.buffer.length > 0);
  }

  /** Bytes of an answer have arrived, and it is not complete yet. */
  get midResponse(): boolean {
    return this.state.phase !== 'head' || this.buffer !== null;
  }

  private startResponse(head: string): void {
    // "HTTP/1.1 200 OK"
    if (!head.startsWith('HTTP/1.'))
      throw new HttpParseError(`not an HTTP/1.x response: "${head.slice(0, 40)}"`);
    const status =
      (head.charCodeAt(9) - 48) * 100 + (head.charCodeAt(10) - 48) * 10 + (head.charCodeAt(11) - 48);
    if (!(status >= 100 && status <= 999))
      throw new HttpParseError(`bad status line "${head.split('\r\n')[0]}"`);
    const headers: Record<string, string> = {};
    let contentLength = -1;
    let chunked = false;
    let close = head.startsWith('HTTP/1.0');
    let lineStart = head.indexOf('\r\n');
    while (lineStart !== -1) {
      const next = head.indexOf('\r\n', lineStart + 2);
      const line = head.slice(lineStart + 2, next === -1 ? undefined : next);
      lineStart = next;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') contentLength = Number(value);
      else if (name === 'transfer-encoding') chunked = /\bchunked\b/i.test(value);
      else if (name === 'connection')
        close = /\bclose\b/i.test(value) || (close && !/keep-alive/i.test(value));
      if (this.allHeaders) headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    if (status >= 100 && status < 200) {
      // 100 Continue and friends: a real answer follows.
      return;
    }
    this.current = { status, headers, bodyBytes: 0, close };
    this.bodyParts = [];
    const bodiless = this.expectHead || status === 204 || status === 304;
    if (bodiless) this.finish();
    else if (chunked) this.state = { phase: 'chunk-size' };
    else if (contentLength >= 0) {
      if (!Number.isSafeInteger(contentLength)) throw new HttpParseError('bad content-length');
      if (contentLength === 0) this.finish();
      else this.state = { phase: 'length', remaining: contentLength };
    } else {
      this.current.close = true;
      this.state = { phase: 'until-close' };
    }
  }

  private addBody(data: Buffer, offset: number, length: number): void {
    if (length <= 0 || !this.current) return;
    this.current.bodyBytes += length;
    if (this.keepBodies) this.bodyParts.push(Buffer.from(data.subarray(offset, offset + length)));
  }

  private finish(): void {
    const response = this.current!;
    if (this.keepBodies) response.body = Buffer.concat(this.bodyParts);
    this.current = null;
    this.bodyParts = [];
    this.state = { phase: 'head' };
    this.expectHead = false;
    this.onResponse(response);
  }
}

/** Request bytes for a method, path, headers and body (Content-Length framing). */
export function encodeRequest(
  method: string,
  path: string,
  host: string,
  headers: Record<string, string>,
  body?: Buffer,
  /** Announce this length and send no body: the caller streams it. */
  contentLength?: number,
): Buffer {
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'host' || name.toLowerCase() === 'content-length') continue;
    head += `${name}: ${value}\r\n`;
  }
  if (contentLength !== undefined) head += `content-length: ${contentLength}\r\n`;
  else if (body !== undefined || method === 'POST' || method === 'PUT' || method === 'PATCH') {
    head += `content-length: ${body?.length ?? 0}\r\n`;
  }
  head += '\r\n';
  const headBytes = Buffer.from(head, 'latin1');
  return body && body.length > 0 && contentLength === undefined
    ? Buffer.concat([headBytes, body])
    : headBytes;
}
