/**
 * The server: Fastify, built apart from listening (`buildServer` then `listen`), so tests use
 * `app.inject()` and real sockets alike. Stateless: everything lives in the store, so any
 * number of replicas can serve one PostgreSQL database behind a load balancer.
 *
 * Every request is authorised (only /api/v1/health, /api/v1/openapi.json and the web login
 * page are open); every error is an RFC 9457 problem; bodies are limited; callers are rate
 * limited; no CORS headers are sent (browsers keep other sites out); security headers are on.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Store } from '../store/db.js';
import { API_PREFIX, ROUTES } from './api/contract.js';
import { openApiDocument } from './api/openapi.js';
import { authenticator, type OidcOptions, type Principal, requireRole } from './auth.js';
import { badRequest, HttpProblem, problemBody, tooManyRequests, zodErrors } from './problems.js';
import { registerMlflowHook } from './mlflow-hook.js';
import { listModelVersions } from './model-versions.js';
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from './rate-limit.js';
import * as service from './service.js';
import type { ServerSigner } from './signing.js';
import { registerWeb } from './web/pages.js';

export interface ServerOptions {
  store: Store;
  oidc?: OidcOptions;
  rateLimit?: RateLimitOptions;
  /** Largest run upload, bytes (a 1,000-item report is about 0.5 MB). Other bodies: 64 KiB. */
  uploadLimit?: number;
  now?: () => Date;
  /** Fastify's logger (off in tests). */
  logger?: boolean;
  /** The secret MLflow signs its webhook deliveries with; without it /hooks/mlflow is off. */
  mlflowWebhookSecret?: string;
  /** The server's signing key: server-side approvals and revocations are then also signed records. */
  signer?: ServerSigner;
}

export const DEFAULT_UPLOAD_LIMIT = 16 * 1024 * 1024;
const BODY_LIMIT = 64 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

interface HandlerInput {
  principal: Principal;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
}

