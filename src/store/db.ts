/**
 * The project's store: `.mlgate/mlgate.db`, an SQLite database (WAL, so a run reading it
 * never blocks a run writing it; a busy timeout, so two runs that write at once both land),
 * reached through Kysely, migrated on open. A file that is not a database, or one written by
 * a newer mlgate, is an error that says what to do — it is never overwritten.
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { UsageError } from '../engine/errors.js';
import { migrationProvider, MIGRATIONS } from './migrations.js';
import type { Database } from './schema.js';

export const STORE_FILE = 'mlgate.db';

/** A store that cannot be used as it is: reported like bad input (exit 2), with a fix. */
export class StoreError extends UsageError {}

export interface Store {
  db: Kysely<Database>;
  /** Absolute path of the database file. */
  path: string;
  close(): Promise<void>;
}

/**
 * Opens (creating on first use, when `create`) the store in `dir`. Without `create`, a missing
 * store is reported as undefined: reading history from a project that has none is not an error.
 */
export async function openStore(dir: string, options: { create: boolean }): Promise<Store | undefined> {
  const path = join(dir, STORE_FILE);
  if (!existsSync(path)) {
    if (!options.create) return undefined;
    mkdirSync(dir, { recursive: true });
    // Keep the store out of git without touching the project's own .gitignore.
    const ignore = join(dir, '.gitignore');
    if (!existsSync(ignore)) writeFileSync(ignore, '# mlgate store: local run history and sign-offs\n*\n');
  }
  checkHeader(path);
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = new BetterSqlite3(path);
    sqlite.pragma('busy_timeout = 10000');
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    // WAL with synchronous=NORMAL survives a killed process (not a power cut) without an fsync per commit.
    sqlite.pragma('synchronous = NORMAL');
  } catch (error) {
    throw unreadable(path, error);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    await migrate(db, path);
  } catch (error) {
    await db.destroy();
    if (error instanceof StoreError) throw error;
    throw unreadable(path, error);
  }
  return { db, path, close: () => db.destroy() };
}

/** SQLite files start with "SQLite format 3\0"; anything else is not ours to open. */
function checkHeader(path: string): void {
  if (!existsSync(path) || statSync(path).size === 0) return;
  const header = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString('latin1') !== 'SQLite format 3\u0000') {
    throw new StoreError(
      `${path} is not an SQLite database (damaged, or not mlgate's); nothing was changed`,
      'move it aside (mlgate starts a new store) or restore it from a backup',
    );
  }
}

function unreadable(path: string, error: unknown): StoreError {
  const message = (error as Error).message;
  return new StoreError(
    `cannot use the store ${path}: ${message}`,
    /malformed|not a database|corrupt/i.test(message)
      ? 'the file is damaged: move it aside (mlgate starts a new store) or restore it from a backup'
      : undefined,
  );
}

async function migrate(db: Kysely<Database>, path: string): Promise<void> {
  const known = new Set(Object.keys(MIGRATIONS));
  const executed = async (conn: Kysely<Database>) =>
    (
      await conn
        .selectFrom('kysely_migration' as never)
        .select('name' as never)
        .execute()
        .catch(() => [] as Array<{ name: string }>)
    ).map((row) => (row as { name: string }).name);
  const check = (names: string[]) => {
    const unknown = names.filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new StoreError(
        `the store ${path} was written by a newer mlgate (schema ${unknown.sort().at(-1)}); nothing was changed`,
        'upgrade mlgate to read it',
      );
    }
    return names.length === known.size;
  };
  // Up to date (the usual case): no write lock taken.
  if (check(await executed(db))) return;
  // Otherwise migrate in one IMMEDIATE transaction: a second process creating the store at the
  // same moment waits for it and then finds nothing to do, and a process killed midway leaves
  // no half-made schema behind.
  await db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      if (!check(await executed(conn))) {
        const { error } = await new Migrator({ db: conn, provider: migrationProvider }).migrateToLatest();
        if (error) throw error;
      }
      await sql`commit`.execute(conn);
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}
