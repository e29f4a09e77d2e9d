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
import type { RunReport } from '../../report/schema.js';

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
        redirect: 'error',
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new MlflowError(`cannot reach MLflow at ${server} (${cause})`);
    }
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // An HTML error page from a proxy: the status says enough.
    }
    if (!response.ok) {
      const code = typeof json.error_code === 'string' ? `${json.error_code}: ` : '';
      const message = typeof json.message === 'string' ? json.message.slice(0, 300) : response.statusText;
      throw new MlflowError(`MLflow at ${server} answered ${response.status} to ${path}: ${code}${message}`);
    }
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

/** PENDING first, the details, then the verdict: see the module comment. */
export async function writeVerdict(
  client: RegistryClient,
  ref: ModelVersionRef,
  report: RunReport,
): Promise<void> {
  await client.setTag(ref, 'mlgate.verdict', 'PENDING');
  for (const [key, value] of verdictTags(report)) await client.setTag(ref, key, value);
  // A part of the spec (--only) or an interrupted run never tags a version PASS.
  const whole = report.complete && report.selection === null;
  await client.setTag(ref, 'mlgate.verdict', whole ? report.verdict.status : 'BLOCKED');
}
