/**
 * Signed sign-offs: each approval, waiver or revocation given with a key is a DSSE envelope
 * holding an in-toto Statement v1 whose subjects are the artifacts it is bound to and whose
 * predicate (SIGNOFF_PREDICATE) says who signed what, for which item and role, when. One file
 * per record under `.mlgate/attestations/`, committed with the project: CI on a fresh checkout
 * reads them, and a pull request shows each approval as a reviewable diff.
 *
 * Reading is fail closed. A record counts only when its signature verifies with a key the
 * spec's `signers` lists for the record's role; anything else (changed bytes, an unknown key,
 * a key listed for another role, a file that is not an envelope, another predicate type) is
 * kept with the reason it does not count, so the item stays pending and says why.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  decodeBase64,
  type Envelope,
  EnvelopeError,
  IN_TOTO_PAYLOAD_TYPE,
  keyId,
  parseEnvelope,
  signEnvelope,
  verifyEnvelope,
} from './dsse.js';
import type { SignerKey, Signers } from './signers.js';
import { parseStatement, SIGNOFF_PREDICATE, statement, type Subject } from './statement.js';

export {
  loadSigners,
  type RoleSigners,
  type SignerKey,
  type SignerProblem,
  type Signers,
} from './signers.js';

/** Where signed records live, relative to the project root (the spec's folder). */
export const ATTESTATIONS_DIR = '.mlgate/attestations';

/** Records larger than this are not sign-offs (and are not read whole). */
const MAX_RECORD_BYTES = 1 << 20;

export type SignedAction = 'approve' | 'revoke' | 'waive' | 'unwaive';

