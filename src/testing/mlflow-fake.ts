/**
 * A small stand-in for an MLflow tracking server's model registry, written from MLflow's REST
 * API documentation (model-versions/get, model-versions/set-tag, their error shape). It is a
 * fake because a real MLflow server is a Python service CI does not have; it keeps every call
 * so tests can assert what mlgate sent, and can be told to fail the Nth set-tag.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeMlflow {
  url: string;
  /** tags by "name/version". */
  tags: Map<string, Map<string, string>>;
  calls: Array<{ method: string; path: string; authorization?: string; body?: unknown }>;
  /** Fail the set-tag call with this index (0-based) with a 500. */
  failSetTagAt?: number;
  close(): Promise<void>;
}

export async function startFakeMlflow(
  versions: Array<{ name: string; version: string }>,
  options: { token?: string } = {},
): Promise<FakeMlflow> {
  const tags = new Map(versions.map((v) => [`${v.name}/${v.version}`, new Map<string, string>()]));
  const fake: FakeMlflow = { url: '', tags, calls: [], close: async () => {} };
  let setTags = 0;
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://x');
    fake.calls.push({
      method: req.method ?? '',
      path: url.pathname,
      authorization: req.headers.authorization,
      body,
    });
    const answer = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`)
      return answer(401, { error_code: 'UNAUTHENTICATED', message: 'Invalid credentials' });
    const missing = (key: string) =>
      answer(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Model Version (${key}) not found` });
    if (req.method === 'GET' && url.pathname === '/api/2.0/mlflow/model-versions/get') {
      const key = `${url.searchParams.get('name')}/${url.searchParams.get('version')}`;
      if (!tags.has(key)) return missing(key);
      const [name, version] = [url.searchParams.get('name'), url.searchParams.get('version')];
      return answer(200, {
        model_version: {
          name,
          version,
          current_stage: 'None',
          tags: [...tags.get(key)!].map(([k, value]) => ({ key: k, value })),
        },
      });
    }
    if (req.method === 'POST' && url.pathname === '/api/2.0/mlflow/model-versions/set-tag') {
      const { name, version, key, value } = (body ?? {}) as Record<string, string>;
      const id = `${name}/${version}`;
      if (!tags.has(id)) return missing(id);
      if (typeof key !== 'string' || typeof value !== 'string')
        return answer(400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'key and value are required' });
      if (value.length > 5000)
        return answer(400, {
          error_code: 'INVALID_PARAMETER_VALUE',
          message: 'Tag value exceeds 5000 characters',
        });
      if (setTags++ === fake.failSetTagAt)
        return answer(500, { error_code: 'INTERNAL_ERROR', message: 'boom' });
      tags.get(id)!.set(key, value);
      return answer(200, {});
    }
    answer(404, { error_code: 'ENDPOINT_NOT_FOUND', message: `no ${req.method} ${url.pathname}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
