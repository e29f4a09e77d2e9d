/**
 * Redirects, on real HTTP servers on 127.0.0.1: by default a probe judges the 3xx it got and
 * never reaches the server the Location names; with follow_redirects it follows, only to
 * loopback, never carrying credentials to another origin, and at most max_redirects hops.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { executeCheck } from '../../engine/execute.js';
import { loadBuiltinChecks } from '../../engine/registry.js';
import type { CheckOutcome } from '../../engine/types.js';

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
}

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

let front: { server: Server; url: string };
let other: { server: Server; url: string };
const seenByOther: Seen[] = [];

beforeAll(async () => {
  // The server a redirect points to: healthy, and it remembers who came and with what headers.
  other = await listen((req, res) => {
    seenByOther.push({ path: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'healthy' }));
  });
  front = await listen((req, res) => {
    const redirect = (status: number, location: string) => {
      res.writeHead(status, { location });
      res.end();
    };
    switch (req.url) {
      case '/ready':
        return redirect(302, `${other.url}/health`);
      case '/away':
        return redirect(302, 'http://203.0.113.7/ready'); // TEST-NET-3: never contacted
      case '/loop':
        return redirect(302, '/loop');
      case '/hop':
        return redirect(307, '/hop2');
      case '/hop2':
        return redirect(302, `${other.url}/after-two`);
      default:
        res.writeHead(404);
        res.end();
    }
  });
});

afterAll(async () => {
  await new Promise((resolve) => front.server.close(resolve));
  await new Promise((resolve) => other.server.close(resolve));
});

async function check(params: Record<string, unknown>): Promise<CheckOutcome> {
  const definition = (await loadBuiltinChecks()).get('http')!;
  return executeCheck(
    definition,
    definition.params.parse(params),
    { root: process.cwd(), itemId: 'redirects', profile: null, artifacts: new Map() },
    30_000,
  );
}

describe('http: redirects', () => {
  test('a 302 is the answer judged, by default: the target it names is never asked, and the failure names the Location', async () => {
    seenByOther.length = 0;
    const outcome = await check({ url: `${front.url}/ready`, expect: { status: 200 } });
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toContain(`status 302, expected 200 (a redirect: 302 to ${other.url}/health;`);
    expect(outcome.summary).toContain('not followed unless follow_redirects: true');
    expect(outcome.measured).toMatchObject({ status: 302 });
    const http = outcome.evidence!.find((entry) => entry.type === 'http');
    expect(http).toMatchObject({ response: { status: 302, headers: { location: `${other.url}/health` } } });
    expect(seenByOther).toEqual([]);
  });

  test('the default 2xx expectation does not take a redirect either', async () => {
    const outcome = await check({ url: `${front.url}/ready` });
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toMatch(/status 302, expected 2xx \(a redirect: 302 to /);
  });

  test('follow_redirects: true follows to loopback and says so; credentials are not sent to another origin', async () => {
    seenByOther.length = 0;
    const outcome = await check({
      url: `${front.url}/ready`,
      headers: { Authorization: 'Bearer redirect-secret-123', 'X-Trace': 'kept' },
      follow_redirects: true,
      expect: { status: 200, json: [{ path: '$.status', equals: 'healthy' }] },
    });
    expect(outcome.status, outcome.summary).toBe('pass');
    expect(outcome.summary).toContain(`after 1 redirect (last: 302 to ${other.url}/health)`);
    expect(outcome.measured).toMatchObject({ status: 200, redirects: 1 });
    expect(seenByOther).toHaveLength(1);
    expect(seenByOther[0]!.headers.authorization).toBeUndefined();
    expect(seenByOther[0]!.headers['x-trace']).toBe('kept');
    const table = outcome.evidence!.find(
      (entry) => entry.type === 'table' && entry.title.startsWith('redirects'),
    );
    expect(table).toMatchObject({
      title: 'redirects (1); not sent to another origin: authorization',
      rows: [[1, 302, `${front.url}/ready`, `${other.url}/health`, 'followed']],
    });
  });

  test('no credential of any name, and no header carrying a secret from the environment, goes to another origin', async () => {
    seenByOther.length = 0;
    process.env.MLGATE_TEST_REDIRECT_TOKEN = 'env-secret-value-4711';
    try {
      const outcome = await check({
        url: `${front.url}/ready`,
        headers: {
          'X-Model-Token': 'literal-token-value-1',
          'X-Client-Secret': 'literal-secret-value-2',
          'X-Custom': '${env.MLGATE_TEST_REDIRECT_TOKEN}',
          'X-Trace': 'kept',
        },
        follow_redirects: true,
      });
      expect(outcome.status, outcome.summary).toBe('pass');
      expect(seenByOther).toHaveLength(1);
      const sent = JSON.stringify(seenByOther[0]!.headers);
      for (const secret of ['literal-token-value-1', 'literal-secret-value-2', 'env-secret-value-4711'])
        expect(sent).not.toContain(secret);
      expect(seenByOther[0]!.headers['x-trace']).toBe('kept');
    } finally {
      delete process.env.MLGATE_TEST_REDIRECT_TOKEN;
    }
  });

  test('follows a chain of hops (307 then 302)', async () => {
    const outcome = await check({ url: `${front.url}/hop`, follow_redirects: true, expect: { status: 200 } });
    expect(outcome.status, outcome.summary).toBe('pass');
    expect(outcome.measured).toMatchObject({ redirects: 2 });
  });

  test('a Location that leaves loopback is refused, even when following, and the failure names it', async () => {
    const outcome = await check({
      url: `${front.url}/away`,
      follow_redirects: true,
      expect: { status: 200 },
    });
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toMatch(
      /302 to http:\/\/203\.0\.113\.7\/ready: not followed, it leaves this machine \(redirects are followed only to loopback/,
    );
    const table = outcome.evidence!.find((entry) => entry.type === 'table');
    expect(table).toMatchObject({
      rows: [[1, 302, `${front.url}/away`, 'http://203.0.113.7/ready', 'refused: leaves this machine']],
    });
  });

  test('a redirect loop stops after max_redirects hops and fails', async () => {
    const outcome = await check({
      url: `${front.url}/loop`,
      follow_redirects: true,
      max_redirects: 3,
      expect: { status: 200 },
    });
    expect(outcome.status).toBe('fail');
    expect(outcome.summary).toContain('more than 3 redirects (the last: 302 to /loop)');
  });

  test('an item that expects the redirect itself passes without following it', async () => {
    seenByOther.length = 0;
    const outcome = await check({
      url: `${front.url}/ready`,
      expect: { status: 302, headers: { location: '/health$' } },
    });
    expect(outcome.status, outcome.summary).toBe('pass');
    expect(seenByOther).toEqual([]);
  });
});
