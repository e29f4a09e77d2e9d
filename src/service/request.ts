/**
 * One HTTP exchange as evidence: what was sent (secrets masked), what came back (an excerpt),
 * how long it took, or why nothing came back. Built on undici's `request` rather than fetch:
 * separate timeouts for "no headers" (a hang) and "body stalls", no redirects followed, no
 * decompression — the evidence shows what the service actually sent.
 */
import type { FormData } from 'undici';
import { lazyRequire } from '../util/lazy.js';
import type { Evidence } from '../domain/run-report.js';
import { formatDuration, formatSize } from '../util/units.js';
import { type Secrets, showHeader } from './template.js';

/** undici loads when a request is made, not when a check kind is imported (startup). */
const undici = lazyRequire<typeof import('undici')>('undici');

export interface OutgoingRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer | FormData;
  /** How evidence describes the body (an excerpt, a file name, the form's fields). */
  bodyShown?: string;
  timeoutMs: number;
  /** Bytes of the response kept; the rest is read and counted, not kept. */
  maxBodyBytes: number;
}

export interface HttpExchange {
  request: OutgoingRequest;
  status?: number;
  headers: Record<string, string>;
  body: Buffer;
  bytes: number;
  truncated: boolean;
  durationMs: number;
  error?: string;
  timedOut: boolean;
}

/** An exchange before anything came back. */
export function emptyExchange(request: OutgoingRequest): HttpExchange {
  return {
    request,
    headers: {},
    body: Buffer.alloc(0),
    bytes: 0,
    truncated: false,
    durationMs: 0,
    timedOut: false,
  };
}

/** A connection pool for one check: closed afterwards, so no socket outlives the check. */
export class HttpClient {
  private readonly agent = new (undici().Agent)({
    connections: 8,
    keepAliveTimeout: 4000,
    connect: { timeout: 5000 },
  });

  async send(outgoing: OutgoingRequest, signal?: AbortSignal): Promise<HttpExchange> {
    const began = performance.now();
    const exchange = emptyExchange(outgoing);
    const timeout = AbortSignal.timeout(outgoing.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await undici().request(outgoing.url, {
        method: outgoing.method as 'GET',
        headers: outgoing.headers,
        body: outgoing.body,
        dispatcher: this.agent,
        signal: combined,
        headersTimeout: outgoing.timeoutMs,
        bodyTimeout: outgoing.timeoutMs,
      });
      exchange.status = response.statusCode;
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined)
          exchange.headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      const kept: Buffer[] = [];
      let keptBytes = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        exchange.bytes += chunk.length;
        if (keptBytes < outgoing.maxBodyBytes) {
          const part = chunk.subarray(0, outgoing.maxBodyBytes - keptBytes);
          kept.push(part);
          keptBytes += part.length;
        }
      }
      exchange.body = Buffer.concat(kept);
      exchange.truncated = exchange.bytes > keptBytes;
    } catch (error) {
      exchange.timedOut = timeout.aborted && !signal?.aborted;
      exchange.error = exchange.timedOut
        ? `no complete answer within ${formatDuration(outgoing.timeoutMs)}`
        : describeNetworkError(error);
    }
    exchange.durationMs = performance.now() - began;
    return exchange;
  }

  close(): Promise<void> {
    return this.agent.destroy();
  }
}

/** "connection refused" rather than "fetch failed". */
export function describeNetworkError(error: unknown): string {
  const err = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = err.code ?? err.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the service listening on that port?)';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the service closed the connection without an answer';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'no complete answer in time';
    case 'ENOTFOUND':
      return `host not found (${err.message})`;
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'could not connect in time';
    default:
      return err.message || String(error);
  }
}

export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/([\w.+-]*\+)?json\b/i.test(contentType.trim());
}

/** The response body as text for evidence: secrets masked, long bodies cut. */
export function bodyExcerpt(exchange: HttpExchange, secrets: Secrets, maxChars = 2000): string {
  if (exchange.body.length === 0) return '';
  const type = exchange.headers['content-type'] ?? '';
  if (
    !/^(text\/|application\/([\w.+-]*\+)?(json|xml)|application\/x-www-form-urlencoded)/i.test(type) &&
    looksBinary(exchange.body)
  ) {
    return `(${formatSize(exchange.bytes)} of ${type || 'binary data'})`;
  }
  let text = secrets.mask(exchange.body.toString('utf8'));
  if (text.length > maxChars) text = `${text.slice(0, maxChars)}… (${formatSize(exchange.bytes)} in all)`;
  else if (exchange.truncated) text += `… (${formatSize(exchange.bytes)} in all)`;
  return text;
}

function looksBinary(buffer: Buffer): boolean {
  const sample = buffer.subarray(0, 512);
  return sample.includes(0);
}

/** The exchange as report evidence. */
export function exchangeEvidence(exchange: HttpExchange, secrets: Secrets, title?: string): Evidence {
  const { request: outgoing } = exchange;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(outgoing.headers))
    headers[name] = showHeader(name, value, secrets);
  const responseHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(exchange.headers))
    responseHeaders[name] = showHeader(name, value, secrets);
  return {
    type: 'http',
    ...(title ? { title } : {}),
    request: {
      method: outgoing.method,
      url: secrets.mask(outgoing.url),
      headers,
      ...(outgoing.bodyShown !== undefined ? { body: secrets.mask(outgoing.bodyShown) } : {}),
    },
    ...(exchange.status !== undefined
      ? {
          response: {
            status: exchange.status,
            headers: responseHeaders,
            body: bodyExcerpt(exchange, secrets),
            bytes: exchange.bytes,
            truncated: exchange.truncated,
          },
        }
      : {}),
    ...(exchange.error ? { error: exchange.error } : {}),
    durationMs: Math.round(exchange.durationMs * 100) / 100,
  };
}

/** A multipart body for OutgoingRequest (undici's FormData, loaded on first use). */
export const newFormData = (): FormData => new (undici().FormData)();
