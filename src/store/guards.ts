/**
 * The store's append-only guards: triggers that refuse UPDATE and DELETE on runs, sign-offs
 * and tags. Anyone who can write the file can drop them, so they stop accidents and casual
 * edits, not an attacker; what the store can do is notice. On every open the triggers are
 * compared with the ones the migrations create (name and text): missing or altered guards,
 * and triggers mlgate never made, are reported; when the store is opened for writing they
 * are restored in one transaction and the repair is recorded in `store_events`, so that
 * `mlgate history` keeps showing that the trail before then may have been edited.
 */
import { type Kysely, sql } from 'kysely';
import { inlineText } from '../redact/clean.js';
import { TOOL_VERSION } from '../version.js';
import { APPEND_ONLY_TABLES, appendOnlyGuards } from './migrations.js';
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

async function inspect(db: Kysely<Database>): Promise<Finding> {
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
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const finding = await inspect(conn);
      if (finding.restore.length === 0 && finding.unknown.length === 0) {
        await sql`commit`.execute(conn);
        return [];
      }
      for (const trigger of [...finding.unknown, ...finding.restore.filter((guard) => guard.altered)])
        await sql`DROP TRIGGER ${sql.id(trigger.name)}`.execute(conn);
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
