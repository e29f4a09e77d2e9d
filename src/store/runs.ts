/**
 * Runs in the store: every `mlgate check` with its whole report, one row per item for the
 * queries history, diff and baselines make, and tags that name a run ("production").
 */
import type { RunHistory } from '../engine/types.js';
import { RunReport } from '../report/schema.js';
import type { Store } from './db.js';
import { StoreError } from './db.js';

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
}

/** Stores a finished run (report and items in one transaction); returns its number. */
export async function saveRun(store: Store, report: RunReport): Promise<number> {
  return store.db.transaction().execute(async (trx) => {
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
  });
}

export async function listRuns(store: Store, limit = 20): Promise<RunSummary[]> {
  const rows = await store.db.selectFrom('runs').selectAll().orderBy('id', 'desc').limit(limit).execute();
  const tags = await currentTags(store);
  return rows.map((row) => ({
    id: row.id,
    startedAt: row.started_at,
    profile: row.profile,
    verdict: row.verdict,
    complete: row.complete === 1,
    partial: row.selection !== null,
    counts: JSON.parse(row.counts),
    artifacts: JSON.parse(row.artifacts),
    tags: [...tags].filter(([, runId]) => runId === row.id).map(([tag]) => tag),
    toolVersion: row.tool_version,
  }));
}

/** Each tag and the run it names now (the latest tag event wins). */
export async function currentTags(store: Store): Promise<Map<string, number>> {
  const events = await store.db.selectFrom('tag_events').select(['tag', 'run_id']).orderBy('id').execute();
  return new Map(events.map((event) => [event.tag, event.run_id]));
}

export async function tagRun(
  store: Store,
  runId: number,
  tag: string,
  actor: string,
  now: Date,
): Promise<void> {
  await store.db
    .insertInto('tag_events')
    .values({ at: now.toISOString(), tag, run_id: runId, actor })
    .execute();
}

/**
 * A run by what people type: `12`, `#12`, `latest`, `last-pass`, or a tag name.
 * Throws a StoreError that lists what exists when nothing matches.
 */
export async function resolveRun(store: Store, ref: string): Promise<number> {
  const text = ref.trim();
  const number = /^#?(\d+)$/.exec(text);
  let id: number | undefined;
  if (number) {
    const row = await store.db
      .selectFrom('runs')
      .select('id')
      .where('id', '=', Number(number[1]))
      .executeTakeFirst();
    id = row?.id;
  } else if (text === 'latest') {
    id = (await store.db.selectFrom('runs').select('id').orderBy('id', 'desc').executeTakeFirst())?.id;
  } else if (text === 'last-pass') {
    id = await lastPass(store);
  } else {
    id = (await currentTags(store)).get(text);
  }
  if (id === undefined) {
    const tags = [...(await currentTags(store)).keys()];
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
): Promise<number | undefined> {
  let query = store.db
    .selectFrom('runs')
    .select('id')
    .where('verdict', '=', 'PASS')
    .where('complete', '=', 1)
    .where('selection', 'is', null);
  if (project !== undefined) query = query.where('project', '=', project);
  if (profile !== undefined)
    query = profile === null ? query.where('profile', 'is', null) : query.where('profile', '=', profile);
  return (await query.orderBy('id', 'desc').executeTakeFirst())?.id;
}

export async function loadRun(store: Store, id: number): Promise<RunReport> {
  const row = await store.db.selectFrom('runs').select('report').where('id', '=', id).executeTakeFirst();
  if (!row) throw new StoreError(`no run #${id} in the store`);
  const parsed = RunReport.safeParse(JSON.parse(row.report));
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
  return row ? { status: row.status, measured: JSON.parse(row.measured) } : undefined;
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
