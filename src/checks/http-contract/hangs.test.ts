/**
 * A contract endpoint that hangs, on real HTTP servers on 127.0.0.1: each probe has its own
 * limit (probe_timeout) and a probe that gets no answer is a failed row, the probes are paced
 * to the item's timeout, and the table of every probe — hung and unsent ones too — is in the
 * outcome instead of a bare "timed out".
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { executeCheck } from '../../engine/execute.js';
import { loadBuiltinChecks } from '../../engine/registry.js';
import type { CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { parseSpec } from '../../spec/load.js';
import { SpecError } from '../../spec/errors.js';

const VALID = { inputs: [[1, 2]], model: 'v1' };
const VALID_TEXT = JSON.stringify(VALID);

/** Every probe the check sends for VALID with default levels and no credentials. */
const PROBE_NAMES = [
  'the valid request',
  'malformed JSON',
  'body sent as text/plain',
  'without "inputs"',
  'without "model"',
  'inputs as a string',
  'inputs[0][0] as a string',
  'model as a number',
  /^a .* body$/,
  /^GET \/predict\/mlgate-no-such-path-/,
  'GET /predict',
  'OPTIONS preflight from https://mlgate-probe.invalid',
  'request with Origin: https://mlgate-probe.invalid',
];

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

/**
 * A /predict that answers the valid request and rejects bad ones correctly — or, with
 * `hang`, never answers anything on /predict but the valid request (the socket stays open).
 * `delayMs` slows every answer down, within the probe's limit.
 */
async function serve(options: { hang: boolean; delayMs?: number }): Promise<string> {
  const server = createServer(async (req, res) => {
    await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 0));
    if (!req.url?.startsWith('/predict')) return json(res, 404, { error: 'not found' });
    if (req.url !== '/predict') return json(res, 404, { error: 'not found' });
    if (Number(req.headers['content-length'] ?? 0) > 1024 * 1024) {
      res.setHeader('connection', 'close');
      return json(res, 413, { error: 'too large' });
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204);
      return res.end();
    }
    const text = await readBody(req);
    const isValid =
      req.method === 'POST' && req.headers['content-type'] === 'application/json' && text === VALID_TEXT;
    if (isValid) return json(res, 200, { prediction: 1 });
    if (options.hang) return; // never answers
    if (req.method !== 'POST') return json(res, 405, { error: 'method not allowed' });
    if (req.headers['content-type'] !== 'application/json') return json(res, 415, { error: 'send JSON' });
    return json(res, 422, { error: 'invalid request' });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function contract(url: string, itemTimeoutMs: number, params: Record<string, unknown> = {}) {
  const definition = (await loadBuiltinChecks()).get('http-contract')!;
  return executeCheck(
    definition,
    definition.params.parse({ url: `${url}/predict`, body: { json: VALID }, ...params }),
    { root: process.cwd(), itemId: 'contract', profile: null, artifacts: new Map() },
    itemTimeoutMs,
  );
}

function probeTable(outcome: CheckOutcome): Extract<Evidence, { type: 'table' }> {
  const table = outcome.evidence?.find(
    (entry): entry is Extract<Evidence, { type: 'table' }> =>
      entry.type === 'table' && entry.title === 'probes of POST /predict',
  );
  expect(table, `a table of probes in: ${outcome.summary}`).toBeDefined();
  return table!;
}

/** The rows of probes sent to the service (not the ones judged on another probe's answer). */
function sentProbeRows(table: Extract<Evidence, { type: 'table' }>) {
  const derived = ['security-headers', 'version-disclosure', 'json-errors', 'no-stack-traces'];
  return table.rows.filter((row) => !derived.includes(String(row[0])));
}

function expectEveryProbe(table: Extract<Evidence, { type: 'table' }>) {
  const names = sentProbeRows(table).map((row) => String(row[1]));
  expect(names).toHaveLength(PROBE_NAMES.length);
  PROBE_NAMES.forEach((name, index) => {
    if (typeof name === 'string') expect(names[index]).toBe(name);
    else expect(names[index]).toMatch(name);
  });
}

