/**
 * For tests: a fresh store on each dialect. SQLite is a new file in a temporary folder;
 * PostgreSQL is a new schema in the `test` database ($MLGATE_TEST_POSTGRES, default
 * postgres://postgres@127.0.0.1:5432/test), reached through search_path and dropped afterwards.
 * Without a reachable PostgreSQL, its tests are skipped with a message, not failed silently:
 * set MLGATE_REQUIRE_POSTGRES=1 (CI does) to make that a failure.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStoreFile, type Store } from './db.js';
import { openPostgresStore } from './postgres.js';

export const TEST_POSTGRES_URL =
  process.env.MLGATE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

export type Dialect = 'sqlite' | 'postgres';

let reachable: Promise<boolean> | undefined;

/** Whether the test PostgreSQL answers (once per process). */
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      if (process.env.MLGATE_REQUIRE_POSTGRES === '1')
        throw new Error(`PostgreSQL is required for these tests and ${TEST_POSTGRES_URL} does not answer`);
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

export interface TestDatabase {
  dialect: Dialect;
  /** What `mlgate server --database` takes for it. */
  target: string;
  /** PostgreSQL: the schema (search_path). */
  schema?: string;
  open(): Promise<Store>;
  /** Drops the schema (PostgreSQL); the SQLite file is left in the temporary folder. */
  drop(): Promise<void>;
}

/** A new, empty database of the dialect. */
export function freshDatabase(dialect: Dialect): TestDatabase {
  if (dialect === 'sqlite') {
    const file = join(mkdtempSync(join(tmpdir(), 'mlgate-db-')), 'server.db');
    return {
      dialect,
      target: file,
      open: async () => (await openStoreFile(file, { create: true }))!,
      drop: async () => undefined,
    };
  }
  const schema = `mlgate_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  return {
    dialect,
    target: TEST_POSTGRES_URL,
    schema,
    open: () => openPostgresStore(TEST_POSTGRES_URL, { schema, maxConnections: 4 }),
    async drop() {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
