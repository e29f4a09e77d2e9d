/**
 * MLflow's model-registry webhook on the server and the runs that gate a model version, on both
 * dialects (an SQLite file; PostgreSQL in a fresh schema), through Fastify's inject. Deliveries
 * are signed as MLflow signs them: the first one is the vector Python's hmac made
 * (integrations/mlflow/mlflow.test.ts), posted byte for byte.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UsageError } from '../engine/errors.js';
import { signMlflowDelivery } from '../integrations/mlflow/webhook.js';
import { verifyAuditChain } from '../store/audit.js';
import type { Store } from '../store/db.js';
import { sampleReport } from '../store/sample-report.js';
import { freshDatabase, postgresReachable, type TestDatabase } from '../store/test-dialects.js';
import { mlflowWebhookSecret } from '../cli/commands/server.js';
import { buildServer } from './app.js';
import { createToken } from './auth.js';

const havePostgres = await postgresReachable();

type App = Awaited<ReturnType<typeof buildServer>>;

const SECRET = 'whsec-test';
/** MLflow's delivery as Python signed it (integrations/mlflow/mlflow.test.ts). */
const PYTHON_BODY =
  '{"entity":"model_version","action":"created","timestamp":"2025-11-30T12:00:00+00:00","data":{"name":"digits","version":"3","source":"models:/m-1","run_id":"abc","tags":{},"description":null}}';
const PYTHON_SIGNATURE = 'v1,7HN8zDZrXkaaEYCORd3v2s+drw75WITu4rJdQH6C1OA=';
const PYTHON_TIMESTAMP = '1764504000';

const created = (name: string, version: string | number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    entity: 'model_version',
    action: 'created',
    timestamp: '2025-11-30T12:00:00+00:00',
    data: { name, version, source: `models:/${name}/${version}`, run_id: 'r-1', ...extra },
  });

