/**
 * The audit log: every write the server makes is an event, appended in the same transaction
 * as the write, carrying the hash of the event before it. Editing, removing or reordering an
 * event breaks the chain at that link; `mlgate server audit verify` recomputes it and names
 * the first broken link. (A chain stops quiet edits; someone who can rewrite the whole table
 * can rewrite the chain: keep copies of the latest hash elsewhere to catch that.)
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Store } from './db.js';
import type { Database } from './schema.js';

export const GENESIS_HASH = '0'.repeat(64);

/** Held while appending (PostgreSQL): replicas append one at a time, so the chain has no forks. */
const AUDIT_LOCK_KEY = 0x6d6c676175646974n;

export interface AuditInput {
  at: string;
  actor: string;
  action: string;
  project: string | null;
  target: string;
  detail: Record<string, unknown>;
}

/** JSON with keys sorted at every level: the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function auditHash(prevHash: string, event: AuditInput): string {
  return createHash('sha256')
    .update(`${prevHash}\n`)
    .update(
      canonicalJson({
        at: event.at,
        actor: event.actor,
        action: event.action,
        project: event.project,
        target: event.target,
        detail: event.detail,
      }),
    )
    .digest('hex');
}

/** Appends an event; call inside the write's transaction (`trx`), last. */
export async function appendAudit(
  trx: Kysely<Database>,
  dialect: Store['dialect'],
  event: AuditInput,
): Promise<{ seq: number; hash: string }> {
  if (dialect === 'postgres')
    await sql`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY.toString()}::bigint)`.execute(trx);
  const last = await trx
    .selectFrom('audit_events')
    .select('hash')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const prevHash = last?.hash ?? GENESIS_HASH;
  const hash = auditHash(prevHash, event);
  const { seq } = await trx
    .insertInto('audit_events')
    .values({
      at: event.at,
      actor: event.actor,
      action: event.action,
      project: event.project,
      target: event.target,
      detail: canonicalJson(event.detail),
      prev_hash: prevHash,
      hash,
    })
    .returning('seq')
    .executeTakeFirstOrThrow();
  return { seq, hash };
}

export interface ChainReport {
  events: number;
  /** The latest hash (keep a copy elsewhere: it vouches for everything before it). */
  head: string;
  /** The first link that does not hold, if any. */
  broken?: { seq: number; problem: string };
}

/** Recomputes the whole chain, oldest first. */
export async function verifyAuditChain(db: Kysely<Database>): Promise<ChainReport> {
  let prev = GENESIS_HASH;
  let count = 0;
  let lastSeq = 0;
  const pageSize = 1000;
  for (;;) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', lastSeq)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    for (const row of rows) {
      const fail = (problem: string): ChainReport => ({
        events: count,
        head: prev,
        broken: { seq: row.seq, problem },
      });
      if (row.prev_hash !== prev)
        return fail(
          `its prev_hash ${row.prev_hash.slice(0, 12)}… is not the hash of the event before it (${prev.slice(0, 12)}…): an event before it was removed, added or reordered`,
        );
      let detail: Record<string, unknown>;
      try {
        detail = JSON.parse(row.detail) as Record<string, unknown>;
      } catch {
        return fail('its detail is not JSON');
      }
      const expected = auditHash(prev, { ...row, detail });
      if (row.hash !== expected)
        return fail(
          `its content does not match its hash ${row.hash.slice(0, 12)}… (recomputed ${expected.slice(0, 12)}…): the event was edited`,
        );
      prev = row.hash;
      count++;
      lastSeq = row.seq;
    }
    if (rows.length < pageSize) break;
  }
  return { events: count, head: prev };
}
