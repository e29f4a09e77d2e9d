/**
 * Model versions from a registry (MLflow) and the runs that gate them. MLflow's webhook records a
 * created version as pending a gate; a run uploaded with `modelVersion` becomes its latest gate.
 * mlgate runs nothing on a delivery: CI runs the gate and uploads the run.
 *
 * Everything here is appended (model_versions, model_version_gates, webhook_deliveries), each
 * write with its audit event in the same transaction. A version's state is folded from its gates.
 */
import type { z } from 'zod';
import type { MlflowEvent } from '../integrations/mlflow/webhook.js';
import { appendAudit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type * as C from './api/contract.js';
import { ModelVersionRef, ProjectName } from './api/contract.js';
import { unprocessable } from './problems.js';
import { getProjectRow, type Service } from './service.js';

type Out<T extends z.ZodType> = z.output<T>;

/** Who the audit log names for what MLflow's webhook recorded. */
export const MLFLOW_WEBHOOK_ACTOR = 'webhook:mlflow';

/** Thrown inside a transaction to undo it: the delivery was recorded by a concurrent replay. */
class ReplayedDelivery extends Error {}

/**
 * Acts on one verified MLflow delivery. model_version.created records the version as pending a
 * gate in the project (`?project=`, else the registered model's name; created when missing, as a
 * runner's first upload creates one). A delivery id seen before is acknowledged and not
 * recorded again; another event is acknowledged and ignored (nothing written).
 */
export async function recordMlflowDelivery(
  service: Service,
  delivery: { deliveryId: string; event: MlflowEvent; project?: string },
): Promise<Out<typeof C.HookAck>> {
  const { deliveryId, event } = delivery;
  const eventName = `${event.entity}.${event.action}`;
  if (eventName !== 'model_version.created')
    return { status: 'ignored', event: eventName, project: null, modelVersion: null };
  const version = event.modelVersion;
  const ref = ModelVersionRef.safeParse({
    registry: 'mlflow',
    name: version?.name,
    version: version?.version,
  });
  if (!version || !ref.success)
    throw unprocessable('the model_version.created event carries no usable data.name and data.version', [
      { path: 'data', message: 'expected {name: string, version: a version number}' },
    ]);
  const projectName = delivery.project ?? version.name;
  if (!ProjectName.safeParse(projectName).success)
    throw unprocessable(
      `the registered model "${version.name}" is not a project name: add ?project=NAME to the webhook's URL in MLflow`,
      [{ path: 'query.project', message: 'expected the mlgate project this model belongs to' }],
    );
  const modelVersion = { name: version.name, version: ref.data.version };
  const { store } = service;
  if (await deliverySeen(store, deliveryId))
    return { status: 'replayed', event: eventName, project: projectName, modelVersion };
  const at = service.now().toISOString();
  try {
    const status = await store.db.transaction().execute(async (trx) => {
      const inTrx: Store = { ...store, db: trx };
      const projectId = await ensureProjectFor(inTrx, projectName, at);
      const { id, created } = await findOrRecordVersion(
        inTrx,
        projectId,
        ref.data,
        at,
        MLFLOW_WEBHOOK_ACTOR,
        {
          source: version.source ?? null,
          registryRunId: version.runId ?? null,
        },
      );
      const delivered = await trx
        .insertInto('webhook_deliveries')
        .values({
          source: 'mlflow',
          delivery_id: deliveryId,
          received_at: at,
          event: eventName,
          model_version_id: id,
        })
        .onConflict((conflict) => conflict.columns(['source', 'delivery_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!delivered) throw new ReplayedDelivery();
      const status = created ? 'recorded' : 'known';
      await appendAudit(trx, store.dialect, {
        at,
        actor: MLFLOW_WEBHOOK_ACTOR,
        action: 'model_version.record',
        project: projectName,
        target: `model-version:mlflow/${modelVersion.name}/${modelVersion.version}`,
        detail: {
          status,
          modelVersionId: id,
          deliveryId,
          source: version.source ?? null,
          registryRunId: version.runId ?? null,
        },
      });
      return status;
    });
    return { status, event: eventName, project: projectName, modelVersion };
  } catch (error) {
    if (error instanceof ReplayedDelivery)
      return { status: 'replayed', event: eventName, project: projectName, modelVersion };
    throw error;
  }
}

async function deliverySeen(store: Store, deliveryId: string): Promise<boolean> {
  const row = await store.db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('source', '=', 'mlflow')
    .where('delivery_id', '=', deliveryId)
    .executeTakeFirst();
  return row !== undefined;
}

/** The project's id, inserting it (with its audit event) when missing; replicas racing: one insert wins. */
async function ensureProjectFor(store: Store, name: string, at: string): Promise<number> {
  const inserted = await store.db
    .insertInto('projects')
    .values({ name, created_at: at, created_by: MLFLOW_WEBHOOK_ACTOR, signers: '{}' })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) {
    await appendAudit(store.db, store.dialect, {
      at,
      actor: MLFLOW_WEBHOOK_ACTOR,
      action: 'project.create',
      project: name,
      target: `project:${name}`,
      detail: { by: 'mlflow webhook' },
    });
    return inserted.id;
  }
  const row = await store.db
    .selectFrom('projects')
    .select('id')
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The version's row in the project, recorded now when it is new (call inside a transaction). */
async function findOrRecordVersion(
  store: Store,
  projectId: number,
  ref: ModelVersionRef,
  at: string,
  by: string,
  details: { source: string | null; registryRunId: string | null },
): Promise<{ id: number; created: boolean }> {
  const inserted = await store.db
    .insertInto('model_versions')
    .values({
      project_id: projectId,
      registry: ref.registry,
      name: ref.name,
      version: ref.version,
      source: details.source,
      registry_run_id: details.registryRunId,
      recorded_at: at,
      recorded_by: by,
    })
    .onConflict((conflict) => conflict.columns(['project_id', 'registry', 'name', 'version']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, created: true };
  const row = await store.db
    .selectFrom('model_versions')
    .select('id')
    .where('project_id', '=', projectId)
    .where('registry', '=', ref.registry)
    .where('name', '=', ref.name)
    .where('version', '=', ref.version)
    .executeTakeFirstOrThrow();
  return { id: row.id, created: false };
}

/**
 * Marks a model version gated by a run just saved (inside the upload's transaction: the run, the
 * link and the upload's audit event land together). A version no webhook announced is recorded
 * now: a team without webhooks still sees which run gated it.
 */
export async function gateModelVersion(
  store: Store,
  link: { projectId: number; ref: ModelVersionRef; runId: number; by: string; at: string },
): Promise<{ modelVersionId: number; recordedNow: boolean }> {
  const { id, created } = await findOrRecordVersion(store, link.projectId, link.ref, link.at, link.by, {
    source: null,
    registryRunId: null,
  });
  await store.db
    .insertInto('model_version_gates')
    .values({ model_version_id: id, run_id: link.runId, at: link.at })
    .execute();
  return { modelVersionId: id, recordedNow: created };
}

/** The project's model versions, newest first, each pending or gated by its latest run. */
export async function listModelVersions(
  service: Service,
  name: string,
  query: Out<typeof C.ModelVersionQuery>,
): Promise<Out<typeof C.ModelVersionList>> {
  const project = await getProjectRow(service, name);
  const db = service.store.db;
  const versions = await db
    .selectFrom('model_versions')
    .selectAll()
    .where('project_id', '=', project.id)
    .orderBy('id', 'desc')
    .execute();
  const gates =
    versions.length === 0
      ? []
      : await db
          .selectFrom('model_version_gates as g')
          .innerJoin('runs as r', 'r.id', 'g.run_id')
          .select(['g.model_version_id', 'g.run_id', 'g.at', 'r.verdict', 'r.profile', 'r.selection'])
          .where('r.project_id', '=', project.id)
          .where(
            'g.model_version_id',
            'in',
            versions.map((v) => v.id),
          )
          .orderBy('g.id')
          .execute();
  const latest = new Map<number, { gate: NonNullable<C.ModelVersion['gate']>; count: number }>();
  for (const gate of gates) {
    const count = (latest.get(gate.model_version_id)?.count ?? 0) + 1;
    latest.set(gate.model_version_id, {
      count,
      gate: {
        runId: gate.run_id,
        verdict: gate.verdict,
        profile: gate.profile,
        partial: gate.selection !== null,
        at: gate.at,
      },
    });
  }
  const modelVersions = versions.map((row): C.ModelVersion => {
    const gated = latest.get(row.id);
    return {
      id: row.id,
      registry: row.registry as C.ModelVersion['registry'],
      name: row.name,
      version: row.version,
      source: row.source,
      registryRunId: row.registry_run_id,
      recordedAt: row.recorded_at,
      recordedBy: row.recorded_by,
      state: gated ? 'gated' : 'pending',
      gate: gated?.gate ?? null,
      gates: gated?.count ?? 0,
    };
  });
  return {
    modelVersions: query.state ? modelVersions.filter((v) => v.state === query.state) : modelVersions,
  };
}
