/**
 * A team's mlgate server as a gate's store (`MLGATE_SERVER`, `MLGATE_TOKEN`, or `--server`):
 * sign-offs and baselines are read from it, the run is uploaded to it. Written against the
 * server's API contract (server/api/contract.ts).
 *
 * Fail closed when the server cannot be reached or answers nonsense: the run goes on and says
 * so, sign-offs count as pending (no events), and a baseline item errors (history throws) —
 * never "no baseline yet", which `on_missing_baseline: pass` would turn into a pass.
 */
import type { RunHistory } from '../engine/types.js';
import type { RunReport } from '../domain/run-report.js';
import {
  AttestationList,
  SignoffEventList,
  type UploadRun,
  RunCreated,
  Baseline,
  ItemMeasured,
  RunDetail,
} from '../server/api/contract.js';
import type { LoadedSpec } from '../spec/load.js';
import type { SignoffEvent } from '../store/signoffs.js';
import { UsageError } from '../engine/errors.js';
import type { GateStore } from './store.js';

const TIMEOUT_MS = 20_000;

export class ServerError extends Error {}

export interface ServerTarget {
  url: string;
  token: string;
}

/** --server, else MLGATE_SERVER; the token only from MLGATE_TOKEN (never a flag: it would sit in shell history and `ps`). */
export function serverTarget(flag: string | undefined, env: NodeJS.ProcessEnv): ServerTarget | undefined {
  const url = (flag ?? env.MLGATE_SERVER)?.trim();
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `the server "${url}" is not a URL`,
      'give https://HOST[:PORT] (MLGATE_SERVER or --server)',
    );
  }
  if (!/^https?:$/.test(parsed.protocol))
    throw new UsageError(`the server "${url}" is not http(s)`, 'give https://HOST[:PORT]');
  if (parsed.protocol === 'http:' && !isLoopback(parsed.hostname))
    throw new UsageError(
      `the server ${parsed.origin} is plain http: the token would cross the network in the clear`,
      'use https (plain http is accepted on loopback only)',
    );
  const token = env.MLGATE_TOKEN?.trim();
  if (!token)
    throw new UsageError(
      `MLGATE_TOKEN is not set for the server ${parsed.origin}`,
      'create one with `mlgate server token create --name ci --role runner` and set MLGATE_TOKEN',
    );
  return { url: parsed.origin + parsed.pathname.replace(/\/+$/, ''), token };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** One call to /api/v1; a problem-details answer becomes its title and detail. 404 → undefined when allowed. */
/** Servers that did not answer in this process: later calls fail at once instead of waiting again. */
const unreachable = new Map<string, string>();

