/**
 * The project's store: `.mlgate/mlgate.db`, an SQLite database (WAL, so a run reading it
 * never blocks a run writing it; a busy timeout, so two runs that write at once both land),
 * reached through Kysely, migrated on open. A file that is not a database, an empty one, a
 * damaged one, or one written by a newer mlgate is an error that says what to do — it is
 * never overwritten, and a damaged store is never written: opening it to write runs
 * `PRAGMA quick_check` first, and SQLite's "corrupt" errors anywhere become that same error.
 */
import { STORE_GITIGNORE } from '../attest/signoffs.js';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type SqliteDatabase, sql } from 'kysely';
import { UsageError } from '../engine/errors.js';
import { inlineText } from '../redact/clean.js';
import { isDamageError } from './damage.js';
import { checkGuards } from './guards.js';
import { migrationProvider, MIGRATIONS } from './migrations.js';
import type { Database } from './schema.js';

export { isDamageError } from './damage.js';

export const STORE_FILE = 'mlgate.db';

/** A store that cannot be used as it is: reported like bad input (exit 2), with a fix. */
export class StoreError extends UsageError {}

const DAMAGED_FIX = 'move it aside (mlgate starts a new store) or restore it from a backup';

/** The database file is damaged (or empty): exit 2, and nothing is written to it. */
export class StoreDamaged extends StoreError {
  constructor(path: string, detail: string) {
    super(`the store ${path} is damaged (${detail}); nothing was changed`, DAMAGED_FIX);
  }
}

const CHANGED_FIX =
  'restore the store from a backup, or move it aside (mlgate starts a new store); the file was edited outside mlgate';

/** The file is SQLite, but its tables or values are not what mlgate wrote: exit 2. */
export class StoreChanged extends StoreError {
  constructor(path: string, detail: string) {
    super(`the store ${path} was changed outside mlgate (${detail}); nothing was changed`, CHANGED_FIX);
  }
}

/** A JSON value mlgate wrote into the store, read back; not JSON is a changed store, not a crash. */
export function readStored<T>(text: string, what: string, path = 'file'): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new StoreChanged(path, `${what} is not the JSON mlgate wrote`);
  }
}

/** SQLite's word that the schema is not mlgate's (a table or column dropped or renamed). */
function isSchemaChange(error: unknown): boolean {
  return /no such (table|column)|has no column named/i.test((error as Error)?.message ?? '');
}

export interface Store {
  db: Kysely<Database>;
  /** Absolute path of the database file (PostgreSQL: the URL without its password). */
  path: string;
  dialect: 'sqlite' | 'postgres';
  /**
   * What opening it noticed and a person should see: append-only guards that are missing
   * or altered (restored, and recorded in the store, when opened for writing).
   */
  notices: string[];
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Create the store when there is none (else: undefined). */
  create: boolean;
  /**
   * The caller will write (a run, a sign-off, a tag): the whole file is checked first
   * (`PRAGMA quick_check`) and missing guards are restored. Default: `create`.
   */
  write?: boolean;
}

/**
 * Opens (creating on first use, when `create`) the store in `dir`. Without `create`, a missing
 * store is reported as undefined: reading history from a project that has none is not an error.
 */
export async function openStore(dir: string, options: OpenOptions): Promise<Store | undefined> {
  const path = join(dir, STORE_FILE);
  if (!existsSync(path)) {
    if (!options.create) return undefined;
    mkdirSync(dir, { recursive: true });
    // Keep the store out of git without touching the project's own .gitignore.
    const ignore = join(dir, '.gitignore');
    // Everything but attestations/: signed sign-offs are committed, reviewed like code.
    if (!existsSync(ignore)) writeFileSync(ignore, STORE_GITIGNORE);
  }
  return openStoreFile(path, options);
}

