/**
 * The verdict as an attestation: a DSSE-signed in-toto Statement v1 whose subjects are every
 * gated file (the artifacts, the spec, the files the checks read and digested) and whose
 * predicate is the SLSA Verification Summary v1 shape (slsa.dev/spec/v1.0/verification_summary),
 * with the per-item results in the in-toto Test Result shape (passedTests / warnedTests /
 * failedTests) under `mlgate`. Deploy time verifies it: the file that ships must be a subject
 * of a PASSED summary at the level asked, signed by a key the deployer trusts.
 */
import type { KeyObject } from 'node:crypto';
import type { RunReport } from '../domain/run-report.js';
import { formatDuration } from '../util/units.js';
import { type Envelope, IN_TOTO_PAYLOAD_TYPE, signEnvelope, verifyEnvelope } from './dsse.js';
import { parseStatement, type Statement, type Subject, statement, VSA_PREDICATE } from './statement.js';

/** Who verified: mlgate itself (its version is in `verifier.version.mlgate`). */
export const VERIFIER_ID = 'https://mlgate.dev/mlgate';

export interface ResourceDescriptor {
  uri: string;
  digest: { sha256: string };
}

export interface VerdictPredicate {
  verifier: { id: string; version: Record<string, string> };
  timeVerified: string;
  resourceUri: string;
  policy: ResourceDescriptor;
  /** The signed sign-off records the verdict relied on. */
  inputAttestations: ResourceDescriptor[];
  verificationResult: 'PASSED' | 'FAILED';
  /** `MLGATE_<PROFILE>` when PASSED; empty when FAILED. */
  verifiedLevels: string[];
  mlgate: {
    project: RunReport['project'];
    profile: string | null;
    verdict: 'PASS' | 'BLOCKED';
    complete: boolean;
    selection: RunReport['selection'];
    runId?: number;
    /** The in-toto Test Result predicate's fields, over the spec's items. */
    result: 'PASSED' | 'WARNED' | 'FAILED';
    passedTests: string[];
    warnedTests: string[];
    failedTests: string[];
    /** Items that did not apply to the profile, or were not run. */
    skippedTests: string[];
    /** Why the result is FAILED, one line each. */
    reasons: string[];
  };
}

const SHA256 = /^[0-9a-f]{64}$/;

