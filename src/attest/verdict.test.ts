/**
 * The verdict attestation: what the statement says about a run (subjects, the VSA fields, the
 * per-item results), and what deploy-time verification accepts. Real keys, real signatures;
 * the clock is a parameter, never waited on.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { fixtureReport } from '../testing/report-fixture.js';
import { type ItemResult, RunReport } from '../domain/run-report.js';
import { type Envelope, IN_TOTO_PAYLOAD_TYPE, signEnvelope } from './dsse.js';
import { SIGNOFF_PREDICATE, statement, VSA_PREDICATE } from './statement.js';
import {
  buildVerdict,
  levelFor,
  parseSubjectRef,
  resourceUriFor,
  signoffAttestationsUsed,
  signVerdict,
  VERIFIER_ID,
  verifyVerdict,
} from './verdict.js';

const hex = (c: string) => c.repeat(64);
const MODEL = hex('a');
const SPEC = hex('5');
const pair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

function item(partial: Partial<ItemResult> & Pick<ItemResult, 'id' | 'status'>): ItemResult {
  return {
    sectionPath: ['S'],
    title: partial.id,
    severity: 'required',
    kind: 'file',
    applicable: true,
    summary: partial.id,
    measured: {},
    threshold: {},
    evidence: [],
    needs: [],
    definitionDigest: hex('d'),
    durationMs: 1,
    ...partial,
  };
}

function report(overrides: Partial<RunReport> = {}): RunReport {
  return RunReport.parse({
    schemaVersion: 1,
    runId: 7,
    tool: { name: 'mlgate', version: '0.1.0' },
    project: { name: 'digits', model: { name: 'digits-mlp', version: '1.0.0' } },
    spec: { path: 'examples/digits/mlgate.yaml', sha256: SPEC },
    root: '/tmp/digits',
    profile: 'prod',
    selection: null,
    startedAt: '2026-11-30T10:00:00.000Z',
    finishedAt: '2026-11-30T10:01:00.000Z',
    durationMs: 60_000,
    complete: true,
    verdict: { status: 'PASS', warnings: 1, waived: 1, blocking: [], warningReasons: [] },
    counts: { total: 5, pass: 2, fail: 1, error: 0, skip: 1, pending: 0, waived: 1, notApplicable: 1 },
    sections: [],
    artifacts: [
      { name: 'model', path: './model/model.onnx', required: true, sha256: MODEL, size: 10 },
      { name: 'card', path: 'docs/CARD.md', required: false, sha256: null, size: null, error: 'not found' },
    ],
    items: [
      item({
        id: 'model-file',
        status: 'pass',
        evidence: [
          { type: 'file', path: 'model/model.onnx', sha256: MODEL },
          { type: 'file', path: 'data/test.csv', sha256: hex('b') },
          { type: 'file', path: 'short.txt', sha256: 'abc' },
        ],
      }),
      item({ id: 'accuracy', status: 'pass' }),
      item({ id: 'docs', status: 'fail', severity: 'recommended' }),
      item({ id: 'latency', status: 'waived' }),
      item({ id: 'gpu', status: 'skip', applicable: false }),
    ],
    ...overrides,
  });
}

const verdictOf = (r: RunReport, inputAttestations = []) =>
  buildVerdict({ report: r, specName: 'mlgate.yaml', toolVersion: '0.1.0', inputAttestations });

const NOW = new Date('2026-11-30T12:00:00.000Z');
const request = (extra: Partial<Parameters<typeof verifyVerdict>[2]> = {}) => ({
  artifactName: 'model/model.onnx',
  artifactSha256: MODEL,
  now: NOW,
  ...extra,
});

describe('the verdict statement', () => {
  test('a passing run: PASSED at MLGATE_PROD, subjects are the artifacts, the spec and the files read', () => {
    const verdict = verdictOf(report());
    expect(verdict._type).toBe('https://in-toto.io/Statement/v1');
    expect(verdict.predicateType).toBe(VSA_PREDICATE);
    expect(verdict.subject).toEqual([
      { name: 'model/model.onnx', digest: { sha256: MODEL } },
      { name: 'mlgate.yaml', digest: { sha256: SPEC } },
      { name: 'data/test.csv', digest: { sha256: hex('b') } },
    ]);
    const p = verdict.predicate;
    expect(p.verifier).toEqual({ id: VERIFIER_ID, version: { mlgate: '0.1.0' } });
    expect(p.timeVerified).toBe('2026-11-30T10:01:00.000Z');
    expect(p.resourceUri).toBe('mlgate:digits/digits-mlp@1.0.0');
    expect(p.policy).toEqual({ uri: 'mlgate.yaml', digest: { sha256: SPEC } });
    expect(p.inputAttestations).toEqual([]);
    expect(p.verificationResult).toBe('PASSED');
    expect(p.verifiedLevels).toEqual(['MLGATE_PROD']);
    expect(p.mlgate).toMatchObject({
      profile: 'prod',
      verdict: 'PASS',
      runId: 7,
      result: 'WARNED',
      passedTests: ['model-file', 'accuracy'],
      warnedTests: ['docs', 'latency'],
      failedTests: [],
      skippedTests: ['gpu'],
      reasons: [],
    });
  });

  test('a blocked run: FAILED, no level, the blocking items failed with their reasons', () => {
    const blocked = fixtureReport();
    const verdict = verdictOf(blocked);
    expect(verdict.predicate.verificationResult).toBe('FAILED');
    expect(verdict.predicate.verifiedLevels).toEqual([]);
    expect(verdict.predicate.mlgate.result).toBe('FAILED');
    const blockingIds = blocked.verdict.blocking.flatMap((r) => (r.itemId ? [r.itemId] : []));
    expect(verdict.predicate.mlgate.failedTests).toEqual(
      blocked.items.filter((i) => blockingIds.includes(i.id)).map((i) => i.id),
    );
    expect(verdict.predicate.mlgate.reasons.length).toBeGreaterThanOrEqual(blocked.verdict.blocking.length);
  });

  test('an interrupted run or a run of part of the spec never vouches for the policy', () => {
    const interrupted = verdictOf(report({ complete: false }));
    expect(interrupted.predicate.verificationResult).toBe('FAILED');
    expect(interrupted.predicate.mlgate.reasons.join()).toContain('interrupted');
    const partial = verdictOf(report({ selection: { only: ['model-file'], addedForNeeds: [] } }));
    expect(partial.predicate.verificationResult).toBe('FAILED');
    expect(partial.predicate.verifiedLevels).toEqual([]);
    expect(partial.predicate.mlgate.reasons.join()).toContain('--only model-file');
  });

  test('--attest-subject: an image digest becomes a subject; anything else is refused', () => {
    const image = parseSubjectRef(`ghcr.io/acme/digits@sha256:${hex('c')}`);
    expect(image).toEqual({ name: 'ghcr.io/acme/digits', digest: { sha256: hex('c') } });
    const verdict = buildVerdict({
      report: report(),
      specName: 'mlgate.yaml',
      toolVersion: '0',
      extraSubjects: [image],
    });
    expect(verdict.subject[1]).toEqual(image);
    for (const bad of [
      'ghcr.io/acme/digits:1.0',
      `@sha256:${hex('c')}`,
      `x@sha256:${hex('C')}`,
      'x@sha256:abc',
    ])
      expect(() => parseSubjectRef(bad)).toThrow('is not NAME@sha256:DIGEST');
  });

  test('levels and resource URIs', () => {
    expect(levelFor('prod')).toBe('MLGATE_PROD');
    expect(levelFor('pre-prod.eu')).toBe('MLGATE_PRE_PROD_EU');
    expect(levelFor(null)).toBe('MLGATE');
    expect(resourceUriFor({ name: 'a b' })).toBe('mlgate:a%20b');
  });

  test('sign-off attestations used: current approvals and applied waivers that name their file', async () => {
    const r = report();
    const approval = {
      role: 'security',
      by: 'Jane',
      at: '2026-11-29T00:00:00Z',
      definitionDigest: hex('d'),
      artifacts: {},
    };
    r.items[0]!.approvals = [
      {
        ...approval,
        state: 'current',
        attestation: { path: '.mlgate/attestations/a.json', sha256: hex('c') },
      },
      {
        ...approval,
        state: 'stale',
        attestation: { path: '.mlgate/attestations/old.json', sha256: hex('e') },
      },
      { ...approval, state: 'current' },
    ] as never;
    r.items[3]!.waiver = {
      by: 'Bob',
      at: '2026-11-29T00:00:00Z',
      reason: 'r',
      expires: '2027-01-01',
      state: 'applied',
      definitionDigest: hex('d'),
      artifacts: {},
      attestation: '.mlgate/attestations/w.json',
    } as never;
    const used = await signoffAttestationsUsed(r, async (path) => {
      expect(path).toBe('.mlgate/attestations/w.json');
      return hex('f');
    });
    expect(used).toEqual([
      { uri: '.mlgate/attestations/a.json', digest: { sha256: hex('c') } },
      { uri: '.mlgate/attestations/w.json', digest: { sha256: hex('f') } },
    ]);
  });
});

describe('verifying a verdict', () => {
  const { privateKey, publicKey } = pair();
  const passed = signVerdict(verdictOf(report()), privateKey);

  test('the artifact that passed, at its level, recent enough: verified', () => {
    const result = verifyVerdict(
      passed,
      [publicKey],
      request({ level: 'MLGATE_PROD', maxAgeMs: 86_400_000 }),
    );
    expect(result.reasons).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.keyids).toHaveLength(1);
  });

  test('another file: not a subject, and the namesake digest is shown', () => {
    const result = verifyVerdict(passed, [publicKey], request({ artifactSha256: hex('9') }));
    expect(result.ok).toBe(false);
    expect(result.reasons).toEqual([
      `model/model.onnx (sha256 ${'9'.repeat(12)}…) is not a subject of this attestation: it is not the file that passed (the attestation's model/model.onnx has sha256 ${'a'.repeat(12)}…)`,
    ]);
  });

  test('a key it was not signed with: the signature does not verify, nothing else is read', () => {
    const result = verifyVerdict(passed, [pair().publicKey], request());
    expect(result.ok).toBe(false);
    expect(result.statement).toBeUndefined();
    expect(result.reasons[0]).toContain('the signature does not verify with the given key');
  });

  test('a flipped byte in the payload or the signature fails', () => {
    const payload = Buffer.from(passed.payload, 'base64');
    const at = payload.indexOf('PASSED') + 1;
    payload[at] = payload[at]! ^ 1;
    const tampered: Envelope = { ...passed, payload: payload.toString('base64') };
    expect(verifyVerdict(tampered, [publicKey], request()).ok).toBe(false);
    const sig = Buffer.from(passed.signatures[0]!.sig, 'base64');
    sig[sig.length - 3] = sig[sig.length - 3]! ^ 1;
    const badSig: Envelope = {
      ...passed,
      signatures: [{ ...passed.signatures[0]!, sig: sig.toString('base64') }],
    };
    expect(verifyVerdict(badSig, [publicKey], request()).ok).toBe(false);
  });

  test('another level, an old verdict, a verdict from the future', () => {
    expect(verifyVerdict(passed, [publicKey], request({ level: 'MLGATE_STAGING' })).reasons).toEqual([
      'level MLGATE_STAGING was not verified (verified: MLGATE_PROD)',
    ]);
    const old = verifyVerdict(passed, [publicKey], request({ maxAgeMs: 3_600_000, maxAgeText: '1h' }));
    expect(old.ok).toBe(false);
    expect(old.reasons[0]).toContain('longer ago than --max-age 1h');
    const future = verifyVerdict(
      passed,
      [publicKey],
      request({ maxAgeMs: 3_600_000, now: new Date('2026-11-30T09:00:00Z') }),
    );
    expect(future.reasons[0]).toContain('is in the future');
  });

  test('a FAILED verdict over the very same file does not verify', () => {
    const failed = signVerdict(verdictOf(report({ complete: false })), privateKey);
    const result = verifyVerdict(failed, [publicKey], request());
    expect(result.ok).toBe(false);
    expect(result.reasons).toEqual(['the verdict it records is FAILED']);
  });

  test('signed, but not a verification summary, or malformed: rejected', () => {
    const signoff = signEnvelope(
      IN_TOTO_PAYLOAD_TYPE,
      Buffer.from(
        JSON.stringify(statement([{ name: 'm', digest: { sha256: MODEL } }], SIGNOFF_PREDICATE, {})),
      ),
      privateKey,
    );
    expect(verifyVerdict(signoff, [publicKey], request()).reasons[0]).toContain(
      'the attestation is not a verification summary',
    );
    const malformed = signEnvelope(
      IN_TOTO_PAYLOAD_TYPE,
      Buffer.from(
        JSON.stringify(
          statement([{ name: 'm', digest: { sha256: MODEL } }], VSA_PREDICATE, {
            verificationResult: 'PASSED',
            verifiedLevels: 'MLGATE_PROD',
            timeVerified: 'yesterday',
          }),
        ),
      ),
      privateKey,
    );
    const result = verifyVerdict(malformed, [publicKey], request());
    expect(result.ok).toBe(false);
    expect(result.reasons).toEqual([
      'the verification summary is malformed: verifiedLevels is not a list of levels',
      'the verification summary is malformed: timeVerified is "yesterday", not a time',
    ]);
    const otherType = signEnvelope('text/plain', Buffer.from('hi'), privateKey);
    expect(verifyVerdict(otherType, [publicKey], request()).reasons[0]).toContain('not an in-toto statement');
  });
});

describe('verify names the file (found by an attacker pass)', () => {
  test('bytes of another subject under the model name are not the model that passed', () => {
    const { privateKey, publicKey } = pair();
    const envelope = signVerdict(verdictOf(report()), privateKey);
    const result = verifyVerdict(envelope, [publicKey], request({ artifactSha256: hex('b') }));
    expect(result.ok).toBe(false);
    expect(result.reasons.join('\n')).toMatch(/its bytes are those of data\/test\.csv, another subject/);
    const named = verifyVerdict(
      envelope,
      [publicKey],
      request({ artifactName: '/tmp/ship/x.csv', artifactSha256: hex('b'), subjectName: 'data/test.csv' }),
    );
    expect(named.ok).toBe(true);
    expect(verifyVerdict(envelope, [publicKey], request()).ok).toBe(true);
  });
});