/** Opens (creating when `create`) the SQLite store in one file: a project's, or a one-machine server's. */
export async function openStoreFile(path: string, options: OpenOptions): Promise<Store | undefined> {
  const write = options.write ?? options.create;
  if (!existsSync(path)) {
    if (!options.create) return undefined;
    await createStoreFile(path);
  }
  checkHeader(path);
  let sqlite: BetterSqlite3.Database;
  try {
    // fileMustExist: a file removed since the checks above is not silently recreated empty.
    sqlite = new BetterSqlite3(path, { fileMustExist: true });
  } catch (error) {
    throw storeError(path, error);
  }
  try {
    sqlite.pragma('busy_timeout = 10000');
    // Before anything that could write (even the journal mode): another program's database
    // is refused, not given mlgate's tables; a damaged file is refused, never made worse.
    refuseForeign(sqlite, path);
    if (write) quickCheck(sqlite, path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    // WAL with synchronous=NORMAL survives a killed process (not a power cut) without an fsync per commit.
    sqlite.pragma('synchronous = NORMAL');
  } catch (error) {
    sqlite.close();
    throw storeError(path, error);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: guarded(sqlite, path) }) });
  let notices: string[];
  try {
    await migrate(db, path);
    await checkTables(db, path);
    notices = await checkGuards(db, { repair: write });
  } catch (error) {
    await db.destroy();
    throw storeError(path, error);
  }
  return { db, path, dialect: 'sqlite', notices, close: () => db.destroy() };
}

/**
 * A new store is made whole under a temporary name and then linked into place, which fails
 * if the name is taken: no other process ever sees a half-made (or empty) store, so an empty
 * mlgate.db is always damage, never "someone is creating it right now".
 */
async function createStoreFile(path: string): Promise<void> {
  const temp = `${path}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const sqlite = new BetterSqlite3(temp);
    sqlite.pragma('journal_mode = WAL');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: guarded(sqlite, temp) }) });
    try {
      await migrate(db, temp);
    } finally {
      // Closing the last connection checkpoints the WAL into the file and removes it.
      await db.destroy();
    }
    try {
      linkSync(temp, path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Another process made the store first: use theirs.
      if (code === 'EEXIST') return;
      // A file system without hard links: an exclusive copy still never replaces a store.
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') {
        try {
          copyFileSync(temp, path, constants.COPYFILE_EXCL);
        } catch (copyError) {
          if ((copyError as NodeJS.ErrnoException).code !== 'EEXIST') throw copyError;
        }
        return;
      }
      throw error;
    }
  } catch (error) {
    throw storeError(path, error);
  } finally {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${temp}${suffix}`, { force: true });
  }
}

/** SQLite files start with "SQLite format 3\0"; anything else (an empty file too) is not ours to open. */
function checkHeader(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw storeError(path, error);
  }
  if (size === 0) {
    // mlgate never leaves an empty store behind (see createStoreFile): this one lost its contents.
    throw new StoreError(
      `${path} is empty (0 bytes): damaged, or not mlgate's; nothing was changed`,
      DAMAGED_FIX,
    );
  }
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
      DAMAGED_FIX,
    );
  }
}

/** Every page of every table and index, read once: damage anywhere is found before a write. */
function quickCheck(sqlite: BetterSqlite3.Database, path: string): void {
  const rows = sqlite.pragma('quick_check(5)') as Array<{ quick_check: string }>;
  const problems = rows.map((row) => row.quick_check);
  if (problems.length === 1 && problems[0] === 'ok') return;
  throw new StoreDamaged(path, `quick_check: ${problems.slice(0, 3).join('; ')}`);
}

/** Tables SQLite makes for itself, and Kysely's migration bookkeeping. */
const isBookkeeping = (name: string) => name.startsWith('sqlite_') || name.startsWith('kysely_migration');

/** A database with tables but no mlgate migrations is some other program's: never touched. */
function refuseForeign(sqlite: BetterSqlite3.Database, path: string): void {
  const tables = (
    sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
  ).map((row) => row.name);
  if (tables.length === 0 || tables.includes('kysely_migration')) return;
  const theirs = tables.filter((name) => !isBookkeeping(name));
  throw new StoreError(
    `${path} is not an mlgate store: it is a database with tables mlgate did not make (${theirs
      .slice(0, 5)
      .map(inlineText)
      .join(', ')}${theirs.length > 5 ? ', …' : ''}); nothing was changed`,
    'give mlgate a folder of its own (--store DIR or $MLGATE_STORE), or move the file aside',
  );
}

