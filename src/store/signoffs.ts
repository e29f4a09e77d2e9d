/**
 * Sign-offs as records. An approval or a waiver is bound to what was true when it was given:
 * the item's definition and the digest of every artifact. When any of them changes it is
 * stale and no longer counts ("model/model.onnx changed since Jane Doe approved on
 * 2026-11-20"); `renew_every` makes approvals lapse with time; waivers expire. Every event is
 * appended, never edited; the state is folded from them.
 */
import type { ArtifactRecord } from '../engine/artifacts.js';
import type { ItemOutcome } from '../engine/types.js';
import { cleanText, inlineText } from '../redact/clean.js';
import type { Approval, Evidence, ItemStatus, Waiver } from '../report/schema.js';
import type { LoadedItem } from '../spec/load.js';
import { formatDuration, parseDuration } from '../util/units.js';
import { readStored, type Store } from './db.js';
import type { SignoffAction, SignoffEventsTable } from './schema.js';

/** What a sign-off is bound to. */
export interface Binding {
  definitionDigest: string;
  specSha256: string;
  artifacts: Record<string, { path: string; sha256: string | null }>;
}

export interface SignoffEvent {
  id: number;
  at: string;
  action: SignoffAction;
  itemId: string;
  role: string | null;
  actor: string;
  comment: string | null;
  evidence: string | null;
  evidenceSha256: string | null;
  expiresAt: string | null;
  definitionDigest: string | null;
  artifacts: Binding['artifacts'];
}

export function bindingFor(item: LoadedItem, specSha256: string, artifacts: ArtifactRecord[]): Binding {
  return {
    definitionDigest: item.definitionDigest,
    specSha256,
    artifacts: Object.fromEntries(artifacts.map((a) => [a.name, { path: a.path, sha256: a.sha256 }])),
  };
}

export async function appendEvent(
  store: Store,
  event: {
    action: SignoffAction;
    itemId: string;
    actor: string;
    at: Date;
    role?: string;
    comment?: string;
    evidence?: string;
    evidenceSha256?: string;
    expiresAt?: Date;
    binding?: Binding;
  },
): Promise<void> {
  const row: Omit<SignoffEventsTable, 'id'> = {
    at: event.at.toISOString(),
    action: event.action,
    item_id: event.itemId,
    // People's input, printed in terminals and reports: no escape sequences or control
    // characters; a name, role or reference is one line (the commands refuse them first).
    role: event.role === undefined ? null : inlineText(event.role),
    actor: inlineText(event.actor),
    comment: event.comment === undefined ? null : cleanText(event.comment),
    evidence: event.evidence === undefined ? null : inlineText(event.evidence),
    evidence_sha256: event.evidenceSha256 ?? null,
    expires_at: event.expiresAt?.toISOString() ?? null,
    definition_digest: event.binding?.definitionDigest ?? null,
    spec_sha256: event.binding?.specSha256 ?? null,
    artifacts: JSON.stringify(event.binding?.artifacts ?? {}),
  };
  await store.db.insertInto('signoff_events').values(row).execute();
}

/** Every event, by item, oldest first. */
export async function loadEvents(store: Store, itemId?: string): Promise<Map<string, SignoffEvent[]>> {
  let query = store.db.selectFrom('signoff_events').selectAll();
  if (itemId !== undefined) query = query.where('item_id', '=', itemId);
  const rows = await query.orderBy('id').execute();
  const byItem = new Map<string, SignoffEvent[]>();
  for (const row of rows) {
    const event: SignoffEvent = {
      id: row.id,
      at: row.at,
      action: row.action,
      itemId: row.item_id,
      // Records written before input was cleaned are cleaned as they are read.
      role: row.role === null ? null : inlineText(row.role),
      actor: inlineText(row.actor),
      comment: row.comment === null ? null : cleanText(row.comment),
      evidence: row.evidence === null ? null : inlineText(row.evidence),
      evidenceSha256: row.evidence_sha256,
      expiresAt: row.expires_at,
      definitionDigest: row.definition_digest,
      artifacts: readStored(row.artifacts, `the artifacts of sign-off event #${row.id}`, store.path),
    };
    const list = byItem.get(row.item_id) ?? [];
    list.push(event);
    byItem.set(row.item_id, list);
  }
  return byItem;
}

