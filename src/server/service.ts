/**
 * What the server does, apart from HTTP: each operation checks what it is given, reads or
 * writes the store, and (for a write) appends its audit event in the same transaction. The
 * routes (routes.ts) and the web page (web/) both call these; so does the benchmark.
 * Judging a sign-off uses the same functions `mlgate check` uses (store/signoffs.ts).
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { assertP256, keyId, parseEnvelope, verifyEnvelope } from '../attest/dsse.js';
import {
  ATTESTATIONS_DIR,
  type BoundArtifacts,
  readSignedRecords,
  type RoleSigners,
  type Signers,
  SignoffPredicate,
  type SignoffToSign,
} from '../attest/signoffs.js';
import { parseStatement } from '../attest/statement.js';
import { diffRuns } from '../cli/commands/diff.js';
import type { ArtifactRecord } from '../engine/artifacts.js';
import { countItems, decide } from '../engine/gate.js';
import type { RunReport } from '../domain/run-report.js';
import type { LoadedItem } from '../spec/load.js';
import { appendAudit } from '../store/audit.js';
import { type Store, StoreError } from '../store/db.js';
import {
  lastPass,
  listRuns,
  loadRun,
  measuredIn,
  resolveRun,
  runStartedAt,
  saveRun,
  tagEvents,
  tagRun,
} from '../store/runs.js';
import {
  appendEvent,
  applyWaiver,
  type Binding,
  judgeManual,
  loadEvents,
  type SignoffEvent,
} from '../store/signoffs.js';
import type * as C from './api/contract.js';
import { ManualRequirement } from './api/contract.js';
import { approverRoles, type Principal, requireApproverOf, requireRole } from './auth.js';
import { gateModelVersion } from './model-versions.js';
import { badRequest, conflict, forbidden, notFound, unprocessable } from './problems.js';
import { type ServerSigner, signSignoff } from './signing.js';

type Out<T extends z.ZodType> = z.output<T>;

export interface Service {
  store: Store;
  now: () => Date;
  /** The server's signing key (--signing-key): server-side sign-offs are then also signed records. */
  signer?: ServerSigner;
}

interface ProjectRow {
  id: number;
  name: string;
  created_at: string;
  signers: string;
}

interface StoredSigners {
  [role: string]: { keys: string[]; threshold: number };
}

/** Runs a write and its audit event in one transaction: either both land or neither does. */
async function write<T>(
  service: Service,
  principal: Principal,
  audit: {
    action: string;
    project: string | null;
    target: (result: NoInfer<T>) => string;
    detail: (result: NoInfer<T>) => Record<string, unknown>;
  },
  work: (store: Store) => Promise<T>,
): Promise<T> {
  const { store } = service;
  return store.db.transaction().execute(async (trx) => {
    const result = await work({ ...store, db: trx });
    await appendAudit(trx, store.dialect, {
      at: service.now().toISOString(),
      actor: principal.name,
      action: audit.action,
      project: audit.project,
      target: audit.target(result),
      detail: audit.detail(result),
    });
    return result;
  });
}

/** Store errors that mean "no such run/tag" become 404s with the store's own words. */
async function orNotFound<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof StoreError && /^no run /.test(error.message)) throw notFound(error.message);
    throw error;
  }
}

// ---------------------------------------------------------------- projects and signers