let referenceTables: Promise<Map<string, string>> | undefined;

/** The tables as the migrations make them, built once in memory: what a store must have. */
function expectedTables(): Promise<Map<string, string>> {
  referenceTables ??= (async () => {
    const sqlite = new BetterSqlite3(':memory:');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    try {
      await migrate(db, ':memory:');
      return await tableDefinitions(db);
    } finally {
      await db.destroy();
    }
  })();
  return referenceTables;
}

/** Each table's column names, as the migrations make them (the same on both dialects). */
export async function expectedColumns(): Promise<Map<string, string[]>> {
  const sqlite = new BetterSqlite3(':memory:');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    await migrate(db, ':memory:');
    const columns = new Map<string, string[]>();
    for (const name of (await tableDefinitions(db)).keys())
      columns.set(
        name,
        (sqlite.pragma(`table_info(${name})`) as Array<{ name: string }>).map((column) => column.name),
      );
    return columns;
  } finally {
    await db.destroy();
  }
}

async function tableDefinitions(db: Kysely<Database>): Promise<Map<string, string>> {
  const { rows } = await sql<{
    name: string;
    sql: string | null;
  }>`SELECT name, sql FROM sqlite_master WHERE type = 'table'`.execute(db);
  return new Map(
    rows
      .filter((row) => !isBookkeeping(row.name))
      .map((row) => [row.name, (row.sql ?? '').replace(/\s+/g, ' ').trim()]),
  );
}

/**
 * Every table mlgate reads must be as the migrations made it: a dropped table or column would
 * otherwise surface mid-command (after a write, as a crash). Checked before anything is written.
 */
async function checkTables(db: Kysely<Database>, path: string): Promise<void> {
  const expected = await expectedTables();
  const present = await tableDefinitions(db);
  const changed = [...expected]
    .filter(([name, definition]) => present.get(name) !== definition)
    .map(([name]) => (present.has(name) ? `table ${name} altered` : `table ${name} missing`));
  if (changed.length > 0) throw new StoreChanged(path, changed.join(', '));
}

function storeError(path: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const message = (error as Error).message;
  if (isDamageError(error)) return new StoreDamaged(path, message);
  if (isSchemaChange(error)) return new StoreChanged(path, message);
  return new StoreError(`cannot use the store ${path}: ${message}`);
}

/**
 * better-sqlite3 as Kysely drives it, with SQLite's "damaged" errors turned into StoreDamaged
 * naming the file: every query of every command reports damage the same way (exit 2, the fix).
 */
function guarded(sqlite: BetterSqlite3.Database, path: string): SqliteDatabase {
  const guard = <T>(work: () => T): T => {
    try {
      return work();
    } catch (error) {
      if (isDamageError(error)) throw new StoreDamaged(path, (error as Error).message);
      if (isSchemaChange(error)) throw new StoreChanged(path, (error as Error).message);
      throw error;
    }
  };
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      const statement = guard(() => sqlite.prepare(text));
      return {
        reader: statement.reader,
        all: (parameters: ReadonlyArray<unknown>) => guard(() => statement.all(parameters)),
        run: (parameters: ReadonlyArray<unknown>) => guard(() => statement.run(parameters)),
        iterate(parameters: ReadonlyArray<unknown>) {
          const rows = guard(() => statement.iterate(parameters));
          return {
            next: () => guard(() => rows.next()),
            return: (value?: unknown) => guard(() => rows.return?.(value) ?? { done: true, value }),
            [Symbol.iterator]() {
              return this;
            },
          } as IterableIterator<unknown>;
        },
      };
    },
  };
}

async function migrate(db: Kysely<Database>, path: string): Promise<void> {
  const known = new Set(Object.keys(MIGRATIONS));
  const executed = async (conn: Kysely<Database>) =>
    (
      await conn
        .selectFrom('kysely_migration' as never)
        .select('name' as never)
        .execute()
        .catch((error: unknown) => {
          // A new store has no migration table yet; any other failure (damage) is not "nothing ran".
          if (/no such table/i.test((error as Error).message)) return [] as Array<{ name: string }>;
          throw error;
        })
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