/** Approvals not revoked: a later approval by the same person for the same role replaces theirs. */
export function standingApprovals(events: readonly SignoffEvent[]): SignoffEvent[] {
  let standing: SignoffEvent[] = [];
  for (const event of events) {
    if (event.action === 'approve') {
      standing = standing.filter((a) => !(a.role === event.role && a.actor === event.actor));
      standing.push(event);
    } else if (event.action === 'revoke') {
      standing = standing.filter((a) => event.role !== null && a.role !== event.role);
    }
  }
  return standing;
}

/** The waiver in force, if any: the latest waive not followed by an unwaive. */
export function standingWaiver(events: readonly SignoffEvent[]): SignoffEvent | undefined {
  let waiver: SignoffEvent | undefined;
  for (const event of events) {
    if (event.action === 'waive') waiver = event;
    else if (event.action === 'unwaive') waiver = undefined;
  }
  return waiver;
}

const day = (iso: string) => iso.slice(0, 10);

/** Why a sign-off no longer matches what it was given for, or undefined when it does. */
export function staleReason(event: SignoffEvent, now: Binding, verb: string): string | undefined {
  const when = `since ${event.actor} ${verb} on ${day(event.at)}`;
  const changes: string[] = [];
  for (const [name, current] of Object.entries(now.artifacts)) {
    const then = event.artifacts[name];
    if (!then) changes.push(`artifact ${name} (${current.path}) was added`);
    else if (then.sha256 !== current.sha256) {
      changes.push(current.sha256 === null ? `${current.path} is missing` : `${current.path} changed`);
    }
  }
  for (const [name, then] of Object.entries(event.artifacts)) {
    if (!now.artifacts[name]) changes.push(`artifact ${name} (${then.path}) was removed`);
  }
  if (event.definitionDigest !== null && event.definitionDigest !== now.definitionDigest) {
    changes.push("the item's definition in the spec changed");
  }
  if (changes.length === 0) return undefined;
  return `${changes.slice(0, 3).join(', ')}${changes.length > 3 ? ` (and ${changes.length - 3} more)` : ''} ${when}`;
}

function approvalRecord(event: SignoffEvent, state: Approval['state'], reason?: string): Approval {
  return {
    role: event.role ?? '',
    by: event.actor,
    at: event.at,
    ...(event.comment ? { comment: event.comment } : {}),
    ...(event.evidence
      ? {
          evidence: {
            ref: event.evidence,
            ...(event.evidenceSha256 ? { sha256: event.evidenceSha256 } : {}),
          },
        }
      : {}),
    state,
    ...(reason ? { reason } : {}),
    definitionDigest: event.definitionDigest ?? '',
    artifacts: event.artifacts,
  };
}