async function findProject(store: Store, name: string): Promise<ProjectRow | undefined> {
  return store.db
    .selectFrom('projects')
    .select(['id', 'name', 'created_at', 'signers'])
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function getProjectRow(service: Service, name: string): Promise<ProjectRow> {
  const row = await findProject(service.store, name);
  if (!row) throw notFound(`no project "${name}" on this server (a runner's first upload creates it)`);
  return row;
}

function storedSigners(row: ProjectRow): StoredSigners {
  try {
    return JSON.parse(row.signers) as StoredSigners;
  } catch {
    return {};
  }
}

/** The project's signers as `mlgate check` reads a spec's: keys by id, per role, with thresholds. */
export function projectSigners(row: ProjectRow): Signers {
  const signers = new Map<string, RoleSigners>();
  for (const [role, entry] of Object.entries(storedSigners(row))) {
    const keys = entry.keys.map((pem) => {
      const key = createPublicKey(pem);
      const id = keyId(key);
      return { path: `server key ${id.slice(0, 8)}`, keyid: id, key };
    });
    signers.set(role, { keys, threshold: entry.threshold });
  }
  return signers;
}

/** Checks public keys (PEM, ECDSA P-256, no private keys, each once) and thresholds. */
function checkSigners(input: Out<typeof C.SignersInput>): StoredSigners {
  const out: StoredSigners = {};
  const errors: Array<{ path: string; message: string }> = [];
  for (const [role, entry] of Object.entries(input)) {
    const ids = new Set<string>();
    entry.keys.forEach((pem, index): void => {
      const path = `signers.${role}.keys.${index}`;
      if (/PRIVATE KEY/.test(pem)) {
        errors.push({ path, message: 'this is a PRIVATE key: send the public one (KEY.pub)' });
        return;
      }
      let key: KeyObject;
      try {
        key = createPublicKey(pem);
        assertP256(key);
      } catch {
        errors.push({
          path,
          message: 'not an ECDSA P-256 public key in PEM (mlgate keys generate writes one)',
        });
        return;
      }
      const id = keyId(key);
      if (ids.has(id)) {
        errors.push({
          path,
          message: 'the same key is listed twice: a key counts once toward the threshold',
        });
        return;
      }
      ids.add(id);
    });
    if (entry.threshold > entry.keys.length)
      errors.push({
        path: `signers.${role}.threshold`,
        message: `threshold ${entry.threshold} cannot be reached with ${entry.keys.length} key(s)`,
      });
    out[role] = { keys: entry.keys, threshold: entry.threshold };
  }
  if (errors.length > 0) throw unprocessable('the signers are not usable', errors);
  return out;
}

async function projectOut(store: Store, row: ProjectRow): Promise<Out<typeof C.Project>> {
  const latest = await store.db
    .selectFrom('runs')
    .select(['id', 'verdict', 'started_at', 'profile'])
    .where('project_id', '=', row.id)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const signers = Object.fromEntries(
    [...projectSigners(row)].map(([role, entry]) => [
      role,
      { keyids: entry.keys.map((k) => k.keyid), threshold: entry.threshold },
    ]),
  );
  return {
    name: row.name,
    createdAt: row.created_at,
    signers,
    latestRun: latest
      ? { id: latest.id, verdict: latest.verdict, startedAt: latest.started_at, profile: latest.profile }
      : null,
  };
}

export async function listProjects(service: Service): Promise<Out<typeof C.ProjectList>> {
  const rows = await service.store.db
    .selectFrom('projects')
    .select(['id', 'name', 'created_at', 'signers'])
    .orderBy('name')
    .execute();
  return { projects: await Promise.all(rows.map((row) => projectOut(service.store, row))) };
}

export async function getProject(service: Service, name: string) {
  return projectOut(service.store, await getProjectRow(service, name));
}

async function insertProject(
  store: Store,
  name: string,
  by: string,
  signers: StoredSigners,
  now: Date,
): Promise<ProjectRow> {
  const { id } = await store.db
    .insertInto('projects')
    .values({ name, created_at: now.toISOString(), created_by: by, signers: JSON.stringify(signers) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id, name, created_at: now.toISOString(), signers: JSON.stringify(signers) };
}

async function ensureProject(service: Service, principal: Principal, name: string): Promise<ProjectRow> {
  const now = service.now().toISOString();
  await service.store.db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('projects')
      .values({ name, created_at: now, created_by: principal.name, signers: '{}' })
      .onConflict((conflict) => conflict.column('name').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted)
      await appendAudit(trx, service.store.dialect, {
        at: now,
        actor: principal.name,
        action: 'project.create',
        project: name,
        target: `project:${name}`,
        detail: { by: 'first upload' },
      });
  });
  return (await findProject(service.store, name))!;
}

export async function createProject(
  service: Service,
  principal: Principal,
  body: Out<typeof C.CreateProject>,
) {
  requireRole(principal, 'admin');
  const signers = checkSigners(body.signers ?? {});
  if (await findProject(service.store, body.name)) throw conflict(`project "${body.name}" exists`);
  const row = await write<ProjectRow>(
    service,
    principal,
    {
      action: 'project.create',
      project: body.name,
      target: () => `project:${body.name}`,
      detail: () => ({ signers: signerIds(signers) }),
    },
    (store) => insertProject(store, body.name, principal.name, signers, service.now()),
  );
  return projectOut(service.store, row);
}

const signerIds = (signers: StoredSigners) =>
  Object.fromEntries(
    Object.entries(signers).map(([role, entry]) => [
      role,
      { keyids: entry.keys.map((pem) => keyId(createPublicKey(pem))), threshold: entry.threshold },
    ]),
  );

/** Signers change the rules for sign-offs: a new row would lose history, so the row is replaced and the audit event holds the change. */
export async function setSigners(
  service: Service,
  principal: Principal,
  name: string,
  body: Out<typeof C.SetSigners>,
) {
  requireRole(principal, 'admin');
  const row = await getProjectRow(service, name);
  const signers = checkSigners(body.signers);
  await write(
    service,
    principal,
    {
      action: 'project.signers',
      project: name,
      target: () => `project:${name}`,
      detail: () => ({ before: signerIds(storedSigners(row)), after: signerIds(signers) }),
    },
    (store) =>
      store.db
        .updateTable('projects')
        .set({ signers: JSON.stringify(signers) })
        .where('id', '=', row.id)
        .execute(),
  );
  return getProject(service, name);
}

// ---------------------------------------------------------------- runs

/** Verify, don't trust: the verdict and counts a report claims must follow from its items. */
function checkReport(report: RunReport): Array<{ path: string; message: string }> {
  const errors: Array<{ path: string; message: string }> = [];
  const verdict = decide(report.items, {
    complete: report.complete,
    artifacts: report.artifacts as ArtifactRecord[],
  });
  // Only a PASS must follow from the items: a stricter BLOCKED (a reason that is no item) stands.
  if (report.verdict.status === 'PASS' && verdict.status !== 'PASS')
    errors.push({
      path: 'report.verdict.status',
      message: `says ${report.verdict.status}, but its items and artifacts make it ${verdict.status}`,
    });
  const counts = countItems(report.items);
  for (const [key, value] of Object.entries(counts))
    if (report.counts[key as keyof typeof counts] !== value)
      errors.push({
        path: `report.counts.${key}`,
        message: `says ${report.counts[key as keyof typeof counts]}, its items count ${value}`,
      });
  if (report.verdict.status === 'PASS' && !report.items.some((item) => item.applicable))
    errors.push({ path: 'report.items', message: 'a PASS that judged nothing: no applicable item' });
  const ids = new Set<string>();
  for (const item of report.items) {
    if (ids.has(item.id)) errors.push({ path: 'report.items', message: `item ${item.id} appears twice` });
    ids.add(item.id);
  }
  return errors;
}