export async function callServer<T>(
  target: ServerTarget,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  options: { body?: unknown; schema: { parse(value: unknown): T }; notFound?: 'undefined' },
): Promise<T | undefined> {
  const down = unreachable.get(target.url);
  if (down) throw new ServerError(down);
  const scrub = (text: string) =>
    target.token.length >= 4 ? text.split(target.token).join('[redacted]') : text;
  let response: Response;
  try {
    response = await fetch(`${target.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        accept: 'application/json',
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'manual',
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    const message = `cannot reach the mlgate server ${new URL(target.url).origin} (${cause === 'TimeoutError' ? `no answer in ${TIMEOUT_MS / 1000} s` : cause})`;
    unreachable.set(target.url, message);
    throw new ServerError(message);
  }
  if (response.status >= 300 && response.status < 400)
    throw new ServerError(
      `the mlgate server answered ${response.status}, a redirect to ${response.headers.get('location') ?? '?'}: set MLGATE_SERVER to where it leads (the token is not sent on)`,
    );
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (response.status === 404 && options.notFound === 'undefined') return undefined;
  if (!response.ok) {
    const problem = (json ?? {}) as { title?: string; detail?: string };
    const what = [problem.title, problem.detail].filter(Boolean).join(': ') || response.statusText;
    throw new ServerError(
      scrub(`the mlgate server answered ${response.status} to ${method} ${path}: ${what}`),
    );
  }
  try {
    return options.schema.parse(json);
  } catch {
    throw new ServerError(`the mlgate server's answer to ${method} ${path} is not what API v1 says`);
  }
}

/** What each manual item requires, as the spec says: the server shows who must act from it. */
export function manualRequirements(loaded: LoadedSpec): UploadRun['manual'] {
  const out: UploadRun['manual'] = {};
  for (const item of loaded.items) {
    if (!item.manual) continue;
    const renew = item.manual.renew_every;
    out[item.id] = {
      roles: item.manual.roles,
      comment_required: item.manual.comment_required,
      evidence_required: item.manual.evidence_required,
      ...(renew === undefined ? {} : { renew_every: typeof renew === 'number' ? `${renew}s` : renew }),
    };
  }
  return out;
}

export async function remoteGateStore(
  target: ServerTarget,
  loaded: LoadedSpec,
  options: { modelVersion?: { name: string; version: string } } = {},
): Promise<GateStore> {
  const project = encodeURIComponent(loaded.spec.project.name);
  const notices: string[] = [];
  const origin = new URL(target.url).origin;
  return {
    where: `server ${origin}`,
    notices,
    async signoffEvents() {
      try {
        const list = await callServer(target, 'GET', `/projects/${project}/signoffs/events`, {
          schema: SignoffEventList,
        });
        const byItem = new Map<string, SignoffEvent[]>();
        const unreadable = new Set<string>();
        for (const event of list!.events) {
          // A date that cannot be read could make a lapsed approval or an ended waiver look
          // current: every record of that item is set aside (its sign-off pending, no waiver).
          if (
            !isIsoTime(event.at) ||
            (event.expiresAt !== null && !isIsoTime(event.expiresAt)) ||
            (event.action === 'waive' && event.expiresAt === null)
          ) {
            unreadable.add(event.itemId);
            continue;
          }
          const { specSha256: _spec, ...rest } = event;
          const events = byItem.get(event.itemId) ?? [];
          events.push(rest as SignoffEvent);
          byItem.set(event.itemId, events);
        }
        // A sign-off is given by its spec roles. The server learns an item's roles from the
        // runner's upload, so its waiver decisions cannot show an approver of those roles
        // decided: waivers of sign-off items from a server do not count here.
        const manualItems = new Set(loaded.items.filter((item) => item.manual).map((item) => item.id));
        for (const itemId of manualItems) {
          const events = byItem.get(itemId);
          if (!events?.some((event) => event.action === 'waive' || event.action === 'unwaive')) continue;
          byItem.set(
            itemId,
            events.filter((event) => event.action !== 'waive' && event.action !== 'unwaive'),
          );
          notices.push(
            `the server's waivers of the sign-off ${itemId} do not count: a sign-off is given by its roles, not waived`,
          );
        }
        for (const itemId of unreadable) {
          byItem.delete(itemId);
          notices.push(
            `the server's sign-off records of ${itemId} have a date that is not an ISO time: none of them count (pending, no waiver)`,
          );
        }
        return byItem;
      } catch (error) {
        // Fail closed: no record read means every sign-off is pending and no waiver applies.
        notices.push(
          `${(error as Error).message}: sign-offs count as pending and no waiver applies in this run`,
        );
        return new Map();
      }
    },
    async signedRecords() {
      try {
        const list = await callServer(target, 'GET', `/projects/${project}/signoffs/attestations`, {
          schema: AttestationList,
          notFound: 'undefined',
        });
        return (list?.attestations ?? []).map((attestation) => ({
          name: `${origin} attestation #${attestation.id}`,
          text: JSON.stringify(attestation.envelope),
        }));
      } catch (error) {
        // Fail closed, as for the events: roles decided by signatures stay pending.
        notices.push(`${(error as Error).message}: the server's signed sign-offs were not read`);
        return [];
      }
    },
    history(): RunHistory {
      return {
        async find(selector, profile) {
          // Absent would mean any profile: a PASS of another profile must not be this one's baseline.
          const query = `?profile=${encodeURIComponent(profile ?? '')}`;
          if ('run' in selector) {
            const detail = await callServer(target, 'GET', `/projects/${project}/runs/${selector.run}`, {
              schema: RunDetail,
              notFound: 'undefined',
            });
            return detail && { id: detail.summary.id, startedAt: detail.summary.startedAt };
          }
          const path =
            'lastPass' in selector
              ? `/projects/${project}/baselines/last-pass${query}`
              : `/projects/${project}/baselines/tags/${encodeURIComponent(selector.tag)}`;
          // A server that cannot answer throws here, and the item errors: never "no baseline".
          const base = await callServer(target, 'GET', path, { schema: Baseline, notFound: 'undefined' });
          return base && { id: base.runId, startedAt: base.startedAt };
        },
        async item(runId, itemId) {
          const found = await callServer(
            target,
            'GET',
            `/projects/${project}/runs/${runId}/items/${encodeURIComponent(itemId)}`,
            { schema: ItemMeasured, notFound: 'undefined' },
          );
          return found && { status: found.status, measured: found.measured };
        },
      };
    },
    async saveRun(report: RunReport) {
      const created = await callServer(target, 'POST', `/projects/${project}/runs`, {
        body: {
          report,
          manual: manualRequirements(loaded),
          // The MLflow version this run gates (check --mlflow-model): the server marks it gated.
          ...(options.modelVersion ? { modelVersion: { registry: 'mlflow', ...options.modelVersion } } : {}),
        },
        schema: RunCreated,
      });
      return created!.id;
    },
    close: async () => {},
  };
}

/** 2026-11-30T12:00:00Z / +01:00, with or without fractions: what the API's dates are. */
function isIsoTime(text: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) &&
    !Number.isNaN(Date.parse(text))
  );
}