type Handler = (input: HandlerInput) => Promise<unknown>;

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT,
    // A client that sends a request slowly (or never finishes it) is cut off.
    requestTimeout: 60_000,
    // Behind a load balancer the client address comes from it; rate limits by token do not need it.
    trustProxy: false,
  });
  const ctx: service.Service = {
    store: options.store,
    now: options.now ?? (() => new Date()),
    ...(options.signer ? { signer: options.signer } : {}),
  };
  const auth = authenticator(options.store, options.oidc);
  const limiter = new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT);

  app.addHook('onSend', async (request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (request.url.startsWith(API_PREFIX)) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    let problem: HttpProblem;
    if (error instanceof HttpProblem) problem = error;
    else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      problem = new HttpProblem(413, 'body-too-large', 'The body is too large', error.message);
    else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      problem = new HttpProblem(415, 'unsupported-media-type', 'Send application/json', error.message);
    else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)
      problem = new HttpProblem(
        error.statusCode,
        'invalid-request',
        'The request is not valid',
        error.message,
      );
    else {
      request.log.error(error);
      // Fail closed, and say nothing of the inside.
      problem = new HttpProblem(
        500,
        'internal',
        'Internal error',
        'the server could not do this; it is logged',
      );
    }
    sendProblem(reply, problem, request.url);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new HttpProblem(
        404,
        'not-found',
        'Not found',
        `no route ${request.method} ${request.url.split('?')[0]}`,
      ),
      request.url,
    ),
  );

  /** Who is calling, counted against their rate limit; failed logins count against the address. */
  async function principalOf(request: FastifyRequest): Promise<Principal> {
    let principal: Principal;
    try {
      principal = await auth.authenticate(request.headers.authorization);
    } catch (error) {
      // Guessing tokens costs: past the budget, a wrong credential gets 429, not another try.
      const wait = limiter.take(`ip:${request.ip}`);
      if (wait > 0) throw tooManyRequests(wait);
      throw error;
    }
    const wait = limiter.take(principal.key);
    if (wait > 0) throw tooManyRequests(wait);
    return principal;
  }

  const handlers: Record<string, Handler> = {
    health: async () => ({ ok: true, dialect: options.store.dialect }),
    whoami: async ({ principal }) => ({ name: principal.name, via: principal.via, roles: principal.roles }),
    listProjects: () => service.listProjects(ctx),
    createProject: ({ principal, body }) => service.createProject(ctx, principal, body as never),
    getProject: ({ params }) => service.getProject(ctx, params.project as string),
    setSigners: ({ principal, params, body }) =>
      service.setSigners(ctx, principal, params.project as string, body as never),
    listRuns: ({ params, query }) => service.listProjectRuns(ctx, params.project as string, query as never),
    uploadRun: ({ principal, params, body }) =>
      service.uploadRun(ctx, principal, params.project as string, body as never),
    getRun: ({ params }) => service.getRun(ctx, params.project as string, params.run as string),
    getRunItem: ({ params }) =>
      service.getRunItem(ctx, params.project as string, params.run as string, params.item as string),
    diffRuns: ({ params, query }) => service.diff(ctx, params.project as string, query as never),
    listPending: ({ params, query }) =>
      service.pendingSignoffs(ctx, params.project as string, query as never),
    listSignoffEvents: ({ params, query }) =>
      service.signoffEvents(ctx, params.project as string, query.item as string | undefined),
    approve: ({ principal, params, body }) =>
      service.approve(ctx, principal, params.project as string, body as never),
    revoke: ({ principal, params, body }) =>
      service.revoke(ctx, principal, params.project as string, body as never),
    listAttestations: ({ params }) => service.listAttestations(ctx, params.project as string),
    uploadAttestation: ({ principal, params, body }) =>
      service.uploadAttestation(ctx, principal, params.project as string, body as never),
    listWaivers: ({ params, query }) =>
      service.listWaivers(ctx, params.project as string, query.state as never),
    requestWaiver: ({ principal, params, body }) =>
      service.requestWaiver(ctx, principal, params.project as string, body as never),
    getWaiver: ({ params }) => service.getWaiver(ctx, params.project as string, params.id as number),
    approveWaiver: ({ principal, params, body }) =>
      service.decideWaiver(
        ctx,
        principal,
        params.project as string,
        params.id as number,
        'approve',
        body as never,
      ),
    denyWaiver: ({ principal, params, body }) =>
      service.decideWaiver(
        ctx,
        principal,
        params.project as string,
        params.id as number,
        'deny',
        body as never,
      ),
    revokeWaiver: ({ principal, params, body }) =>
      service.revokeWaiver(ctx, principal, params.project as string, params.id as number, body as never),
    listTags: ({ params }) => service.listTags(ctx, params.project as string),
    setTag: ({ principal, params, body }) =>
      service.setTag(ctx, principal, params.project as string, params.tag as string, body as never),
    baselineLastPass: ({ params, query }) =>
      service.baselineLastPass(ctx, params.project as string, query.profile as string | undefined),
    baselineTag: ({ params }) => service.baselineTag(ctx, params.project as string, params.tag as string),
    listAudit: ({ query }) => service.listAudit(ctx, query as never),
    listModelVersions: ({ params, query }) =>
      listModelVersions(ctx, params.project as string, query as never),
  };

  app.get(`${API_PREFIX}/openapi.json`, async () => openApiDocument());

  for (const route of ROUTES) {
    // Signed by its sender, not authorised by a token: registered apart (raw body, see mlflow-hook.ts).
    if (route.access === 'webhook') continue;
    const handler = handlers[route.operationId];
    if (!handler) throw new Error(`no handler for ${route.operationId}`);
    app.route({
      method: route.method,
      url: API_PREFIX + route.path,
      bodyLimit:
        route.operationId === 'uploadRun' ? (options.uploadLimit ?? DEFAULT_UPLOAD_LIMIT) : BODY_LIMIT,
      handler: async (request, reply) => {
        const principal = route.access === 'public' ? undefined : await principalOf(request);
        // Roles first: a caller without them learns nothing from validation errors.
        if (
          principal &&
          route.access !== 'any' &&
          route.access !== 'approver' &&
          route.access !== 'waiver-request'
        )
          requireRole(principal, route.access as 'viewer' | 'runner' | 'admin');
        if (principal && (route.access === 'approver' || route.access === 'waiver-request'))
          requireRole(principal, 'viewer');
        const input: HandlerInput = {
          principal: principal!,
          params: parse(route.params, request.params, 'path'),
          query: parse(route.query, request.query, 'query'),
          body: route.body ? parse(route.body, request.body, 'body') : undefined,
        };
        const result = await handler(input);
        reply.code(route.status).type('application/json');
        return result;
      },
    });
  }

  await registerMlflowHook(app, { ctx, limiter, secret: options.mlflowWebhookSecret });
  await registerWeb(app, { ctx, auth, limiter });
  return app;
}

function parse(
  schema: z.ZodType | undefined,
  value: unknown,
  where: 'path' | 'query' | 'body',
): Record<string, unknown> {
  if (!schema) return {};
  if (where === 'body' && (value === undefined || value === null))
    throw badRequest('send a JSON body (Content-Type: application/json)');
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const errors = zodErrors(result.error, where === 'body' ? '' : where);
    throw badRequest(
      `${errors.length} problem${errors.length === 1 ? '' : 's'} in the ${where}: ${errors[0]!.path || where}: ${errors[0]!.message}`,
      errors,
    );
  }
  return result.data as Record<string, unknown>;
}

export function sendProblem(reply: FastifyReply, problem: HttpProblem, instance?: string): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send(problemBody(problem, instance?.split('?')[0]));
}
