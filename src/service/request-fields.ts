/**
 * The request fields of a spec (method, path or url, query, headers, body) and their checks:
 * what the http, load, http-contract and service-shutdown kinds declare in their params. Apart
 * from request-spec.ts, which turns them into a request, so that validating a spec does not
 * load the HTTP client and the redactor.
 */
import { z } from 'zod';

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

const FilePart = z.strictObject({
  file: z.string().min(1).describe('A file, relative to the spec.'),
  content_type: z.string().optional().describe('Its type; guessed from the extension if not given.'),
  filename: z.string().optional().describe("The file name sent; the file's own by default."),
});

export const RequestBody = z
  .union(
    [
      z.strictObject({ json: z.unknown().describe('A JSON value, sent as application/json.') }),
      z.strictObject({
        text: z.string().describe('Text, sent as is.'),
        content_type: z.string().default('text/plain; charset=utf-8'),
      }),
      z.strictObject({
        file: z.string().min(1).describe('A file sent as the body, relative to the spec.'),
        content_type: z.string().optional().describe('Its type; guessed from the extension if not given.'),
      }),
      z.strictObject({
        multipart: z
          .record(z.string(), z.union([z.string(), FilePart]))
          .describe('Form fields: text, or {file: ...} for an upload (curl -F image=@digit.png).'),
      }),
    ],
    {
      error:
        'expected a body: {json: ...}, {text: ...}, {file: path} or {multipart: {field: value or {file: path}}}',
    },
  )
  .describe('The request body.');

export const RequestFields = {
  method: z.enum(METHODS).default('GET').describe('HTTP method.'),
  path: z
    .string()
    .regex(/^\//, { error: 'a path starts with "/" (e.g. /predict); for another host use url' })
    .optional()
    .describe("Path on the spec's service, e.g. /predict."),
  url: z
    .string()
    .url({ error: 'expected an absolute URL such as http://127.0.0.1:8080/health' })
    .optional()
    .describe('Or an absolute URL (then no service section is needed).'),
  query: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .default({})
    .describe('Query parameters; values may use ${env.NAME}.'),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .describe(
      'Request headers; values may use ${env.NAME} (e.g. "Bearer ${env.API_TOKEN}"), never shown in reports.',
    ),
  body: RequestBody.optional(),
};

export interface RequestParams {
  method: (typeof METHODS)[number];
  path?: string;
  url?: string;
  query: Record<string, string | number | boolean>;
  headers: Record<string, string>;
  body?: z.output<typeof RequestBody>;
}

export function requestTargetIssue(params: { path?: string; url?: string }): string | undefined {
  if ((params.path === undefined) === (params.url === undefined))
    return 'give either "path" (on the service) or "url"';
  return undefined;
}
