/**
 * `check` against a team server that cannot be reached: the run goes on and says so, sign-offs
 * count as pending, a baseline item errors (never "no baseline yet" → pass), and a PASS that
 * was not recorded does not turn the job green. (The server itself is tested in src/server/.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkCommand } from '../cli/commands/check.js';
import { RunReport } from '../domain/run-report.js';
import { bufferedIO } from '../testing/io.js';
import { serverTarget } from './remote.js';

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function project(items: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlgate-remote-'));
  writeFileSync(join(dir, 'model.onnx'), 'bytes');
  writeFileSync(
    join(dir, 'mlgate.yaml'),
    [
      'version: 1',
      'project: { name: remote-test }',
      'sections:',
      '  - title: S',
      '    items:',
      ...items,
      '',
    ].join('\n'),
  );
  return dir;
}

const FILE_ITEM = '      - { id: model-file, title: Model, check: { kind: file, path: model.onnx } }';

describe('check with an unreachable server', () => {
  test('sign-offs pending, a baseline item errors with on_missing_baseline: pass, BLOCKED', async () => {
    const port = await closedPort();
    const dir = project([
      FILE_ITEM,
      '      - id: size-baseline',
      '        title: Model size did not grow',
      '        check: { kind: baseline, item: model-file, metrics: { size_bytes: { better: lower, min_change: 0 } }, on_missing_baseline: pass }',
      '      - { id: lead, title: Lead approves, manual: { roles: [technical-lead] } }',
    ]);
    const cli = bufferedIO(dir, { MLGATE_SERVER: `http://127.0.0.1:${port}`, MLGATE_TOKEN: 't' });
    const code = await checkCommand('.', { format: 'json', quiet: true }, cli.io);
    const report = RunReport.parse(JSON.parse(cli.stdout()));
    const status = Object.fromEntries(report.items.map((item) => [item.id, item.status]));
    expect(status['size-baseline']).toBe('error');
    expect(status.lead).toBe('pending');
    expect(report.verdict.status).toBe('BLOCKED');
    expect(code).toBe(1);
    expect(cli.stderr()).toMatch(/cannot reach the mlgate server.*sign-offs count as pending/);
    expect(cli.stderr()).toMatch(/the run was not recorded in server http:\/\/127\.0\.0\.1/);
  });

  test('a PASS that could not be recorded exits 2, the report is still printed', async () => {
    const port = await closedPort();
    const dir = project([FILE_ITEM]);
    const cli = bufferedIO(dir, { MLGATE_SERVER: `http://127.0.0.1:${port}`, MLGATE_TOKEN: 't' });
    const code = await checkCommand('.', { format: 'text', quiet: true }, cli.io);
    expect(cli.stdout(), cli.stderr()).toMatch(/PASS/);
    expect(code).toBe(2);
  });
});

describe('the server setting', () => {
  test('a token is required, plain http only on loopback, the token never comes from a flag', () => {
    expect(() => serverTarget('https://gate.example.com', {})).toThrow(/MLGATE_TOKEN is not set/);
    expect(() => serverTarget('http://gate.example.com', { MLGATE_TOKEN: 't' })).toThrow(/plain http/);
    expect(serverTarget(undefined, { MLGATE_SERVER: 'http://127.0.0.1:8420/', MLGATE_TOKEN: 't' })).toEqual({
      url: 'http://127.0.0.1:8420',
      token: 't',
    });
    expect(serverTarget(undefined, {})).toBeUndefined();
  });
});

describe('check with a server whose records cannot be read', () => {
  test('a waiver or approval with a date that is not an ISO time counts for nothing', async () => {
    const { createServer: createHttpServer } = await import('node:http');
    const event = (
      id: number,
      action: string,
      itemId: string,
      at: string,
      expiresAt: string | null,
      role: string | null,
    ) => ({
      id,
      at,
      action,
      itemId,
      role,
      actor: 'someone',
      comment: 'fine',
      evidence: null,
      evidenceSha256: null,
      expiresAt,
      definitionDigest: null,
      specSha256: null,
      artifacts: {},
    });
    const server = createHttpServer((req, res) => {
      res.writeHead(req.url?.includes('/signoffs/events') ? 200 : 503, {
        'content-type': 'application/json',
      });
      res.end(
        JSON.stringify({
          events: [
            event(1, 'waive', 'model-file', '2026-11-01T00:00:00Z', '31/12/2020', null),
            event(2, 'approve', 'lead', '13/02/2020', null, 'technical-lead'),
          ],
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const dir = project([
        '      - { id: model-file, title: Model, check: { kind: file, path: gone.onnx } }',
        '      - { id: lead, title: Lead approves, manual: { roles: [technical-lead] } }',
      ]);
      const port = (server.address() as { port: number }).port;
      const cli = bufferedIO(dir, { MLGATE_SERVER: `http://127.0.0.1:${port}`, MLGATE_TOKEN: 'tok-1234' });
      const code = await checkCommand('.', { format: 'json', quiet: true }, cli.io);
      const report = RunReport.parse(JSON.parse(cli.stdout()));
      const status = Object.fromEntries(report.items.map((item) => [item.id, item.status]));
      expect(status).toEqual({ 'model-file': 'fail', lead: 'pending' });
      expect(code).toBe(1);
      expect(cli.stderr()).toMatch(/not an ISO time: none of them count/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
