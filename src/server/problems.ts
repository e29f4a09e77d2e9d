/**
 * Errors as RFC 9457 problem details: every error the server sends is one of these, with a
 * type URI naming the kind, a status, a title and a detail that says what to do.
 */
import type { z } from 'zod';

const TYPE_BASE = 'https://mlgate.dev/problems/';

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    /** The kind, as the last part of the type URI ("not-found"). */
    readonly kind: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: Array<{ path: string; message: string }>,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }

  get type(): string {
    return TYPE_BASE + this.kind;
  }
}

export const badRequest = (detail: string, errors?: Array<{ path: string; message: string }>) =>
  new HttpProblem(400, 'invalid-request', 'The request is not valid', detail, errors);
export const unauthorized = (detail: string) =>
  new HttpProblem(401, 'unauthorized', 'Authentication required', detail, undefined, {
    'www-authenticate': 'Bearer realm="mlgate"',
  });
export const forbidden = (detail: string) => new HttpProblem(403, 'forbidden', 'Not allowed', detail);
export const notFound = (detail: string) => new HttpProblem(404, 'not-found', 'Not found', detail);
export const conflict = (detail: string) => new HttpProblem(409, 'conflict', 'Conflict', detail);
export const unprocessable = (detail: string, errors?: Array<{ path: string; message: string }>) =>
  new HttpProblem(422, 'unprocessable', 'The request cannot be carried out', detail, errors);
export const tooManyRequests = (retryAfterSeconds: number) =>
  new HttpProblem(
    429,
    'rate-limited',
    'Too many requests',
    `slow down: try again in ${retryAfterSeconds} s`,
    undefined,
    { 'retry-after': String(retryAfterSeconds) },
  );

/** Every issue of a zod error, as `errors` lists them. */
export function zodErrors(error: z.ZodError, prefix: string): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

export function problemBody(problem: HttpProblem, instance?: string) {
  return {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    ...(problem.detail ? { detail: problem.detail } : {}),
    ...(instance ? { instance } : {}),
    ...(problem.errors ? { errors: problem.errors } : {}),
  };
}
