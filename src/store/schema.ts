/**
 * The store's tables, as Kysely sees them. Sign-off and tag records are events, only ever
 * appended: the current state is folded from them, and the history is the audit trail.
 */
import type { ColumnType, Generated } from 'kysely';

/** A nullable column an insert may leave out (a local store never sets the server's columns). */
type Optional<T> = ColumnType<T | null, T | null | undefined, T | null>;

export interface RunsTable {
  id: Generated<number>;
  started_at: string;
  finished_at: string;
  project: string;
  profile: string | null;
  verdict: string;
  complete: number;
  /** JSON: the --only selection, or null for a whole run. */
  selection: string | null;
  spec_sha256: string;
  tool_version: string;
  /** JSON: {pass, fail, ...}. */
  counts: string;
  /** JSON: {name: sha256 | null}. */
  artifacts: string;
  /** The whole report, as `--out` writes it. */
  report: string;
  /** The server's project (null in a local store: one project). */
  project_id: Optional<number>;
  /** Who uploaded it (the server); null for a local run. */
  uploaded_by: Optional<string>;
  /** JSON: each manual item's requirements ({roles, ...}), as the server received them. */
  requirements: Optional<string>;
}

export interface RunItemsTable {
  run_id: number;
  item_id: string;
  kind: string;
  severity: string;
  status: string;
  /** JSON: the item's measured values. */
  measured: string;
}

export type SignoffAction = 'approve' | 'revoke' | 'waive' | 'unwaive';

export interface SignoffEventsTable {
  id: Generated<number>;
  at: string;
  action: SignoffAction;
  item_id: string;
  role: string | null;
  actor: string;
  /** Approval justification, revoke reason, or waiver reason. */
  comment: string | null;
  /** A URL or a file path (relative to the project). */
  evidence: string | null;
  evidence_sha256: string | null;
  expires_at: string | null;
  /** What the sign-off is bound to: the item's definition and every artifact, at the time. */
  definition_digest: string | null;
  spec_sha256: string | null;
  /** JSON: {name: {path, sha256}}. */
  artifacts: string;
  project_id: Optional<number>;
}

export interface TagEventsTable {
  id: Generated<number>;
  at: string;
  tag: string;
  run_id: number;
  actor: string;
  project_id: Optional<number>;
}

/** What the store noticed about itself and repaired (e.g. append-only guards restored). */
export interface StoreEventsTable {
  id: Generated<number>;
  at: string;
  event: string;
  detail: string;
  tool_version: string;
}

export interface ProjectsTable {
  id: Generated<number>;
  name: string;
  created_at: string;
  created_by: string;
  /** JSON: {role: {keys: [PEM], threshold}}. */
  signers: string;
}

export interface ApiTokensTable {
  id: Generated<number>;
  name: string;
  /** JSON: [role]. */
  roles: string;
  /** Hex sha256 of the token: the token itself is shown once and never stored. */
  sha256: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
}

export interface WaiverRequestsTable {
  id: Generated<number>;
  project_id: number;
  item_id: string;
  run_id: number;
  reason: string;
  expires_at: string;
  requested_by: string;
  requested_at: string;
}

export interface WaiverDecisionsTable {
  id: Generated<number>;
  waiver_id: number;
  action: 'approve' | 'deny' | 'revoke';
  actor: string;
  at: string;
  comment: string | null;
}

export interface AttestationsTable {
  id: Generated<number>;
  project_id: number;
  item_id: string;
  action: string;
  role: string | null;
  keyid: string;
  sha256: string;
  /** The DSSE envelope, canonical JSON. */
  envelope: string;
  uploaded_by: string;
  at: string;
}

/** Every write the server made: each event carries the hash of the one before (a chain). */
export interface AuditEventsTable {
  seq: Generated<number>;
  at: string;
  actor: string;
  action: string;
  project: string | null;
  target: string;
  /** JSON. */
  detail: string;
  prev_hash: string;
  hash: string;
}

/** A model version a registry announced (or a run named): pending until a run gates it. */
export interface ModelVersionsTable {
  id: Generated<number>;
  project_id: number;
  /** 'mlflow'. */
  registry: string;
  name: string;
  version: string;
  /** Where the registry says the model lives (MLflow's `source` URI). */
  source: string | null;
  /** The registry's own run that made it (MLflow's `run_id`), not an mlgate run. */
  registry_run_id: string | null;
  recorded_at: string;
  /** `webhook:mlflow`, or the token whose upload named it first. */
  recorded_by: string;
}

/** A run uploaded for a model version: the version's state is its latest gate's verdict. */
export interface ModelVersionGatesTable {
  id: Generated<number>;
  model_version_id: number;
  run_id: number;
  at: string;
}

/** Webhook deliveries acted on, by their sender's delivery id (unique: a replay is recognised). */
export interface WebhookDeliveriesTable {
  id: Generated<number>;
  /** 'mlflow'. */
  source: string;
  delivery_id: string;
  received_at: string;
  /** `entity.action`, e.g. model_version.created. */
  event: string;
  model_version_id: number | null;
}

export interface Database {
  runs: RunsTable;
  run_items: RunItemsTable;
  signoff_events: SignoffEventsTable;
  tag_events: TagEventsTable;
  store_events: StoreEventsTable;
  projects: ProjectsTable;
  api_tokens: ApiTokensTable;
  waiver_requests: WaiverRequestsTable;
  waiver_decisions: WaiverDecisionsTable;
  attestations: AttestationsTable;
  audit_events: AuditEventsTable;
  model_versions: ModelVersionsTable;
  model_version_gates: ModelVersionGatesTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