export async function uploadRun(
  service: Service,
  principal: Principal,
  name: string,
  body: Out<typeof C.UploadRun>,
) {
  requireRole(principal, 'runner');
  const { report, manual } = body;
  if (report.project.name !== name)
    throw unprocessable(`the report is of project "${report.project.name}", not "${name}"`, [
      { path: 'report.project.name', message: `expected "${name}"` },
    ]);
  const errors = checkReport(report);
  for (const itemId of Object.keys(manual)) {
    const item = report.items.find((i) => i.id === itemId);
    if (!item || item.kind !== 'manual')
      errors.push({ path: `manual.${itemId}`, message: 'no manual item of that id in the report' });
  }
  if (errors.length > 0) throw unprocessable('the report does not hold together', errors);
  const text = JSON.stringify(report);
  // A runner's first upload creates its project: CI needs no admin step. Replicas racing to
  // create it: one insert wins, the others find it (ON CONFLICT DO NOTHING), one audit event.
  const project = (await findProject(service.store, name)) ?? (await ensureProject(service, principal, name));
  const { id } = await write<{ id: number; gated?: Awaited<ReturnType<typeof gateModelVersion>> }>(
    service,
    principal,
    {
      action: 'run.upload',
      project: name,
      target: ({ id: runId }) => `run:${runId}`,
      detail: ({ gated }) => ({
        verdict: report.verdict.status,
        profile: report.profile,
        items: report.items.length,
        reportSha256: createHash('sha256').update(text).digest('hex'),
        ...(body.modelVersion && gated
          ? {
              modelVersion: {
                ...body.modelVersion,
                id: gated.modelVersionId,
                recordedNow: gated.recordedNow,
              },
            }
          : {}),
      }),
    },
    async (store) => {
      const runId = await saveRun(store, report, {
        projectId: project.id,
        uploadedBy: principal.name,
        requirements: JSON.stringify(contextOf(report, manual)),
      });
      // The run gates the model version it names: the run, the link and the audit event land together.
      if (!body.modelVersion) return { id: runId };
      const gated = await gateModelVersion(store, {
        projectId: project.id,
        ref: body.modelVersion,
        runId,
        by: principal.name,
        at: service.now().toISOString(),
      });
      return { id: runId, gated };
    },
  );
  return {
    id,
    verdict: report.verdict.status,
    url: `/api/v1/projects/${encodeURIComponent(name)}/runs/${id}`,
  };
}

export async function listProjectRuns(service: Service, name: string, query: Out<typeof C.RunListQuery>) {
  const project = await getProjectRow(service, name);
  return {
    runs: await listRuns(service.store, query.limit, { projectId: project.id, profile: query.profile }),
  };
}

export async function runId(service: Service, project: ProjectRow, ref: string): Promise<number> {
  return orNotFound(resolveRun(service.store, ref, project.id));
}

export async function getRun(service: Service, name: string, ref: string) {
  const project = await getProjectRow(service, name);
  const id = await runId(service, project, ref);
  const report = await loadRun(service.store, id, project.id);
  const [summary] = await listRunsById(service, project.id, id);
  return { summary: summary!, report };
}

async function listRunsById(service: Service, projectId: number, id: number) {
  // listRuns reads newest first; one run is the first one at or below its id.
  const rows = await listRuns(service.store, 1, { projectId, beforeOrAt: id });
  return rows.filter((row) => row.id === id);
}

export async function getRunItem(service: Service, name: string, ref: string, itemId: string) {
  const project = await getProjectRow(service, name);
  const id = await runId(service, project, ref);
  const found = await measuredIn(service.store, id, itemId);
  if (!found) throw notFound(`run #${id} has no item "${itemId}"`);
  return { runId: id, ...found };
}

export async function diff(service: Service, name: string, query: Out<typeof C.DiffQuery>) {
  const project = await getProjectRow(service, name);
  const [a, b] = [await runId(service, project, query.from), await runId(service, project, query.to)];
  return diffRuns(await loadRun(service.store, a, project.id), await loadRun(service.store, b, project.id));
}

// ---------------------------------------------------------------- sign-offs

/**
 * What judging a run's sign-offs needs, kept beside the run at upload: its manual items'
 * requirements, the items pending then, and the digests they bind to. Reading the pending
 * sign-offs then never parses the (large) report.
 */
interface SignoffContext {
  manual: Record<string, ManualRequirement>;
  pending: Array<{ id: string; title: string; severity: string; definitionDigest: string; summary: string }>;
  specSha256: string;
  artifacts: Binding['artifacts'];
}

function contextOf(report: RunReport, manual: Record<string, ManualRequirement>): SignoffContext {
  return {
    manual,
    pending: report.items
      .filter((item) => item.kind === 'manual' && item.status === 'pending' && item.applicable)
      .map((item) => ({
        id: item.id,
        title: item.title,
        severity: item.severity,
        definitionDigest: item.definitionDigest,
        summary: item.summary,
      })),
    specSha256: report.spec.sha256,
    artifacts: Object.fromEntries(report.artifacts.map((a) => [a.name, { path: a.path, sha256: a.sha256 }])),
  };
}

async function signoffContext(
  store: Store,
  runNumber: number,
  projectId: number,
  stored?: { requirements: string | null },
): Promise<SignoffContext> {
  const row =
    stored ??
    (await store.db
      .selectFrom('runs')
      .select('requirements')
      .where('id', '=', runNumber)
      .where('project_id', '=', projectId)
      .executeTakeFirst());
  let saved: Partial<SignoffContext> = {};
  try {
    saved = JSON.parse(row?.requirements ?? '{}') as Partial<SignoffContext>;
  } catch {
    // unreadable: judged from the report, with no requirements (nothing approvable)
  }
  const manual: Record<string, ManualRequirement> = {};
  for (const [id, value] of Object.entries(saved.manual ?? {})) {
    const parsed = ManualRequirement.safeParse(value);
    if (parsed.success) manual[id] = parsed.data;
  }
  if (Array.isArray(saved.pending) && typeof saved.specSha256 === 'string' && saved.artifacts)
    return { manual, pending: saved.pending, specSha256: saved.specSha256, artifacts: saved.artifacts };
  return contextOf(await loadRun(store, runNumber, projectId), manual);
}

