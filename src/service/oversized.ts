/**
 * Sends a request body larger than the service should accept and reads its answer while the
 * body is still going out: a service that enforces its limit answers 413 early and may close
 * the connection, which a general client reports as a write error and loses the answer.
 */
import { connect } from 'node:net';
import { formatSize } from '../util/units.js';
import { encodeRequest, type ParsedResponse, ResponseParser } from './http1.js';
import { emptyExchange, type HttpExchange, type OutgoingRequest } from './request.js';

const CHUNK = 64 * 1024;

export async function sendOversized(
  outgoing: OutgoingRequest,
  size: number,
  signal?: AbortSignal,
): Promise<HttpExchange & { sentBytes: number }> {
  const url = new URL(outgoing.url);
  const began = performance.now();
  // Valid JSON of the given size: {"padding": "xxxx…"}.
  const prefix = Buffer.from('{"padding": "');
  const suffix = Buffer.from('"}');
  const fillerLength = Math.max(0, size - prefix.length - suffix.length);
  const headBytes = encodeRequest(
    outgoing.method,
    `${url.pathname}${url.search}`,
    url.host,
    { ...outgoing.headers, 'content-type': outgoing.headers['content-type'] ?? 'application/json' },
    undefined,
    prefix.length + fillerLength + suffix.length,
  );
  const filler = Buffer.alloc(CHUNK, 'x');
  const exchange: HttpExchange & { sentBytes: number } = {
    ...emptyExchange({ ...outgoing, bodyShown: `(${formatSize(size)} of JSON padding)` }),
    sentBytes: 0,
  };

  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80) });
    const done = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error && exchange.status === undefined) exchange.error = error;
      exchange.durationMs = performance.now() - began;
      resolve(exchange);
    };
    const onAbort = () => done('stopped');
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      exchange.timedOut = true;
      done(
        `no answer within ${Math.round(outgoing.timeoutMs / 1000)} s while a ${formatSize(size)} body was sent (${formatSize(exchange.sentBytes)} accepted)`,
      );
    }, outgoing.timeoutMs);
    const parser = new ResponseParser((response: ParsedResponse) => {
      exchange.status = response.status;
      exchange.headers = response.headers;
      exchange.body = response.body?.subarray(0, outgoing.maxBodyBytes) ?? Buffer.alloc(0);
      exchange.bytes = response.bodyBytes;
      exchange.truncated = response.bodyBytes > exchange.body.length;
      done();
    }, true);
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.push(chunk);
      } catch (error) {
        done(`unreadable answer: ${(error as Error).message}`);
      }
    });
    socket.on('end', () => {
      parser.end();
      done(
        `the service closed the connection without an answer after ${formatSize(exchange.sentBytes)} of the body`,
      );
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // EPIPE/ECONNRESET while sending is how a service that stops reading looks; an answer
      // may still be in the socket's buffer, so give it a moment.
      setTimeout(
        () =>
          done(
            `the connection was ${error.code === 'ECONNREFUSED' ? 'refused' : 'reset'} after ${formatSize(exchange.sentBytes)} of the body, with no answer`,
          ),
        50,
      );
    });
    socket.on('connect', () => {
      socket.write(headBytes);
      socket.write(prefix);
      let remaining = fillerLength;
      const pump = () => {
        while (remaining > 0 && !settled) {
          const part = remaining >= CHUNK ? filler : filler.subarray(0, remaining);
          remaining -= part.length;
          exchange.sentBytes += part.length;
          if (!socket.write(part)) {
            socket.once('drain', pump);
            return;
          }
        }
        if (!settled) socket.write(suffix);
      };
      pump();
    });
  });
}
