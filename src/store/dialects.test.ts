/**
 * The store's own API on both dialects: an SQLite file and PostgreSQL (a fresh schema per test
 * run, dropped after). The same runs, tags, baselines and sign-off events must come back the
 * same way from each; the append-only guards hold on each; replicas opening a new PostgreSQL
 * store together migrate it once.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { tempFiles } from '../testing/temp.js';
import pg from 'pg';
import { sql } from 'kysely';
import type { Store } from './db.js';
import { MIGRATIONS } from './migrations.js';
import { openPostgresStore } from './postgres.js';
import { currentTags, lastPass, listRuns, loadRun, measuredIn, resolveRun, saveRun, tagRun } from './runs.js';
import { appendEvent, loadEvents } from './signoffs.js';
import { sampleReport } from './sample-report.js';
import { freshDatabase, postgresReachable, TEST_POSTGRES_URL, type TestDatabase } from './test-dialects.js';

const havePostgres = await postgresReachable();
if (!havePostgres)
  console.warn(`PostgreSQL at ${TEST_POSTGRES_URL} does not answer: its store tests are skipped`);

const cleanup: TestDatabase[] = [];
afterAll(async () => {
  for (const database of cleanup) await database.drop();
});

async function open(dialect: 'sqlite' | 'postgres'): Promise<{ store: Store; database: TestDatabase }> {
  const database = freshDatabase(dialect);
  cleanup.push(database);
  return { store: await database.open(), database };
}

describe.each(['sqlite', 'postgres'] as const)('%s', (dialect) => {
  const skip = dialect === 'postgres' && !havePostgres;

  test.skipIf(skip)('runs, tags, last-pass and measured values read back the same', async () => {
    const { store } = await open(dialect);
    try {
      const a = await saveRun(store, sampleReport({ verdict: 'PASS', value: 0.91 }));
      const b = await saveRun(store, sampleReport({ verdict: 'BLOCKED', value: 0.5 }));
      const other = await saveRun(store, sampleReport({ verdict: 'PASS', profile: 'prod' }));
      expect([a, b, other]).toEqual([1, 2, 3]);
      const runs = await listRuns(store, 10);
      expect(runs.map((run) => [run.id, run.verdict, run.problems])).toEqual([
        [3, 'PASS', []],
        [2, 'BLOCKED', []],
        [1, 'PASS', []],
      ]);
      expect(await lastPass(store, null)).toBe(1);
      expect(await lastPass(store, 'prod')).toBe(3);
      expect(await resolveRun(store, 'latest')).toBe(3);
      await tagRun(store, a, 'production', 'Jane', new Date('2026-01-02T00:00:00Z'));
      await tagRun(store, b, 'production', 'Jane', new Date('2026-01-03T00:00:00Z'));
      expect([...(await currentTags(store))]).toEqual([['production', 2]]);
      expect(await resolveRun(store, 'production')).toBe(2);
      await expect(resolveRun(store, 'staging')).rejects.toThrow('no run "staging" in the store');
      expect((await loadRun(store, a)).items[0]!.measured).toEqual({ value: 0.91 });
      expect(await measuredIn(store, b, 'item-0')).toEqual({ status: 'fail', measured: { value: 0.5 } });
    } finally {
      await store.close();
    }
  });

  test.skipIf(skip)('runs of server projects are kept apart', async () => {
    const { store } = await open(dialect);
    try {
      const ids = [];
      for (const name of ['one', 'two']) {
        const { id } = await store.db
          .insertInto('projects')
          .values({ name, created_at: 'now', created_by: 'admin', signers: '{}' })
          .returning('id')
          .executeTakeFirstOrThrow();
        ids.push(id);
      }
      const r1 = await saveRun(store, sampleReport({ project: 'one' }), {
        projectId: ids[0]!,
        uploadedBy: 'ci',
      });
      await saveRun(store, sampleReport({ project: 'two' }), { projectId: ids[1]!, uploadedBy: 'ci' });
      expect(
        (await listRuns(store, 10, { projectId: ids[0] })).map((run) => [run.id, run.uploadedBy]),
      ).toEqual([[r1, 'ci']]);
      await expect(resolveRun(store, '2', ids[0])).rejects.toThrow('no run "2"');
      expect(await lastPass(store, undefined, undefined, ids[1])).toBe(2);
      await expect(loadRun(store, 2, ids[0])).rejects.toThrow('no run #2');
    } finally {
      await store.close();
    }
  });

  test.skipIf(skip)('sign-off events append and fold in order', async () => {
    const { store } = await open(dialect);
    try {
      const at = new Date('2026-01-05T10:00:00Z');
      await appendEvent(store, { action: 'approve', itemId: 'lead', actor: 'Jane', role: 'tech-lead', at });
      await appendEvent(store, {
        action: 'revoke',
        itemId: 'lead',
        actor: 'Jane',
        role: 'tech-lead',
        at,
        comment: 'oops',
      });
      const events = (await loadEvents(store)).get('lead')!;
      expect(events.map((event) => [event.action, event.actor, event.role])).toEqual([
        ['approve', 'Jane', 'tech-lead'],
        ['revoke', 'Jane', 'tech-lead'],
      ]);
    } finally {
      await store.close();
    }
  });

  test.skipIf(skip)(
    'sign-offs fold the same: renew_every lapses an approval, a waiver expires, an edit makes it stale',
    async () => {
      const { loadSpec } = await import('../spec/load.js');
      const { loadBuiltinChecks } = await import('../engine/registry.js');
      const { digestArtifacts } = await import('../engine/artifacts.js');
      const { SignoffBook, bindingFor } = await import('./signoffs.js');
      const dir = tempFiles({
        'mlgate.yaml': `version: 1
project: { name: dialects }
artifacts:
  model: model.bin
sections:
  - title: S
    items:
      - { id: model-file, title: Model file, check: { kind: file, path: model.bin } }
      - id: quarterly
        title: Quarterly review
        manual: { roles: [reviewer], renew_every: 90d }
`,
        'model.bin': 'weights v1\n',
      });
      const loaded = loadSpec(join(dir, 'mlgate.yaml'), await loadBuiltinChecks());
      const artifacts = await digestArtifacts(loaded);
      const quarterly = loaded.items.find((item) => item.id === 'quarterly')!;
      const modelFile = loaded.items.find((item) => item.id === 'model-file')!;
      const { store } = await open(dialect);
      try {
        const given = new Date('2026-01-10T12:00:00Z');
        await appendEvent(store, {
          action: 'approve',
          itemId: 'quarterly',
          actor: 'Rev',
          role: 'reviewer',
          at: given,
          binding: bindingFor(quarterly, loaded.sha256, artifacts),
        });
        await appendEvent(store, {
          action: 'waive',
          itemId: 'model-file',
          actor: 'Rev',
          comment: 'known',
          at: given,
          expiresAt: new Date('2026-02-01T00:00:00Z'),
          binding: bindingFor(modelFile, loaded.sha256, artifacts),
        });
        const at = async (iso: string) =>
          SignoffBook.load(store, loaded.sha256, artifacts, () => new Date(iso));
        expect((await at('2026-04-09T12:00:00Z')).manual(quarterly).status).toBe('pass');
        expect((await at('2026-04-10T12:00:01Z')).manual(quarterly)).toMatchObject({
          status: 'pending',
          summary:
            "awaiting sign-off by reviewer; Rev's approval of 2026-01-10 lapsed: it is renewed every 90 d",
        });
        const failing = { status: 'fail' as const, summary: 'missing' };
        expect((await at('2026-01-31T23:59:59Z')).waive(modelFile, failing).status).toBe('waived');
        expect((await at('2026-02-01T00:00:00Z')).waive(modelFile, failing)).toMatchObject({
          status: 'fail',
          waiver: { state: 'expired' },
        });
        const changed = artifacts.map((a) => ({ ...a, sha256: 'f'.repeat(64) }));
        const stale = await SignoffBook.load(
          store,
          loaded.sha256,
          changed,
          () => new Date('2026-01-11T00:00:00Z'),
        );
        expect(stale.manual(quarterly).summary).toBe(
          'awaiting sign-off by reviewer; model.bin changed since Rev approved on 2026-01-10',
        );
      } finally {
        await store.close();
      }
    },
  );

  test.skipIf(skip)('the append-only tables refuse UPDATE and DELETE, even in SQL', async () => {
    const { store } = await open(dialect);
    try {
      await saveRun(store, sampleReport());
      await tagRun(store, 1, 'x', 'a', new Date());
      await store.db
        .insertInto('audit_events')
        .values({
          at: 'now',
          actor: 'a',
          action: 'x',
          project: null,
          target: 't',
          detail: '{}',
          prev_hash: '0',
          hash: '1',
        })
        .execute();
      for (const [table, statement] of [
        ['runs', sql`UPDATE runs SET verdict = 'PASS'`],
        ['run_items', sql`DELETE FROM run_items`],
        ['tag_events', sql`UPDATE tag_events SET tag = 'y'`],
        ['audit_events', sql`DELETE FROM audit_events`],
      ] as const) {
        await expect(statement.execute(store.db), table).rejects.toThrow(`${table} is append-only`);
      }
      if (dialect === 'postgres')
        await expect(sql`TRUNCATE runs CASCADE`.execute(store.db)).rejects.toThrow('is append-only');
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!havePostgres)('postgres only', () => {
  test('replicas opening a new store together migrate it once', async () => {
    const database = freshDatabase('postgres');
    cleanup.push(database);
    const stores = await Promise.all(Array.from({ length: 5 }, () => database.open()));
    try {
      const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM kysely_migration`.execute(
        stores[0]!.db,
      );
      expect(Number(rows[0]!.n)).toBe(Object.keys(MIGRATIONS).length);
      expect(stores.flatMap((store) => store.notices)).toEqual([]);
    } finally {
      for (const store of stores) await store.close();
    }
  });

  test('a disabled, dropped or foreign trigger is noticed, restored on open, and the repair recorded', async () => {
    const database = freshDatabase('postgres');
    cleanup.push(database);
    (await database.open()).close();
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    try {
      await client.query(`SET search_path = ${database.schema}`);
      await client.query('ALTER TABLE runs DISABLE TRIGGER runs_no_update');
      await client.query('DROP TRIGGER signoff_events_no_delete ON signoff_events');
      await client.query(
        `CREATE FUNCTION sneaky() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$`,
      );
      await client.query('CREATE TRIGGER sneaky AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION sneaky()');
    } finally {
      await client.end();
    }
    const reader = await openPostgresStore(TEST_POSTGRES_URL, { schema: database.schema, write: false });
    expect(reader.notices.join('\n')).toMatch(
      /append-only guards missing: signoff_events_no_delete; append-only guards altered: runs_no_update; triggers mlgate did not make: sneaky \(on runs\)/,
    );
    await reader.close();
    const writer = await database.open();
    try {
      expect(writer.notices.join('\n')).toContain('restored by mlgate');
      await saveRun(writer, sampleReport());
      await expect(sql`UPDATE runs SET verdict = 'BLOCKED'`.execute(writer.db)).rejects.toThrow(
        'runs is append-only',
      );
      const events = await writer.db.selectFrom('store_events').select('event').execute();
      expect(events).toEqual([{ event: 'guards-restored' }]);
    } finally {
      await writer.close();
    }
  });

  test('a store written by a newer mlgate is refused', async () => {
    const database = freshDatabase('postgres');
    cleanup.push(database);
    const store = await database.open();
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('0099_future', 'now')`.execute(store.db);
    await store.close();
    await expect(database.open()).rejects.toThrow('written by a newer mlgate (schema 0099_future)');
  });
});
