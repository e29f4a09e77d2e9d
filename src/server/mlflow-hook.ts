/**
 * POST /api/v1/hooks/mlflow: MLflow's model-registry webhook. No token: MLflow signs each delivery
 * (X-MLflow-Signature, an HMAC over delivery id, timestamp and the raw body) with the secret the
 * server was given; without that secret the route is off. The signature is checked over the
 * bytes as they arrived, so this route alone gets its body unparsed (a Fastify plugin scope of
 * its own, with a raw-body parser); only then is the JSON read.
 *
 * Replays: a delivery older or newer than the tolerance (5 min) is refused (401); inside it, a
 * delivery id already recorded is acknowledged (200 "replayed") and nothing is written again.
 * The query string is not signed: `?project=` picks where a version is recorded, and because a
 * delivery id is recorded once whatever the project, a captured delivery cannot be recorded
 * again elsewhere.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { verifyMlflowWebhook } from '../integrations/mlflow/webhook.js';
import { API_PREFIX, HookQuery } from './api/contract.js';
import { recordMlflowDelivery } from './model-versions.js';
import { badRequest, HttpProblem, tooManyRequests, zodErrors } from './problems.js';
import type { RateLimiter } from './rate-limit.js';
import type { Service } from './service.js';

export const MLFLOW_HOOK_PATH = `${API_PREFIX}/hooks/mlflow`;
/** MLflow's payloads are a few hundred bytes. */
const HOOK_BODY_LIMIT = 64 * 1024;

export interface MlflowHookDeps {
  ctx: Service;
  limiter: RateLimiter;
  /** The shared webhook secret; undefined or empty: the route answers that it is off. */
  secret: string | undefined;
}

/** Exactly the bytes received, as text: invalid UTF-8 is refused, a BOM is kept (it was signed). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export async function registerMlflowHook(app: FastifyInstance, deps: MlflowHookDeps): Promise<void> {
  await app.register(async (scope) => {
    // Encapsulated: these parsers apply to this route only; the rest of the API parses JSON.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: HOOK_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    scope.post(MLFLOW_HOOK_PATH, { bodyLimit: HOOK_BODY_LIMIT }, async (request, reply) => {
      const wait = deps.limiter.take(`ip:${request.ip}`);
      if (wait > 0) throw tooManyRequests(wait);
      if (!deps.secret)
        throw new HttpProblem(
          404,
          'webhook-off',
          'The MLflow webhook is off',
          'this server has no MLflow webhook secret: start it with the secret in $MLGATE_MLFLOW_WEBHOOK_SECRET (or --mlflow-webhook-secret-env NAME)',
        );
      const query = HookQuery.safeParse(request.query ?? {});
      if (!query.success) {
        const errors = zodErrors(query.error, 'query');
        throw badRequest(`${errors[0]!.path}: ${errors[0]!.message}`, errors);
      }
      const checked = verifyMlflowWebhook(request.headers, rawText(request), deps.secret, deps.ctx.now());
      if (!checked.ok)
        throw checked.status === 400
          ? badRequest(checked.reason)
          : new HttpProblem(401, 'webhook-unverified', 'The delivery is not verified', checked.reason);
      // MLflow's ids are UUIDs; a signed but oversized one is a sender's mistake, not a record.
      if (checked.deliveryId.length > 200) throw badRequest('the delivery id is longer than 200 characters');
      const ack = await recordMlflowDelivery(deps.ctx, {
        deliveryId: checked.deliveryId,
        event: checked.event,
        ...(query.data.project ? { project: query.data.project } : {}),
      });
      return reply.code(200).type('application/json').send(ack);
    });
  });
}

function rawText(request: FastifyRequest): string {
  const body = request.body;
  if (body === undefined || body === null) return '';
  if (!Buffer.isBuffer(body)) throw badRequest('the body could not be read as bytes');
  try {
    return UTF8.decode(body);
  } catch {
    throw badRequest('the body is not UTF-8 text');
  }
}
