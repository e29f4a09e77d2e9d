/**
 * Writes a gate's verdict back to MLflow's model registry as model-version tags, through
 * MLflow's REST API (2.0): GET model-versions/get, POST model-versions/set-tag. The tracking
 * server comes from MLFLOW_TRACKING_URI, credentials from MLFLOW_TRACKING_TOKEN (bearer) or
 * MLFLOW_TRACKING_USERNAME/PASSWORD (basic), as MLflow's own clients read them.
 *
 * The verdict tag is first set to PENDING and only set to the verdict after every other tag
 * landed: a write cut short leaves PENDING, never an earlier run's PASS beside this run's details.
 */
import { UsageError } from '../../engine/errors.js';
import type { RunReport } from '../../domain/run-report.js';

/** MLflow refuses longer model-version tag values (5,000 on older servers). */
const MAX_TAG_VALUE = 5000;
const TIMEOUT_MS = 15_000;

export interface ModelVersionRef {
  name: string;
  version: string;
}

/** "NAME/VERSION" (the name may itself hold slashes: the version is after the last one). */
export function parseModelVersionRef(text: string): ModelVersionRef {
  const at = text.lastIndexOf('/');
  const name = text.slice(0, at).trim();
  const version = text.slice(at + 1).trim();
  if (at <= 0 || !name || !/^\d+$/.test(version))
    throw new UsageError(
      `--mlflow-model "${text}" is not NAME/VERSION`,
      'give the registered model and its version number, e.g. --mlflow-model digits-mlp/3',
    );
  return { name, version };
}

export interface RegistryClient {
  readonly server: string;
  getModelVersion(ref: ModelVersionRef): Promise<Record<string, unknown>>;
  setTag(ref: ModelVersionRef, key: string, value: string): Promise<void>;
}

export class MlflowError extends Error {}

