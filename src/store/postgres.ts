/**
 * The store on PostgreSQL: the same tables and migrations as the SQLite file (see
 * migrations.ts), for a server with any number of replicas over one database. Opening it takes
 * a session advisory lock (pg_advisory_lock) around migrating and checking the append-only
 * guards, so replicas that start together migrate once and repair once; the others wait, then
 * find nothing to do.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { expectedColumns, type OpenOptions, type Store, StoreChanged, StoreError } from './db.js';
import { checkGuards } from './guards.js';
import { MIGRATIONS, migrationProvider } from './migrations.js';
import type { Database } from './schema.js';
import { Migrator, sql } from 'kysely';

/** The advisory lock key mlgate holds while migrating: any fixed 64-bit number, "mlgate" in ASCII. */
export const MIGRATION_LOCK_KEY = 0x6d6c67617465n;

export const isPostgresUrl = (target: string) => /^postgres(ql)?:\/\//i.test(target);

/** The URL as it may be printed: no password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

export interface PostgresOptions extends Partial<OpenOptions> {
  /** Schema for mlgate's tables (search_path); it is created when missing. Default: the URL's. */
  schema?: string;
  /** Connections in the pool (per replica). */
  maxConnections?: number;
}

export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<Store> {
  const shown = redactUrl(url);
  const write = options.write ?? true;
  if (options.schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(options.schema))
    throw new StoreError(`schema name ${JSON.stringify(options.schema)} is not a plain identifier`);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    // An unreachable database is an error in seconds, not a request that hangs.
    connectionTimeoutMillis: 10_000,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // A broken idle connection is replaced by the pool; it must not crash the process.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let notices: string[] = [];
  try {
    const client = await pool.connect().catch((error: Error) => {
      throw new StoreError(
        `cannot reach PostgreSQL at ${shown}: ${error.message}`,
        'is it running? is the URL right?',
      );
    });
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
      try {
        if (options.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
        const schema = options.schema ?? (await client.query('SELECT current_schema() AS s')).rows[0].s;
        await migrate(db, shown, schema);
        await checkColumns(db, shown);
        notices = await checkGuards(db, { repair: write });
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
      }
    } finally {
      client.release();
    }
  } catch (error) {
    await db.destroy();
    if (error instanceof StoreError) throw error;
    throw new StoreError(`cannot use the store ${shown}: ${(error as Error).message}`);
  }
  return { db, path: shown, dialect: 'postgres', notices, close: () => db.destroy() };
}

async function migrate(db: Kysely<Database>, shown: string, schema: string): Promise<void> {
  const known = new Set(Object.keys(MIGRATIONS));
  // Named, since Kysely looks for its table in every schema (another store's would do).
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableSchema: schema });
  const ran = (await migrator.getMigrations()).filter((m) => m.executedAt !== undefined).map((m) => m.name);
  const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration`
    .execute(db)
    .catch(() => ({ rows: [] as Array<{ name: string }> }));
  const unknown = rows.map((row) => row.name).filter((name) => !known.has(name));
  if (unknown.length > 0)
    throw new StoreError(
      `the store ${shown} was written by a newer mlgate (schema ${unknown.sort().at(-1)}); nothing was changed`,
      'upgrade mlgate to read it',
    );
  if (ran.length === known.size) return;
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

/** Every table and column the migrations make must be there: a dropped one is a changed store. */
async function checkColumns(db: Kysely<Database>, shown: string): Promise<void> {
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`.execute(
    db,
  );
  const present = new Map<string, Set<string>>();
  for (const row of rows)
    (present.get(row.table_name) ?? present.set(row.table_name, new Set()).get(row.table_name)!).add(
      row.column_name,
    );
  const changed: string[] = [];
  for (const [table, columns] of await expectedColumns()) {
    const have = present.get(table);
    if (!have) changed.push(`table ${table} missing`);
    else if (columns.some((column) => !have.has(column))) changed.push(`table ${table} altered`);
  }
  if (changed.length > 0) throw new StoreChanged(shown, changed.join(', '));
}