async function runRequirements(store: Store, runNumber: number, projectId: number) {
  return (await signoffContext(store, runNumber, projectId)).manual;
}

export function bindingOf(report: RunReport, itemId: string): Binding {
  const item = report.items.find((i) => i.id === itemId)!;
  return {
    definitionDigest: item.definitionDigest,
    specSha256: report.spec.sha256,
    artifacts: Object.fromEntries(report.artifacts.map((a) => [a.name, { path: a.path, sha256: a.sha256 }])),
  };
}

const asLoadedItem = (itemId: string, definitionDigest: string, requirement: ManualRequirement) =>
  ({ id: itemId, definitionDigest, manual: { ...requirement } }) as unknown as LoadedItem;

/**
 * The project's signed records, judged against its signers exactly as `mlgate check` judges the
 * files under .mlgate/attestations/ (the same function reads them: they are written to a
 * temporary folder for it).
 */
async function signedRecords(
  service: Service,
  project: ProjectRow,
  signers: Signers,
  itemRoles: Map<string, string[]>,
) {
  const rows = await service.store.db
    .selectFrom('attestations')
    .select(['id', 'item_id', 'envelope'])
    .where('project_id', '=', project.id)
    .orderBy('id')
    .execute();
  return judgeEnvelopes(
    rows.map((row) => ({ name: `${row.item_id}.${row.id}.json`, text: row.envelope })),
    signers,
    [...new Set(rows.map((row) => row.item_id))],
    itemRoles,
  );
}

