/**
 * Signed sign-offs on real keys and real files: what counts (a signature by a key the spec
 * lists for the role, bound to the current item and artifacts) and what never does (changed
 * bytes, unknown keys, keys of another role, malformed files, rows forged into the store).
 */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { bufferedIO } from '../testing/io.js';
import { describe, expect, test } from 'vitest';
import { checkCommand } from '../cli/commands/check.js';
import { keysGenerateCommand } from '../cli/commands/keys.js';
import { signoffCommand, type SignoffOptions } from '../cli/commands/signoff.js';
import { digestArtifacts } from '../engine/artifacts.js';
import { makePlan } from '../engine/plan.js';
import { loadBuiltinChecks } from '../engine/registry.js';
import { runPlan } from '../engine/run.js';
import { SpecError } from '../spec/errors.js';
import { loadSpec } from '../spec/load.js';
import { openStore } from '../store/db.js';
import { SignoffBook } from '../store/signoffs.js';
import { tempFiles } from '../testing/temp.js';
import { IN_TOTO_PAYLOAD_TYPE, keyId, parseEnvelope, signEnvelope, verifyEnvelope } from './dsse.js';
import { generateKey, loadPrivateKey, loadPublicKey } from './keys.js';
import {
  ATTESTATIONS_DIR,
  readSignedRecords,
  SignoffPredicate,
  signoffStatement,
  STORE_GITIGNORE,
} from './signoffs.js';
import { parseStatement, SIGNOFF_PREDICATE, statement, VSA_PREDICATE } from './statement.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const NOW = new Date('2026-11-25T12:00:00Z');

const SPEC = (signers: string) => `version: 1
project: { name: signed-test }
artifacts:
  model: model/model.onnx
profiles: { dev: {}, prod: {} }
default_profile: dev
${signers}
sections:
  - title: Checks
    items:
      - { id: model-file, title: Model file, check: { kind: file, path: model/model.onnx } }
      - { id: has-limits, title: Card has limits, check: { kind: log, path: card.md, contains: Limitations } }
  - title: Sign-off
    items:
      - id: lead-review
        title: Tech lead approves
        manual: { roles: [technical-lead] }
      - id: security-review
        title: Security approves
        manual: { roles: [security] }
      - id: product-review
        title: Product owner approves
        manual: { roles: [product-owner] }
`;

const SIGNERS = `signers:
  technical-lead: [keys/jane.pub, keys/lee.pub]
  security: { keys: [keys/sec.pub, keys/sec2.pub], threshold: 2 }`;

/** A project with committed public keys; the private keys live outside it, as on a laptop. */
function project(signers = SIGNERS, extra: Record<string, string> = {}) {
  const home = tempFiles({});
  const keys: Record<string, string> = {};
  for (const name of ['jane', 'lee', 'sec', 'sec2', 'stranger']) {
    keys[name] = generateKey(join(home, '.config/mlgate', name)).privatePath;
  }
  const dir = tempFiles({
    'mlgate.yaml': SPEC(signers),
    'model/model.onnx': 'weights v1\n',
    'card.md': '# Card\n## Limitations\nsmall data\n',
    ...extra,
  });
  mkdirSync(join(dir, 'keys'));
  for (const name of ['jane', 'lee', 'sec', 'sec2'])
    copyFileSync(`${keys[name]}.pub`, join(dir, 'keys', `${name}.pub`));
  const env = { HOME: home, MLGATE_USER: 'Jane Doe' };
  const signoff = async (
    action: 'approve' | 'revoke' | 'waive' | 'unwaive',
    item: string,
    options: SignoffOptions = {},
  ) => {
    const buffered = bufferedIO(dir, env);
    const code = await signoffCommand(action, item, dir, { now: () => NOW, ...options }, buffered.io);
    return { code, stdout: buffered.stdout(), stderr: buffered.stderr() };
  };
  return { dir, home, keys, env, signoff };
}

/** Decides every item as `mlgate check` does with SignoffBook.forSpec (store, if any, plus attestations). */
async function gate(dir: string, options: { profile?: string; store?: boolean } = {}) {
  const loaded = loadSpec(join(dir, 'mlgate.yaml'), await loadBuiltinChecks());
  const artifacts = await digestArtifacts(loaded);
  const store =
    options.store === false ? undefined : await openStore(join(dir, '.mlgate'), { create: false });
  try {
    const book = await SignoffBook.forSpec(store, loaded, artifacts, () => NOW);
    const plan = makePlan(loaded, { profile: options.profile });
    const outcome = await runPlan(loaded, plan, {
      concurrency: 2,
      artifacts,
      resolveManual: async (planned) => book.manual(planned.item),
      applyWaiver: (planned, result) => book.waive(planned.item, result),
      now: () => NOW,
    });
    const items = new Map(outcome.items.map((item) => [item.id, item]));
    const blocked = outcome.items.some(
      (item) => item.status !== 'pass' && item.status !== 'waived' && item.status !== 'skip',
    );
    return { items, verdict: blocked ? 'BLOCKED' : 'PASS', item: (id: string) => items.get(id)! };
  } finally {
    await store?.close();
  }
}