describe.each(['sqlite', 'postgres'] as const)('%s', (dialect) => {
  const skip = dialect === 'postgres' && !havePostgres;
  let database: TestDatabase;
  let store: Store;
  let app: App;
  let off: App;
  const tokens: Record<string, string> = {};
  let now = new Date(Number(PYTHON_TIMESTAMP) * 1000);
  const unix = () => String(Math.floor(now.getTime() / 1000));

  beforeAll(async () => {
    if (skip) return;
    database = freshDatabase(dialect);
    store = await database.open();
    for (const [name, roles] of Object.entries({ ci: ['runner'], viewer: ['viewer'], admin: ['admin'] }))
      tokens[name] = (await createToken(store, { name, roles, createdBy: 'test' })).token;
    const rateLimit = { burst: 10_000, perSecond: 10_000 };
    app = await buildServer({ store, now: () => now, rateLimit, mlflowWebhookSecret: SECRET });
    off = await buildServer({ store, now: () => now, rateLimit });
  });
  afterAll(async () => {
    if (skip) return;
    await app.close();
    await off.close();
    await store.close();
    await database.drop();
  });

  /** Posts a body as bytes, signed unless the headers say otherwise. */
  const deliver = async (
    body: string | Buffer,
    options: { id?: string; timestamp?: string; signature?: string; query?: string; to?: App } = {},
  ) => {
    const id = options.id ?? `d-${Math.random().toString(36).slice(2)}`;
    const timestamp = options.timestamp ?? unix();
    const response = await (options.to ?? app).inject({
      method: 'POST',
      url: `/api/v1/hooks/mlflow${options.query ?? ''}`,
      headers: {
        'content-type': 'application/json',
        'x-mlflow-delivery-id': id,
        'x-mlflow-timestamp': timestamp,
        'x-mlflow-signature': options.signature ?? signMlflowDelivery(SECRET, id, timestamp, body.toString()),
      },
      payload: body,
    });
    return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body) };
  };

  const call = async (who: string, method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const response = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${tokens[who]}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: response.statusCode, body: JSON.parse(response.body) };
  };

  const count = async (table: 'model_versions' | 'webhook_deliveries' | 'model_version_gates') =>
    Number(
      (
        await store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  test.skipIf(skip)('no secret configured: the route says it is off, before reading anything', async () => {
    const response = await deliver(PYTHON_BODY, {
      id: 'd1f3',
      timestamp: PYTHON_TIMESTAMP,
      signature: PYTHON_SIGNATURE,
      to: off,
    });
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      type: 'https://mlgate.dev/problems/webhook-off',
      title: 'The MLflow webhook is off',
    });
    expect(response.body.detail).toContain('MLGATE_MLFLOW_WEBHOOK_SECRET');
    expect(await count('model_versions')).toBe(0);
  });

  test.skipIf(skip)(
    'a delivery MLflow signed is recorded once; a replay is acknowledged, not recorded',
    async () => {
      const first = await deliver(PYTHON_BODY, {
        id: 'd1f3',
        timestamp: PYTHON_TIMESTAMP,
        signature: PYTHON_SIGNATURE,
      });
      expect(first).toMatchObject({
        status: 200,
        body: {
          status: 'recorded',
          event: 'model_version.created',
          project: 'digits',
          modelVersion: { name: 'digits', version: '3' },
        },
      });
      // The same delivery again, inside the tolerance, even aimed at another project.
      now = new Date(now.getTime() + 60_000);
      for (const query of ['', '?project=elsewhere']) {
        const replay = await deliver(PYTHON_BODY, {
          id: 'd1f3',
          timestamp: PYTHON_TIMESTAMP,
          signature: PYTHON_SIGNATURE,
          query,
        });
        expect(replay).toMatchObject({ status: 200, body: { status: 'replayed' } });
      }
      expect(await count('model_versions')).toBe(1);
      expect(await count('webhook_deliveries')).toBe(1);
      expect((await call('viewer', 'GET', '/projects/elsewhere')).status).toBe(404);
      // A new delivery of a version already recorded: acknowledged as known, one version still.
      const again = await deliver(created('digits', 3));
      expect(again.body.status).toBe('known');
      expect(await count('model_versions')).toBe(1);
      const listed = await call('viewer', 'GET', '/projects/digits/model-versions');
      expect(listed).toMatchObject({
        status: 200,
        body: {
          modelVersions: [
            {
              registry: 'mlflow',
              name: 'digits',
              version: '3',
              source: 'models:/m-1',
              registryRunId: 'abc',
              recordedBy: 'webhook:mlflow',
              state: 'pending',
              gate: null,
              gates: 0,
            },
          ],
        },
      });
    },
  );

  test.skipIf(skip)(
    'the same delivery arriving at once: recorded by one, the others acknowledged',
    async () => {
      const before = await count('model_versions');
      const timestamp = unix();
      const body = created('digits', 5);
      const signature = signMlflowDelivery(SECRET, 'race-1', timestamp, body);
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => deliver(body, { id: 'race-1', timestamp, signature })),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
      expect(answers.filter((a) => a.body.status === 'recorded')).toHaveLength(1);
      expect(answers.filter((a) => a.body.status === 'replayed')).toHaveLength(5);
      expect(await count('model_versions')).toBe(before + 1);
    },
  );

  test.skipIf(skip)(
    'a wrong signature, a changed body or a stale timestamp: 401, nothing written',
    async () => {
      const before = await count('webhook_deliveries');
      const wrongSecret = await deliver(created('digits', 4), {
        id: 'x1',
        signature: signMlflowDelivery('guessed', 'x1', unix(), created('digits', 4)),
      });
      expect(wrongSecret.status).toBe(401);
      expect(wrongSecret.body).toMatchObject({
        type: 'https://mlgate.dev/problems/webhook-unverified',
        detail: 'the signature does not match the body',
      });
      const signed = signMlflowDelivery(SECRET, 'x2', unix(), created('digits', 4));
      const changed = await deliver(created('digits', 5), { id: 'x2', signature: signed });
      expect(changed.status).toBe(401);
      // Signed over one spelling of the JSON, sent in another: the bytes count, not the object.
      const respaced = await deliver(created('digits', 4).replace(/,/g, ', '), {
        id: 'x2',
        signature: signed,
      });
      expect(respaced.status).toBe(401);
      const stale = String(Number(unix()) - 301);
      const old = await deliver(created('digits', 4), { id: 'x3', timestamp: stale });
      expect(old.status).toBe(401);
      expect(old.body.detail).toMatch(/301 s away from now \(at most 300 s\)/);
      const future = await deliver(created('digits', 4), {
        id: 'x4',
        timestamp: String(Number(unix()) + 301),
      });
      expect(future.status).toBe(401);
      const unsigned = await app.inject({
        method: 'POST',
        url: '/api/v1/hooks/mlflow',
        headers: { 'content-type': 'application/json' },
        payload: created('digits', 4),
      });
      expect(unsigned.statusCode).toBe(401);
      // A bearer token is no way round the signature.
      const withToken = await app.inject({
        method: 'POST',
        url: '/api/v1/hooks/mlflow',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` },
        payload: created('digits', 4),
      });
      expect(withToken.statusCode).toBe(401);
      expect(await count('webhook_deliveries')).toBe(before);
    },
  );

  test.skipIf(skip)(
    'the signature is over the raw bytes: any spelling, any content type; not UTF-8 is refused',
    async () => {
      const spaced = `{ "data" : {"version":"7", "name":"digits", "run_id": "r-7"},\n  "action":"created","entity":"model_version", "note": "caf\u00e9 \u{1F600}" }\n`;
      const recorded = await deliver(spaced);
      expect(recorded.body).toMatchObject({
        status: 'recorded',
        modelVersion: { name: 'digits', version: '7' },
      });
      const id = 'bom-1';
      const bom = `\uFEFF${created('digits', 8)}`;
      const withBom = await app.inject({
        method: 'POST',
        url: '/api/v1/hooks/mlflow',
        headers: {
          'content-type': 'text/plain',
          'x-mlflow-delivery-id': id,
          'x-mlflow-timestamp': unix(),
          'x-mlflow-signature': signMlflowDelivery(SECRET, id, unix(), bom),
        },
        payload: bom,
      });
      // Verified over the bytes as sent (BOM included); then JSON.parse refuses the BOM.
      expect(withBom.statusCode).toBe(400);
      expect(JSON.parse(withBom.body).detail).toBe('the body is not JSON');
      const latin1 = Buffer.from([0x7b, 0xe9, 0x7d]);
      const notUtf8 = await deliver(latin1, { signature: 'v1,x' });
      expect(notUtf8.status).toBe(400);
      expect(notUtf8.body.detail).toBe('the body is not UTF-8 text');
      const tooBig = await deliver(created('digits', 9, { description: 'x'.repeat(70_000) }));
      expect(tooBig.status).toBe(413);
    },
  );

  test.skipIf(skip)('other events are acknowledged and ignored: nothing written', async () => {
    const before = await count('webhook_deliveries');
    const audit = (await call('admin', 'GET', '/audit?limit=500')).body.events.length;
    for (const [entity, action] of [
      ['registered_model', 'created'],
      ['model_version_tag', 'set'],
      ['model_version_alias', 'created'],
    ]) {
      const response = await deliver(
        JSON.stringify({ entity, action, timestamp: 't', data: { name: 'digits' } }),
      );
      expect(response).toMatchObject({
        status: 200,
        body: { status: 'ignored', event: `${entity}.${action}` },
      });
    }
    expect(await count('webhook_deliveries')).toBe(before);
    expect((await call('admin', 'GET', '/audit?limit=500')).body.events.length).toBe(audit);
  });

  test.skipIf(skip)(
    'a model whose name is no project name needs ?project=; a broken event is a 4xx',
    async () => {
      const refused = await deliver(created('team/fraud model', 1));
      expect(refused.status).toBe(422);
      expect(refused.body.detail).toContain('add ?project=NAME');
      const routed = await deliver(created('team/fraud model', 1), { query: '?project=fraud-model' });
      expect(routed.body).toMatchObject({ status: 'recorded', project: 'fraud-model' });
      const badQuery = await deliver(created('digits', 10), { query: '?project=../etc' });
      expect(badQuery.status).toBe(400);
      const noVersion = await deliver(
        JSON.stringify({ entity: 'model_version', action: 'created', data: {} }),
      );
      expect(noVersion.status).toBe(422);
      const notJson = await deliver('not json');
      expect(notJson.status).toBe(400);
    },
  );

  test.skipIf(skip)('a run uploaded for a version gates it; the list says pending or gated', async () => {
    const blocked = await call('ci', 'POST', '/projects/fraud-model/runs', {
      report: sampleReport({ verdict: 'BLOCKED', profile: 'prod' }),
      modelVersion: { registry: 'mlflow', name: 'team/fraud model', version: '1' },
    });
    expect(blocked).toMatchObject({ status: 201, body: { verdict: 'BLOCKED' } });
    let listed = (await call('viewer', 'GET', '/projects/fraud-model/model-versions')).body.modelVersions;
    expect(listed[0]).toMatchObject({
      name: 'team/fraud model',
      version: '1',
      state: 'gated',
      gates: 1,
      gate: { runId: blocked.body.id, verdict: 'BLOCKED', profile: 'prod', partial: false },
    });
    const passed = await call('ci', 'POST', '/projects/fraud-model/runs', {
      report: sampleReport({ profile: 'prod' }),
      modelVersion: { registry: 'mlflow', name: 'team/fraud model', version: '1' },
    });
    // A version no webhook announced is recorded by the run that names it.
    const unannounced = await call('ci', 'POST', '/projects/fraud-model/runs', {
      report: sampleReport(),
      modelVersion: { registry: 'mlflow', name: 'fraud-model', version: '2' },
    });
    expect(unannounced.status).toBe(201);
    await deliver(created('fraud-model', 3));
    listed = (await call('viewer', 'GET', '/projects/fraud-model/model-versions')).body.modelVersions;
    expect(
      listed.map(
        (v: {
          name: string;
          version: string;
          state: string;
          gate: { verdict: string } | null;
          recordedBy: string;
        }) => [v.name, v.version, v.state, v.gate?.verdict ?? null, v.recordedBy],
      ),
    ).toEqual([
      ['fraud-model', '3', 'pending', null, 'webhook:mlflow'],
      ['fraud-model', '2', 'gated', 'PASS', 'token:ci'],
      ['team/fraud model', '1', 'gated', 'PASS', 'webhook:mlflow'],
    ]);
    expect(listed[2]).toMatchObject({ gates: 2, gate: { runId: passed.body.id } });
    const pending = await call('viewer', 'GET', '/projects/fraud-model/model-versions?state=pending');
    expect(pending.body.modelVersions.map((v: { version: string }) => v.version)).toEqual(['3']);
    // Contract: the registry and version are checked; a run without modelVersion links nothing.
    const gatesBefore = await count('model_version_gates');
    const bad = await call('ci', 'POST', '/projects/fraud-model/runs', {
      report: sampleReport(),
      modelVersion: { registry: 'sagemaker', name: 'x', version: 'latest' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual([
      'modelVersion.registry',
      'modelVersion.version',
    ]);
    await call('ci', 'POST', '/projects/fraud-model/runs', { report: sampleReport() });
    expect(await count('model_version_gates')).toBe(gatesBefore);
    expect((await call('viewer', 'GET', '/projects/nope/model-versions')).status).toBe(404);
  });

  test.skipIf(skip)('the web page lists the versions pending a gate', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/p/fraud-model',
      headers: { cookie: `mlgate_session=${encodeURIComponent(tokens.viewer!)}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<h2 id="model-versions">Model versions pending a gate</h2>');
    expect(response.body).toContain('mlgate check --mlflow-model fraud-model/3');
    expect(response.body).toContain('team/fraud model <b>v1</b>');
  });

  test.skipIf(skip)('every write is in the audit chain, and the chain holds', async () => {
    const events = (await call('admin', 'GET', '/audit?limit=500')).body.events as Array<{
      action: string;
      actor: string;
      target: string;
      detail: Record<string, unknown>;
    }>;
    const records = events.filter((e) => e.action === 'model_version.record');
    expect(records.map((e) => [e.target, e.detail.status])).toEqual([
      ['model-version:mlflow/digits/3', 'recorded'],
      ['model-version:mlflow/digits/3', 'known'],
      ['model-version:mlflow/digits/5', 'recorded'],
      ['model-version:mlflow/digits/7', 'recorded'],
      ['model-version:mlflow/team/fraud model/1', 'recorded'],
      ['model-version:mlflow/fraud-model/3', 'recorded'],
    ]);
    expect(records.every((e) => e.actor === 'webhook:mlflow')).toBe(true);
    expect(events.find((e) => e.action === 'project.create' && e.actor === 'webhook:mlflow')?.detail).toEqual(
      {
        by: 'mlflow webhook',
      },
    );
    const linked = events.filter((e) => e.action === 'run.upload' && e.detail.modelVersion);
    expect(linked.map((e) => (e.detail.modelVersion as { recordedNow: boolean }).recordedNow)).toEqual([
      false,
      false,
      true,
    ]);
    const chain = await verifyAuditChain(store.db);
    expect(chain.broken).toBeUndefined();
    expect(chain.events).toBe(events.length);
  });

  test.skipIf(skip)('the recorded versions are append-only, even in SQL', async () => {
    await expect(store.db.updateTable('model_versions').set({ version: '99' }).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(store.db.deleteFrom('webhook_deliveries').execute()).rejects.toThrow(/append-only/);
    await expect(store.db.deleteFrom('model_version_gates').execute()).rejects.toThrow(/append-only/);
  });

  test.skipIf(skip)('the webhook is rate limited by source address', async () => {
    const limited = await buildServer({
      store,
      now: () => now,
      rateLimit: { burst: 2, perSecond: 0.001 },
      mlflowWebhookSecret: SECRET,
    });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await deliver('{}', { signature: 'v1,x', to: limited })).status);
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      await limited.close();
    }
  });

  test.skipIf(skip)(
    'the OpenAPI document has the hook (signed, no token) and the model versions',
    async () => {
      const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
      const hook = doc.paths['/api/v1/hooks/mlflow'].post;
      expect(hook.security).toBeUndefined();
      expect(hook.parameters.map((p: { name: string }) => p.name)).toEqual([
        'project',
        'X-MLflow-Delivery-Id',
        'X-MLflow-Timestamp',
        'X-MLflow-Signature',
      ]);
      expect(doc.paths['/api/v1/projects/{project}/model-versions'].get.security).toEqual([{ bearer: [] }]);
      const upload =
        doc.paths['/api/v1/projects/{project}/runs'].post.requestBody.content['application/json'].schema;
      expect(upload.properties.modelVersion.required).toEqual(['registry', 'name', 'version']);
    },
  );
});

describe('mlgate server --mlflow-webhook-secret-env', () => {
  test('the default variable, a named one, and a named one that is unset', () => {
    expect(mlflowWebhookSecret({ listen: 'x' }, {})).toBeUndefined();
    expect(mlflowWebhookSecret({ listen: 'x' }, { MLGATE_MLFLOW_WEBHOOK_SECRET: 's3' })).toBe('s3');
    expect(mlflowWebhookSecret({ listen: 'x', mlflowWebhookSecretEnv: 'HOOK' }, { HOOK: 'h' })).toBe('h');
    expect(() => mlflowWebhookSecret({ listen: 'x', mlflowWebhookSecretEnv: 'HOOK' }, { HOOK: '' })).toThrow(
      UsageError,
    );
  });
});
