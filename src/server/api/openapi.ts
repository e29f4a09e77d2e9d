/**
 * The OpenAPI 3.1 document, generated from the route table and its zod schemas (contract.ts):
 * what the server validates is what the document says. OpenAPI 3.1 uses JSON Schema 2020-12.
 */
import { z } from 'zod';
import { TOOL_VERSION } from '../../version.js';
import { API_PREFIX, Problem, ROUTES } from './contract.js';

const schemaOf = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
};

let cached: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
  for (const route of ROUTES) {
    const path = API_PREFIX + route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, shape] of [
      ['path', route.params],
      ['query', route.query],
    ] as const) {
      if (!shape) continue;
      const json = schemaOf(shape, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(json.properties ?? {}))
        parameters.push({
          name,
          in: where,
          required: where === 'path' || (json.required ?? []).includes(name),
          schema,
        });
    }
    if (route.access === 'webhook')
      for (const name of ['X-MLflow-Delivery-Id', 'X-MLflow-Timestamp', 'X-MLflow-Signature'])
        parameters.push({ name, in: 'header', required: true, schema: { type: 'string' } });
    // A webhook carries no token: its sender signs the raw body with the shared secret.
    const secured = route.access !== 'public' && route.access !== 'webhook';
    (paths[path] ??= {})[route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      description: `Who: ${route.access}.`,
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
            },
          }
        : {}),
      ...(secured ? { security: [{ bearer: [] }] } : {}),
      responses: {
        [String(route.status)]: {
          description: 'OK',
          content: { 'application/json': { schema: schemaOf(route.response, 'output') } },
        },
        default: { description: 'A problem (RFC 9457)', content: problem },
      },
    };
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'mlgate server',
      version: TOOL_VERSION,
      description: 'One record of runs, sign-offs, waivers, tags and baselines for a team and its CI jobs.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Problem: schemaOf(Problem, 'output') },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token (mlgate server token create) or an OIDC JWT from the configured issuer.',
        },
      },
    },
  };
  return cached;
}