const attestationFiles = (dir: string) =>
  existsSync(join(dir, ATTESTATIONS_DIR)) ? readdirSync(join(dir, ATTESTATIONS_DIR)).sort() : [];

const table = (item: { evidence?: Array<{ type: string; title?: string }> }) =>
  item.evidence?.find((e) => e.type === 'table' && e.title === 'approvals') as
    { columns: string[]; rows: string[][] } | undefined;

describe('mlgate keys generate', () => {
  test('writes a P-256 pair, the private key 0600, and refuses to overwrite', async () => {
    const home = tempFiles({});
    const { io, stdout, stderr } = bufferedIO(home, { HOME: home });
    expect(await keysGenerateCommand({ out: '~/.config/mlgate/jane' }, io)).toBe(0);
    const path = join(home, '.config/mlgate/jane');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const key = loadPrivateKey(path);
    expect(keyId(loadPublicKey(`${path}.pub`))).toBe(keyId(key));
    expect(stdout()).toContain(`key ${keyId(key).slice(0, 8)}`);
    expect(stdout()).toContain('~/.config/mlgate/jane.pub');
    expect(stderr()).toBe('');

    const again = bufferedIO(home, { HOME: home });
    expect(await keysGenerateCommand({ out: '~/.config/mlgate/jane' }, again.io)).toBe(2);
    expect(again.stderr()).toContain('exists; nothing was written');
    expect(keyId(loadPrivateKey(path))).toBe(keyId(key));

    const pub = bufferedIO(home, { HOME: home });
    expect(await keysGenerateCommand({ out: 'x.pub' }, pub.io)).toBe(2);
    const none = bufferedIO(home, { HOME: home });
    expect(await keysGenerateCommand({}, none.io)).toBe(2);
    expect(none.stderr()).toContain('--out PATH');
  });
});

describe('spec: signers', () => {
  const load = async (dir: string) => loadSpec(join(dir, 'mlgate.yaml'), await loadBuiltinChecks());
  const problems = async (dir: string) => {
    try {
      await load(dir);
    } catch (error) {
      if (error instanceof SpecError) return error.problems.map((p) => p.message).join('\n');
      throw error;
    }
    return '';
  };

  test('a list is any one key; {keys, threshold} is k of n; keys are read and identified', async () => {
    const { dir, keys } = project();
    const loaded = await load(dir);
    expect([...loaded.signers.keys()]).toEqual(['technical-lead', 'security']);
    const lead = loaded.signers.get('technical-lead')!;
    expect(lead.threshold).toBe(1);
    expect(lead.keys.map((k) => k.path)).toEqual(['keys/jane.pub', 'keys/lee.pub']);
    expect(lead.keys[0]!.keyid).toBe(keyId(loadPrivateKey(keys.jane!)));
    expect(loaded.signers.get('security')!.threshold).toBe(2);
    expect(loaded.warnings).toEqual([]);
  });

  test('a spec without signers has none (the store decides every role)', async () => {
    const { dir } = project('');
    expect((await load(dir)).signers.size).toBe(0);
  });

  test('missing, outside, private, non-P-256, duplicate keys and unreachable thresholds are errors', async () => {
    const { dir, keys } = project(`signers:
  technical-lead: [keys/missing.pub, ../outside.pub, keys/private.pub, keys/rsa.pub]
  security: { keys: [keys/sec.pub, keys/sec-copy.pub], threshold: 2 }
  product-owner: { keys: [keys/jane.pub], threshold: 3 }`);
    copyFileSync(keys.jane!, join(dir, 'keys/private.pub'));
    copyFileSync(join(dir, 'keys/sec.pub'), join(dir, 'keys/sec-copy.pub'));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    writeFileSync(join(dir, 'keys/rsa.pub'), rsa);
    const text = await problems(dir);
    expect(text).toContain('public key keys/missing.pub does not exist');
    expect(text).toContain('path ../outside.pub resolves outside the project');
    expect(text).toContain('keys/private.pub holds a PRIVATE key');
    expect(text).toContain('keys/rsa.pub is not an ECDSA P-256 public key');
    expect(text).toContain('keys/sec-copy.pub is the same key as keys/sec.pub');
    expect(text).toContain('threshold 3 cannot be reached: product-owner lists 1 key');
  });

  test('shape errors: an empty list, a threshold of 0', async () => {
    const { dir } = project(`signers:
  technical-lead: []
  security: { keys: [keys/sec.pub], threshold: 0 }`);
    const text = await problems(dir);
    expect(text).toContain('needs at least 1 entry');
    expect(text).toContain('expected a whole number >= 1');
  });

  test('a role no manual item uses is a warning', async () => {
    const { dir } = project(`signers:
  technical-led: [keys/jane.pub]`);
    const loaded = await load(dir);
    expect(loaded.warnings.join('\n')).toContain('no manual item has the role "technical-led"');
    expect(loaded.warnings.join('\n')).toContain('technical-lead');
  });
});

