/**
 * Versioned migrations, in code (no files to lose in packaging). Names sort in order; a
 * database that has run a migration this mlgate does not know was written by a newer mlgate
 * and is left alone.
 */
import {
  type ColumnDefinitionBuilder,
  type CreateTableBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
  SqliteAdapter,
  sql,
} from 'kysely';

const isSqlite = (db: Kysely<unknown>) => db.getExecutor().adapter instanceof SqliteAdapter;

/**
 * An auto-numbered primary key: SQLite's INTEGER PRIMARY KEY AUTOINCREMENT (the text SQLite
 * stores must stay as it always was: the store compares it), PostgreSQL's identity column.
 */
function withId<T extends string>(db: Kysely<unknown>, table: CreateTableBuilder<T, never>, name = 'id') {
  return isSqlite(db)
    ? table.addColumn(name, 'integer', (col: ColumnDefinitionBuilder) => col.primaryKey().autoIncrement())
    : table.addColumn(name, 'integer', (col: ColumnDefinitionBuilder) =>
        col.primaryKey().generatedByDefaultAsIdentity(),
      );
}

export const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await withId(db, db.schema.createTable('runs'))
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
      await withId(db, db.schema.createTable('signoff_events'))
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
      await withId(db, db.schema.createTable('tag_events'))
        .addColumn('at', 'text', (col) => col.notNull())
        .addColumn('tag', 'text', (col) => col.notNull())
        .addColumn('run_id', 'integer', (col) => col.notNull().references('runs.id'))
        .addColumn('actor', 'text', (col) => col.notNull())
        .execute();
      // Append-only, enforced by the database itself: the audit trail cannot be edited.
      // (SQLite's trigger syntax here; PostgreSQL's is a PL/pgSQL trigger function.)
      for (const table of ['signoff_events', 'tag_events']) await createGuards(db, table);
    },
  },
  '0002_append_only_runs': {
    // Runs are never edited either: changing a recorded verdict now means dropping a guard
    // first, which the store notices (see guards.ts). `store_events` records what the store
    // itself noticed and repaired, for `mlgate history` to show.
    async up(db: Kysely<unknown>) {
      await withId(db, db.schema.createTable('store_events'))
        .addColumn('at', 'text', (col) => col.notNull())
        .addColumn('event', 'text', (col) => col.notNull())
        .addColumn('detail', 'text', (col) => col.notNull())
        .addColumn('tool_version', 'text', (col) => col.notNull())
        .execute();
      for (const table of ['runs', 'run_items', 'store_events']) await createGuards(db, table);
    },
  },
  '0003_server': {
    // What the server adds (projects, API tokens, waiver requests, signed records, the audit
    // log). A local store gets the same (empty) tables: one schema, one set of migrations.
    async up(db: Kysely<unknown>) {
      for (const table of ['runs', 'signoff_events', 'tag_events'])
        await db.schema.alterTable(table).addColumn('project_id', 'integer').execute();
      await db.schema.alterTable('runs').addColumn('uploaded_by', 'text').execute();
      // JSON: each manual item's requirements (roles...), as uploaded with the run.
      await db.schema.alterTable('runs').addColumn('requirements', 'text').execute();
      await db.schema.createIndex('runs_by_project').on('runs').columns(['project_id', 'id']).execute();
      await db.schema
        .createIndex('signoffs_by_project')
        .on('signoff_events')
        .columns(['project_id', 'item_id', 'id'])
        .execute();
      await withId(db, db.schema.createTable('projects'))
        .addColumn('name', 'text', (col) => col.notNull().unique())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('created_by', 'text', (col) => col.notNull())
        .addColumn('signers', 'text', (col) => col.notNull())
        .execute();
      await withId(db, db.schema.createTable('api_tokens'))
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('roles', 'text', (col) => col.notNull())
        .addColumn('sha256', 'text', (col) => col.notNull().unique())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('created_by', 'text', (col) => col.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await withId(db, db.schema.createTable('waiver_requests'))
        .addColumn('project_id', 'integer', (col) => col.notNull().references('projects.id'))
        .addColumn('item_id', 'text', (col) => col.notNull())
        .addColumn('run_id', 'integer', (col) => col.notNull().references('runs.id'))
        .addColumn('reason', 'text', (col) => col.notNull())
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .addColumn('requested_by', 'text', (col) => col.notNull())
        .addColumn('requested_at', 'text', (col) => col.notNull())
        .execute();
      await withId(db, db.schema.createTable('waiver_decisions'))
        .addColumn('waiver_id', 'integer', (col) => col.notNull().references('waiver_requests.id'))
        .addColumn('action', 'text', (col) => col.notNull())
        .addColumn('actor', 'text', (col) => col.notNull())
        .addColumn('at', 'text', (col) => col.notNull())
        .addColumn('comment', 'text')
        .execute();
      await withId(db, db.schema.createTable('attestations'))
        .addColumn('project_id', 'integer', (col) => col.notNull().references('projects.id'))
        .addColumn('item_id', 'text', (col) => col.notNull())
        .addColumn('action', 'text', (col) => col.notNull())
        .addColumn('role', 'text')
        .addColumn('keyid', 'text', (col) => col.notNull())
        .addColumn('sha256', 'text', (col) => col.notNull())
        .addColumn('envelope', 'text', (col) => col.notNull())
        .addColumn('uploaded_by', 'text', (col) => col.notNull())
        .addColumn('at', 'text', (col) => col.notNull())
        .execute();
      await withId(db, db.schema.createTable('audit_events'), 'seq')
        .addColumn('at', 'text', (col) => col.notNull())
        .addColumn('actor', 'text', (col) => col.notNull())
        .addColumn('action', 'text', (col) => col.notNull())
        .addColumn('project', 'text')
        .addColumn('target', 'text', (col) => col.notNull())
        .addColumn('detail', 'text', (col) => col.notNull())
        .addColumn('prev_hash', 'text', (col) => col.notNull())
        .addColumn('hash', 'text', (col) => col.notNull().unique())
        .execute();
      for (const table of ['waiver_requests', 'waiver_decisions', 'attestations', 'audit_events'])
        await createGuards(db, table);
    },
  },
  '0004_model_versions': {
    // Model versions from a registry (MLflow's webhooks) waiting for a gate, the runs that gated
    // them, and the webhook deliveries seen (their ids are unique: a replay is recognised).
    // All append-only: a version's state is folded from its gates, never edited.
    async up(db: Kysely<unknown>) {
      await withId(db, db.schema.createTable('model_versions'))
        .addColumn('project_id', 'integer', (col) => col.notNull().references('projects.id'))
        .addColumn('registry', 'text', (col) => col.notNull())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('version', 'text', (col) => col.notNull())
        .addColumn('source', 'text')
        .addColumn('registry_run_id', 'text')
        .addColumn('recorded_at', 'text', (col) => col.notNull())
        .addColumn('recorded_by', 'text', (col) => col.notNull())
        .addUniqueConstraint('model_versions_once', ['project_id', 'registry', 'name', 'version'])
        .execute();
      await withId(db, db.schema.createTable('model_version_gates'))
        .addColumn('model_version_id', 'integer', (col) => col.notNull().references('model_versions.id'))
        .addColumn('run_id', 'integer', (col) => col.notNull().references('runs.id'))
        .addColumn('at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('model_version_gates_by_version')
        .on('model_version_gates')
        .columns(['model_version_id', 'id'])
        .execute();
      await withId(db, db.schema.createTable('webhook_deliveries'))
        .addColumn('source', 'text', (col) => col.notNull())
        .addColumn('delivery_id', 'text', (col) => col.notNull())
        .addColumn('received_at', 'text', (col) => col.notNull())
        .addColumn('event', 'text', (col) => col.notNull())
        .addColumn('model_version_id', 'integer', (col) => col.references('model_versions.id'))
        .addUniqueConstraint('webhook_deliveries_once', ['source', 'delivery_id'])
        .execute();
      for (const table of ['model_versions', 'model_version_gates', 'webhook_deliveries'])
        await createGuards(db, table);
    },
  },
};

/** The tables no row of which may be changed or deleted, once every migration has run. */
export const APPEND_ONLY_TABLES = [
  'signoff_events',
  'tag_events',
  'runs',
  'run_items',
  'store_events',
  'waiver_requests',
  'waiver_decisions',
  'attestations',
  'audit_events',
  'model_versions',
  'model_version_gates',
  'webhook_deliveries',
];

/** PostgreSQL: one trigger function refuses every change; each table calls it before UPDATE, DELETE, TRUNCATE. */
export const PG_GUARD_FUNCTION = 'mlgate_append_only';
export const PG_GUARD_BODY = `BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END;`;

/** The PostgreSQL guards of a table: name, tgtype bits (row/statement, before, event), and their DDL. */
export function pgAppendOnlyGuards(table: string): Array<{ name: string; tgtype: number; sql: string }> {
  // pg_trigger.tgtype bits: ROW 1, BEFORE 2, DELETE 8, UPDATE 16, TRUNCATE 32.
  return [
    { event: 'update', tgtype: 1 | 2 | 16, each: 'ROW' },
    { event: 'delete', tgtype: 1 | 2 | 8, each: 'ROW' },
    { event: 'truncate', tgtype: 2 | 32, each: 'STATEMENT' },
  ].map(({ event, tgtype, each }) => ({
    name: `${table}_no_${event}`,
    tgtype,
    sql: `CREATE TRIGGER ${table}_no_${event} BEFORE ${event.toUpperCase()} ON ${table} FOR EACH ${each} EXECUTE FUNCTION ${PG_GUARD_FUNCTION}()`,
  }));
}

export const pgGuardFunctionSql = () =>
  `CREATE OR REPLACE FUNCTION ${PG_GUARD_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ ${PG_GUARD_BODY} $$`;

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
  if (isSqlite(db)) {
    for (const guard of appendOnlyGuards(table)) await sql.raw(guard.sql).execute(db);
    return;
  }
  await sql.raw(pgGuardFunctionSql()).execute(db);
  for (const guard of pgAppendOnlyGuards(table)) await sql.raw(guard.sql).execute(db);
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
