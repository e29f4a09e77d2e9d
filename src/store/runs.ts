/**
 * Runs in the store: every `mlgate check` with its whole report, one row per item for the
 * queries history, diff and baselines make, and tags that name a run ("production").
 */
import { isDeepStrictEqual } from 'node:util';
import type { RunHistory } from '../engine/types.js';
import { RunReport } from '../domain/run-report.js';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Store } from './db.js';
import { readStored, StoreError } from './db.js';
import { GUARDS_RESTORED, storeEvents } from './guards.js';
import type { Database, RunItemsTable, RunsTable } from './schema.js';

export interface RunSummary {
  id: number;
  startedAt: string;
  profile: string | null;
  verdict: string;
  complete: boolean;
  partial: boolean;
  counts: Record<string, number>;
  artifacts: Record<string, string | null>;
  tags: string[];
  toolVersion: string;
  /** Who uploaded it to the server (null: a local run). */
  uploadedBy: string | null;
  /**
   * Where the row disagrees with the report stored in it (verdict, counts, items): the
   * store was changed outside mlgate. Empty when they agree.
   */
  problems: string[];
}

/** Where a run goes on the server: its project, who uploaded it. */
export interface RunOrigin {
  projectId: number;
  uploadedBy: string;
  /** JSON: each manual item's requirements. */
  requirements?: string;
}

/** Stores a finished run (report and items in one transaction); returns its number. */
export async function saveRun(store: Store, report: RunReport, origin?: RunOrigin): Promise<number> {
  // Already in a transaction (the server's write with its audit event): use it.
  if (store.db.isTransaction) return insertRun(store.db, report, origin);
  return store.db.transaction().execute((trx) => insertRun(trx, report, origin));
}

