/**
 * Versioned migrations, in code (no files to lose in packaging). Names sort in order; a
 * database that has run a migration this mlgate does not know was written by a newer mlgate
 * and is left alone.
 */
import { type Kysely, type Migration, type MigrationProvider, SqliteAdapter, sql } from 'kysely';

export const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('runs')
        .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
        .addColumn('started_at', 'text', (col) => col.notNull())
        .addColumn('finished_at', 'text', (col) => col.notNull())
        .addColumn('project', 'text', (col) => col.notNull())
        .addColumn('profile', 'text')
        .addColumn('verdict', 'text', (col) => col.notNull())
        .addColumn('complete', 'integer', (col) => col.notNull())
        .addColumn('selection', 'text')
        .addColumn('spec_sha256', 'text', (col) => col.notNull())
        .addColumn('tool_version', 'text', (col) => col.notNull())
        .addColumn('counts', 'text', (col) => col.notNull())
        .addColumn('artifacts', 'text', (col) => col.notNull())
        .addColumn('report', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('runs_by_verdict')
        .on('runs')
        .columns(['verdict', 'complete', 'id'])
        .execute();
      await db.schema
        .createTable('run_items')
        .addColumn('run_id', 'integer', (col) => col.notNull().references('runs.id'))
        .addColumn('item_id', 'text', (col) => col.notNull())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('severity', 'text', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('measured', 'text', (col) => col.notNull())
        .addPrimaryKeyConstraint('run_items_pk', ['run_id', 'item_id'])
        .execute();
      await db.schema
        .createTable('signoff_events')
        .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
        .addColumn('at', 'text', (col) => col.notNull())
        .addColumn('action', 'text', (col) => col.notNull())
        .addColumn('item_id', 'text', (col) => col.notNull())
        .addColumn('role', 'text')
        .addColumn('actor', 'text', (col) => col.notNull())
        .addColumn('comment', 'text')
        .addColumn('evidence', 'text')
        .addColumn('evidence_sha256', 'text')
        .addColumn('expires_at', 'text')
        .addColumn('definition_digest', 'text')
        .addColumn('spec_sha256', 'text')
        .addColumn('artifacts', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('signoffs_by_item')
        .on('signoff_events')
        .columns(['item_id', 'id'])
        .execute();
      await db.schema
        .createTable('tag_events')
        .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
        .addColumn('at', 'text', (col) => col.notNull())
        .addColumn('tag', 'text', (col) => col.notNull())
        .addColumn('run_id', 'integer', (col) => col.notNull().references('runs.id'))
        .addColumn('actor', 'text', (col) => col.notNull())
        .execute();
      // Append-only, enforced by the database itself: the audit trail cannot be edited.
      // (SQLite's trigger syntax; a PostgreSQL store gets its own in its migration.)
      if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
      for (const table of ['signoff_events', 'tag_events']) await createGuards(db, table);
    },
  },
  '0002_append_only_runs': {
    // Runs are never edited either: changing a recorded verdict now means dropping a guard
    // first, which the store notices (see guards.ts). `store_events` records what the store
    // itself noticed and repaired, for `mlgate history` to show.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('store_events')
        .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
        .addColumn('at', 'text', (col) => col.notNull())
        .addColumn('event', 'text', (col) => col.notNull())
        .addColumn('detail', 'text', (col) => col.notNull())
        .addColumn('tool_version', 'text', (col) => col.notNull())
        .execute();
      if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
      for (const table of ['runs', 'run_items', 'store_events']) await createGuards(db, table);
    },
  },
};

/** The tables no row of which may be changed or deleted, once every migration has run. */
export const APPEND_ONLY_TABLES = ['signoff_events', 'tag_events', 'runs', 'run_items', 'store_events'];

/**
 * The triggers that keep a table append-only, as the migrations create them. The text is part
 * of the check: a trigger of the same name that does something else is not a guard.
 */
export function appendOnlyGuards(table: string): Array<{ name: string; sql: string }> {
  return (['update', 'delete'] as const).map((action) => ({
    name: `${table}_no_${action}`,
    sql: `CREATE TRIGGER ${table}_no_${action} BEFORE ${action.toUpperCase()} ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END`,
  }));
}

async function createGuards(db: Kysely<unknown>, table: string): Promise<void> {
  for (const guard of appendOnlyGuards(table)) await sql.raw(guard.sql).execute(db);
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
