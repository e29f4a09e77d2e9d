/**
 * The server's API on both dialects (an SQLite file; PostgreSQL in a fresh schema, dropped
 * after), through Fastify's inject (the same request path as a socket, without one).
 */
import { generateKeyPairSync } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { IN_TOTO_PAYLOAD_TYPE, keyId, signEnvelope } from '../attest/dsse.js';
import { signoffStatement } from '../attest/signoffs.js';
import { verifyAuditChain } from '../store/audit.js';
import type { Store } from '../store/db.js';
import { MANUAL_ITEM, sampleReport } from '../store/sample-report.js';
import { freshDatabase, postgresReachable, type TestDatabase } from '../store/test-dialects.js';
import { buildServer } from './app.js';
import { createToken } from './auth.js';

const havePostgres = await postgresReachable();

type App = Awaited<ReturnType<typeof buildServer>>;

describe.each(['sqlite', 'postgres'] as const)('%s', (dialect) => {
  const skip = dialect === 'postgres' && !havePostgres;
  let database: TestDatabase;
  let store: Store;
  let app: App;
  const tokens: Record<string, string> = {};
  let now = new Date('2026-03-01T10:00:00Z');

  beforeAll(async () => {
    if (skip) return;
    database = freshDatabase(dialect);
    store = await database.open();
    for (const [name, roles] of Object.entries({
      admin: ['admin'],
      ci: ['runner'],
      viewer: ['viewer'],
      alice: ['approver:release-manager'],
      bob: ['approver:release-manager'],
      sec: ['approver:security'],
    }))
      tokens[name] = (await createToken(store, { name, roles, createdBy: 'test' })).token;
    app = await buildServer({ store, now: () => now, rateLimit: { burst: 10_000, perSecond: 10_000 } });
  });
  afterAll(async () => {
    if (skip) return;
    await app.close();
    await store.close();
    await database.drop();
  });

  const call = async (
    who: string | undefined,
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    payload?: unknown,
  ) => {
    const response = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: who ? { authorization: `Bearer ${tokens[who]}` } : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: response.body ? JSON.parse(response.body) : undefined,
    };
  };

  test.skipIf(skip)('no token, a wrong token, or too few roles: a problem, never data', async () => {
    const anonymous = await call(undefined, 'GET', '/projects');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="mlgate"');
    expect(anonymous.body).toMatchObject({
      type: 'https://mlgate.dev/problems/unauthorized',
      status: 401,
      instance: '/api/v1/projects',
    });
    const forged = await app.inject({
      method: 'GET',
      url: '/api/v1/projects',
      headers: { authorization: 'Bearer mlgt_notatoken' },
    });
    expect(forged.statusCode).toBe(401);
    const viewerUpload = await call('viewer', 'POST', '/projects/fraud-model/runs', {
      report: sampleReport(),
    });
    expect(viewerUpload.status).toBe(403);
    expect(viewerUpload.body.detail).toContain('token:viewer lacks the role this needs (runner)');
    expect((await call('ci', 'POST', '/projects', { name: 'x' })).status).toBe(403);
    expect((await call(undefined, 'GET', '/health')).body).toEqual({ ok: true, dialect });
  });

  test.skipIf(skip)('security headers on, CORS off, unknown routes are problems', async () => {
    const response = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/projects',
      headers: { origin: 'https://evil.example' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(JSON.parse(response.body)).toMatchObject({ status: 404, title: 'Not found' });
  });

  test.skipIf(skip)(
    'a run report uploads, is listed, read, and a report that lies about its verdict is refused',
    async () => {
      const bad = sampleReport({ verdict: 'BLOCKED' });
      bad.verdict.status = 'PASS';
      bad.verdict.blocking = [];
      const refused = await call('ci', 'POST', '/projects/fraud-model/runs', { report: bad });
      expect(refused.status).toBe(422);
      expect(refused.body.errors).toContainEqual({
        path: 'report.verdict.status',
        message: 'says PASS, but its items and artifacts make it BLOCKED',
      });
      const wrongProject = await call('ci', 'POST', '/projects/other/runs', { report: sampleReport() });
      expect(wrongProject.status).toBe(422);
      const invalid = await call('ci', 'POST', '/projects/fraud-model/runs', {
        report: { schemaVersion: 1 },
      });
      expect(invalid.status).toBe(400);
      expect(invalid.body.errors.length).toBeGreaterThan(3);

      const first = await call('ci', 'POST', '/projects/fraud-model/runs', {
        report: sampleReport({ value: 0.9 }),
      });
      expect(first).toMatchObject({
        status: 201,
        body: { id: 1, verdict: 'PASS', url: '/api/v1/projects/fraud-model/runs/1' },
      });
      const second = await call('ci', 'POST', '/projects/fraud-model/runs', {
        report: sampleReport({ pendingRoles: ['release-manager'], value: 0.8 }),
        manual: { [MANUAL_ITEM]: { roles: ['release-manager'] } },
      });
      expect(second.body).toMatchObject({ id: 2, verdict: 'BLOCKED' });
      const runs = await call('viewer', 'GET', '/projects/fraud-model/runs');
      expect(
        runs.body.runs.map((r: { id: number; verdict: string; uploadedBy: string }) => [
          r.id,
          r.verdict,
          r.uploadedBy,
        ]),
      ).toEqual([
        [2, 'BLOCKED', 'token:ci'],
        [1, 'PASS', 'token:ci'],
      ]);
      const one = await call('viewer', 'GET', '/projects/fraud-model/runs/latest');
      expect(one.body.summary.id).toBe(2);
      expect(one.body.report.runId).toBe(2);
      expect((await call('viewer', 'GET', '/projects/fraud-model/runs/9')).status).toBe(404);
      expect((await call('viewer', 'GET', '/projects/fraud-model/runs/1/items/item-0')).body).toEqual({
        runId: 1,
        status: 'pass',
        measured: { value: 0.9 },
      });
      const diff = await call('viewer', 'GET', '/projects/fraud-model/diff?from=1&to=2');
      expect(diff.body.statuses).toEqual([{ item: MANUAL_ITEM, from: null, to: 'pending' }]);
      expect(diff.body.measured[0]).toMatchObject({ item: 'item-0', key: 'value', from: 0.9, to: 0.8 });
      expect((await call('viewer', 'GET', '/projects')).body.projects[0]).toMatchObject({
        name: 'fraud-model',
        latestRun: { id: 2, verdict: 'BLOCKED' },
      });
    },
  );

  test.skipIf(skip)(
    'pending sign-offs say who must act; only that role approves; then nothing is pending',
    async () => {
      const pending = await call('viewer', 'GET', '/projects/fraud-model/signoffs/pending');
      expect(pending.body).toMatchObject({
        runId: 2,
        pending: [
          {
            itemId: MANUAL_ITEM,
            mustAct: ['release-manager'],
            approvable: true,
            summary: 'awaiting sign-off by release-manager',
          },
        ],
      });
      const approval = { runId: 2, itemId: MANUAL_ITEM, role: 'release-manager', comment: 'read the report' };
      expect((await call('ci', 'POST', '/projects/fraud-model/signoffs/approve', approval)).status).toBe(403);
      const otherRole = await call('sec', 'POST', '/projects/fraud-model/signoffs/approve', approval);
      expect(otherRole.status).toBe(403);
      expect(otherRole.body.detail).toBe(
        'token:sec may not sign for release-manager: that needs the role approver:release-manager',
      );
      const wrongRole = await call('sec', 'POST', '/projects/fraud-model/signoffs/approve', {
        ...approval,
        role: 'security',
      });
      expect(wrongRole.status).toBe(422);
      expect(wrongRole.body.detail).toContain('needs release-manager, not security');
      const given = await call('alice', 'POST', '/projects/fraud-model/signoffs/approve', approval);
      expect(given.status).toBe(201);
      expect(given.body).toMatchObject({
        action: 'approve',
        actor: 'token:alice',
        role: 'release-manager',
        definitionDigest: 'c'.repeat(64),
        artifacts: { model: { path: 'model.onnx', sha256: 'e'.repeat(64) } },
      });
      expect((await call('viewer', 'GET', '/projects/fraud-model/signoffs/pending')).body.pending).toEqual(
        [],
      );
      const events = await call('viewer', 'GET', `/projects/fraud-model/signoffs/events?item=${MANUAL_ITEM}`);
      expect(events.body.events).toHaveLength(1);

      // A new model: the approval is bound to the old digest, so the new run is pending again.
      await call('ci', 'POST', '/projects/fraud-model/runs', {
        report: sampleReport({ pendingRoles: ['release-manager'], modelSha256: 'f'.repeat(64) }),
        manual: { [MANUAL_ITEM]: { roles: ['release-manager'] } },
      });
      const stale = await call('viewer', 'GET', '/projects/fraud-model/signoffs/pending');
      expect(stale.body.pending[0].summary).toMatch(
        /^awaiting sign-off by release-manager; model\.onnx changed since token:alice approved on 2026-03-01$/,
      );
    },
  );

  test.skipIf(skip)(
    'waivers: request, nobody approves their own, another approver does, then revoke',
    async () => {
      const failing = await call('ci', 'POST', '/projects/fraud-model/runs', {
        report: sampleReport({ verdict: 'BLOCKED' }),
      });
      const runId = failing.body.id;
      const request = {
        itemId: 'item-0',
        runId,
        reason: 'known flake, fix in 2.1',
        expires: '2026-04-01T00:00:00Z',
      };
      expect(
        (
          await call('ci', 'POST', '/projects/fraud-model/waivers', {
            ...request,
            expires: '2026-01-01T00:00:00Z',
          })
        ).status,
      ).toBe(422);
      const asked = await call('alice', 'POST', '/projects/fraud-model/waivers', request);
      expect(asked).toMatchObject({ status: 201, body: { state: 'requested', requestedBy: 'token:alice' } });
      const id = asked.body.id;
      const own = await call('alice', 'POST', `/projects/fraud-model/waivers/${id}/approve`, {});
      expect(own.status).toBe(403);
      expect(own.body.detail).toBe(`token:alice requested waiver #${id}: someone else must approve it`);
      expect((await call('ci', 'POST', `/projects/fraud-model/waivers/${id}/approve`, {})).status).toBe(403);
      const approved = await call('bob', 'POST', `/projects/fraud-model/waivers/${id}/approve`, {
        comment: 'ok until 2.1',
      });
      expect(approved.body).toMatchObject({ state: 'approved', decidedBy: 'token:bob' });
      expect((await call('sec', 'POST', `/projects/fraud-model/waivers/${id}/deny`, {})).status).toBe(409);
      const waive = (await call('viewer', 'GET', '/projects/fraud-model/signoffs/events?item=item-0')).body
        .events;
      expect(waive).toMatchObject([
        { action: 'waive', actor: 'token:bob', expiresAt: '2026-04-01T00:00:00.000Z' },
      ]);
      now = new Date('2026-04-02T00:00:00Z');
      expect((await call('viewer', 'GET', `/projects/fraud-model/waivers/${id}`)).body.state).toBe('expired');
      now = new Date('2026-03-01T12:00:00Z');
      const revoked = await call('admin', 'POST', `/projects/fraud-model/waivers/${id}/revoke`, {
        reason: 'fixed',
      });
      expect(revoked.body).toMatchObject({ state: 'revoked', revokedBy: 'token:admin' });
      expect(
        (await call('viewer', 'GET', '/projects/fraud-model/waivers?state=revoked')).body.waivers,
      ).toHaveLength(1);
    },
  );

  test.skipIf(skip)('tags and baselines', async () => {
    expect((await call('viewer', 'PUT', '/projects/fraud-model/tags/production', { runId: 1 })).status).toBe(
      403,
    );
    expect((await call('ci', 'PUT', '/projects/fraud-model/tags/latest', { runId: 1 })).status).toBe(400);
    expect(
      (await call('ci', 'PUT', '/projects/fraud-model/tags/production', { runId: 1 })).body,
    ).toMatchObject({ tag: 'production', runId: 1 });
    expect((await call('viewer', 'GET', '/projects/fraud-model/tags')).body.tags).toMatchObject([
      { tag: 'production', runId: 1, actor: 'token:ci' },
    ]);
    expect((await call('viewer', 'GET', '/projects/fraud-model/baselines/tags/production')).body.runId).toBe(
      1,
    );
    expect((await call('viewer', 'GET', '/projects/fraud-model/baselines/last-pass')).body).toEqual({
      runId: 1,
      startedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(
      (await call('viewer', 'GET', '/projects/fraud-model/baselines/last-pass?profile=prod')).status,
    ).toBe(404);
    expect((await call('viewer', 'GET', '/projects/fraud-model/baselines/tags/nope')).status).toBe(404);
  });

  test.skipIf(skip)('signed attestations count only with a key the project lists for the role', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(
      (
        await call('admin', 'PUT', '/projects/fraud-model/signers', {
          signers: { security: { keys: [privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()] } },
        })
      ).status,
    ).toBe(422);
    const set = await call('admin', 'PUT', '/projects/fraud-model/signers', {
      signers: { security: { keys: [pem] } },
    });
    expect(set.body.signers).toEqual({ security: { keyids: [keyId(publicKey)], threshold: 1 } });
    const envelope = (key: typeof privateKey) =>
      signEnvelope(
        IN_TOTO_PAYLOAD_TYPE,
        Buffer.from(
          JSON.stringify(
            signoffStatement(
              {
                action: 'approve',
                itemId: MANUAL_ITEM,
                definitionDigest: 'c'.repeat(64),
                role: 'security',
                by: 'Sam',
                at: now,
                artifacts: { model: { path: 'model.onnx', sha256: 'e'.repeat(64) } },
              },
              keyId(key),
            ),
          ),
        ),
        key,
      );
    const forged = await call('sec', 'POST', '/projects/fraud-model/signoffs/attestations', {
      envelope: envelope(other.privateKey),
    });
    expect(forged.status).toBe(422);
    expect(forged.body.detail).toMatch(/^the attestation does not count/);
    expect(
      (
        await call('alice', 'POST', '/projects/fraud-model/signoffs/attestations', {
          envelope: envelope(privateKey),
        })
      ).status,
    ).toBe(403);
    const recorded = await call('sec', 'POST', '/projects/fraud-model/signoffs/attestations', {
      envelope: envelope(privateKey),
    });
    expect(recorded).toMatchObject({
      status: 201,
      body: { itemId: MANUAL_ITEM, role: 'security', keyid: keyId(publicKey) },
    });
    expect(
      (await call('viewer', 'GET', '/projects/fraud-model/signoffs/attestations')).body.attestations,
    ).toHaveLength(1);
    // A role that signs with keys is never approved server-side with a token.
    const unsigned = await call('sec', 'POST', '/projects/fraud-model/signoffs/approve', {
      runId: 2,
      itemId: MANUAL_ITEM,
      role: 'security',
    });
    expect([409, 422]).toContain(unsigned.status);
  });

  test.skipIf(skip)('bodies are limited; the OpenAPI document lists every route', async () => {
    const big = await app.inject({
      method: 'POST',
      url: '/api/v1/projects',
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(100_000) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.headers['content-type']).toMatch(/problem\+json/);
    const notJson = await app.inject({
      method: 'POST',
      url: '/api/v1/projects',
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(notJson.statusCode).toBe(400);
    expect(JSON.parse(notJson.body).type).toBe('https://mlgate.dev/problems/invalid-request');
    const doc = (await call(undefined, 'GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(
      doc.paths['/api/v1/projects/{project}/runs'].post.requestBody.content['application/json'].schema
        .properties.report.required,
    ).toContain('verdict');
    expect(Object.keys(doc.paths)).toHaveLength(
      new Set((await import('./api/contract.js')).ROUTES.map((r) => r.path)).size,
    );
  });

  test.skipIf(skip)('every write is in the audit chain; an edited event is named', async () => {
    const audit = await call('admin', 'GET', '/audit?limit=500');
    expect((await call('viewer', 'GET', '/audit')).status).toBe(403);
    const actions = audit.body.events.map((e: { action: string }) => e.action);
    expect(actions.slice(0, 3)).toEqual(['project.create', 'run.upload', 'run.upload']);
    expect(actions).toContain('signoff.approve');
    expect(actions).toContain('waiver.approve');
    expect(audit.body.events[0].detail).toEqual({ by: 'first upload' });
    expect(audit.body.events[1].detail).toMatchObject({ verdict: 'PASS', items: 3 });
    const chain = await verifyAuditChain(store.db);
    expect(chain).toMatchObject({ events: actions.length, head: audit.body.events.at(-1).hash });
    expect(chain.broken).toBeUndefined();
    // Someone with the database edits an event (guards dropped first).
    if (dialect === 'sqlite') {
      await sql`DROP TRIGGER audit_events_no_update`.execute(store.db);
    } else {
      await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update`.execute(store.db);
    }
    await sql`UPDATE audit_events SET actor = 'token:nobody' WHERE seq = 3`.execute(store.db);
    const broken = await verifyAuditChain(store.db);
    expect(broken.broken).toEqual({ seq: 3, problem: expect.stringContaining('the event was edited') });
  });
});

describe('rate limit', () => {
  test('a caller past its budget gets 429 with Retry-After', async () => {
    const database = freshDatabase('sqlite');
    const store = await database.open();
    const { token } = await createToken(store, { name: 'ci', roles: ['runner'], createdBy: 'test' });
    const app = await buildServer({ store, rateLimit: { burst: 3, perSecond: 0.5 } });
    try {
      const codes = [];
      for (let i = 0; i < 4; i++)
        codes.push(
          (
            await app.inject({
              method: 'GET',
              url: '/api/v1/projects',
              headers: { authorization: `Bearer ${token}` },
            })
          ).statusCode,
        );
      expect(codes).toEqual([200, 200, 200, 429]);
      const limited = await app.inject({
        method: 'GET',
        url: '/api/v1/projects',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(limited.headers['retry-after']).toBe('2');
    } finally {
      await app.close();
      await store.close();
    }
  });
});

describe.skipIf(!havePostgres)('replicas over one PostgreSQL', () => {
  test('three stateless replicas take writes at once; the audit chain has one line, no forks', async () => {
    const database = freshDatabase('postgres');
    const stores = await Promise.all([1, 2, 3].map(() => database.open()));
    try {
      const { token } = await createToken(stores[0]!, { name: 'ci', roles: ['runner'], createdBy: 'test' });
      const apps = await Promise.all(stores.map((store) => buildServer({ store })));
      const uploads = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          apps[i % 3]!.inject({
            method: 'POST',
            url: '/api/v1/projects/fraud-model/runs',
            headers: { authorization: `Bearer ${token}` },
            payload: { report: sampleReport({ value: i / 100 }) },
          }),
        ),
      );
      expect(uploads.map((u) => u.statusCode)).toEqual(Array(24).fill(201));
      const ids = uploads.map((u) => JSON.parse(u.body).id as number).sort((a, b) => a - b);
      expect(ids).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
      // The first upload created the project exactly once, whichever replica won.
      expect(await stores[0]!.db.selectFrom('projects').select('name').execute()).toEqual([
        { name: 'fraud-model' },
      ]);
      const chain = await verifyAuditChain(stores[1]!.db);
      expect(chain).toMatchObject({ events: 25 });
      expect(chain.broken).toBeUndefined();
      for (const app of apps) await app.close();
    } finally {
      for (const store of stores) await store.close();
      await database.drop();
    }
  });
});