/** `MLGATE_PROD` for profile `prod`; `MLGATE` when no profile was selected. */
export function levelFor(profile: string | null): string {
  if (!profile) return 'MLGATE';
  return `MLGATE_${profile.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

/** A URI naming the project and its model, e.g. `mlgate:digits-classifier/digits-mlp@1.0.0`. */
export function resourceUriFor(project: RunReport['project']): string {
  const model = project.model
    ? `/${encodeURIComponent(project.model.name)}${project.model.version ? `@${encodeURIComponent(project.model.version)}` : ''}`
    : '';
  return `mlgate:${encodeURIComponent(project.name)}${model}`;
}

const cleanPath = (path: string) => path.replace(/\\/g, '/').replace(/^(\.\/)+/, '');

/**
 * Every gated file with its digest: the declared artifacts that were found, the spec, and the
 * files the checks read and recorded a digest for. Deduplicated by name and digest; a file
 * not found has no digest and is no subject (a required one blocks the verdict anyway).
 */
export function verdictSubjects(report: RunReport, specName: string, extra: Subject[] = []): Subject[] {
  const seen = new Set<string>();
  const subjects: Subject[] = [];
  const add = (name: string, sha256: string | null | undefined) => {
    if (!sha256 || !SHA256.test(sha256)) return;
    const key = `${name}\0${sha256}`;
    if (seen.has(key)) return;
    seen.add(key);
    subjects.push({ name, digest: { sha256 } });
  };
  for (const artifact of report.artifacts) add(cleanPath(artifact.path), artifact.sha256);
  for (const subject of extra) add(subject.name, subject.digest.sha256);
  add(cleanPath(specName), report.spec.sha256);
  const read: Array<[string, string]> = [];
  for (const item of report.items)
    for (const evidence of item.evidence)
      if (evidence.type === 'file' && evidence.sha256) read.push([cleanPath(evidence.path), evidence.sha256]);
  read.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, sha256] of read) add(name, sha256);
  return subjects;
}

export interface VerdictInput {
  report: RunReport;
  /** The spec's path relative to the project root (the policy's uri and a subject's name). */
  specName: string;
  toolVersion: string;
  /** The signed sign-off records used (path relative to the project root, file digest). */
  inputAttestations?: ResourceDescriptor[];
  /** More subjects (--attest-subject), e.g. the container image built from the artifacts. */
  extraSubjects?: Subject[];
}

/**
 * `NAME@sha256:HEX` (e.g. `ghcr.io/acme/digits@sha256:…`, an image's manifest digest) as a
 * subject: admission controllers (cosign, Kyverno, policy-controller) match the image's digest
 * against the subjects of an attestation attached to it.
 */
export function parseSubjectRef(text: string): Subject {
  const at = text.lastIndexOf('@sha256:');
  const name = at > 0 ? text.slice(0, at) : '';
  const sha256 = at > 0 ? text.slice(at + '@sha256:'.length) : '';
  if (!name || !SHA256.test(sha256))
    throw new Error(
      `"${text}" is not NAME@sha256:DIGEST (64 lowercase hex digits), e.g. ghcr.io/acme/model@sha256:${'0'.repeat(64)}`,
    );
  return { name, digest: { sha256 } };
}

/** The in-toto Statement of a run's verdict. */
export function buildVerdict(input: VerdictInput): Statement<VerdictPredicate> {
  const { report } = input;
  const blockingIds = new Set(report.verdict.blocking.map((r) => r.itemId).filter((id) => id !== null));
  const passedTests: string[] = [];
  const warnedTests: string[] = [];
  const failedTests: string[] = [];
  const skippedTests: string[] = [];
  for (const item of report.items) {
    if (blockingIds.has(item.id)) failedTests.push(item.id);
    else if (item.status === 'pass') passedTests.push(item.id);
    else if (!item.applicable || item.status === 'skip') skippedTests.push(item.id);
    // Waived, or not passing at a severity that does not block: a warning.
    else warnedTests.push(item.id);
  }
  const reasons: string[] = [];
  if (report.verdict.status !== 'PASS')
    for (const reason of report.verdict.blocking)
      reasons.push(reason.itemId ? `${reason.itemId}: ${reason.message}` : reason.message);
  if (report.verdict.status !== 'PASS' && reasons.length === 0) reasons.push('the verdict is BLOCKED');
  if (!report.complete) reasons.push('the run was interrupted: not every item was checked');
  // A run of part of the spec (--only) never vouches for the whole policy.
  if (report.selection)
    reasons.push(`only part of the spec was run (--only ${report.selection.only.join(',')})`);
  const passed = report.verdict.status === 'PASS' && report.complete && !report.selection;
  const predicate: VerdictPredicate = {
    verifier: { id: VERIFIER_ID, version: { mlgate: input.toolVersion } },
    timeVerified: report.finishedAt,
    resourceUri: resourceUriFor(report.project),
    policy: { uri: cleanPath(input.specName), digest: { sha256: report.spec.sha256 } },
    inputAttestations: input.inputAttestations ?? [],
    verificationResult: passed ? 'PASSED' : 'FAILED',
    verifiedLevels: passed ? [levelFor(report.profile)] : [],
    mlgate: {
      project: report.project,
      profile: report.profile,
      verdict: report.verdict.status,
      complete: report.complete,
      selection: report.selection,
      ...(report.runId === undefined ? {} : { runId: report.runId }),
      result: failedTests.length > 0 || !passed ? 'FAILED' : warnedTests.length > 0 ? 'WARNED' : 'PASSED',
      passedTests,
      warnedTests,
      failedTests,
      skippedTests,
      reasons,
    },
  };
  return statement(verdictSubjects(report, input.specName, input.extraSubjects), VSA_PREDICATE, predicate);
}

/** The statement signed into a DSSE envelope. */
export function signVerdict(verdict: Statement<VerdictPredicate>, privateKey: KeyObject): Envelope {
  return signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(verdict), 'utf8'), privateKey);
}

export interface VerifyRequest {
  /** How the artifact is shown in reasons. */
  artifactName: string;
  artifactSha256: string;
  /**
   * The subject the artifact must be (e.g. model/model.onnx). Without it, a subject with the
   * artifact's file name: bytes equal to another subject (a rejected baseline model, an empty
   * notes file) are not "the file that passed".
   */
  subjectName?: string;
  /** Required level, e.g. MLGATE_PROD. */
  level?: string;
  /** timeVerified must be younger than this. */
  maxAgeMs?: number;
  /** How --max-age was written, for the reason. */
  maxAgeText?: string;
  now: Date;
}

export interface VerifyResult {
  ok: boolean;
  /** Why not, one sentence each (empty when ok). */
  reasons: string[];
  /** Ids of the given keys whose signature verified. */
  keyids: string[];
  /** The statement, only once its signature verified. */
  statement?: Statement;
  predicate?: Partial<VerdictPredicate>;
}

/** Clocks disagree a little: a timeVerified this far ahead is still believed. */
const CLOCK_SKEW_MS = 5 * 60_000;

const short = (sha256: string) => `${sha256.slice(0, 12)}…`;
const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/**
 * Whether the envelope vouches for the artifact: signed by one of the keys, an in-toto VSA,
 * the artifact's digest among its subjects, PASSED, at the level, recent enough. Nothing in
 * the payload is read before its signature verified. Every failed condition is a reason.
 */
export function verifyVerdict(
  envelope: Envelope,
  publicKeys: KeyObject[],
  request: VerifyRequest,
): VerifyResult {
  let payload: Buffer;
  let keyids: string[];
  try {
    ({ payload, keyids } = verifyEnvelope(envelope, publicKeys));
  } catch {
    const ids = envelope.signatures.map((s) => s.keyid).filter(Boolean);
    return {
      ok: false,
      keyids: [],
      reasons: [
        `the signature does not verify with the given key${publicKeys.length === 1 ? '' : 's'}: the attestation was signed by another key${ids.length ? ` (keyid ${ids.map((id) => short(id!)).join(', ')})` : ''}, or changed after it was signed`,
      ],
    };
  }
  const fail = (reasons: string[], extra: Partial<VerifyResult> = {}): VerifyResult => ({
    ok: false,
    keyids,
    reasons,
    ...extra,
  });
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    return fail([
      `the payload is not an in-toto statement (payloadType ${JSON.stringify(envelope.payloadType)})`,
    ]);
  let parsed: Statement;
  try {
    parsed = parseStatement(payload);
  } catch (error) {
    return fail([(error as Error).message]);
  }
  if (parsed.predicateType !== VSA_PREDICATE)
    return fail(
      [
        `the attestation is not a verification summary (predicateType ${parsed.predicateType}, expected ${VSA_PREDICATE})`,
      ],
      { statement: parsed },
    );
  const predicate = parsed.predicate as Partial<VerdictPredicate>;
  const malformed: string[] = [];
  if (predicate.verificationResult !== 'PASSED' && predicate.verificationResult !== 'FAILED')
    malformed.push(
      `verificationResult is ${JSON.stringify(predicate.verificationResult)}, not PASSED or FAILED`,
    );
  if (!Array.isArray(predicate.verifiedLevels) || predicate.verifiedLevels.some((l) => typeof l !== 'string'))
    malformed.push('verifiedLevels is not a list of levels');
  const verifiedAt = typeof predicate.timeVerified === 'string' ? Date.parse(predicate.timeVerified) : NaN;
  if (!Number.isFinite(verifiedAt))
    malformed.push(`timeVerified is ${JSON.stringify(predicate.timeVerified)}, not a time`);
  if (malformed.length > 0)
    return fail(
      malformed.map((m) => `the verification summary is malformed: ${m}`),
      { statement: parsed, predicate },
    );

  const reasons: string[] = [];
  const sha256 = request.artifactSha256.toLowerCase();
  const named = parsed.subject.filter((s) =>
    request.subjectName !== undefined
      ? s.name === request.subjectName
      : basename(s.name) === basename(request.artifactName),
  );
  if (request.subjectName !== undefined && named.length === 0)
    reasons.push(
      `the attestation has no subject named ${request.subjectName} (its subjects: ${parsed.subject
        .slice(0, 8)
        .map((s) => s.name)
        .join(', ')}${parsed.subject.length > 8 ? ', …' : ''})`,
    );
  else if (!named.some((s) => s.digest.sha256 === sha256)) {
    const other = parsed.subject.find((s) => s.digest.sha256 === sha256);
    const namesake = named[0];
    reasons.push(
      `${request.artifactName} (sha256 ${short(sha256)}) is not a subject of this attestation: it is not the file that ${predicate.verificationResult === 'PASSED' ? 'passed' : 'was checked'}` +
        (namesake
          ? ` (the attestation's ${namesake.name} has sha256 ${short(namesake.digest.sha256)})`
          : '') +
        (other
          ? `; its bytes are those of ${other.name}${request.subjectName === undefined ? ', another subject (give --subject NAME if that is the file you mean)' : ''}`
          : ''),
    );
  }
  if (predicate.verificationResult !== 'PASSED') {
    const failed = predicate.mlgate?.failedTests;
    reasons.push(
      `the verdict it records is FAILED${Array.isArray(failed) && failed.length ? ` (blocked by ${failed.slice(0, 5).join(', ')}${failed.length > 5 ? `, and ${failed.length - 5} more` : ''})` : ''}`,
    );
  } else if (request.level !== undefined && !predicate.verifiedLevels!.includes(request.level)) {
    reasons.push(
      `level ${request.level} was not verified (verified: ${predicate.verifiedLevels!.join(', ') || 'none'})`,
    );
  }
  if (request.maxAgeMs !== undefined) {
    const age = request.now.getTime() - verifiedAt;
    if (age > request.maxAgeMs)
      reasons.push(
        `it was verified ${formatDuration(age)} ago (${predicate.timeVerified}), longer ago than --max-age ${request.maxAgeText ?? formatDuration(request.maxAgeMs)}`,
      );
    else if (age < -CLOCK_SKEW_MS)
      reasons.push(
        `timeVerified ${predicate.timeVerified} is in the future: it cannot be trusted for --max-age`,
      );
  }
  return { ok: reasons.length === 0, reasons, keyids, statement: parsed, predicate };
}

