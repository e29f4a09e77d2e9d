/**
 * Sign-offs as records. An approval or a waiver is bound to what was true when it was given:
 * the item's definition and the digest of every artifact. When any of them changes it is
 * stale and no longer counts ("model/model.onnx changed since Jane Doe approved on
 * 2026-11-20"); `renew_every` makes approvals lapse with time; waivers expire. Every event is
 * appended, never edited; the state is folded from them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATTESTATIONS_DIR, readSignedRecords, type SignedRecord, type Signers } from '../attest/signoffs.js';
import type { ArtifactRecord } from '../engine/artifacts.js';
import type { ItemOutcome } from '../engine/types.js';
import { cleanText, inlineText } from '../redact/clean.js';
import type { Approval, Evidence, ItemStatus, Waiver } from '../domain/run-report.js';
import type { LoadedItem, LoadedSpec } from '../spec/load.js';
import { formatDuration, parseDuration } from '../util/units.js';
import { readStored, type Store } from './db.js';
import type { Insertable } from 'kysely';
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
    /** The server's project (a local store has one project and leaves it out). */
    projectId?: number;
  },
): Promise<number> {
  const row: Insertable<SignoffEventsTable> = {
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
    project_id: event.projectId ?? null,
  };
  const { id } = await store.db
    .insertInto('signoff_events')
    .values(row)
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** Every event, by item, oldest first. */
export async function loadEvents(
  store: Store,
  itemId?: string,
  projectId?: number,
): Promise<Map<string, SignoffEvent[]>> {
  let query = store.db.selectFrom('signoff_events').selectAll();
  if (itemId !== undefined) query = query.where('item_id', '=', itemId);
  if (projectId !== undefined) query = query.where('project_id', '=', projectId);
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

/**
 * Signed sign-offs for one item: the spec's signers and the records under
 * .mlgate/attestations/ that name this item (verified or not). For a role the spec lists
 * signers for, only verified records count; the store's rows for it are shown and ignored.
 */
export interface SignedView {
  signers: Signers;
  records: readonly SignedRecord[];
}

/** A verified record as a sign-off event, its people's text cleaned as store rows are. */
export function eventOfRecord(record: SignedRecord): SignoffEvent {
  const signoff = record.signoff!;
  return {
    id: 0,
    at: signoff.at,
    action: record.action!,
    itemId: record.itemId!,
    role: record.role === undefined ? null : inlineText(record.role),
    actor: inlineText(signoff.by),
    comment: signoff.comment === undefined ? null : cleanText(signoff.comment),
    evidence: signoff.evidence === undefined ? null : inlineText(signoff.evidence.ref),
    evidenceSha256: signoff.evidence?.sha256 ?? null,
    expiresAt: signoff.expiresAt ?? null,
    definitionDigest: signoff.definitionDigest,
    artifacts: signoff.artifacts,
  };
}

/** Verified records in the order they were given (their signed time, then file name). */
function inOrder(records: readonly SignedRecord[]): SignedRecord[] {
  return records
    .filter((r) => r.verified)
    .sort((a, b) => a.signoff!.at.localeCompare(b.signoff!.at) || a.file.localeCompare(b.file));
}

/**
 * Signed approvals still standing: a later approval by the same key for the same role replaces
 * the earlier one; a signed revocation by a key withdraws that key's approvals (of its role, or
 * of every role).
 */
export function standingSignedApprovals(records: readonly SignedRecord[]): SignedRecord[] {
  let standing: SignedRecord[] = [];
  for (const record of inOrder(records)) {
    if (record.action === 'approve') {
      standing = standing.filter((a) => !(a.role === record.role && a.keyid === record.keyid));
      standing.push(record);
    } else if (record.action === 'revoke') {
      standing = standing.filter(
        (a) => !(a.keyid === record.keyid && (record.role === undefined || a.role === record.role)),
      );
    }
  }
  return standing;
}

/** The signed waiver in force, if any: the latest signed waive not followed by a signed unwaive. */
export function standingSignedWaiver(records: readonly SignedRecord[]): SignedRecord | undefined {
  let waiver: SignedRecord | undefined;
  for (const record of inOrder(records)) {
    if (record.action === 'waive') waiver = record;
    else if (record.action === 'unwaive') waiver = undefined;
  }
  return waiver;
}

const keyLabel = (record: SignedRecord) =>
  record.keyid ? `${record.keyid.slice(0, 8)}${record.keyPath ? ` (${record.keyPath})` : ''}` : '';

interface JudgedApproval {
  approval: Approval;
  signed: boolean;
  key: string;
  verified: string;
  keyid?: string;
}

/** A manual item: pass when every role has a current approval; otherwise pending, saying who must act. */
export function judgeManual(
  item: LoadedItem,
  events: readonly SignoffEvent[],
  binding: Binding,
  now: Date,
  signed?: SignedView,
): ItemOutcome {
  const manual = item.manual!;
  const renewMs = manual.renew_every === undefined ? undefined : parseDuration(manual.renew_every);
  const judge = (event: SignoffEvent): Approval => {
    const stale = staleReason(event, binding, 'approved');
    if (stale) return approvalRecord(event, 'stale', stale);
    // What the spec requires of an approval is checked where it is counted, not only where it is
    // written: a record from elsewhere (a server told other requirements) may lack it.
    if (manual.comment_required && !event.comment?.trim())
      return approvalRecord(
        event,
        'stale',
        `${event.actor}'s approval has no comment, and the spec requires one`,
      );
    if (manual.evidence_required && !event.evidence?.trim())
      return approvalRecord(
        event,
        'stale',
        `${event.actor}'s approval links no evidence, and the spec requires it`,
      );
    // An approval whose date cannot be read has lapsed: it cannot show it is recent enough.
    const at = Date.parse(event.at);
    if (renewMs !== undefined && (Number.isNaN(at) || now.getTime() - at > renewMs)) {
      return approvalRecord(
        event,
        'lapsed',
        `${event.actor}'s approval of ${day(event.at)} lapsed: it is renewed every ${formatDuration(renewMs)}`,
      );
    }
    return approvalRecord(event, 'current');
  };
  // Roles decided by signed records only (the spec lists their signers).
  const signerRoles = new Set(signed ? manual.roles.filter((role) => signed.signers.has(role)) : []);
  const fromStore = standingApprovals(events);
  const judged: JudgedApproval[] = fromStore
    .filter((event) => event.role === null || !signerRoles.has(event.role))
    .map((event) => ({ approval: judge(event), signed: false, key: '', verified: 'no: not signed' }));
  const records = signed?.records ?? [];
  // `approve --key` writes a store row beside its signed record: that twin is not an unsigned approval.
  const twin = (event: SignoffEvent) =>
    records.some(
      (r) =>
        r.verified && r.role === event.role && r.signoff!.at === event.at && r.signoff!.by === event.actor,
    );
  const unsignedIgnored = fromStore.filter(
    (event) => event.role !== null && signerRoles.has(event.role) && !twin(event),
  );
  for (const record of standingSignedApprovals(records)) {
    if (record.role === undefined || !signerRoles.has(record.role)) continue;
    judged.push({
      approval: judge(eventOfRecord(record)),
      signed: true,
      key: keyLabel(record),
      verified: 'yes',
      keyid: record.keyid,
    });
  }
  // Records that do not count (bad signature, unknown key, malformed...), for the roles they claim.
  const refused = records.filter(
    (r) =>
      !r.verified &&
      (r.role === undefined || signerRoles.has(r.role)) &&
      r.action !== 'waive' &&
      r.action !== 'unwaive',
  );
  const approvals = judged.map((j) => j.approval);
  const roles = manual.roles.length > 0 ? manual.roles : [...new Set(approvals.map((a) => a.role))];
  const missing: string[] = [];
  const notes: string[] = [];
  const given: string[] = [];
  for (const role of manual.roles.length > 0 ? roles : ['']) {
    const forRole = judged.filter((j) => manual.roles.length === 0 || j.approval.role === role);
    if (signerRoles.has(role)) {
      const { threshold } = signed!.signers.get(role)!;
      const current = forRole.filter((j) => j.approval.state === 'current');
      const keys = new Set(current.map((j) => j.keyid));
      if (keys.size >= threshold) {
        const names = [...new Set(current.map((j) => j.approval.by))].join(', ');
        given.push(
          `${names} (${role}, signed${threshold > 1 ? ` ${keys.size} of ${threshold} keys` : ''}, ${day(current[0]!.approval.at)})`,
        );
        continue;
      }
      missing.push(threshold > 1 ? `${role} (${keys.size} of ${threshold} signatures)` : role);
      for (const other of forRole) if (other.approval.reason) notes.push(other.approval.reason);
      for (const record of refused)
        if (record.role === role || record.role === undefined)
          notes.push(`${record.problem}: it does not count`);
      for (const event of unsignedIgnored.filter((e) => e.role === role)) {
        notes.push(
          `${event.actor}'s unsigned approval in the local store does not count: the spec lists the keys that sign for ${role} (mlgate approve ${item.id} --role ${role} --key KEY)`,
        );
      }
      continue;
    }
    const current = forRole.find((j) => j.approval.state === 'current')?.approval;
    if (current) {
      given.push(`${current.by}${role ? ` (${role}, ${day(current.at)})` : ` (${day(current.at)})`}`);
      continue;
    }
    missing.push(role || 'anyone');
    for (const other of forRole) notes.push(other.approval.reason!);
  }
  const rows: string[][] = judged.map(({ approval: a, signed: isSigned, key, verified }) => [
    a.role,
    a.by,
    a.at.slice(0, 16).replace('T', ' '),
    a.reason ? `${a.state}: ${a.reason}` : a.state,
    a.comment ?? '',
    a.evidence?.ref ?? '',
    isSigned ? 'yes' : 'no',
    key,
    verified,
  ]);
  for (const event of unsignedIgnored) {
    rows.push([
      event.role ?? '',
      event.actor,
      event.at.slice(0, 16).replace('T', ' '),
      `ignored: ${event.role} sign-offs must be signed with a key the spec lists`,
      event.comment ?? '',
      event.evidence ?? '',
      'no',
      '',
      'no: not signed',
    ]);
  }
  for (const record of refused) {
    rows.push([
      inlineText(record.role ?? ''),
      '',
      '',
      'does not count',
      '',
      '',
      record.envelope ? 'yes' : 'no',
      inlineText(keyLabel(record)),
      `no: ${inlineText(record.problem ?? '')}`,
    ]);
  }
  const evidence: Evidence[] = rows.length
    ? [
        {
          type: 'table',
          title: 'approvals',
          columns: ['role', 'by', 'on', 'state', 'comment', 'evidence', 'signed', 'key', 'verified'],
          rows,
        },
      ]
    : [];
  if (manual.instructions) evidence.push({ type: 'text', title: 'instructions', text: manual.instructions });
  if (missing.length === 0) {
    return { status: 'pass', summary: `approved by ${given.join('; ')}`, approvals, evidence };
  }
  const summary = [`awaiting sign-off by ${missing.join(', ')}`, ...notes.map((n) => inlineText(n))].join(
    '; ',
  );
  return { status: 'pending', summary, approvals, evidence };
}

const WAIVABLE = new Set<ItemStatus>(['fail', 'error', 'pending']);

/** Applies the item's waiver, if one holds: a failing item becomes waived, visibly, never hidden. */
export function applyWaiver(
  outcome: ItemOutcome,
  events: readonly SignoffEvent[],
  binding: Binding,
  now: Date,
  signed?: SignedView,
): ItemOutcome {
  // With signers in the spec, only a waiver signed by a listed key counts (any listed key).
  const enforced = signed !== undefined && signed.signers.size > 0;
  const signedWaiver = enforced ? standingSignedWaiver(signed.records) : undefined;
  const event = enforced ? signedWaiver && eventOfRecord(signedWaiver) : standingWaiver(events);
  if (!event) {
    if (!enforced || !WAIVABLE.has(outcome.status)) return outcome;
    const unsigned = standingWaiver(events);
    const refused = signed.records.filter(
      (r) => !r.verified && (r.action === 'waive' || r.action === 'unwaive'),
    );
    const lines = [
      ...(unsigned
        ? [
            `${unsigned.actor}'s unsigned waiver in the local store does not count: the spec lists signers, so a waiver is signed with one of their keys (mlgate waive ITEM --key KEY)`,
          ]
        : []),
      ...refused.map((r) => `${r.problem}: it does not count`),
    ];
    if (lines.length === 0) return outcome;
    return {
      ...outcome,
      evidence: [
        ...(outcome.evidence ?? []),
        { type: 'text', title: 'waivers that do not count', text: lines.join('\n') },
      ],
    };
  }
  const base: Omit<Waiver, 'state'> = {
    by: event.actor,
    at: event.at,
    reason: event.comment ?? '',
    expires: event.expiresAt ?? '',
    definitionDigest: event.definitionDigest ?? '',
    artifacts: event.artifacts,
  };
  // A waiver must end: one without a readable end date counts as ended, never as forever.
  const expires = event.expiresAt === null ? Number.NaN : Date.parse(event.expiresAt);
  if (Number.isNaN(expires) || expires <= now.getTime()) {
    return {
      ...outcome,
      waiver: {
        ...base,
        state: 'expired',
        stateReason: Number.isNaN(expires)
          ? `its end date "${event.expiresAt ?? ''}" cannot be read`
          : `expired on ${day(event.expiresAt!)}`,
      },
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
    private readonly signed?: { signers: Signers; records: readonly SignedRecord[] },
  ) {}

  /** The store's records only: for a spec without `signers` (use forSpec, which reads both). */
  static async load(
    store: Store,
    specSha256: string,
    artifacts: ArtifactRecord[],
    now: () => Date = () => new Date(),
  ): Promise<SignoffBook> {
    return new SignoffBook(await loadEvents(store), specSha256, artifacts, now);
  }

  /**
   * The store's records (when there is a store) and, when the spec lists signers, the signed
   * records under .mlgate/attestations/ beside the spec: a fresh checkout with no store
   * decides signed roles all the same.
   */
  static async forSpec(
    store: Store | undefined,
    loaded: LoadedSpec,
    artifacts: ArtifactRecord[],
    now: () => Date = () => new Date(),
  ): Promise<SignoffBook> {
    const events = store ? await loadEvents(store) : new Map<string, SignoffEvent[]>();
    return SignoffBook.fromEvents(events, loaded, artifacts, now);
  }

  /** As forSpec, from events read elsewhere (a server's record of the project). */
  static fromEvents(
    events: Map<string, SignoffEvent[]>,
    loaded: LoadedSpec,
    artifacts: ArtifactRecord[],
    now: () => Date = () => new Date(),
    /** Signed records kept elsewhere (a team server's), judged exactly as the committed files are. */
    elsewhere: ReadonlyArray<{ name: string; text: string }> = [],
  ): SignoffBook {
    const signers = loaded.signers;
    const itemIds = loaded.items.map((item) => item.id);
    const itemRoles = new Map(loaded.items.map((item) => [item.id, item.manual?.roles ?? []]));
    const records =
      signers.size > 0
        ? [
            ...readSignedRecords(loaded.root, signers, itemIds, itemRoles),
            ...readSignedRecordsFrom(elsewhere, signers, itemIds, itemRoles),
          ]
        : [];
    return new SignoffBook(events, loaded.sha256, artifacts, now, { signers, records });
  }

  private view(item: LoadedItem): SignedView | undefined {
    if (!this.signed) return undefined;
    // A file that says nothing readable about its item is shown on every item it could be for.
    return {
      signers: this.signed.signers,
      records: this.signed.records.filter((r) => r.itemId === item.id || r.itemId === undefined),
    };
  }

  /**
   * Signed records that verified (whether or not they still count: stale and revoked ones too),
   * by file and sha256: what a verdict attestation lists as its input attestations.
   */
  verifiedAttestations(): Array<{ file: string; sha256: string; itemId: string }> {
    return (this.signed?.records ?? [])
      .filter((r) => r.verified && r.sha256)
      .map((r) => ({ file: r.file, sha256: r.sha256!, itemId: r.itemId! }));
  }

  /** The waiver in force for an item as check decides it (signed only, once the spec lists signers). */
  waiverOf(item: LoadedItem): SignoffEvent | undefined {
    const view = this.view(item);
    if (view && view.signers.size > 0) {
      const record = standingSignedWaiver(view.records);
      return record && eventOfRecord(record);
    }
    return standingWaiver(this.events.get(item.id) ?? []);
  }

  manual(item: LoadedItem): ItemOutcome {
    return judgeManual(
      item,
      this.events.get(item.id) ?? [],
      bindingFor(item, this.specSha256, this.artifacts),
      this.now(),
      this.view(item),
    );
  }

  waive(item: LoadedItem, outcome: ItemOutcome): ItemOutcome {
    return applyWaiver(
      outcome,
      this.events.get(item.id) ?? [],
      bindingFor(item, this.specSha256, this.artifacts),
      this.now(),
      this.view(item),
    );
  }
}

/**
 * Signed records that are not files of the checkout (a server's), read by the same code as the
 * committed ones: written to a private temporary folder, judged there, and named by `name`.
 */
function readSignedRecordsFrom(
  records: ReadonlyArray<{ name: string; text: string }>,
  signers: Signers,
  itemIds: readonly string[],
  itemRoles: ReadonlyMap<string, readonly string[]>,
): SignedRecord[] {
  if (records.length === 0) return [];
  const root = mkdtempSync(join(tmpdir(), 'mlgate-signed-'));
  try {
    mkdirSync(join(root, ATTESTATIONS_DIR), { recursive: true });
    records.forEach((record, index) =>
      writeFileSync(join(root, ATTESTATIONS_DIR, `${String(index).padStart(6, '0')}.json`), record.text),
    );
    return readSignedRecords(root, signers, itemIds, itemRoles).map((judged) => {
      const index = Number(judged.file.split('/').pop()!.slice(0, 6));
      return { ...judged, file: records[index]!.name };
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