describe('approve --key: a DSSE envelope holding an in-toto statement', () => {
  test('one pretty JSON file per record, bound to the artifacts and the item', async () => {
    const { dir, keys, signoff } = project();
    const result = await signoff('approve', 'lead-review', {
      role: 'technical-lead',
      key: '~/.config/mlgate/jane',
      comment: 'reviewed the card',
      evidence: 'card.md',
    });
    expect(result.code, result.stderr).toBe(0);
    const keyid = keyId(loadPrivateKey(keys.jane!));
    const files = attestationFiles(dir);
    expect(files).toEqual([`lead-review.approve.20261125T120000Z.${keyid.slice(0, 8)}.json`]);
    expect(result.stdout).toContain(`signed with key ${keyid.slice(0, 8)} (keys/jane.pub)`);
    expect(result.stdout).toContain('lead-review is now approved');

    const text = readFileSync(join(dir, ATTESTATIONS_DIR, files[0]!), 'utf8');
    expect(text).toMatch(/^\{\n {2}"payloadType"/);
    const envelope = parseEnvelope(JSON.parse(text));
    expect(envelope.payloadType).toBe(IN_TOTO_PAYLOAD_TYPE);
    expect(envelope.signatures).toEqual([{ keyid, sig: expect.any(String) }]);
    const { payload } = verifyEnvelope(envelope, [loadPublicKey(join(dir, 'keys/jane.pub'))]);
    const s = parseStatement(payload);
    expect(s.predicateType).toBe(SIGNOFF_PREDICATE);
    const model = (await digestArtifacts(loadSpec(join(dir, 'mlgate.yaml'), await loadBuiltinChecks())))[0]!;
    expect(s.subject).toEqual([{ name: 'model/model.onnx', digest: { sha256: model.sha256 } }]);
    const predicate = SignoffPredicate.parse(s.predicate);
    const loaded = loadSpec(join(dir, 'mlgate.yaml'), await loadBuiltinChecks());
    expect(predicate).toEqual({
      action: 'approve',
      item: {
        id: 'lead-review',
        definitionDigest: loaded.items.find((i) => i.id === 'lead-review')!.definitionDigest,
      },
      role: 'technical-lead',
      by: 'Jane Doe',
      at: NOW.toISOString(),
      comment: 'reviewed the card',
      evidence: { ref: 'card.md', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      keyid,
      artifacts: { model: 'model/model.onnx' },
    });
    // The store row is written as before.
    const db = new BetterSqlite3(join(dir, '.mlgate/mlgate.db'), { readonly: true });
    expect(db.prepare('select action, role, actor from signoff_events').all()).toEqual([
      { action: 'approve', role: 'technical-lead', actor: 'Jane Doe' },
    ]);
    db.close();
  });

  test('a role the spec lists signers for needs a listed key; nothing is recorded otherwise', async () => {
    const { dir, signoff } = project();
    const unsigned = await signoff('approve', 'lead-review', { role: 'technical-lead' });
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toContain('sign-offs for technical-lead must be signed');
    expect(unsigned.stderr).toContain('--key');
    const stranger = await signoff('approve', 'lead-review', {
      role: 'technical-lead',
      key: '~/.config/mlgate/stranger',
    });
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toContain('is not one the spec lists for sign-offs for technical-lead');
    const otherRole = await signoff('approve', 'lead-review', {
      role: 'technical-lead',
      key: '~/.config/mlgate/sec',
    });
    expect(otherRole.code).toBe(2);
    const pub = await signoff('approve', 'lead-review', {
      role: 'technical-lead',
      key: '~/.config/mlgate/jane.pub',
    });
    expect(pub.code).toBe(2);
    expect(pub.stderr).toContain('not an ECDSA P-256 private key');
    const missing = await signoff('approve', 'lead-review', { role: 'technical-lead', key: 'nowhere' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no key at nowhere');
    expect(attestationFiles(dir)).toEqual([]);
    expect((await gate(dir)).item('lead-review').status).toBe('pending');
  });

  test('roles without signers keep the store: no key needed, and a signed record is written too', async () => {
    const { dir, signoff } = project();
    expect((await signoff('approve', 'product-review', {})).code).toBe(0);
    expect(attestationFiles(dir)).toEqual([]);
    const g = await gate(dir);
    expect(g.item('product-review').status).toBe('pass');
    expect(table(g.item('product-review'))!.rows[0]!.slice(6)).toEqual(['no', '', 'no: not signed']);
    const signed = await signoff('approve', 'product-review', { key: '~/.config/mlgate/jane' });
    expect(signed.code).toBe(0);
    expect(signed.stdout).toContain('the spec lists no signers for product-owner yet');
    expect(attestationFiles(dir)).toHaveLength(1);
  });
});

describe('mlgate check counts signed records only, for roles with signers', () => {
  test('a signed approval passes the item; the evidence says signed, which key, verified', async () => {
    const { dir, keys, signoff } = project();
    await signoff('approve', 'lead-review', {
      role: 'technical-lead',
      key: '~/.config/mlgate/lee',
      by: 'Lee',
    });
    const g = await gate(dir, { store: false });
    const lead = g.item('lead-review');
    expect(lead.status).toBe('pass');
    expect(lead.summary).toBe('approved by Lee (technical-lead, signed, 2026-11-25)');
    const t = table(lead)!;
    expect(t.columns).toEqual([
      'role',
      'by',
      'on',
      'state',
      'comment',
      'evidence',
      'signed',
      'key',
      'verified',
    ]);
    const keyid = keyId(loadPrivateKey(keys.lee!));
    expect(t.rows).toEqual([
      [
        'technical-lead',
        'Lee',
        '2026-11-25 12:00',
        'current',
        '',
        '',
        'yes',
        `${keyid.slice(0, 8)} (keys/lee.pub)`,
        'yes',
      ],
    ]);
    expect(lead.approvals).toEqual([
      expect.objectContaining({ role: 'technical-lead', by: 'Lee', state: 'current' }),
    ]);
    // What a verdict lists as its input attestations: the verified records, by file and digest.
    const loaded = loadSpec(join(dir, 'mlgate.yaml'), await loadBuiltinChecks());
    const book = await SignoffBook.forSpec(undefined, loaded, await digestArtifacts(loaded), () => NOW);
    const [file] = attestationFiles(dir);
    expect(book.verifiedAttestations()).toEqual([
      {
        file: `${ATTESTATIONS_DIR}/${file}`,
        sha256: createHash('sha256')
          .update(readFileSync(join(dir, ATTESTATIONS_DIR, file!)))
          .digest('hex'),
        itemId: 'lead-review',
      },
    ]);
  });

  test('FORGERY: a row inserted into .mlgate/mlgate.db for a role with signers does not approve', async () => {
    const { dir, signoff } = project();
    // A store exists (a real approval of another item made it), then someone edits it by hand.
    expect((await signoff('approve', 'product-review', {})).code).toBe(0);
    const loaded = loadSpec(join(dir, 'mlgate.yaml'), await loadBuiltinChecks());
    const item = loaded.items.find((i) => i.id === 'lead-review')!;
    const artifacts = await digestArtifacts(loaded);
    const db = new BetterSqlite3(join(dir, '.mlgate/mlgate.db'));
    db.prepare(
      `insert into signoff_events (at, action, item_id, role, actor, definition_digest, spec_sha256, artifacts)
       values (?, 'approve', 'lead-review', 'technical-lead', 'Mallory', ?, ?, ?)`,
    ).run(
      NOW.toISOString(),
      item.definitionDigest,
      loaded.sha256,
      JSON.stringify(Object.fromEntries(artifacts.map((a) => [a.name, { path: a.path, sha256: a.sha256 }]))),
    );
    db.prepare(
      `insert into signoff_events (at, action, item_id, role, actor, comment, expires_at, definition_digest, spec_sha256, artifacts)
       values (?, 'waive', 'security-review', null, 'Mallory', 'trust me', '2027-01-01T00:00:00.000Z', ?, ?, ?)`,
    ).run(
      NOW.toISOString(),
      loaded.items.find((i) => i.id === 'security-review')!.definitionDigest,
      loaded.sha256,
      JSON.stringify(Object.fromEntries(artifacts.map((a) => [a.name, { path: a.path, sha256: a.sha256 }]))),
    );
    db.close();
    const g = await gate(dir);
    const lead = g.item('lead-review');
    expect(lead.status).toBe('pending');
    expect(lead.summary).toContain('awaiting sign-off by technical-lead');
    expect(lead.summary).toContain("Mallory's unsigned approval in the local store does not count");
    expect(lead.approvals).toEqual([]);
    expect(table(lead)!.rows[0]).toEqual([
      'technical-lead',
      'Mallory',
      '2026-11-25 12:00',
      'ignored: technical-lead sign-offs must be signed with a key the spec lists',
      '',
      '',
      'no',
      '',
      'no: not signed',
    ]);
    // The forged waiver does not apply either: with signers, waivers are signed.
    const security = g.item('security-review');
    expect(security.status).toBe('pending');
    expect(security.waiver).toBeUndefined();
    expect(JSON.stringify(security.evidence)).toContain(
      "Mallory's unsigned waiver in the local store does not count",
    );
    expect(g.verdict).toBe('BLOCKED');
    // The row for the role without signers still counts (solo use).
    expect(g.item('product-review').status).toBe('pass');
  });

  test('stale: a changed artifact byte or a changed item definition, with the sentence people read', async () => {
    const { dir, signoff } = project();
    await signoff('approve', 'lead-review', { role: 'technical-lead', key: '~/.config/mlgate/jane' });
    expect((await gate(dir)).item('lead-review').status).toBe('pass');
    writeFileSync(join(dir, 'model/model.onnx'), 'weights v2\n');
    const changed = (await gate(dir)).item('lead-review');
    expect(changed.status).toBe('pending');
    expect(changed.summary).toBe(
      'awaiting sign-off by technical-lead; model/model.onnx changed since Jane Doe approved on 2026-11-25',
    );
    expect(changed.approvals![0]!.state).toBe('stale');
    writeFileSync(join(dir, 'model/model.onnx'), 'weights v1\n');
    expect((await gate(dir)).item('lead-review').status).toBe('pass');
    const spec = readFileSync(join(dir, 'mlgate.yaml'), 'utf8');
    writeFileSync(
      join(dir, 'mlgate.yaml'),
      spec.replace('title: Tech lead approves', 'title: Tech lead approves v2'),
    );
    expect((await gate(dir)).item('lead-review').summary).toContain(
      "the item's definition in the spec changed since Jane Doe approved on 2026-11-25",
    );
  });

  test('threshold 2: two distinct listed keys; the same key twice is one', async () => {
    const { dir, signoff } = project();
    await signoff('approve', 'security-review', { role: 'security', key: '~/.config/mlgate/sec', by: 'Sam' });
    let security = (await gate(dir)).item('security-review');
    expect(security.status).toBe('pending');
    expect(security.summary).toBe('awaiting sign-off by security (1 of 2 signatures)');
    await signoff('approve', 'security-review', {
      role: 'security',
      key: '~/.config/mlgate/sec',
      by: 'Sam',
      now: () => new Date(NOW.getTime() + 1000),
    });
    security = (await gate(dir)).item('security-review');
    expect(security.summary).toBe('awaiting sign-off by security (1 of 2 signatures)');
    expect(table(security)!.rows).toHaveLength(1);
    await signoff('approve', 'security-review', {
      role: 'security',
      key: '~/.config/mlgate/sec2',
      by: 'Sue',
    });
    security = (await gate(dir)).item('security-review');
    expect(security.status).toBe('pass');
    expect(security.summary).toBe('approved by Sue, Sam (security, signed 2 of 2 keys, 2026-11-25)');
  });

  test('revoke: a signed revocation by the same key withdraws its approval; other keys are untouched', async () => {
    const { dir, signoff } = project();
    await signoff('approve', 'lead-review', { role: 'technical-lead', key: '~/.config/mlgate/jane' });
    await signoff('approve', 'lead-review', {
      role: 'technical-lead',
      key: '~/.config/mlgate/lee',
      by: 'Lee',
    });
    const later = { now: () => new Date(NOW.getTime() + 60_000) };
    const unsigned = await signoff('revoke', 'lead-review', { role: 'technical-lead', ...later });
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toContain('revoke them with the key that signed them');
    const stranger = await signoff('revoke', 'lead-review', { key: '~/.config/mlgate/sec', ...later });
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toContain('signed by your key');
    const revoked = await signoff('revoke', 'lead-review', {
      role: 'technical-lead',
      key: '~/.config/mlgate/jane',
      reason: 'found a leak',
      ...later,
    });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(attestationFiles(dir).filter((f) => f.includes('.revoke.'))).toHaveLength(1);
    let lead = (await gate(dir)).item('lead-review');
    expect(lead.status).toBe('pass');
    expect(lead.summary).toContain('Lee (technical-lead');
    await signoff('revoke', 'lead-review', { key: '~/.config/mlgate/lee', by: 'Lee', ...later });
    lead = (await gate(dir)).item('lead-review');
    expect(lead.status).toBe('pending');
    expect(lead.approvals).toEqual([]);
  });

  test('waivers: with signers, only a waiver signed by a listed key applies; unwaive withdraws it', async () => {
    const { dir, signoff } = project(SIGNERS, { 'card.md': '# Card\nnothing about limits\n' });
    expect((await gate(dir)).item('has-limits').status).toBe('fail');
    const unsigned = await signoff('waive', 'has-limits', { reason: 'next release', expires: '30d' });
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toContain('waivers must be signed');
    const stranger = await signoff('waive', 'has-limits', {
      reason: 'next release',
      expires: '30d',
      key: '~/.config/mlgate/stranger',
    });
    expect(stranger.code).toBe(2);
    const signed = await signoff('waive', 'has-limits', {
      reason: 'next release',
      expires: '30d',
      key: '~/.config/mlgate/sec',
    });
    expect(signed.code, signed.stderr).toBe(0);
    let limits = (await gate(dir)).item('has-limits');
    expect(limits.status).toBe('waived');
    const loaded = loadSpec(join(dir, 'mlgate.yaml'), await loadBuiltinChecks());
    const book = await SignoffBook.forSpec(undefined, loaded, await digestArtifacts(loaded), () => NOW);
    expect(book.waiverOf(loaded.items.find((i) => i.id === 'has-limits')!)).toMatchObject({
      action: 'waive',
      actor: 'Jane Doe',
      comment: 'next release',
    });
    expect(limits.waiver).toMatchObject({ by: 'Jane Doe', state: 'applied', reason: 'next release' });
    const unwaived = await signoff('unwaive', 'has-limits', {
      key: '~/.config/mlgate/jane',
      now: () => new Date(NOW.getTime() + 1000),
    });
    expect(unwaived.code, unwaived.stderr).toBe(0);
    limits = (await gate(dir)).item('has-limits');
    expect(limits.status).toBe('fail');
  });
});

describe('records that never approve (fixtures: real envelopes, keys generated once, private keys discarded)', () => {
  const expectations = JSON.parse(readFileSync(join(FIXTURES, 'records/expected.json'), 'utf8')) as Record<
    string,
    { status: string; summary?: string[]; verified?: string }
  >;

  /** The fixture project in a temp folder, with one record in .mlgate/attestations/. */
  function withRecord(name: string) {
    const dir = tempFiles({});
    execFileSync('cp', ['-R', `${join(FIXTURES, 'project')}/.`, dir]);
    mkdirSync(join(dir, ATTESTATIONS_DIR), { recursive: true });
    // Named as mlgate names them (ITEM.ACTION...), so even a file that is not an envelope is shown on its item.
    copyFileSync(join(FIXTURES, 'records', name), join(dir, ATTESTATIONS_DIR, `lead-review.${name}`));
    return dir;
  }

  test('every fixture record has an expectation', () => {
    const records = readdirSync(join(FIXTURES, 'records')).filter((f) => f !== 'expected.json');
    expect(records.sort()).toEqual(Object.keys(expectations).sort());
  });

  for (const [name, expected] of Object.entries(expectations)) {
    test(`${name}: ${expected.status}`, async () => {
      const dir = withRecord(name);
      const g = await gate(dir, { store: false });
      const lead = g.item('lead-review');
      expect(lead.status).toBe(expected.status);
      for (const text of expected.summary ?? []) expect(lead.summary).toContain(text);
      if (expected.verified) {
        const row = table(lead)!.rows.find((r) => r[6] === 'yes' && r[8] !== '')!;
        expect(row[8]).toContain(expected.verified);
      }
      if (expected.status !== 'pass')
        expect(lead.approvals?.filter((a) => a.state === 'current') ?? []).toEqual([]);
    });
  }

  test('the fixture approval verifies with independent node:crypto (DSSE PAE by hand)', async () => {
    const { createPublicKey, verify } = await import('node:crypto');
    const envelope = JSON.parse(readFileSync(join(FIXTURES, 'records/ok.approve.json'), 'utf8'));
    const body = Buffer.from(envelope.payload, 'base64');
    const type = envelope.payloadType as string;
    const pae = Buffer.concat([
      Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `),
      body,
    ]);
    const key = createPublicKey(readFileSync(join(FIXTURES, 'project/keys/jane.pub')));
    expect(verify('sha256', pae, key, Buffer.from(envelope.signatures[0].sig, 'base64'))).toBe(true);
  });

  // Regenerates the fixtures (new keys each time): UPDATE_SIGNOFF_FIXTURES=1 npx vitest run src/attest/signoffs.test.ts
  test.runIf(process.env.UPDATE_SIGNOFF_FIXTURES === '1')('regenerate fixtures', async () => {
    await writeFixtures();
  });
});

async function writeFixtures() {
  const project = join(FIXTURES, 'project');
  const records = join(FIXTURES, 'records');
  const keysDir = tempFiles({});
  const priv: Record<string, ReturnType<typeof loadPrivateKey>> = {};
  mkdirSync(join(project, 'keys'), { recursive: true });
  mkdirSync(records, { recursive: true });
  for (const name of ['jane', 'sec', 'stranger']) {
    const generated = generateKey(join(keysDir, name));
    priv[name] = loadPrivateKey(generated.privatePath);
    if (name !== 'stranger') copyFileSync(generated.publicPath, join(project, 'keys', `${name}.pub`));
  }
  const loaded = loadSpec(join(project, 'mlgate.yaml'), await loadBuiltinChecks());
  const item = loaded.items.find((i) => i.id === 'lead-review')!;
  const artifacts = Object.fromEntries(
    (await digestArtifacts(loaded)).map((a) => [a.name, { path: a.path, sha256: a.sha256 }]),
  );
  const base = {
    action: 'approve' as const,
    itemId: 'lead-review',
    definitionDigest: item.definitionDigest,
    role: 'technical-lead',
    by: 'Jane Doe',
    at: new Date('2026-11-20T09:00:00Z'),
    artifacts,
  };
  const envelopeFor = (
    key: ReturnType<typeof loadPrivateKey>,
    record = base,
    predicateType = SIGNOFF_PREDICATE,
  ) => {
    const s = signoffStatement(record, keyId(key));
    const payload = Buffer.from(JSON.stringify(statement(s.subject, predicateType, s.predicate)));
    return signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, key);
  };
  const write = (name: string, value: unknown) =>
    writeFileSync(
      join(records, name),
      typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`,
    );
  const ok = envelopeFor(priv.jane!);
  write('ok.approve.json', ok);
  // The payload changed after signing: "by" rewritten, the signature kept.
  const forged = JSON.parse(Buffer.from(ok.payload, 'base64').toString());
  forged.predicate.by = 'Mallory';
  write('ng.tampered.json', { ...ok, payload: Buffer.from(JSON.stringify(forged)).toString('base64') });
  write('ng.other-role.json', envelopeFor(priv.sec!));
  write('ng.unknown-key.json', envelopeFor(priv.stranger!));
  write('ng.not-json.json', '{ "payloadType": "application/vnd.in-toto+json", \n');
  write('ng.not-an-envelope.json', { hello: 'world' });
  write(
    'ng.payload-type.json',
    signEnvelope('text/plain', Buffer.from(Buffer.from(ok.payload, 'base64')), priv.jane!),
  );
  write('ng.predicate-type.json', envelopeFor(priv.jane!, base, VSA_PREDICATE));
  write(
    'ng.stale.json',
    envelopeFor(priv.jane!, { ...base, artifacts: { model: { path: 'model.bin', sha256: '0'.repeat(64) } } }),
  );
  // Only the public keys stay; the private ones were in a temp folder.
}

describe('end to end on real git: approve, commit, fresh clone without a store, check', () => {
  test('the clone passes in prod from the committed attestation; a flipped model byte blocks it as stale', async () => {
    const { dir, keys, signoff } = project(`signers:
  technical-lead: [keys/jane.pub]`);
    // The one manual item whose role has signers, alone in a tiny project.
    writeFileSync(
      join(dir, 'mlgate.yaml'),
      `version: 1
project: { name: e2e }
artifacts:
  model: model/model.onnx
profiles: { dev: {}, prod: {} }
default_profile: dev
signers:
  technical-lead: [keys/jane.pub]
sections:
  - title: Release
    items:
      - { id: model-file, title: Model file, check: { kind: file, path: model/model.onnx } }
      - id: lead-review
        title: Tech lead approves
        when: prod
        manual: { roles: [technical-lead] }
`,
    );
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=t@example.com', ...args], {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    git(dir, 'init', '-q');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'project');
    const approved = await signoff('approve', 'lead-review', { role: 'technical-lead', key: keys.jane! });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stderr).not.toContain('git ignores');
    // The store's own .gitignore keeps the database local and lets the attestations through.
    expect(readFileSync(join(dir, '.mlgate/.gitignore'), 'utf8')).toBe(STORE_GITIGNORE);
    git(dir, 'add', '.');
    const staged = git(dir, 'diff', '--cached', '--name-only').trim().split('\n');
    expect(staged).toEqual([`${ATTESTATIONS_DIR}/${attestationFiles(dir)[0]}`]);
    git(dir, 'commit', '-q', '-m', 'approve lead-review');

    const clone = join(tempFiles({}), 'clone');
    git(dir, 'clone', '-q', dir, clone);
    expect(existsSync(join(clone, '.mlgate/mlgate.db'))).toBe(false);
    const passed = await gate(clone, { profile: 'prod' });
    expect(passed.item('lead-review').status).toBe('pass');
    expect(passed.verdict).toBe('PASS');
    // dev does not need the sign-off; prod does.
    expect((await gate(clone, { profile: 'dev' })).item('lead-review').status).toBe('skip');

    const model = join(clone, 'model/model.onnx');
    const bytes = readFileSync(model);
    bytes[0] = bytes[0]! ^ 1;
    writeFileSync(model, bytes);
    const blocked = await gate(clone, { profile: 'prod' });
    expect(blocked.verdict).toBe('BLOCKED');
    expect(blocked.item('lead-review').status).toBe('pending');
    expect(blocked.item('lead-review').summary).toContain(
      'model/model.onnx changed since Jane Doe approved on 2026-11-25',
    );
  });

  test('the same through checkCommand: a forged row does not count, a signed approval does, --no-store too; a flipped byte blocks', async () => {
    const { dir, keys, signoff } = project();
    expect((await signoff('approve', 'security-review', { role: 'security', key: keys.sec! })).code).toBe(0);
    expect((await signoff('approve', 'security-review', { role: 'security', key: keys.sec2! })).code).toBe(0);
    expect((await signoff('approve', 'product-review', {})).code).toBe(0);
    const check = async (options: { noStore?: boolean } = {}) => {
      const buffered = bufferedIO(dir, {});
      const code = await checkCommand(
        dir,
        { format: 'json', quiet: true, profile: 'prod', ...options },
        buffered.io,
      );
      const report = JSON.parse(buffered.stdout()) as {
        verdict: { status: string };
        items: Array<{ id: string; status: string; summary: string }>;
      };
      return { code, report, item: (id: string) => report.items.find((i) => i.id === id)! };
    };
    const loaded = loadSpec(join(dir, 'mlgate.yaml'), await loadBuiltinChecks());
    const db = new BetterSqlite3(join(dir, '.mlgate/mlgate.db'));
    db.prepare(
      `insert into signoff_events (at, action, item_id, role, actor, definition_digest, spec_sha256, artifacts)
         values (?, 'approve', 'lead-review', 'technical-lead', 'Mallory', ?, ?, ?)`,
    ).run(
      NOW.toISOString(),
      loaded.items.find((i) => i.id === 'lead-review')!.definitionDigest,
      loaded.sha256,
      JSON.stringify(
        Object.fromEntries(
          (await digestArtifacts(loaded)).map((a) => [a.name, { path: a.path, sha256: a.sha256 }]),
        ),
      ),
    );
    db.close();
    const forged = await check();
    expect(forged.code).toBe(1);
    expect(forged.item('lead-review').status).toBe('pending');
    expect(forged.item('lead-review').summary).toContain(
      "Mallory's unsigned approval in the local store does not count",
    );
    expect(forged.item('security-review').status).toBe('pass');

    expect((await signoff('approve', 'lead-review', { role: 'technical-lead', key: keys.jane! })).code).toBe(
      0,
    );
    const passed = await check();
    expect(passed.item('lead-review').status).toBe('pass');
    expect(passed.code).toBe(0);
    // Without the store, signed roles are decided all the same (product-owner's store row is not read).
    const noStore = await check({ noStore: true });
    expect(noStore.item('lead-review').status).toBe('pass');
    expect(noStore.item('security-review').status).toBe('pass');
    expect(noStore.item('product-review').status).toBe('pending');

    writeFileSync(join(dir, 'model/model.onnx'), 'weights v2\n');
    const blocked = await check();
    expect(blocked.code).toBe(1);
    expect(blocked.item('lead-review').summary).toContain(
      'model/model.onnx changed since Jane Doe approved on',
    );
  });
});

test('readSignedRecords: no folder, no records', () => {
  expect(readSignedRecords(tempFiles({}), new Map(), [])).toEqual([]);
});