/**
 * The signed sign-off records a run relied on: each current approval and applied waiver in
 * the report that names its attestation file (`attestation: {path, sha256}` or a path,
 * relative to the project root). Records without one (the SQLite store) are not attestations.
 * A path without a digest is digested here; a file that cannot be read is left out.
 */
export async function signoffAttestationsUsed(
  report: RunReport,
  digestFile: (path: string) => Promise<string>,
): Promise<ResourceDescriptor[]> {
  const found = new Map<string, ResourceDescriptor>();
  const consider = async (record: unknown) => {
    const ref = (record as { attestation?: unknown } | undefined)?.attestation;
    const path =
      typeof ref === 'string'
        ? ref
        : typeof (ref as { path?: unknown })?.path === 'string'
          ? (ref as { path: string }).path
          : undefined;
    if (!path) return;
    let sha256 = (ref as { sha256?: unknown }).sha256;
    if (typeof sha256 !== 'string' || !SHA256.test(sha256)) {
      try {
        sha256 = await digestFile(path);
      } catch {
        return;
      }
    }
    const uri = cleanPath(path);
    found.set(`${uri}\0${sha256}`, { uri, digest: { sha256: sha256 as string } });
  };
  for (const item of report.items) {
    for (const approval of item.approvals ?? []) if (approval.state === 'current') await consider(approval);
    if (item.waiver?.state === 'applied') await consider(item.waiver);
  }
  return [...found.values()].sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
}