export function registryClient(env: NodeJS.ProcessEnv): RegistryClient {
  const uri = env.MLFLOW_TRACKING_URI?.trim();
  if (!uri || !/^https?:\/\//i.test(uri))
    throw new UsageError(
      uri ? `MLFLOW_TRACKING_URI "${uri}" is not an http(s) URL` : '--mlflow-model needs MLFLOW_TRACKING_URI',
      'set MLFLOW_TRACKING_URI to the tracking server, e.g. https://mlflow.example.com',
    );
  const base = uri.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (env.MLFLOW_TRACKING_TOKEN) headers.authorization = `Bearer ${env.MLFLOW_TRACKING_TOKEN}`;
  else if (env.MLFLOW_TRACKING_USERNAME)
    headers.authorization = `Basic ${Buffer.from(`${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD ?? ''}`).toString('base64')}`;
  const server = new URL(base).origin;
  // fetch refuses URLs with credentials in them; MLflow's clients take them from these variables.
  if (new URL(base).username || new URL(base).password)
    throw new UsageError(
      'MLFLOW_TRACKING_URI has a user name or password in it',
      'put them in MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or use MLFLOW_TRACKING_TOKEN)',
    );
  if (headers.authorization && new URL(base).protocol === 'http:' && !isLoopback(new URL(base).hostname))
    throw new UsageError(
      `MLflow at ${server} is plain http: the credentials would cross the network in the clear`,
      'use https (plain http is accepted on loopback only)',
    );
  const credentials = [env.MLFLOW_TRACKING_TOKEN, env.MLFLOW_TRACKING_PASSWORD].filter(
    (value): value is string => Boolean(value && value.length >= 4),
  );
  // A server that echoes the request (a proxy's error page) must not put the token in our output.
  const scrub = (text: string) =>
    credentials.reduce((out, secret) => out.split(secret).join('[redacted]'), text);

  async function call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetch(`${base}/api/2.0/mlflow/${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'manual',
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new MlflowError(`cannot reach MLflow at ${server} (${cause})`);
    }
    if (response.status >= 300 && response.status < 400)
      throw new MlflowError(
        `MLflow at ${server} answered ${response.status}, a redirect to ${response.headers.get('location') ?? '?'}: set MLFLOW_TRACKING_URI to where it leads (credentials are not sent on)`,
      );
    const text = await response.text();
    let json: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = text ? JSON.parse(text) : {};
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        json = parsed as Record<string, unknown>;
    } catch {
      // An HTML page from a proxy: not MLflow's answer.
    }
    if (!response.ok) {
      const code = typeof json?.error_code === 'string' ? `${json.error_code}: ` : '';
      const message = typeof json?.message === 'string' ? json.message.slice(0, 300) : response.statusText;
      throw new MlflowError(
        scrub(`MLflow at ${server} answered ${response.status} to ${path}: ${code}${message}`),
      );
    }
    // A 2xx that is not JSON (a login page, a proxy) did not do what was asked.
    if (!json) throw new MlflowError(`MLflow at ${server} answered ${path} with something that is not JSON`);
    return json;
  }

  return {
    server,
    async getModelVersion(ref) {
      const query = new URLSearchParams({ name: ref.name, version: ref.version });
      const json = await call('GET', `model-versions/get?${query}`);
      const version = json.model_version;
      if (!version || typeof version !== 'object')
        throw new MlflowError(`MLflow at ${server} answered model-versions/get without a model_version`);
      return version as Record<string, unknown>;
    },
    async setTag(ref, key, value) {
      await call('POST', 'model-versions/set-tag', { name: ref.name, version: ref.version, key, value });
    },
  };
}

/** The tags that say what gated this model version, in the order they are written. */
export function verdictTags(report: RunReport): Array<[string, string]> {
  const reasons = report.verdict.blocking.map((reason) => `${reason.itemId ?? 'gate'}: ${reason.message}`);
  const artifacts = Object.fromEntries(report.artifacts.map((a) => [a.name, a.sha256 ?? null]));
  return [
    ['mlgate.profile', report.profile ?? 'none'],
    ['mlgate.checked_at', report.finishedAt],
    ['mlgate.tool_version', report.tool.version],
    ['mlgate.spec_sha256', report.spec.sha256],
    ['mlgate.counts', JSON.stringify(report.counts)],
    ['mlgate.artifacts', clip(JSON.stringify(artifacts))],
    ['mlgate.reasons', clip(reasons.join('\n') || 'none')],
    ...(report.runId === undefined
      ? []
      : ([['mlgate.run', String(report.runId)]] as Array<[string, string]>)),
  ];
}

function clip(text: string): string {
  return text.length <= MAX_TAG_VALUE ? text : `${text.slice(0, MAX_TAG_VALUE - 14)}… (truncated)`;
}

/**
 * The verdict tags: `mlgate.verdict.<profile>` holds PASS or BLOCKED for that profile (a
 * promotion to production requires `mlgate.verdict.prod = PASS`), and `mlgate.verdict` says
 * which profile decided last ("PASS (dev)"), so it never equals a bare "PASS" that a check
 * for production could mistake for its own.
 */
export function verdictKeys(profile: string | null): { profileKey: string; summaryKey: string } {
  return { profileKey: `mlgate.verdict.${profile ?? 'default'}`, summaryKey: 'mlgate.verdict' };
}

/** Before the run: PENDING, so no earlier verdict of this profile stands while this one is decided. */
export async function markPending(
  client: RegistryClient,
  ref: ModelVersionRef,
  profile: string | null,
): Promise<void> {
  const { profileKey, summaryKey } = verdictKeys(profile);
  await client.setTag(ref, profileKey, 'PENDING');
  await client.setTag(ref, summaryKey, `PENDING (${profile ?? 'default'})`);
}

/** After the run: the details, then the verdict last (see the module comment). */
export async function writeVerdict(
  client: RegistryClient,
  ref: ModelVersionRef,
  report: RunReport,
): Promise<string> {
  const { profileKey, summaryKey } = verdictKeys(report.profile);
  await client.setTag(ref, profileKey, 'PENDING');
  for (const [key, value] of verdictTags(report)) await client.setTag(ref, key, value);
  // A part of the spec (--only) or an interrupted run never tags a version PASS.
  const whole = report.complete && report.selection === null;
  const status = whole ? report.verdict.status : 'BLOCKED';
  await client.setTag(ref, profileKey, status);
  await client.setTag(ref, summaryKey, `${status} (${report.profile ?? 'default'})`);
  // Read back: a proxy that answers 200 without writing must not leave us saying it was written.
  const stored = await client.getModelVersion(ref);
  const tags = Array.isArray(stored.tags) ? (stored.tags as Array<{ key?: string; value?: string }>) : [];
  if (!tags.some((tag) => tag.key === profileKey && tag.value === status))
    throw new MlflowError(`MLflow did not keep ${profileKey}=${status} (read back after writing)`);
  return `${profileKey}=${status}`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