/** The predicate of a signed sign-off (SIGNOFF_PREDICATE). */
export const SignoffPredicate = z.object({
  action: z.enum(['approve', 'revoke', 'waive', 'unwaive']),
  item: z.object({
    id: z.string().min(1),
    /** sha256 of the item as written in the spec: editing the item makes the record stale. */
    definitionDigest: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  /** The role signed for (approve, revoke); absent for waivers and a revocation of every role. */
  role: z.string().min(1).optional(),
  by: z.string(),
  at: z.iso.datetime(),
  comment: z.string().optional(),
  evidence: z.object({ ref: z.string(), sha256: z.string().optional() }).optional(),
  /** When a waiver ends. */
  expires: z.iso.datetime().optional(),
  /** The signing key's id (hex sha256 of its SubjectPublicKeyInfo). */
  keyid: z.string().regex(/^[0-9a-f]{64}$/),
  /**
   * Every artifact the spec declared at signing, name -> path. The subjects are those of them
   * that existed (path + sha256); one declared here without a subject was missing.
   */
  artifacts: z.record(z.string(), z.string()),
});
export type SignoffPredicate = z.infer<typeof SignoffPredicate>;

/**
 * A waiver of a sign-off stands in for the people who must sign it: it counts only when signed
 * by a key listed for one of the item's roles (a security key cannot waive the technical lead's
 * approval). A waiver of a check item may be signed by any listed key.
 */
function waiverSignedForItsRoles(
  record: SignedRecord,
  signers: Signers,
  itemRoles: ReadonlyMap<string, readonly string[]>,
): SignedRecord {
  if (!record.verified || (record.action !== 'waive' && record.action !== 'unwaive')) return record;
  const roles = (itemRoles.get(record.itemId ?? '') ?? []).filter((role) => signers.has(role));
  if (roles.length === 0) return record;
  const allowed = new Set(roles.flatMap((role) => signers.get(role)!.keys.map((key) => key.keyid)));
  if (record.keyid && allowed.has(record.keyid)) return record;
  return {
    ...record,
    verified: false,
    signoff: undefined,
    problem: `${record.file} waives ${record.itemId}, a sign-off by ${roles.join(', ')}, but is signed by key ${(record.keyid ?? '').slice(0, 8)}, which is not listed for ${roles.length === 1 ? 'that role' : 'those roles'}`,
  };
}

/** Every key the spec lists, once each (who may sign waivers). */
export function allSignerKeys(signers: Signers): SignerKey[] {
  const byId = new Map<string, SignerKey>();
  for (const role of signers.values())
    for (const key of role.keys) if (!byId.has(key.keyid)) byId.set(key.keyid, key);
  return [...byId.values()];
}

/** What a record is bound to: artifact name -> path and digest (null: missing at signing). */
export type BoundArtifacts = Record<string, { path: string; sha256: string | null }>;

export interface SignoffToSign {
  action: SignedAction;
  itemId: string;
  definitionDigest: string;
  role?: string;
  by: string;
  at: Date;
  comment?: string;
  evidence?: { ref: string; sha256?: string };
  expires?: Date;
  artifacts: BoundArtifacts;
}

export interface WrittenSignoff {
  /** Absolute path of the new file. */
  file: string;
  /** Relative to the project root. */
  relativeFile: string;
  keyid: string;
  envelope: Envelope;
}

/** The signed statement of a sign-off. */
export function signoffStatement(record: SignoffToSign, keyid: string) {
  const subject: Subject[] = Object.values(record.artifacts)
    .filter((a): a is { path: string; sha256: string } => a.sha256 !== null)
    .map((a) => ({ name: a.path, digest: { sha256: a.sha256 } }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const predicate: SignoffPredicate = {
    action: record.action,
    item: { id: record.itemId, definitionDigest: record.definitionDigest },
    ...(record.role !== undefined ? { role: record.role } : {}),
    by: record.by,
    at: record.at.toISOString(),
    ...(record.comment !== undefined ? { comment: record.comment } : {}),
    ...(record.evidence !== undefined ? { evidence: record.evidence } : {}),
    ...(record.expires !== undefined ? { expires: record.expires.toISOString() } : {}),
    keyid,
    artifacts: Object.fromEntries(Object.entries(record.artifacts).map(([name, a]) => [name, a.path])),
  };
  return statement(subject, SIGNOFF_PREDICATE, predicate);
}

/** Signs the record and writes it as a new file (never replacing one) under ATTESTATIONS_DIR. */
export function writeSignedSignoff(
  root: string,
  record: SignoffToSign,
  privateKey: KeyObject,
): WrittenSignoff {
  const keyid = keyId(privateKey);
  const payload = Buffer.from(JSON.stringify(signoffStatement(record, keyid)), 'utf8');
  const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, privateKey);
  const dir = join(root, ATTESTATIONS_DIR);
  // mkdir here (not before the key was read): a failed signing leaves nothing behind.
  mkdirSync(dir, { recursive: true });
  const stamp = record.at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const base = `${record.itemId}.${record.action}.${stamp}.${keyid.slice(0, 8)}`;
  const text = `${JSON.stringify(envelope, null, 2)}\n`;
  for (let n = 1; ; n++) {
    const name = `${base}${n === 1 ? '' : `-${n}`}.json`;
    const file = join(dir, name);
    try {
      writeFileSync(file, text, { flag: 'wx' });
      return { file, relativeFile: `${ATTESTATIONS_DIR}/${name}`, keyid, envelope };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n > 100) throw error;
    }
  }
}

/** What the store writes into .mlgate/.gitignore (src/store/db.ts): it hides attestations too. */
const STORE_GITIGNORE_BEFORE = '# mlgate store: local run history and sign-offs\n*\n';
/** Everything in .mlgate/ stays local except the signed sign-offs, which are committed. */
export const STORE_GITIGNORE = [
  '# mlgate store: local run history and sign-offs (not committed);',
  '# signed sign-offs under attestations/ are committed with the project.',
  '/*',
  '!/attestations/',
  '',
].join('\n');

/**
 * Makes .mlgate/attestations/ committable where mlgate's own .gitignore in .mlgate/ (a bare
 * `*`) would hide it. A .gitignore someone edited is left alone; returns whether it changed.
 */
export function letAttestationsBeCommitted(root: string): boolean {
  const file = join(root, '.mlgate', '.gitignore');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  if (text !== STORE_GITIGNORE_BEFORE) return false;
  writeFileSync(file, STORE_GITIGNORE);
  return true;
}

/** A record read from ATTESTATIONS_DIR: one that counts, or one that does not and why. */
export interface SignedRecord {
  /** Relative to the project root. */
  file: string;
  /**
   * The item it is for. For a record that does not verify this is what it claims (or what its
   * file name suggests): used only to show the failure on that item, never to approve it.
   */
  itemId: string | undefined;
  role: string | undefined;
  action: SignedAction | undefined;
  /** The id of the key that signed it (verified), or the id the envelope claims (hint). */
  keyid: string | undefined;
  /** The spec's file for that key, when it lists it. */
  keyPath: string | undefined;
  verified: boolean;
  /** A DSSE envelope with at least one signature (verified or not). */
  envelope: boolean;
  /** sha256 of the file's bytes (a verdict lists the records it used by it); absent when unreadable. */
  sha256?: string;
  /** Why it does not count (only when not verified). */
  problem?: string;
  /** The verified content (only when verified). */
  signoff?: {
    at: string;
    by: string;
    comment?: string;
    evidence?: { ref: string; sha256?: string };
    expiresAt?: string;
    definitionDigest: string;
    artifacts: BoundArtifacts;
  };
}

/**
 * Every record under ATTESTATIONS_DIR, judged against the spec's signers. Records for roles
 * the spec lists no signers for are returned unverified ("not listed"): those roles are
 * decided by the local store. `itemIds` attributes unreadable files by their names.
 */
export function readSignedRecords(
  root: string,
  signers: Signers,
  itemIds: readonly string[],
  /** The roles each manual item needs: a waiver of one needs a key listed for one of them. */
  itemRoles: ReadonlyMap<string, readonly string[]> = new Map(),
): SignedRecord[] {
  const dir = join(root, ATTESTATIONS_DIR);
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  names.sort();
  const records: SignedRecord[] = [];
  for (const name of names) {
    const file = `${ATTESTATIONS_DIR}/${name}`;
    const record = judgeRecordFile(join(dir, name), file, name, signers, itemIds);
    records.push(waiverSignedForItsRoles(record, signers, itemRoles));
  }
  return records;
}

function judgeRecordFile(
  absolute: string,
  file: string,
  name: string,
  signers: Signers,
  itemIds: readonly string[],
): SignedRecord {
  // Which item a file names, for a file that cannot say so itself (longest id first: ids may hold dots).
  const byName = [...itemIds].sort((a, b) => b.length - a.length).find((id) => name.startsWith(`${id}.`));
  const failed = (problem: string, claimed: Partial<SignedRecord> = {}): SignedRecord => ({
    file,
    itemId: claimed.itemId ?? byName,
    role: claimed.role,
    action: claimed.action,
    keyid: claimed.keyid,
    keyPath: claimed.keyPath,
    verified: false,
    envelope: claimed.envelope ?? false,
    ...(sha256 ? { sha256 } : {}),
    problem,
  });
  let text: string;
  let sha256: string | undefined;
  try {
    const info = statSync(absolute);
    if (!info.isFile()) return failed(`${file} is not a file`);
    if (info.size > MAX_RECORD_BYTES) return failed(`${file} is too large to be a signed sign-off`);
    const bytes = readFileSync(absolute);
    sha256 = createHash('sha256').update(bytes).digest('hex');
    text = bytes.toString('utf8');
  } catch (error) {
    return failed(`${file} cannot be read: ${(error as Error).message}`);
  }
  let envelope: Envelope;
  try {
    envelope = parseEnvelope(JSON.parse(text));
  } catch (error) {
    const why = error instanceof EnvelopeError ? error.message : 'it is not JSON';
    return failed(`${file} is not a DSSE envelope (${why})`);
  }
  // What the record claims, before anything is verified: only to show a failure where it belongs.
  const claimed = claimsOf(envelope);
  const hinted = envelope.signatures.find((s) => typeof s.keyid === 'string' && s.keyid !== '')?.keyid;
  const claim: Partial<SignedRecord> = { ...claimed, keyid: claimed.keyid ?? hinted, envelope: true };
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return failed(
      `${file} has payloadType ${JSON.stringify(envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`,
      claim,
    );
  }
  const everyKey = allSignerKeys(signers);
  const role = claimed.role;
  const roleSigners = role === undefined ? undefined : signers.get(role);
  if (role !== undefined && !roleSigners) {
    return failed(
      `${file}: the spec lists no signers for ${role} (that role is decided by the local store)`,
      claim,
    );
  }
  // Approvals and revocations of a role verify with that role's keys; waivers (no role) with any listed key.
  const allowed = roleSigners ? roleSigners.keys : everyKey;
  let verifiedIds: string[];
  let payload: Buffer;
  try {
    ({ payload, keyids: verifiedIds } = verifyEnvelope(
      envelope,
      allowed.map((k) => k.key),
    ));
  } catch {
    return failed(whyNotVerified(file, envelope, allowed, everyKey, role), {
      ...claim,
      keyPath: everyKey.find((k) => k.keyid === claim.keyid)?.path,
    });
  }
  let predicate: SignoffPredicate;
  try {
    const parsed = parseStatement(payload);
    if (parsed.predicateType !== SIGNOFF_PREDICATE) {
      return failed(
        `${file} is signed, but its predicateType is ${JSON.stringify(parsed.predicateType)}, not ${SIGNOFF_PREDICATE}`,
        claim,
      );
    }
    const result = SignoffPredicate.safeParse(parsed.predicate);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      return failed(
        `${file} is signed, but its sign-off is malformed (${issue.path.join('.') || 'predicate'}: ${issue.message})`,
        claim,
      );
    }
    predicate = result.data;
    // The subjects are the binding; the predicate only names them.
    const artifacts: BoundArtifacts = {};
    const named = new Set<string>();
    for (const [artifact, path] of Object.entries(predicate.artifacts)) {
      const subject = parsed.subject.find((s) => s.name === path);
      artifacts[artifact] = { path, sha256: subject?.digest.sha256 ?? null };
      named.add(path);
    }
    for (const subject of parsed.subject)
      if (!named.has(subject.name))
        artifacts[subject.name] = { path: subject.name, sha256: subject.digest.sha256 };
    const keyid = predicate.keyid;
    if (!verifiedIds.includes(keyid)) {
      return failed(
        `${file} names key ${keyid.slice(0, 8)} in its sign-off, but is signed by ${verifiedIds.map((k) => k.slice(0, 8)).join(', ')}`,
        claim,
      );
    }
    if ((predicate.role ?? undefined) !== role) {
      // Cannot happen for a well-formed payload (the claim is read from the same bytes).
      return failed(`${file}: its role does not match what it claims`, claim);
    }
    if (predicate.action === 'approve' && role === undefined)
      return failed(`${file} is an approval without a role`, claim);
    if ((predicate.action === 'waive' || predicate.action === 'unwaive') && role !== undefined)
      return failed(`${file} is a ${predicate.action} with a role: waivers are not given per role`, claim);
    // A waiver that never ends is an exception nobody reviews again: refused, as the CLI does.
    if (predicate.action === 'waive' && !predicate.expires)
      return failed(`${file} is a waiver without an end date: waivers must expire`, claim);
    return {
      file,
      itemId: predicate.item.id,
      role,
      action: predicate.action,
      keyid,
      keyPath: allowed.find((k) => k.keyid === keyid)?.path,
      verified: true,
      envelope: true,
      ...(sha256 ? { sha256 } : {}),
      signoff: {
        at: predicate.at,
        by: predicate.by,
        ...(predicate.comment !== undefined ? { comment: predicate.comment } : {}),
        ...(predicate.evidence !== undefined ? { evidence: predicate.evidence } : {}),
        ...(predicate.expires !== undefined ? { expiresAt: predicate.expires } : {}),
        definitionDigest: predicate.item.definitionDigest,
        artifacts,
      },
    };
  } catch (error) {
    return failed(`${file} is signed, but ${(error as Error).message.replace(/^the /, 'its ')}`, claim);
  }
}

