/**
 * Following redirects, only when an item asks for it. A probe that follows a 302 silently
 * judges a server mlgate was not asked to judge (a way around the loopback-only rule, and a
 * "ready" that is someone else's 200), so HttpClient never follows; this walks the chain
 * explicitly, one hop at a time, refusing any Location that leaves this machine unless the
 * service is allowed to be remote, and records every hop as evidence.
 */
import type { Evidence } from '../domain/run-report.js';
import { formatDuration } from '../util/units.js';
import { isLoopbackHost } from './managed.js';
import { type HttpClient, type HttpExchange, type OutgoingRequest } from './request.js';
import { CREDENTIAL_HEADER } from '../redact/redactor.js';
import type { Secrets } from './template.js';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Whether a header must not be sent on to another origin: its name says credential (any name
 * with token, secret, password or api-key in it, as the redactor reads them), or its value
 * holds a secret the spec read from the environment (`X-Custom: ${env.API_TOKEN}`).
 */
function isCredential(name: string, value: string, secrets?: Secrets): boolean {
  return CREDENTIAL_HEADER.test(name) || (secrets !== undefined && secrets.mask(value) !== value);
}

export interface RedirectHop {
  status: number;
  from: string;
  /** The Location header as sent. */
  location: string;
  /** Where it points, resolved against `from`; undefined when it is not a URL. */
  to?: string;
  /** Followed, or why not. */
  outcome: 'followed' | string;
}

export interface FollowResult {
  /** The last answer: the final one, or the redirect that was not followed. */
  exchange: HttpExchange;
  hops: RedirectHop[];
  /** Why the chain stopped at a redirect (refused Location, too many hops); undefined when it ended. */
  stopped?: string;
  /** Credential headers dropped because a hop changed origin. */
  droppedHeaders: string[];
  /** The whole chain, all hops together. */
  durationMs: number;
}

export function isRedirect(exchange: HttpExchange): boolean {
  return exchange.status !== undefined && REDIRECT_STATUSES.has(exchange.status);
}

/** "302 to http://127.0.0.1:9/x" for a summary, or undefined when it is not a redirect. */
export function describeRedirect(exchange: HttpExchange, secrets: Secrets): string | undefined {
  if (!isRedirect(exchange)) return undefined;
  const location = exchange.headers.location;
  return location === undefined
    ? `${exchange.status} without a Location header`
    : `${exchange.status} to ${secrets.mask(location)}`;
}

/**
 * Sends the request and follows up to `maxHops` redirects. The time limit covers the whole
 * chain. 303 (and 301/302 after anything but GET/HEAD) continue as a GET without a body, as
 * clients do; 307/308 repeat the method and body.
 */
export async function sendFollowingRedirects(
  client: HttpClient,
  outgoing: OutgoingRequest,
  options: { maxHops: number; allowRemote: boolean; signal?: AbortSignal; secrets?: Secrets },
): Promise<FollowResult> {
  const began = performance.now();
  const deadline = began + outgoing.timeoutMs;
  const hops: RedirectHop[] = [];
  const dropped = new Set<string>();
  let current = outgoing;
  for (;;) {
    const exchange = await client.send(current, options.signal);
    const finish = (stopped?: string): FollowResult => ({
      exchange,
      hops,
      ...(stopped ? { stopped } : {}),
      droppedHeaders: [...dropped],
      durationMs: performance.now() - began,
    });
    if (!isRedirect(exchange)) return finish();
    const location = exchange.headers.location;
    if (location === undefined) return finish(`${exchange.status} without a Location header`);
    let target: URL;
    try {
      target = new URL(location, current.url);
    } catch {
      hops.push({ status: exchange.status!, from: current.url, location, outcome: 'not a URL' });
      return finish(`${exchange.status} to "${location}", which is not a URL`);
    }
    const hop: RedirectHop = {
      status: exchange.status!,
      from: current.url,
      location,
      to: target.toString(),
      outcome: 'followed',
    };
    hops.push(hop);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      hop.outcome = `refused: ${target.protocol} is not HTTP`;
      return finish(`${exchange.status} to ${location}: not followed, ${target.protocol} is not HTTP`);
    }
    if (!isLoopbackHost(target.hostname) && !options.allowRemote) {
      hop.outcome = 'refused: leaves this machine';
      return finish(
        `${exchange.status} to ${location}: not followed, it leaves this machine (redirects are followed only to loopback: 127.0.0.0/8, ::1, localhost; set allow_remote: true on the service to allow others)`,
      );
    }
    if (hops.length > options.maxHops) {
      hop.outcome = `refused: more than ${options.maxHops} redirects`;
      return finish(`more than ${options.maxHops} redirects (the last: ${exchange.status} to ${location})`);
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0 || options.signal?.aborted) {
      hop.outcome = 'not followed: out of time';
      return finish(
        `no complete answer within ${formatDuration(outgoing.timeoutMs)} (over ${hops.length} redirects)`,
      );
    }
    const headers = { ...current.headers };
    if (new URL(current.url).origin !== target.origin) {
      for (const [name, value] of Object.entries(headers)) {
        if (isCredential(name, String(value), options.secrets)) {
          delete headers[name];
          dropped.add(name);
        }
      }
    }
    const asGet =
      exchange.status === 303 ||
      ((exchange.status === 301 || exchange.status === 302) &&
        current.method !== 'GET' &&
        current.method !== 'HEAD');
    if (asGet) {
      delete headers['content-type'];
      delete headers['content-length'];
    }
    current = {
      ...current,
      url: target.toString(),
      headers,
      timeoutMs: Math.max(1, Math.round(remaining)),
      ...(asGet
        ? { method: current.method === 'HEAD' ? 'HEAD' : 'GET', body: undefined, bodyShown: undefined }
        : {}),
    };
  }
}

/** The chain as a table: each hop, where it pointed and what mlgate did with it. */
export function redirectEvidence(result: FollowResult, secrets: Secrets): Evidence {
  return {
    type: 'table',
    title: `redirects (${result.hops.length})${result.droppedHeaders.length ? `; not sent to another origin: ${result.droppedHeaders.join(', ')}` : ''}`,
    columns: ['hop', 'status', 'from', 'location', 'outcome'],
    rows: result.hops.map((hop, index) => [
      index + 1,
      hop.status,
      secrets.mask(hop.from),
      secrets.mask(hop.to ?? hop.location),
      hop.outcome,
    ]),
  };
}
