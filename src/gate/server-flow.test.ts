/**
 * The team flow through a real mlgate server on loopback (PostgreSQL when it runs here, else
 * SQLite): CI runs `check` against the server and is BLOCKED in prod for a missing sign-off,
 * an approver approves on the server, the next run passes — sign-offs and baselines read from
 * the server, every run uploaded to it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { IN_TOTO_PAYLOAD_TYPE, keyId, signEnvelope } from '../attest/dsse.js';
import { signoffStatement } from '../attest/signoffs.js';
import { checkCommand } from '../cli/commands/check.js';
import { RunReport } from '../domain/run-report.js';
import { buildServer } from '../server/app.js';
import { createToken } from '../server/auth.js';
import type { Store } from '../store/db.js';
import { freshDatabase, postgresReachable, type TestDatabase } from '../store/test-dialects.js';
import { bufferedIO } from '../testing/io.js';
import { startFakeMlflow } from '../testing/mlflow-fake.js';

const dialect = (await postgresReachable()) ? 'postgres' : 'sqlite';

describe(`check against a server (${dialect})`, () => {
  let database: TestDatabase;
  let store: Store;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let url = '';
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    database = freshDatabase(dialect);
    store = await database.open();
    tokens.ci = (await createToken(store, { name: 'ci', roles: ['runner'], createdBy: 'test' })).token;
    tokens.lead = (
      await createToken(store, { name: 'lead', roles: ['approver:technical-lead'], createdBy: 'test' })
    ).token;
    app = await buildServer({ store });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
    await database?.drop();
  });

  const dir = mkdtempSync(join(tmpdir(), 'mlgate-flow-'));
  writeFileSync(join(dir, 'model.onnx'), 'model bytes');
  writeFileSync(
    join(dir, 'mlgate.yaml'),
    [
      'version: 1',
      'project: { name: flow-test }',
      'artifacts: { model: model.onnx }',
      'profiles: { dev: {}, prod: {} }',
      'default_profile: dev',
      'sections:',
      '  - title: Release',
      '    items:',
      '      - { id: model-file, title: The model is there, check: { kind: file, path: model.onnx } }',
      '      - id: model-size',
      '        title: The model did not grow',
      '        check: { kind: baseline, item: model-file, metrics: { size_bytes: { better: lower, min_change: 0 } }, on_missing_baseline: pass }',
      '      - id: lead',
      '        title: Technical lead approves',
      '        severity: { default: recommended, prod: required }',
      '        manual: { roles: [technical-lead] }',
      '',
    ].join('\n'),
  );

  async function check(profile: string) {
    const cli = bufferedIO(dir, { MLGATE_SERVER: url, MLGATE_TOKEN: tokens.ci! });
    const code = await checkCommand('.', { format: 'json', quiet: true, profile }, cli.io);
    const report = RunReport.parse(JSON.parse(cli.stdout()));
    return {
      code,
      report,
      stderr: cli.stderr(),
      status: Object.fromEntries(report.items.map((i) => [i.id, i])),
    };
  }

  const api = async (token: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  test('BLOCKED for the sign-off, approved on the server, then PASS; the baseline comes from the server', async () => {
    const first = await check('prod');
    expect(first.code, first.stderr).toBe(1);
    expect(first.status.lead!.status).toBe('pending');
    expect(first.status['model-size']!.summary).toMatch(/no baseline/);
    expect(first.report.runId).toBeGreaterThan(0);
    expect(first.stderr).toMatch(/Recorded as run \d+ on server http:\/\/127\.0\.0\.1/);

    const pending = await api(tokens.ci!, 'GET', '/projects/flow-test/signoffs/pending');
    expect(pending.json.pending).toEqual([
      expect.objectContaining({ itemId: 'lead', mustAct: ['technical-lead'] }),
    ]);

    const approved = await api(tokens.lead!, 'POST', '/projects/flow-test/signoffs/approve', {
      runId: first.report.runId,
      itemId: 'lead',
      role: 'technical-lead',
      comment: 'reviewed the report',
    });
    expect(approved.status, JSON.stringify(approved.json)).toBe(201);

    const second = await check('prod');
    expect(second.code, second.stderr).toBe(0);
    expect(second.status.lead!.status).toBe('pass');
    expect(second.report.verdict.status).toBe('PASS');

    // The third run compares with the second (the last PASS in prod) through the server.
    const third = await check('prod');
    expect(third.status['model-size']!.status).toBe('pass');
    expect(third.status['model-size']!.summary).toMatch(new RegExp(`run #${second.report.runId}`));
  });

  test('check --mlflow-model with a server: the version is tagged in MLflow and listed as gated on the server', async () => {
    const mlflow = await startFakeMlflow([{ name: 'flow-model', version: '4' }]);
    try {
      const cli = bufferedIO(dir, {
        MLGATE_SERVER: url,
        MLGATE_TOKEN: tokens.ci!,
        MLFLOW_TRACKING_URI: mlflow.url,
      });
      const code = await checkCommand(
        '.',
        { format: 'text', quiet: true, profile: 'prod', mlflowModel: 'flow-model/4' },
        cli.io,
      );
      expect(code, cli.stderr()).toBe(0);
      expect(mlflow.tags.get('flow-model/4')!.get('mlgate.verdict.prod')).toBe('PASS');
      const versions = await api(tokens.ci!, 'GET', '/projects/flow-test/model-versions');
      expect(versions.json.modelVersions).toEqual([
        expect.objectContaining({
          name: 'flow-model',
          version: '4',
          state: 'gated',
          gate: expect.objectContaining({ verdict: 'PASS', profile: 'prod' }),
        }),
      ]);
    } finally {
      await mlflow.close();
    }
  });

  test('a waiver of a sign-off decided on the server does not count: sign-offs are given by their roles', async () => {
    const run = await check('prod');
    const requested = await api(tokens.ci!, 'POST', '/projects/flow-test/waivers', {
      itemId: 'lead',
      runId: run.report.runId,
      reason: 'lead is away',
      expires: new Date(Date.now() + 86_400_000).toISOString(),
    });
    if (requested.status === 201) {
      await api(
        tokens.lead!,
        'POST',
        `/projects/flow-test/waivers/${(requested.json as { id: number }).id}/approve`,
        {},
      );
      // Revoke the standing approval so only the waiver could make it pass.
      await api(tokens.lead!, 'POST', '/projects/flow-test/signoffs/revoke', {
        itemId: 'lead',
        role: 'technical-lead',
        reason: 'withdrawn',
      });
      const after = await check('prod');
      expect(after.status.lead!.status).not.toBe('waived');
      expect(after.code).toBe(1);
    } else {
      expect(requested.status).toBeGreaterThanOrEqual(400);
    }
  });

  test('a runner cannot approve, and the model changing makes the approval stale', async () => {
    const refused = await api(tokens.ci!, 'POST', '/projects/flow-test/signoffs/approve', {
      runId: 1,
      itemId: 'lead',
      role: 'technical-lead',
    });
    expect(refused.status).toBe(403);
    writeFileSync(join(dir, 'model.onnx'), 'other model bytes');
    const changed = await check('prod');
    expect(changed.status.lead!.status).toBe('pending');
    expect(changed.code).toBe(1);
  });
});

describe(`check against a server, with a role decided by signatures (${dialect})`, () => {
  let database: TestDatabase;
  let store: Store;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let url = '';
  const tokens: Record<string, string> = {};
  const lead = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leadPem = lead.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const dir = mkdtempSync(join(tmpdir(), 'mlgate-flow-signed-'));

  beforeAll(async () => {
    database = freshDatabase(dialect);
    store = await database.open();
    for (const [name, roles] of Object.entries({
      admin: ['admin'],
      ci: ['runner'],
      lead: ['approver:technical-lead'],
    }))
      tokens[name] = (await createToken(store, { name, roles, createdBy: 'test' })).token;
    app = await buildServer({ store });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, 'keys', 'lead.pub'), leadPem);
    writeFileSync(join(dir, 'model.onnx'), 'model bytes');
    writeFileSync(
      join(dir, 'mlgate.yaml'),
      [
        'version: 1',
        'project: { name: flow-signed }',
        'artifacts: { model: model.onnx }',
        'signers: { technical-lead: [keys/lead.pub] }',
        'profiles: { dev: {}, prod: {} }',
        'default_profile: dev',
        'sections:',
        '  - title: Release',
        '    items:',
        '      - { id: model-file, title: The model is there, check: { kind: file, path: model.onnx } }',
        '      - { id: lead, title: Lead approves, severity: { default: recommended, prod: required }, manual: { roles: [technical-lead] } }',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
    await database?.drop();
  });

  const api = async (token: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  async function check() {
    const cli = bufferedIO(dir, { MLGATE_SERVER: url, MLGATE_TOKEN: tokens.ci! });
    const code = await checkCommand('.', { format: 'json', quiet: true, profile: 'prod' }, cli.io);
    const report = RunReport.parse(JSON.parse(cli.stdout()));
    return { code, report, stderr: cli.stderr(), lead: report.items.find((i) => i.id === 'lead')! };
  }

  test('an unsigned approval does not count; a signed record uploaded to the server does', async () => {
    const first = await check();
    expect(first.lead.status).toBe('pending');
    expect(
      (
        await api(tokens.admin!, 'PUT', '/projects/flow-signed/signers', {
          signers: { 'technical-lead': { keys: [leadPem] } },
        })
      ).status,
    ).toBe(200);

    const pending = (await api(tokens.ci!, 'GET', '/projects/flow-signed/signoffs/pending')).json
      .pending as Array<{
      definitionDigest: string;
    }>;
    const statement = signoffStatement(
      {
        action: 'approve',
        itemId: 'lead',
        definitionDigest: pending[0]!.definitionDigest,
        role: 'technical-lead',
        by: 'Lee Lead',
        at: new Date(),
        artifacts: Object.fromEntries(
          first.report.artifacts.map((a) => [a.name, { path: a.path, sha256: a.sha256 }]),
        ),
      },
      keyId(lead.publicKey),
    );
    const envelope = signEnvelope(
      IN_TOTO_PAYLOAD_TYPE,
      Buffer.from(JSON.stringify(statement)),
      lead.privateKey,
    );
    const uploaded = await api(tokens.lead!, 'POST', '/projects/flow-signed/signoffs/attestations', {
      envelope,
    });
    expect(uploaded.status, JSON.stringify(uploaded.json)).toBe(201);

    const second = await check();
    expect(second.lead.status, second.lead.summary).toBe('pass');
    expect(second.code).toBe(0);
    expect(JSON.stringify(second.lead)).toContain('Lee Lead');
  });
});