/** The record's own claims (item, role, action, key), read without trusting them. */
function claimsOf(envelope: Envelope): Partial<SignedRecord> {
  try {
    const value = JSON.parse(decodeBase64(envelope.payload, 'payload').toString('utf8')) as {
      predicate?: { item?: { id?: unknown }; role?: unknown; action?: unknown; keyid?: unknown };
    };
    const p = value?.predicate;
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const action = str(p?.action);
    return {
      itemId: str(p?.item?.id),
      role: str(p?.role),
      action: ['approve', 'revoke', 'waive', 'unwaive'].includes(action ?? '')
        ? (action as SignedAction)
        : undefined,
      keyid: str(p?.keyid),
    };
  } catch {
    return {};
  }
}

/** Why no signature verified: changed bytes, a key listed for another role, or an unknown key. */
function whyNotVerified(
  file: string,
  envelope: Envelope,
  allowed: SignerKey[],
  everyKey: SignerKey[],
  role: string | undefined,
): string {
  const forWhat = role === undefined ? 'in the spec' : `for ${role}`;
  const listed = allowed.map((k) => k.path).join(', ') || 'none';
  const other = everyKey.filter((k) => !allowed.includes(k));
  try {
    const { keyids } = verifyEnvelope(
      envelope,
      other.map((k) => k.key),
    );
    const key = other.find((k) => keyids.includes(k.keyid))!;
    return `${file} is signed by ${key.path} (key ${key.keyid.slice(0, 8)}), which the spec does not list ${forWhat} (listed: ${listed})`;
  } catch {
    // not a key listed for another role either
  }
  const hints = envelope.signatures
    .map((s) => s.keyid)
    .filter((k): k is string => typeof k === 'string' && k !== '');
  const known = everyKey.find((k) => hints.includes(k.keyid));
  if (known) {
    return `${file}: the signature does not verify with ${known.path} (key ${known.keyid.slice(0, 8)}): the record was changed after it was signed, or was not signed by that key`;
  }
  const hint = hints[0] ? ` (key ${hints[0].slice(0, 8)})` : '';
  return `${file} is signed by a key the spec does not list${hint} ${forWhat === 'in the spec' ? '' : `${forWhat} `}(listed: ${listed})`.replace(
    '  ',
    ' ',
  );
}
