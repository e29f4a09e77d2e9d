/**
 * The store's append-only guards: triggers that refuse UPDATE and DELETE on runs, sign-offs
 * and tags. Anyone who can write the file can drop them, so they stop accidents and casual
 * edits, not an attacker; what the store can do is notice. On every open the triggers are
 * compared with the ones the migrations create (name and text): missing or altered guards,
 * and triggers mlgate never made, are reported; when the store is opened for writing they
 * are restored in one transaction and the repair is recorded in `store_events`, so that
 * `mlgate history` keeps showing that the trail before then may have been edited.
 */
import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { inlineText } from '../redact/clean.js';
import { TOOL_VERSION } from '../version.js';
import {
  APPEND_ONLY_TABLES,
  appendOnlyGuards,
  PG_GUARD_BODY,
  PG_GUARD_FUNCTION,
  pgAppendOnlyGuards,
  pgGuardFunctionSql,
} from './migrations.js';
import type { Database } from './schema.js';

export const GUARDS_RESTORED = 'guards-restored';

interface Finding {
  /** Missing or altered: re-created on repair. */
  restore: Array<{ name: string; sql: string; table: string; altered: boolean }>;
  /** Triggers mlgate never made: dropped on repair (one could insert sign-offs of its own). */
  unknown: Array<{ name: string; table: string }>;
}

const normalise = (text: string) => text.replace(/\s+/g, ' ').trim();
/** Names come from the file, which anyone may have written: no terminal control characters. */
const printable = inlineText;

const isPostgres = (db: Kysely<Database>) => db.getExecutor().adapter instanceof PostgresAdapter;

/**
 * PostgreSQL: a guard holds when its trigger is on its table, fires before the right event,
 * is enabled (ALTER TABLE ... DISABLE TRIGGER is a way round it), and calls mlgate's function
 * with the body the migrations gave it.
 */
async function inspectPostgres(db: Kysely<Database>): Promise<Finding> {
  const { rows } = await sql<{
    name: string;
    tbl_name: string;
    tgtype: number;
    tgenabled: string;
    proname: string;
    prosrc: string;
  }>`SELECT t.tgname AS name, c.relname AS tbl_name, t.tgtype::int AS tgtype, t.tgenabled::text AS tgenabled,
            p.proname::text AS proname, p.prosrc AS prosrc
       FROM pg_trigger t
       JOIN pg_class c ON c.oid = t.tgrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE n.nspname = current_schema() AND NOT t.tgisinternal`.execute(db);
  const present = new Map(rows.map((row) => [row.name, row]));
  const expected = APPEND_ONLY_TABLES.flatMap((table) =>
    pgAppendOnlyGuards(table).map((guard) => ({ ...guard, table })),
  );
  const intact = (guard: (typeof expected)[number]) => {
    const row = present.get(guard.name);
    return (
      row !== undefined &&
      row.tbl_name === guard.table &&
      row.tgtype === guard.tgtype &&
      row.tgenabled === 'O' &&
      row.proname === PG_GUARD_FUNCTION &&
      normalise(row.prosrc) === normalise(PG_GUARD_BODY)
    );
  };
  const restore = expected
    .filter((guard) => !intact(guard))
    .map((guard) => ({
      name: guard.name,
      sql: guard.sql,
      table: guard.table,
      altered: present.has(guard.name),
    }));
  const known = new Set(expected.map((guard) => guard.name));
  const unknown = rows
    .filter((row) => !known.has(row.name))
    .map((row) => ({ name: row.name, table: row.tbl_name }));
  return { restore, unknown };
}

async function inspect(db: Kysely<Database>): Promise<Finding> {
  if (isPostgres(db)) return inspectPostgres(db);
  const { rows } = await sql<{
    name: string;
    tbl_name: string;
    sql: string | null;
  }>`SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'`.execute(db);
  const present = new Map(rows.map((row) => [row.name, row]));
  const expected = APPEND_ONLY_TABLES.flatMap((table) =>
    appendOnlyGuards(table).map((guard) => ({ ...guard, table })),
  );
  const restore = expected
    .filter((guard) => normalise(present.get(guard.name)?.sql ?? '') !== normalise(guard.sql))
    .map((guard) => ({ ...guard, altered: present.has(guard.name) }));
  const known = new Set(expected.map((guard) => guard.name));
  const unknown = rows
    .filter((row) => !known.has(row.name))
    .map((row) => ({ name: row.name, table: row.tbl_name }));
  return { restore, unknown };
}

function describe(finding: Finding): string {
  const parts: string[] = [];
  const missing = finding.restore.filter((guard) => !guard.altered).map((guard) => guard.name);
  const altered = finding.restore.filter((guard) => guard.altered).map((guard) => guard.name);
  if (missing.length > 0) parts.push(`append-only guards missing: ${missing.join(', ')}`);
  if (altered.length > 0) parts.push(`append-only guards altered: ${altered.join(', ')}`);
  if (finding.unknown.length > 0)
    parts.push(
      `triggers mlgate did not make: ${finding.unknown.map((t) => `${printable(t.name)} (on ${printable(t.table)})`).join(', ')}`,
    );
  const tables = [
    ...new Set([...finding.restore.map((guard) => guard.table), ...finding.unknown.map((t) => t.table)]),
  ];
  return `${parts.join('; ')}; records in ${tables.map(printable).join(', ')} may have been changed outside mlgate`;
}

/**
 * Compares the store's triggers with the guards it should have. Returns what a person should
 * see (nothing when all is well). With `repair`, restores them and records that it did.
 */
export async function checkGuards(db: Kysely<Database>, options: { repair: boolean }): Promise<string[]> {
  const found = await inspect(db);
  if (found.restore.length === 0 && found.unknown.length === 0) return [];
  if (!options.repair) {
    return [`the store's ${describe(found)} (mlgate check, approve or tag restores the guards)`];
  }
  // One IMMEDIATE transaction: two processes repairing at once do it once, and record it once.
  // (PostgreSQL: the caller holds the advisory lock; DDL is transactional there too.)
  const postgres = isPostgres(db);
  return db.connection().execute(async (conn) => {
    await sql.raw(postgres ? 'begin' : 'begin immediate').execute(conn);
    try {
      const finding = await inspect(conn);
      if (finding.restore.length === 0 && finding.unknown.length === 0) {
        await sql`commit`.execute(conn);
        return [];
      }
      for (const trigger of [...finding.unknown, ...finding.restore.filter((guard) => guard.altered)])
        await (
          postgres
            ? sql`DROP TRIGGER ${sql.id(trigger.name)} ON ${sql.id(trigger.table)}`
            : sql`DROP TRIGGER ${sql.id(trigger.name)}`
        ).execute(conn);
      if (postgres) await sql.raw(pgGuardFunctionSql()).execute(conn);
      for (const guard of finding.restore) await sql.raw(guard.sql).execute(conn);
      const detail = `${describe(finding)}; restored by mlgate ${TOOL_VERSION}`;
      await conn
        .insertInto('store_events')
        .values({ at: new Date().toISOString(), event: GUARDS_RESTORED, detail, tool_version: TOOL_VERSION })
        .execute();
      await sql`commit`.execute(conn);
      return [`the store's ${detail}`];
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}

/** What the store recorded about itself (restored guards), oldest first. */
export async function storeEvents(
  db: Kysely<Database>,
): Promise<Array<{ at: string; event: string; detail: string }>> {
  return db.selectFrom('store_events').select(['at', 'event', 'detail']).orderBy('id').execute();
}
