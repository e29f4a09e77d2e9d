/**
 * MLflow model-registry webhooks (MLflow ≥ 3.3, OSS): the payload and its signature, as MLflow's
 * documentation and delivery code define them. A delivery carries
 *   X-MLflow-Delivery-Id: a UUID, X-MLflow-Timestamp: unix seconds,
 *   X-MLflow-Signature: "v1," + base64(HMAC-SHA256(secret, `${id}.${timestamp}.${body}`))
 * and a JSON body {entity, action, timestamp, data}. The signature is checked over the raw
 * body bytes as received (never a re-serialised object), in constant time, and a delivery
 * older or newer than the tolerance is refused so a captured one cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-mlflow-signature';
export const TIMESTAMP_HEADER = 'x-mlflow-timestamp';
export const DELIVERY_ID_HEADER = 'x-mlflow-delivery-id';
/** Standard Webhooks' default: five minutes either way. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type WebhookCheck =
  { ok: true; deliveryId: string; event: MlflowEvent } | { ok: false; status: 400 | 401; reason: string };

/** The events mlgate acts on; the others are acknowledged and ignored. */
export interface MlflowEvent {
  entity: string;
  action: string;
  /** model_version.created → the version to gate. */
  modelVersion?: { name: string; version: string; source?: string; runId?: string };
}

export function signMlflowDelivery(
  secret: string,
  deliveryId: string,
  timestamp: string,
  body: string,
): string {
  const digest = createHmac('sha256', secret)
    .update(`${deliveryId}.${timestamp}.${body}`, 'utf8')
    .digest('base64');
  return `v1,${digest}`;
}

type Headers = Record<string, string | string[] | undefined>;

const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};

export function verifyMlflowWebhook(
  headers: Headers,
  rawBody: string,
  secret: string,
  now: Date = new Date(),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): WebhookCheck {
  if (!secret)
    return { ok: false, status: 401, reason: 'no webhook secret is configured: every delivery is refused' };
  const deliveryId = header(headers, DELIVERY_ID_HEADER);
  const timestamp = header(headers, TIMESTAMP_HEADER);
  const signature = header(headers, SIGNATURE_HEADER);
  if (!deliveryId || !timestamp || !signature)
    return {
      ok: false,
      status: 401,
      reason: `missing ${SIGNATURE_HEADER}, ${TIMESTAMP_HEADER} or ${DELIVERY_ID_HEADER}`,
    };
  if (!/^\d{1,12}$/.test(timestamp))
    return { ok: false, status: 401, reason: 'the timestamp is not unix seconds' };
  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (skew > toleranceSeconds)
    return {
      ok: false,
      status: 401,
      reason: `the delivery is ${Math.round(skew)} s away from now (at most ${toleranceSeconds} s)`,
    };
  const expected = Buffer.from(signMlflowDelivery(secret, deliveryId, timestamp, rawBody));
  // MLflow sends one signature; Standard Webhooks allows several, space-separated.
  const matches = signature
    .split(' ')
    .map((candidate) => Buffer.from(candidate.trim()))
    .some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected));
  if (!matches) return { ok: false, status: 401, reason: 'the signature does not match the body' };
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return { ok: false, status: 400, reason: 'the body is not JSON' };
  }
  const event = readEvent(body);
  if (!event) return { ok: false, status: 400, reason: 'the body has no entity and action' };
  return { ok: true, deliveryId, event };
}

function readEvent(body: unknown): MlflowEvent | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { entity, action, data } = body as Record<string, unknown>;
  if (typeof entity !== 'string' || typeof action !== 'string') return undefined;
  const event: MlflowEvent = { entity, action };
  if (entity === 'model_version' && action === 'created' && data && typeof data === 'object') {
    const { name, version, source, run_id: runId } = data as Record<string, unknown>;
    if (typeof name === 'string' && (typeof version === 'string' || typeof version === 'number')) {
      event.modelVersion = {
        name,
        version: String(version),
        ...(typeof source === 'string' ? { source } : {}),
        ...(typeof runId === 'string' ? { runId } : {}),
      };
    }
  }
  return event;
}