describe('http-contract: an endpoint that hangs', () => {
  test("more hangs than the item's timeout holds: a failure with the table of every probe, the rest listed as not sent", async () => {
    const url = await serve({ hang: true });
    // 8 probes hang for 1 s each: more than the item's 8 s (today: "timed out", no table).
    const outcome = await contract(url, 8000, { probe_timeout: '1s' });
    expect(outcome.status, outcome.summary).toBe('fail');
    expect(outcome.summary).toContain('malformed-json: malformed JSON: no answer within 1.00 s (it hangs)');
    expect(outcome.summary).toMatch(/\(\d+ not sent: the item's timeout ran out\)$/);
    const table = probeTable(outcome);
    expectEveryProbe(table);
    const rows = sentProbeRows(table);
    expect(rows[0]).toEqual([
      'valid-request',
      'the valid request',
      '2xx',
      expect.stringMatching(/^200 in /),
      'ok',
    ]);
    expect(rows[1]).toEqual([
      'malformed-json',
      'malformed JSON',
      '400/422',
      'no answer within 1.00 s (it hangs)',
      'FAILED',
    ]);
    const notSent = rows.filter((row) => row[4] === 'not run');
    expect(notSent.length).toBeGreaterThan(0);
    expect(notSent[0]![3]).toBe("not sent: too little of the item's timeout left for its 1.00 s");
    expect(outcome.measured).toMatchObject({ not_sent: notSent.length });
  });

  test('with time enough, every probe is sent: each hung one is a failed row of its own', async () => {
    const url = await serve({ hang: true });
    const outcome = await contract(url, 60_000, { probe_timeout: '1s' });
    expect(outcome.status, outcome.summary).toBe('fail');
    const table = probeTable(outcome);
    expectEveryProbe(table);
    const hung = sentProbeRows(table).filter((row) => row[3] === 'no answer within 1.00 s (it hangs)');
    expect(hung.map((row) => row[1])).toEqual([
      'malformed JSON',
      'body sent as text/plain',
      'without "inputs"',
      'without "model"',
      'inputs as a string',
      'inputs[0][0] as a string',
      'model as a number',
      'GET /predict',
    ]);
    expect(hung.every((row) => row[4] === 'FAILED')).toBe(true);
    expect(outcome.measured).toMatchObject({ failed: 8, not_sent: 0 });
  });

  test('a well-behaved but slow endpoint whose probes do not all fit in the time: an error (could not tell), with the table', async () => {
    // Each answer takes 300 ms, well within its 3 s; with 1 s kept to report, the probes
    // are sent while 3 s of the item's 5 s are left, and 13 of them take longer than that.
    const url = await serve({ hang: false, delayMs: 300 });
    const outcome = await contract(url, 5000, { probe_timeout: '3s' });
    expect(outcome.status, outcome.summary).toBe('error');
    expect(outcome.summary).toMatch(
      /^POST \/predict: \d+ of \d+ probes not sent, the item's timeout ran out before them \(.*\); raise timeout on the item or lower probe_timeout$/,
    );
    const rows = sentProbeRows(probeTable(outcome));
    expect(rows[0]![4]).toBe('ok');
    expect(rows.some((row) => row[4] === 'not run')).toBe(true);
    expect(rows.some((row) => row[4] === 'FAILED')).toBe(false);
  });

  test('the same endpoint with time enough passes: every probe held', async () => {
    const url = await serve({ hang: false });
    const outcome = await contract(url, 60_000, { probe_timeout: '2s' });
    expect(outcome.status, outcome.summary).toBe('pass');
    expectEveryProbe(probeTable(outcome));
  });

  test("a probe_timeout longer than the item's timeout is refused when the spec loads", async () => {
    const registry = await loadBuiltinChecks();
    const spec = `version: 1
project: { name: demo }
sections:
  - title: Service
    items:
      - id: contract
        title: Contract
        timeout: 3s
        check: { kind: http-contract, url: "http://127.0.0.1:9/predict", body: { json: {} }, probe_timeout: 5s }
`;
    let problems: string[] = [];
    try {
      parseSpec(spec, '/project/mlgate.yaml', registry);
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      problems = error.problems.map((problem) => problem.message);
    }
    expect(problems).toEqual([
      'its timeout (3.00 s) is shorter than this check can take (6.00 s); set timeout: 6s on the item, or shorten it',
    ]);
  });
});
