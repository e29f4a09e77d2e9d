/**
 * The store's tables, as Kysely sees them. Sign-off and tag records are events, only ever
 * appended: the current state is folded from them, and the history is the audit trail.
 */
import type { Generated } from 'kysely';

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
}

export interface TagEventsTable {
  id: Generated<number>;
  at: string;
  tag: string;
  run_id: number;
  actor: string;
}

/** What the store noticed about itself and repaired (e.g. append-only guards restored). */
export interface StoreEventsTable {
  id: Generated<number>;
  at: string;
  event: string;
  detail: string;
  tool_version: string;
}

export interface Database {
  runs: RunsTable;
  run_items: RunItemsTable;
  signoff_events: SignoffEventsTable;
  tag_events: TagEventsTable;
  store_events: StoreEventsTable;
}