async function insertRun(trx: Kysely<Database>, report: RunReport, origin?: RunOrigin): Promise<number> {
  const { id } = await trx
    .insertInto('runs')
    .values({
      started_at: report.startedAt,
      finished_at: report.finishedAt,
      project: report.project.name,
      profile: report.profile,
      verdict: report.verdict.status,
      complete: report.complete ? 1 : 0,
      selection: report.selection ? JSON.stringify(report.selection) : null,
      spec_sha256: report.spec.sha256,
      tool_version: report.tool.version,
      counts: JSON.stringify(report.counts),
      artifacts: JSON.stringify(Object.fromEntries(report.artifacts.map((a) => [a.name, a.sha256]))),
      report: JSON.stringify(report),
      project_id: origin?.projectId ?? null,
      uploaded_by: origin?.uploadedBy ?? null,
      requirements: origin?.requirements ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (report.items.length > 0) {
    await trx
      .insertInto('run_items')
      .values(
        report.items.map((item) => ({
          run_id: id,
          item_id: item.id,
          kind: item.kind,
          severity: item.severity,
          status: item.status,
          measured: JSON.stringify(item.measured),
        })),
      )
      .execute();
  }
  return id;
}

export async function listRuns(
  store: Store,
  limit = 20,
  scope: { projectId?: number; profile?: string; beforeOrAt?: number } = {},
): Promise<RunSummary[]> {
  let query = store.db.selectFrom('runs').selectAll();
  if (scope.projectId !== undefined) query = query.where('project_id', '=', scope.projectId);
  if (scope.profile !== undefined) query = query.where('profile', '=', scope.profile);
  if (scope.beforeOrAt !== undefined) query = query.where('id', '<=', scope.beforeOrAt);
  const rows = await query.orderBy('id', 'desc').limit(limit).execute();
  const tags = await currentTags(store, scope.projectId);
  const items = rows.length
    ? await store.db
        .selectFrom('run_items')
        .selectAll()
        .where(
          'run_id',
          'in',
          rows.map((row) => row.id),
        )
        .execute()
    : [];
  return rows.map((row) => ({
    id: row.id,
    startedAt: row.started_at,
    profile: row.profile,
    verdict: row.verdict,
    complete: row.complete === 1,
    partial: row.selection !== null,
    counts: parseOr(row.counts, {}),
    artifacts: parseOr(row.artifacts, {}),
    tags: [...tags].filter(([, runId]) => runId === row.id).map(([tag]) => tag),
    toolVersion: row.tool_version,
    uploadedBy: row.uploaded_by,
    problems: runProblems(
      row,
      items.filter((item) => item.run_id === row.id),
    ),
  }));
}

function parseOr<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/**
 * The columns history, baselines and last-pass read are copies of the report saved with the
 * run: they must say what it says. A difference means someone edited one of them (anyone who
 * can write the file can edit both consistently: this finds careless edits, not careful ones).
 */
export function runProblems(row: Selectable<RunsTable>, items: Array<Selectable<RunItemsTable>>): string[] {
  const problems: string[] = [];
  // JSON on both sides (what was written), so that only a real difference counts.
  const plain = (value: unknown) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
  const differs = (what: string, inRow: unknown, inReport: unknown) => {
    if (!isDeepStrictEqual(plain(inRow), plain(inReport)))
      problems.push(
        `${what}: ${JSON.stringify(inRow)} in the row, ${JSON.stringify(inReport)} in its report`,
      );
  };
  let report: RunReport;
  try {
    report = JSON.parse(row.report) as RunReport;
    differs('verdict', row.verdict, report.verdict.status);
    differs('complete', row.complete === 1, report.complete);
    differs('profile', row.profile, report.profile ?? null);
    differs(
      'selection',
      row.selection === null ? null : parseOr(row.selection, row.selection),
      report.selection ?? null,
    );
    differs('spec', row.spec_sha256, report.spec.sha256);
    differs('counts', parseOr(row.counts, row.counts), report.counts);
    differs(
      'artifacts',
      parseOr(row.artifacts, row.artifacts),
      Object.fromEntries(report.artifacts.map((a) => [a.name, a.sha256])),
    );
    if (!Array.isArray(report.items)) throw new Error('no items');
  } catch {
    return ['its stored report cannot be read'];
  }
  const byId = new Map(items.map((item) => [item.item_id, item]));
  for (const item of report.items) {
    const stored = byId.get(item.id);
    byId.delete(item.id);
    if (!stored) {
      problems.push(`item ${item.id}: in its report, not in the row's items`);
      continue;
    }
    differs(`item ${item.id} status`, stored.status, item.status);
    differs(`item ${item.id} measured`, parseOr(stored.measured, stored.measured), item.measured);
  }
  for (const id of byId.keys()) problems.push(`item ${id}: in the row's items, not in its report`);
  return problems;
}

/**
 * What `history` must warn about: runs whose row disagrees with their report, and the times
 * the store found its append-only guards gone and restored them (every one, ever: the
 * trail before each may have been edited).
 */
export async function historyWarnings(store: Store, runs: RunSummary[]): Promise<string[]> {
  const warnings = runs
    .filter((run) => run.problems.length > 0)
    .map(
      (run) =>
        `run #${run.id} does not match the report stored with it (${run.problems.slice(0, 3).join('; ')}${run.problems.length > 3 ? `; ${run.problems.length - 3} more` : ''}): the store was changed outside mlgate; trust neither`,
    );
  for (const event of await storeEvents(store.db)) {
    if (event.event === GUARDS_RESTORED) warnings.push(`${event.at}: the store's ${event.detail}`);
  }
  return warnings;
}

/** Each tag and the run it names now (the latest tag event wins); of one server project if given. */
export async function currentTags(store: Store, projectId?: number): Promise<Map<string, number>> {
  let query = store.db.selectFrom('tag_events').select(['tag', 'run_id']);
  if (projectId !== undefined) query = query.where('project_id', '=', projectId);
  const events = await query.orderBy('id').execute();
  return new Map(events.map((event) => [event.tag, event.run_id]));
}

/** Every tag event, oldest first (who pointed which tag where, when). */
export async function tagEvents(
  store: Store,
  projectId?: number,
): Promise<Array<{ tag: string; runId: number; at: string; actor: string }>> {
  let query = store.db.selectFrom('tag_events').select(['tag', 'run_id', 'at', 'actor']);
  if (projectId !== undefined) query = query.where('project_id', '=', projectId);
  const rows = await query.orderBy('id').execute();
  return rows.map((row) => ({ tag: row.tag, runId: row.run_id, at: row.at, actor: row.actor }));
}

export async function tagRun(
  store: Store,
  runId: number,
  tag: string,
  actor: string,
  now: Date,
  projectId?: number,
): Promise<void> {
  await store.db
    .insertInto('tag_events')
    .values({ at: now.toISOString(), tag, run_id: runId, actor, project_id: projectId ?? null })
    .execute();
}

/**
 * A run by what people type: `12`, `#12`, `latest`, `last-pass`, or a tag name.
 * Throws a StoreError that lists what exists when nothing matches.
 */
export async function resolveRun(store: Store, ref: string, projectId?: number): Promise<number> {
  const text = ref.trim();
  const number = /^#?(\d+)$/.exec(text);
  let id: number | undefined;
  let runs = store.db.selectFrom('runs').select('id');
  if (projectId !== undefined) runs = runs.where('project_id', '=', projectId);
  if (number) {
    const row = await runs.where('id', '=', Number(number[1])).executeTakeFirst();
    id = row?.id;
  } else if (text === 'latest') {
    id = (await runs.orderBy('id', 'desc').executeTakeFirst())?.id;
  } else if (text === 'last-pass') {
    id = await lastPass(store, undefined, undefined, projectId);
  } else {
    id = (await currentTags(store, projectId)).get(text);
  }
  if (id === undefined) {
    const tags = [...(await currentTags(store, projectId)).keys()];
    throw new StoreError(
      `no run "${ref}" in the store`,
      `give a run number (mlgate history lists them), latest, last-pass${tags.length ? `, or a tag: ${tags.join(', ')}` : ''}`,
    );
  }
  return id;
}

/** The latest complete, whole (not --only) run whose verdict was PASS; of a profile and project if given. */
export async function lastPass(
  store: Store,
  profile?: string | null,
  project?: string,
  projectId?: number,
): Promise<number | undefined> {
  let query = store.db
    .selectFrom('runs')
    .select('id')
    .where('verdict', '=', 'PASS')
    .where('complete', '=', 1)
    .where('selection', 'is', null);
  // The report stored with the run must say so too: a row edited to PASS is never a baseline.
  query =
    store.dialect === 'postgres'
      ? query
          .where(sql<string>`(report::jsonb #>> '{verdict,status}')`, '=', 'PASS')
          .where(sql<string>`(report::jsonb ->> 'complete')`, '=', 'true')
      : query
          .where(sql<string>`json_extract(report, '$.verdict.status')`, '=', 'PASS')
          .where(sql<number>`json_extract(report, '$.complete')`, '=', 1);
  if (project !== undefined) query = query.where('project', '=', project);
  if (projectId !== undefined) query = query.where('project_id', '=', projectId);
  if (profile !== undefined)
    query = profile === null ? query.where('profile', 'is', null) : query.where('profile', '=', profile);
  return (await query.orderBy('id', 'desc').executeTakeFirst())?.id;
}

export async function loadRun(store: Store, id: number, projectId?: number): Promise<RunReport> {
  let query = store.db.selectFrom('runs').select('report').where('id', '=', id);
  if (projectId !== undefined) query = query.where('project_id', '=', projectId);
  const row = await query.executeTakeFirst();
  if (!row) throw new StoreError(`no run #${id} in the store`);
  const parsed = RunReport.safeParse(readStored(row.report, `the report of run #${id}`, store.path));
  if (!parsed.success)
    throw new StoreError(
      `run #${id} in the store cannot be read by this mlgate: ${parsed.error.issues[0]?.message}`,
    );
  return { ...parsed.data, runId: id };
}

/** The measured values an item had in a run, or undefined when the run does not have it. */
export async function measuredIn(
  store: Store,
  runId: number,
  itemId: string,
): Promise<{ status: string; measured: Record<string, unknown> } | undefined> {
  const row = await store.db
    .selectFrom('run_items')
    .select(['status', 'measured'])
    .where('run_id', '=', runId)
    .where('item_id', '=', itemId)
    .executeTakeFirst();
  return row
    ? {
        status: row.status,
        measured: readStored(row.measured, `measured values of ${itemId} in run #${runId}`, store.path),
      }
    : undefined;
}

export async function runStartedAt(store: Store, runId: number): Promise<string | undefined> {
  return (await store.db.selectFrom('runs').select('started_at').where('id', '=', runId).executeTakeFirst())
    ?.started_at;
}

/** The store as checks see it: find a baseline run (of this project), read an item's values in it. */
export function storeHistory(store: Store, project?: string): RunHistory {
  return {
    async find(selector, profile) {
      let id: number | undefined;
      if ('lastPass' in selector) id = await lastPass(store, profile, project);
      else if ('tag' in selector) id = (await currentTags(store)).get(selector.tag);
      else
        id = (
          await store.db.selectFrom('runs').select('id').where('id', '=', selector.run).executeTakeFirst()
        )?.id;
      if (id === undefined) return undefined;
      return { id, startedAt: (await runStartedAt(store, id))! };
    },
    item: (runId, itemId) => measuredIn(store, runId, itemId),
  };
}