/** A manual item: pass when every role has a current approval; otherwise pending, saying who must act. */
export function judgeManual(
  item: LoadedItem,
  events: readonly SignoffEvent[],
  binding: Binding,
  now: Date,
): ItemOutcome {
  const manual = item.manual!;
  const renewMs = manual.renew_every === undefined ? undefined : parseDuration(manual.renew_every);
  const approvals = standingApprovals(events).map((event) => {
    const stale = staleReason(event, binding, 'approved');
    if (stale) return approvalRecord(event, 'stale', stale);
    if (renewMs !== undefined && now.getTime() - Date.parse(event.at) > renewMs) {
      return approvalRecord(
        event,
        'lapsed',
        `${event.actor}'s approval of ${day(event.at)} lapsed: it is renewed every ${formatDuration(renewMs)}`,
      );
    }
    return approvalRecord(event, 'current');
  });
  const roles = manual.roles.length > 0 ? manual.roles : [...new Set(approvals.map((a) => a.role))];
  const missing: string[] = [];
  const notes: string[] = [];
  const given: string[] = [];
  for (const role of manual.roles.length > 0 ? roles : ['']) {
    const forRole = approvals.filter((a) => manual.roles.length === 0 || a.role === role);
    const current = forRole.find((a) => a.state === 'current');
    if (current) {
      given.push(`${current.by}${role ? ` (${role}, ${day(current.at)})` : ` (${day(current.at)})`}`);
      continue;
    }
    missing.push(role || 'anyone');
    for (const other of forRole) notes.push(other.reason!);
  }
  const evidence: Evidence[] = approvals.length
    ? [
        {
          type: 'table',
          title: 'approvals',
          columns: ['role', 'by', 'on', 'state', 'comment', 'evidence'],
          rows: approvals.map((a) => [
            a.role,
            a.by,
            a.at.slice(0, 16).replace('T', ' '),
            a.reason ? `${a.state}: ${a.reason}` : a.state,
            a.comment ?? '',
            a.evidence?.ref ?? '',
          ]),
        },
      ]
    : [];
  if (manual.instructions) evidence.push({ type: 'text', title: 'instructions', text: manual.instructions });
  if (missing.length === 0) {
    return { status: 'pass', summary: `approved by ${given.join('; ')}`, approvals, evidence };
  }
  const summary = [`awaiting sign-off by ${missing.join(', ')}`, ...notes].join('; ');
  return { status: 'pending', summary, approvals, evidence };
}

const WAIVABLE = new Set<ItemStatus>(['fail', 'error', 'pending']);

/** Applies the item's waiver, if one holds: a failing item becomes waived, visibly, never hidden. */
export function applyWaiver(
  outcome: ItemOutcome,
  events: readonly SignoffEvent[],
  binding: Binding,
  now: Date,
): ItemOutcome {
  const event = standingWaiver(events);
  if (!event) return outcome;
  const base: Omit<Waiver, 'state'> = {
    by: event.actor,
    at: event.at,
    reason: event.comment ?? '',
    expires: event.expiresAt ?? '',
    definitionDigest: event.definitionDigest ?? '',
    artifacts: event.artifacts,
  };
  if (event.expiresAt !== null && Date.parse(event.expiresAt) <= now.getTime()) {
    return {
      ...outcome,
      waiver: { ...base, state: 'expired', stateReason: `expired on ${day(event.expiresAt)}` },
    };
  }
  const stale = staleReason(event, binding, 'waived it');
  if (stale) return { ...outcome, waiver: { ...base, state: 'stale', stateReason: stale } };
  if (!WAIVABLE.has(outcome.status)) return { ...outcome, waiver: { ...base, state: 'unused' } };
  return {
    ...outcome,
    status: 'waived',
    summary: `waived by ${event.actor} until ${day(event.expiresAt ?? '')}: ${event.comment} (was ${outcome.status}: ${outcome.summary})`,
    waiver: { ...base, state: 'applied', waivedStatus: outcome.status, waivedSummary: outcome.summary },
  };
}

/** Everything the runner needs to decide manual items and waivers, loaded once before a run. */
export class SignoffBook {
  constructor(
    private readonly events: Map<string, SignoffEvent[]>,
    private readonly specSha256: string,
    private readonly artifacts: ArtifactRecord[],
    private readonly now: () => Date,
  ) {}

  static async load(
    store: Store,
    specSha256: string,
    artifacts: ArtifactRecord[],
    now: () => Date = () => new Date(),
  ): Promise<SignoffBook> {
    return new SignoffBook(await loadEvents(store), specSha256, artifacts, now);
  }

  manual(item: LoadedItem): ItemOutcome {
    return judgeManual(
      item,
      this.events.get(item.id) ?? [],
      bindingFor(item, this.specSha256, this.artifacts),
      this.now(),
    );
  }

  waive(item: LoadedItem, outcome: ItemOutcome): ItemOutcome {
    const events = this.events.get(item.id);
    return events
      ? applyWaiver(outcome, events, bindingFor(item, this.specSha256, this.artifacts), this.now())
      : outcome;
  }
}