function judgeEnvelopes(
  files: Array<{ name: string; text: string }>,
  signers: Signers,
  itemIds: string[],
  itemRoles: Map<string, string[]>,
) {
  if (files.length === 0) return [];
  const root = mkdtempSync(join(tmpdir(), 'mlgate-server-att-'));
  try {
    const dir = join(root, ATTESTATIONS_DIR);
    mkdirSync(dir, { recursive: true });
    for (const file of files) writeFileSync(join(dir, file.name), file.text);
    return readSignedRecords(root, signers, itemIds, itemRoles);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export async function pendingSignoffs(service: Service, name: string, query: Out<typeof C.PendingQuery>) {
  const project = await getProjectRow(service, name);
  const store = service.store;
  let id: number | undefined;
  let stored: { requirements: string | null } | undefined;
  if (query.run === 'latest') {
    // One query for the run and what judging it needs: this is the page approvers keep open.
    let latest = store.db
      .selectFrom('runs')
      .select(['id', 'requirements'])
      .where('project_id', '=', project.id);
    if (query.profile !== undefined) latest = latest.where('profile', '=', query.profile);
    if (query.spec !== undefined) latest = latest.where('spec_sha256', '=', query.spec);
    const row = await latest.orderBy('id', 'desc').limit(1).executeTakeFirst();
    id = row?.id;
    stored = row;
  } else id = await runId(service, project, query.run);
  if (id === undefined) return { project: name, runId: null, pending: [] };
  const context = await signoffContext(store, id, project.id, stored);
  const requirements = context.manual;
  const waiting = context.pending;
  if (waiting.length === 0) return { project: name, runId: id, pending: [] };
  const events = await loadEvents(store, waiting.length === 1 ? waiting[0]!.id : undefined, project.id);
  const signers = projectSigners(project);
  const itemRoles = new Map(Object.entries(requirements).map(([itemId, r]) => [itemId, r.roles]));
  const records = signers.size > 0 ? await signedRecords(service, project, signers, itemRoles) : [];
  const now = service.now();
  const pending: C.PendingSignoff[] = [];
  for (const item of waiting) {
    const requirement = requirements[item.id];
    if (!requirement) {
      pending.push({
        itemId: item.id,
        title: item.title,
        severity: item.severity,
        runId: id,
        mustAct: [],
        summary: item.summary,
        definitionDigest: item.definitionDigest,
        approvable: false,
        requirement: null,
      });
      continue;
    }
    const binding: Binding = {
      definitionDigest: item.definitionDigest,
      specSha256: context.specSha256,
      artifacts: context.artifacts,
    };
    const itemEvents = events.get(item.id) ?? [];
    const view =
      signers.size > 0
        ? { signers, records: records.filter((r) => r.itemId === item.id || r.itemId === undefined) }
        : undefined;
    const loaded = asLoadedItem(item.id, item.definitionDigest, requirement);
    let outcome = judgeManual(loaded, itemEvents, binding, now, view);
    outcome = applyWaiver(outcome, itemEvents, binding, now, view);
    if (outcome.status !== 'pending') continue;
    const current = (outcome.approvals ?? []).filter((a) => a.state === 'current');
    const mustAct = requirement.roles.filter((role) => {
      const threshold = signers.get(role)?.threshold ?? 1;
      return new Set(current.filter((a) => a.role === role).map((a) => a.by)).size < threshold;
    });
    pending.push({
      itemId: item.id,
      title: item.title,
      severity: item.severity,
      runId: id,
      mustAct: requirement.roles.length === 0 ? [] : mustAct,
      summary: outcome.summary,
      definitionDigest: item.definitionDigest,
      approvable: true,
      requirement,
    });
  }
  return { project: name, runId: id, pending };
}

const eventOut = (event: SignoffEvent, specSha256: string | null = null): Out<typeof C.SignoffEvent> => ({
  ...event,
  specSha256,
});

export async function signoffEvents(service: Service, name: string, itemId?: string) {
  const project = await getProjectRow(service, name);
  let query = service.store.db
    .selectFrom('signoff_events')
    .select(['id', 'spec_sha256'])
    .where('project_id', '=', project.id);
  if (itemId !== undefined) query = query.where('item_id', '=', itemId);
  const specs = new Map((await query.execute()).map((row) => [row.id, row.spec_sha256]));
  const byItem = await loadEvents(service.store, itemId, project.id);
  const events = [...byItem.values()].flat().sort((a, b) => a.id - b.id);
  return { events: events.map((event) => eventOut(event, specs.get(event.id) ?? null)) };
}

async function manualItemOfRun(service: Service, project: ProjectRow, runNumber: number, itemId: string) {
  const report = await orNotFound(loadRun(service.store, runNumber, project.id));
  const item = report.items.find((i) => i.id === itemId);
  if (!item) throw unprocessable(`run #${runNumber} has no item "${itemId}"`);
  return { report, item };
}

export async function approve(
  service: Service,
  principal: Principal,
  name: string,
  body: Out<typeof C.Approve>,
) {
  requireApproverOf(principal, body.role);
  const project = await getProjectRow(service, name);
  const { report, item } = await manualItemOfRun(service, project, body.runId, body.itemId);
  if (item.kind !== 'manual')
    throw unprocessable(`"${item.id}" is a ${item.kind} check, not a sign-off: request a waiver instead`);
  const requirement = (await runRequirements(service.store, body.runId, project.id))[item.id];
  if (!requirement)
    throw unprocessable(
      `run #${body.runId} was uploaded without the requirements of "${item.id}": the server cannot tell who must sign (upload runs with mlgate ≥ this version)`,
    );
  if (requirement.roles.length > 0 && !requirement.roles.includes(body.role))
    throw unprocessable(`"${item.id}" needs ${requirement.roles.join(', ')}, not ${body.role}`);
  refuseUnsignable(service, project, body.role);
  if (requirement.comment_required && !body.comment?.trim())
    throw unprocessable(`"${item.id}" needs a justification with each approval (comment)`);
  if (requirement.evidence_required && !body.evidence)
    throw unprocessable(`"${item.id}" needs evidence with each approval (evidence.ref)`);
  const at = service.now();
  const binding = bindingOf(report, item.id);
  // The record the CLI would sign for this approver, bound as the unsigned event is.
  const signed = serverSigned(service, {
    action: 'approve',
    itemId: item.id,
    definitionDigest: item.definitionDigest,
    role: body.role,
    by: principal.name,
    at,
    comment: body.comment?.trim() || undefined,
    evidence: body.evidence && {
      ref: body.evidence.ref,
      ...(body.evidence.sha256 ? { sha256: body.evidence.sha256 } : {}),
    },
    artifacts: binding.artifacts,
  });
  const { eventId } = await write<SignoffWritten>(
    service,
    principal,
    {
      action: 'signoff.approve',
      project: name,
      target: () => `item:${item.id}`,
      detail: (written) => ({
        eventId: written.eventId,
        role: body.role,
        runId: body.runId,
        definitionDigest: item.definitionDigest,
        ...signedDetail(written),
      }),
    },
    async (store) => ({
      eventId: await appendEvent(store, {
        action: 'approve',
        itemId: item.id,
        actor: principal.name,
        role: body.role,
        at,
        comment: body.comment,
        evidence: body.evidence?.ref,
        evidenceSha256: body.evidence?.sha256,
        binding,
        projectId: project.id,
      }),
      attestation: signed && (await insertSigned(store, project, principal, signed, at)),
    }),
  );
  return oneEvent(service, project, eventId);
}

/**
 * A role the project lists keys for counts only signed records: a server-side approval for it
 * is refused (409) unless this server signs and its key is one of those listed.
 */
function refuseUnsignable(service: Service, project: ProjectRow, role: string): void {
  const listed = projectSigners(project).get(role);
  if (!listed) return;
  const signer = service.signer;
  if (!signer)
    throw conflict(
      `${role} signs with a key on this project: upload a signed attestation (mlgate approve --key) instead`,
    );
  if (!listed.keys.some((key) => key.keyid === signer.keyid))
    throw conflict(
      `${role} signs with a key on this project, and this server's key (${signer.keyid.slice(0, 8)}) is not listed for it: upload a signed attestation (mlgate approve --key) instead, or list the server's public key (mlgate server key) for ${role} (PUT /projects/${project.name}/signers)`,
    );
}

interface ServerSignedSignoff {
  record: SignoffToSign;
  keyid: string;
  text: string;
  sha256: string;
}

const serverSigned = (service: Service, record: SignoffToSign): ServerSignedSignoff | undefined =>
  service.signer
    ? { record, keyid: service.signer.keyid, ...signSignoff(service.signer, record) }
    : undefined;

/** Stores a server-signed record with the uploaded ones: GET …/signoffs/attestations lists both. */
async function insertSigned(
  store: Store,
  project: ProjectRow,
  principal: Principal,
  signed: ServerSignedSignoff,
  at: Date,
): Promise<{ id: number; keyid: string; sha256: string }> {
  const keyid = signed.keyid;
  const row = await store.db
    .insertInto('attestations')
    .values({
      project_id: project.id,
      item_id: signed.record.itemId,
      action: signed.record.action,
      role: signed.record.role ?? null,
      keyid,
      sha256: signed.sha256,
      envelope: signed.text,
      uploaded_by: principal.name,
      at: at.toISOString(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, keyid, sha256: signed.sha256 };
}

interface SignoffWritten {
  eventId: number;
  attestation: { id: number; keyid: string; sha256: string } | undefined;
}

const signedDetail = (written: SignoffWritten) =>
  written.attestation
    ? {
        attestationId: written.attestation.id,
        keyid: written.attestation.keyid,
        sha256: written.attestation.sha256,
      }
    : {};

async function oneEvent(service: Service, project: ProjectRow, id: number) {
  const { events } = await signoffEvents(service, project.name);
  return events.find((event) => event.id === id)!;
}

export async function revoke(
  service: Service,
  principal: Principal,
  name: string,
  body: Out<typeof C.Revoke>,
) {
  requireApproverOf(principal, body.role);
  const project = await getProjectRow(service, name);
  const at = service.now();
  // A signed revocation withdraws the server key's approvals of the role (as the CLI's does for
  // its key); it is bound to what the latest of them approved. Nothing signed to withdraw: none.
  const approved = service.signer
    ? await lastServerSignedApproval(service, service.signer, project, body.itemId, body.role)
    : undefined;
  const signed =
    approved &&
    serverSigned(service, {
      action: 'revoke',
      itemId: body.itemId,
      definitionDigest: approved.definitionDigest,
      role: body.role,
      by: principal.name,
      at,
      comment: body.reason.trim() || undefined,
      artifacts: approved.artifacts,
    });
  const { eventId } = await write<SignoffWritten>(
    service,
    principal,
    {
      action: 'signoff.revoke',
      project: name,
      target: () => `item:${body.itemId}`,
      detail: (written) => ({ eventId: written.eventId, role: body.role, ...signedDetail(written) }),
    },
    async (store) => ({
      eventId: await appendEvent(store, {
        action: 'revoke',
        itemId: body.itemId,
        actor: principal.name,
        role: body.role,
        at,
        comment: body.reason,
        projectId: project.id,
      }),
      attestation: signed && (await insertSigned(store, project, principal, signed, at)),
    }),
  );
  return oneEvent(service, project, eventId);
}

/**
 * The binding of the latest approval of ITEM as ROLE this server signed, read back from its
 * record (verified with the server's key: only what the server signed is trusted here).
 */
async function lastServerSignedApproval(
  service: Service,
  signer: ServerSigner,
  project: ProjectRow,
  itemId: string,
  role: string,
): Promise<{ definitionDigest: string; artifacts: BoundArtifacts } | undefined> {
  const rows = await service.store.db
    .selectFrom('attestations')
    .select('envelope')
    .where('project_id', '=', project.id)
    .where('item_id', '=', itemId)
    .where('role', '=', role)
    .where('action', '=', 'approve')
    .where('keyid', '=', signer.keyid)
    .orderBy('id', 'desc')
    .execute();
  for (const row of rows) {
    try {
      const { payload } = verifyEnvelope(parseEnvelope(JSON.parse(row.envelope)), [
        createPublicKey(signer.key),
      ]);
      const statement = parseStatement(payload);
      const predicate = SignoffPredicate.parse(statement.predicate);
      if (predicate.item.id !== itemId || predicate.role !== role || predicate.action !== 'approve') continue;
      const artifacts: BoundArtifacts = {};
      for (const [artifact, path] of Object.entries(predicate.artifacts))
        artifacts[artifact] = {
          path,
          sha256: statement.subject.find((s) => s.name === path)?.digest.sha256 ?? null,
        };
      return { definitionDigest: predicate.item.definitionDigest, artifacts };
    } catch {
      // Not one this server signed (or not readable): it is not withdrawn by this key either.
    }
  }
  return undefined;
}

export async function listAttestations(service: Service, name: string) {
  const project = await getProjectRow(service, name);
  const rows = await service.store.db
    .selectFrom('attestations')
    .selectAll()
    .where('project_id', '=', project.id)
    .orderBy('id')
    .execute();
  return { attestations: rows.map(attestationOut) };
}

const attestationOut = (row: {
  id: number;
  item_id: string;
  action: string;
  role: string | null;
  keyid: string;
  sha256: string;
  uploaded_by: string;
  at: string;
  envelope: string;
}) => ({
  id: row.id,
  itemId: row.item_id,
  action: row.action,
  role: row.role,
  keyid: row.keyid,
  sha256: row.sha256,
  uploadedBy: row.uploaded_by,
  at: row.at,
  envelope: JSON.parse(row.envelope) as Out<typeof C.DsseEnvelope>,
});

/**
 * A signed sign-off counts only when it verifies with a key the project lists for its role (as
 * check does with the spec's signers). The caller must also hold approver:<that role> or be a
 * runner relaying records committed with the project: the signature, not the caller, is the authority.
 */
export async function uploadAttestation(
  service: Service,
  principal: Principal,
  name: string,
  body: Out<typeof C.UploadAttestation>,
) {
  const project = await getProjectRow(service, name);
  const signers = projectSigners(project);
  if (signers.size === 0)
    throw unprocessable(`project "${name}" lists no signers: set them first (PUT /projects/${name}/signers)`);
  const text = JSON.stringify(body.envelope);
  const [record] = judgeEnvelopes([{ name: 'upload.json', text }], signers, [], new Map());
  if (!record?.verified || !record.itemId || !record.action)
    throw unprocessable(
      `the attestation does not count: ${(record?.problem ?? 'unreadable').replace(`${ATTESTATIONS_DIR}/upload.json`, 'it')}`,
    );
  if (!(
    principal.roles.includes('runner') ||
    (record.role ? principal.roles.includes(`approver:${record.role}`) : approverRoles(principal).length > 0)
  ))
    throw forbidden(
      `${principal.name} may not record a sign-off for ${record.role ?? 'a waiver'}: that needs approver:${record.role ?? '<role>'} or runner`,
    );
  const sha256 = createHash('sha256').update(text).digest('hex');
  const duplicate = await service.store.db
    .selectFrom('attestations')
    .select('id')
    .where('project_id', '=', project.id)
    .where('sha256', '=', sha256)
    .executeTakeFirst();
  if (duplicate) throw conflict(`this attestation is recorded already (#${duplicate.id})`);
  const at = service.now().toISOString();
  const id = await write<number>(
    service,
    principal,
    {
      action: 'attestation.upload',
      project: name,
      target: () => `item:${record.itemId}`,
      detail: (rowId) => ({
        attestationId: rowId,
        sha256,
        keyid: record.keyid,
        role: record.role ?? null,
        action: record.action,
      }),
    },
    async (store) =>
      (
        await store.db
          .insertInto('attestations')
          .values({
            project_id: project.id,
            item_id: record.itemId!,
            action: record.action!,
            role: record.role ?? null,
            keyid: record.keyid!,
            sha256,
            envelope: text,
            uploaded_by: principal.name,
            at,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id,
  );
  const row = await service.store.db
    .selectFrom('attestations')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return attestationOut(row);
}

// ---------------------------------------------------------------- waivers

interface WaiverRow {
  id: number;
  item_id: string;
  run_id: number;
  reason: string;
  expires_at: string;
  requested_by: string;
  requested_at: string;
}

async function waiversOf(service: Service, project: ProjectRow, id?: number): Promise<C.Waiver[]> {
  let query = service.store.db.selectFrom('waiver_requests').selectAll().where('project_id', '=', project.id);
  if (id !== undefined) query = query.where('id', '=', id);
  const rows = (await query.orderBy('id').execute()) as WaiverRow[];
  if (rows.length === 0) return [];
  const decisions = await service.store.db
    .selectFrom('waiver_decisions')
    .selectAll()
    .where(
      'waiver_id',
      'in',
      rows.map((row) => row.id),
    )
    .orderBy('id')
    .execute();
  const now = service.now().getTime();
  return rows.map((row) => {
    const mine = decisions.filter((d) => d.waiver_id === row.id);
    const decided = mine.find((d) => d.action === 'approve' || d.action === 'deny');
    const revoked = mine.find((d) => d.action === 'revoke');
    let state: C.Waiver['state'] = 'requested';
    if (decided?.action === 'deny') state = 'denied';
    else if (revoked) state = 'revoked';
    else if (Date.parse(row.expires_at) <= now) state = 'expired';
    else if (decided?.action === 'approve') state = 'approved';
    return {
      id: row.id,
      itemId: row.item_id,
      runId: row.run_id,
      reason: row.reason,
      expires: row.expires_at,
      state,
      requestedBy: row.requested_by,
      requestedAt: row.requested_at,
      decidedBy: decided?.actor ?? null,
      decidedAt: decided?.at ?? null,
      decisionComment: decided?.comment ?? null,
      revokedBy: revoked?.actor ?? null,
      revokedAt: revoked?.at ?? null,
      revokeReason: revoked?.comment ?? null,
    };
  });
}

export async function listWaivers(service: Service, name: string, state?: C.Waiver['state']) {
  const project = await getProjectRow(service, name);
  const waivers = await waiversOf(service, project);
  return { waivers: state ? waivers.filter((w) => w.state === state) : waivers };
}

export async function getWaiver(service: Service, name: string, id: number) {
  const project = await getProjectRow(service, name);
  const [waiver] = await waiversOf(service, project, id);
  if (!waiver) throw notFound(`no waiver #${id} in project "${name}"`);
  return waiver;
}

export async function requestWaiver(
  service: Service,
  principal: Principal,
  name: string,
  body: Out<typeof C.RequestWaiver>,
) {
  requireRole(principal, 'waiver-request');
  const project = await getProjectRow(service, name);
  await manualItemOfRun(service, project, body.runId, body.itemId);
  const now = service.now();
  if (Date.parse(body.expires) <= now.getTime())
    throw unprocessable(`the expiry ${body.expires} is not in the future`);
  const id = await write<number>(
    service,
    principal,
    {
      action: 'waiver.request',
      project: name,
      target: (waiverId) => `waiver:${waiverId}`,
      detail: () => ({ itemId: body.itemId, runId: body.runId, expires: body.expires }),
    },
    async (store) =>
      (
        await store.db
          .insertInto('waiver_requests')
          .values({
            project_id: project.id,
            item_id: body.itemId,
            run_id: body.runId,
            reason: body.reason,
            expires_at: new Date(body.expires).toISOString(),
            requested_by: principal.name,
            requested_at: now.toISOString(),
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id,
  );
  return getWaiver(service, name, id);
}

/**
 * Approve or deny a requested waiver. Never by the person who requested it. A waiver of a
 * sign-off stands in for the people who must sign it: only an approver of one of its roles
 * may grant it. An approved waiver is a `waive` sign-off event bound to the run it was asked
 * for (its digests), so check applies it exactly as a local waiver, and it goes stale the same way.
 */
export async function decideWaiver(
  service: Service,
  principal: Principal,
  name: string,
  id: number,
  decision: 'approve' | 'deny',
  body: Out<typeof C.DecideWaiver>,
) {
  requireRole(principal, 'approver');
  const project = await getProjectRow(service, name);
  const waiver = await getWaiver(service, name, id);
  if (waiver.state !== 'requested') throw conflict(`waiver #${id} is ${waiver.state}, not requested`);
  if (waiver.requestedBy === principal.name)
    throw forbidden(`${principal.name} requested waiver #${id}: someone else must ${decision} it`);
  const { report, item } = await manualItemOfRun(service, project, waiver.runId, waiver.itemId);
  const roles =
    item.kind === 'manual'
      ? ((await runRequirements(service.store, waiver.runId, project.id))[item.id]?.roles ?? [])
      : [];
  if (roles.length > 0 && !roles.some((role) => principal.roles.includes(`approver:${role}`)))
    throw forbidden(
      `waiving "${item.id}" stands in for ${roles.join(', ')}: it needs approver:${roles.join(' or approver:')}`,
    );
  const at = service.now();
  await write(
    service,
    principal,
    {
      action: `waiver.${decision}`,
      project: name,
      target: () => `waiver:${id}`,
      detail: () => ({ itemId: waiver.itemId, comment: body.comment ?? null }),
    },
    async (store) => {
      await store.db
        .insertInto('waiver_decisions')
        .values({
          waiver_id: id,
          action: decision,
          actor: principal.name,
          at: at.toISOString(),
          comment: body.comment ?? null,
        })
        .execute();
      if (decision === 'approve')
        await appendEvent(store, {
          action: 'waive',
          itemId: waiver.itemId,
          actor: principal.name,
          at,
          comment: `${waiver.reason} (requested by ${waiver.requestedBy}, waiver #${id})`,
          expiresAt: new Date(waiver.expires),
          binding: bindingOf(report, waiver.itemId),
          projectId: project.id,
        });
    },
  );
  return getWaiver(service, name, id);
}

export async function revokeWaiver(
  service: Service,
  principal: Principal,
  name: string,
  id: number,
  body: Out<typeof C.RevokeWaiver>,
) {
  if (!(principal.roles.includes('admin') || approverRoles(principal).length > 0))
    requireRole(principal, 'approver');
  const project = await getProjectRow(service, name);
  const waiver = await getWaiver(service, name, id);
  if (waiver.state !== 'approved')
    throw conflict(`waiver #${id} is ${waiver.state}: only an approved waiver is revoked`);
  const at = service.now();
  await write(
    service,
    principal,
    {
      action: 'waiver.revoke',
      project: name,
      target: () => `waiver:${id}`,
      detail: () => ({ itemId: waiver.itemId, reason: body.reason }),
    },
    async (store) => {
      await store.db
        .insertInto('waiver_decisions')
        .values({
          waiver_id: id,
          action: 'revoke',
          actor: principal.name,
          at: at.toISOString(),
          comment: body.reason,
        })
        .execute();
      await appendEvent(store, {
        action: 'unwaive',
        itemId: waiver.itemId,
        actor: principal.name,
        at,
        comment: body.reason,
        projectId: project.id,
      });
    },
  );
  return getWaiver(service, name, id);
}

// ---------------------------------------------------------------- tags and baselines

export async function listTags(service: Service, name: string) {
  const project = await getProjectRow(service, name);
  const latest = new Map<string, { tag: string; runId: number; at: string; actor: string }>();
  for (const event of await tagEvents(service.store, project.id)) latest.set(event.tag, event);
  return { tags: [...latest.values()].sort((a, b) => a.tag.localeCompare(b.tag)) };
}

export async function setTag(
  service: Service,
  principal: Principal,
  name: string,
  tag: string,
  body: Out<typeof C.SetTag>,
) {
  requireRole(principal, 'runner');
  if (tag === 'latest' || tag === 'last-pass')
    throw badRequest(`"${tag}" cannot be a tag: it already names a run`);
  const project = await getProjectRow(service, name);
  const id = await runId(service, project, String(body.runId));
  const at = service.now();
  await write(
    service,
    principal,
    { action: 'tag.set', project: name, target: () => `tag:${tag}`, detail: () => ({ runId: id }) },
    (store) => tagRun(store, id, tag, principal.name, at, project.id),
  );
  return { tag, runId: id, at: at.toISOString(), actor: principal.name };
}

/** `profile` absent: any profile; empty: runs without a profile; else that profile. */
export async function baselineLastPass(service: Service, name: string, profile?: string) {
  const project = await getProjectRow(service, name);
  const id = await lastPass(
    service.store,
    profile === undefined ? undefined : profile === '' ? null : profile,
    undefined,
    project.id,
  );
  if (id === undefined)
    throw notFound(
      `project "${name}" has no complete, whole PASS run${profile ? ` of profile ${profile}` : ''}`,
    );
  return { runId: id, startedAt: (await runStartedAt(service.store, id))! };
}

export async function baselineTag(service: Service, name: string, tag: string) {
  const { tags } = await listTags(service, name);
  const found = tags.find((t) => t.tag === tag);
  if (!found) throw notFound(`project "${name}" has no tag "${tag}"`);
  return { runId: found.runId, startedAt: (await runStartedAt(service.store, found.runId))! };
}

// ---------------------------------------------------------------- audit

export async function listAudit(service: Service, query: Out<typeof C.AuditQuery>) {
  const rows = await service.store.db
    .selectFrom('audit_events')
    .selectAll()
    .where('seq', '>', query.after)
    .orderBy('seq')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  return {
    events: page.map((row) => ({
      seq: row.seq,
      at: row.at,
      actor: row.actor,
      action: row.action,
      project: row.project,
      target: row.target,
      detail: JSON.parse(row.detail) as Record<string, unknown>,
      prevHash: row.prev_hash,
      hash: row.hash,
    })),
    next: rows.length > query.limit ? page.at(-1)!.seq : null,
  };
}
