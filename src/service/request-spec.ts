/**
 * A request as written in a spec — method, path (or url), query, headers, body, declared in
 * request-fields.ts — and how it becomes bytes on the wire. Shared by the `http` and
 * `http-contract` kinds.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { CheckContext } from '../engine/types.js';
import { formatSize } from '../util/units.js';
import type { RequestParams } from './request-fields.js';
import { newFormData, type OutgoingRequest } from './request.js';
import { Secrets, TemplateError } from './template.js';

export {
  METHODS,
  RequestBody,
  RequestFields,
  type RequestParams,
  requestTargetIssue,
} from './request-fields.js';

const TYPES_BY_EXTENSION: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.wav': 'audio/wav',
  '.npy': 'application/octet-stream',
  '.parquet': 'application/octet-stream',
};

export function contentTypeFor(path: string): string {
  return TYPES_BY_EXTENSION[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** The environment `${env.X}` reads: mlgate's own, plus what the managed service was given. */
export function templateEnv(ctx: CheckContext): Record<string, string | undefined> {
  return { ...process.env, ...ctx.service?.env };
}

/** Turns request params into a request; TemplateError and file errors explain themselves. */
export async function buildRequest(
  ctx: CheckContext,
  params: RequestParams,
  secrets: Secrets,
  options: { timeoutMs: number; maxBodyBytes: number },
): Promise<OutgoingRequest> {
  const env = templateEnv(ctx);
  const base = params.url ?? `${serviceUrl(ctx)}${params.path}`;
  const url = new URL(secrets.expand(base, env, 'url'));
  for (const [name, value] of Object.entries(params.query)) {
    url.searchParams.append(name, secrets.expand(String(value), env, `query.${name}`));
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(params.headers)) {
    headers[name.toLowerCase()] = secrets.expand(value, env, `headers.${name}`);
  }
  const outgoing: OutgoingRequest = {
    method: params.method,
    url: url.toString(),
    headers,
    timeoutMs: options.timeoutMs,
    maxBodyBytes: options.maxBodyBytes,
  };
  const body = params.body;
  if (!body) return outgoing;
  const setType = (type: string) => {
    if (!('content-type' in headers)) headers['content-type'] = type;
  };
  if ('json' in body) {
    const text = secrets.expand(JSON.stringify(body.json), env, 'body.json');
    outgoing.body = text;
    outgoing.bodyShown = excerpt(JSON.stringify(body.json));
    setType('application/json');
  } else if ('text' in body) {
    outgoing.body = secrets.expand(body.text, env, 'body.text');
    outgoing.bodyShown = excerpt(body.text);
    setType(body.content_type);
  } else if ('file' in body) {
    const data = await readBodyFile(ctx, body.file);
    outgoing.body = data;
    outgoing.bodyShown = `(file ${body.file}, ${formatSize(data.length)})`;
    setType(body.content_type ?? contentTypeFor(body.file));
  } else {
    const form = newFormData();
    const shown: string[] = [];
    for (const [field, value] of Object.entries(body.multipart)) {
      if (typeof value === 'string') {
        form.append(field, secrets.expand(value, env, `body.multipart.${field}`));
        shown.push(`${field}=${excerpt(value, 40)}`);
      } else {
        const data = await readBodyFile(ctx, value.file);
        const type = value.content_type ?? contentTypeFor(value.file);
        form.append(field, new Blob([data], { type }), value.filename ?? basename(value.file));
        shown.push(`${field}=@${value.file} (${type}, ${formatSize(data.length)})`);
      }
    }
    outgoing.body = form;
    outgoing.bodyShown = `multipart/form-data: ${shown.join('; ')}`;
  }
  return outgoing;
}

export function serviceUrl(ctx: CheckContext): string {
  if (!ctx.service) throw new TemplateError('this item needs the service, and there is none');
  return ctx.service.url;
}

async function readBodyFile(ctx: CheckContext, path: string): Promise<Buffer> {
  try {
    return await readFile(ctx.resolve(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TemplateError(
      code === 'ENOENT'
        ? `body file ${path} not found`
        : `cannot read body file ${path}: ${(error as Error).message}`,
    );
  }
}

function excerpt(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

export { Secrets };
