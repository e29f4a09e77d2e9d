/**
 * `mlgate check --attest` then `mlgate verify` at deploy time, through the command handlers on a
 * tiny real project: real keys, real files, real signatures. The clock is passed in, never
 * waited on.
 */
import { bufferedIO } from '../testing/io.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { generateKey } from '../attest/keys.js';
import { VSA_PREDICATE } from '../attest/statement.js';
import { tempFiles } from '../testing/temp.js';
import { type CheckOptions, checkCommand } from './commands/check.js';
import { type VerifyOptions, verifyCommand } from './commands/verify.js';

const SPEC = `version: 1
project: { name: tiny, model: { name: tiny-model, version: 1.0.0 } }
artifacts:
  model: model.bin
profiles: { dev: null, prod: null }
default_profile: dev
sections:
  - id: artifacts
    title: Artifacts
    items:
      - id: model-file
        title: The model exists and is small
        check: { kind: file, path: "\${artifacts.model}", max_size: 2 kB }
      - id: card
        title: A model card
        check: { kind: file, path: CARD.md }
`;

const io = (cwd: string) => bufferedIO(cwd);

async function check(dir: string, options: Partial<CheckOptions>) {
  const cli = io(dir);
  const code = await checkCommand('.', { format: 'text', quiet: true, noStore: true, ...options }, cli.io);
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

async function verify(dir: string, artifact: string, options: VerifyOptions) {
  const cli = io(dir);
  const code = await verifyCommand(artifact, options, cli.io);
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

describe('check --attest, then verify at deploy time', () => {
  let dir: string;
  let key: string;
  let pub: string;
  let verifiedAt: Date;
  const opts = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({
    attestation: 'verdict.intoto.json',
    key: pub,
    ...extra,
  });

  beforeAll(async () => {
    dir = tempFiles({ 'mlgate.yaml': SPEC, 'model.bin': Buffer.alloc(1024, 7), 'CARD.md': '# Card\n' });
    const keys = tempFiles({});
    ({ privatePath: key, publicPath: pub } = generateKey(join(keys, 'ci')));
    const run = await check(dir, { profile: 'prod', attest: 'verdict.intoto.json', key });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('attestation verdict.intoto.json (PASSED)');
    const envelope = JSON.parse(readFileSync(join(dir, 'verdict.intoto.json'), 'utf8'));
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    expect(statement.predicateType).toBe(VSA_PREDICATE);
    expect(statement.subject.map((s: { name: string }) => s.name)).toEqual([
      'model.bin',
      'mlgate.yaml',
      'CARD.md',
    ]);
    expect(statement.predicate.verifiedLevels).toEqual(['MLGATE_PROD']);
    expect(statement.predicate.mlgate.passedTests).toEqual(['model-file', 'card']);
    verifiedAt = new Date(statement.predicate.timeVerified);
  });

  test('the model that passed verifies: exit 0, at its level, recent enough', async () => {
    const result = await verify(dir, 'model.bin', opts({ level: 'MLGATE_PROD', maxAge: '7d' }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^VERIFIED model\.bin \(sha256 [0-9a-f]{12}…\) is the file that passed/);
    expect(result.stdout).toContain('MLGATE_PROD');
    const json = await verify(dir, 'model.bin', opts({ format: 'json' }));
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      verified: true,
      reasons: [],
      verificationResult: 'PASSED',
      verifiedLevels: ['MLGATE_PROD'],
    });
  });

  test('one flipped byte in the model: exit 1, it is not a subject', async () => {
    const copy = tempFiles({ 'model.bin': readFileSync(join(dir, 'model.bin')) });
    const bytes = readFileSync(join(copy, 'model.bin'));
    bytes[100] = bytes[100]! ^ 1;
    writeFileSync(join(copy, 'model.bin'), bytes);
    const result = await verify(copy, 'model.bin', opts({ attestation: join(dir, 'verdict.intoto.json') }));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /NOT VERIFIED[\s\S]*model\.bin \(sha256 [0-9a-f]{12}…\) is not a subject of this attestation: it is not the file that passed/,
    );
  });

  test('a key that did not sign it: exit 1', async () => {
    const other = generateKey(join(tempFiles({}), 'other'));
    const result = await verify(dir, 'model.bin', opts({ key: other.publicPath }));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('the signature does not verify with the given key');
  });

  test('a level it was not verified at: exit 1', async () => {
    const result = await verify(dir, 'model.bin', opts({ level: 'MLGATE_DEV' }));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('level MLGATE_DEV was not verified (verified: MLGATE_PROD)');
  });

  test('older than --max-age: exit 1', async () => {
    const later = new Date(verifiedAt.getTime() + 8 * 86_400_000);
    const result = await verify(dir, 'model.bin', opts({ maxAge: '7d', now: later }));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('longer ago than --max-age 7d');
  });

  test('a tampered envelope: 1 when the signature breaks, 2 when it is no envelope at all', async () => {
    const original = JSON.parse(readFileSync(join(dir, 'verdict.intoto.json'), 'utf8'));
    const statement = JSON.parse(Buffer.from(original.payload, 'base64').toString());
    statement.subject.push({ name: 'evil.bin', digest: { sha256: 'f'.repeat(64) } });
    const forged = { ...original, payload: Buffer.from(JSON.stringify(statement)).toString('base64') };
    const tampered = tempFiles({
      'forged.json': JSON.stringify(forged),
      'garbage.json': '{"payloadType": "x"',
      'nosig.json': JSON.stringify({ ...original, signatures: [] }),
    });
    const result = await verify(dir, 'model.bin', opts({ attestation: join(tampered, 'forged.json') }));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('the signature does not verify');
    const garbage = await verify(dir, 'model.bin', opts({ attestation: join(tampered, 'garbage.json') }));
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toContain('is not a DSSE envelope: it is not JSON');
    const nosig = await verify(dir, 'model.bin', opts({ attestation: join(tampered, 'nosig.json') }));
    expect(nosig.code).toBe(2);
    expect(nosig.stderr).toContain('there is no signature');
  });

  test('missing inputs are usage errors: exit 2', async () => {
    expect((await verify(dir, 'nope.bin', opts())).stderr).toContain(
      'cannot read the artifact nope.bin: not found',
    );
    expect((await verify(dir, 'model.bin', opts({ attestation: 'none.json' }))).code).toBe(2);
    const noKey = await verify(dir, 'model.bin', opts({ key: 'missing.pub' }));
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('cannot read the public key missing.pub: not found');
    expect((await verify(dir, 'model.bin', opts({ maxAge: 'a week' }))).code).toBe(2);
  });
});

describe('check --attest when the verdict is BLOCKED, or the key is wrong', () => {
  test('a blocked run still writes a FAILED attestation, and the exit code stays 1; verify refuses it', async () => {
    const dir = tempFiles({ 'mlgate.yaml': SPEC, 'model.bin': Buffer.alloc(1024, 7) });
    const { privatePath, publicPath } = generateKey(join(tempFiles({}), 'ci'));
    const run = await check(dir, { profile: 'prod', attest: 'out/verdict.json', key: privatePath });
    expect(run.code).toBe(1);
    const envelope = JSON.parse(readFileSync(join(dir, 'out/verdict.json'), 'utf8'));
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    expect(statement.predicate.verificationResult).toBe('FAILED');
    expect(statement.predicate.verifiedLevels).toEqual([]);
    expect(statement.predicate.mlgate.failedTests).toEqual(['card']);
    const result = await verify(dir, 'model.bin', { attestation: 'out/verdict.json', key: publicPath });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('the verdict it records is FAILED (blocked by card)');
  });

  test('a missing or unusable key: exit 2 before anything runs, nothing written', async () => {
    const dir = tempFiles({ 'mlgate.yaml': SPEC, 'model.bin': Buffer.alloc(1024, 7), 'CARD.md': '#\n' });
    const { privatePath, publicPath } = generateKey(join(tempFiles({}), 'ci'));
    const missing = await check(dir, { attest: 'v.json', key: 'nowhere/key' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot sign with the key nowhere/key: not found');
    expect(missing.stdout).toBe('');
    const pub = await check(dir, { attest: 'v.json', key: publicPath });
    expect(pub.code).toBe(2);
    expect(pub.stderr).toContain('it is a public key; --key takes the private key');
    const noKey = await check(dir, { attest: 'v.json' });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--attest needs --key');
    const badSubject = await check(dir, {
      attest: 'v.json',
      key: privatePath,
      attestSubject: ['img:latest'],
    });
    expect(badSubject.code).toBe(2);
    expect(badSubject.stderr).toContain('--attest-subject: "img:latest" is not NAME@sha256:DIGEST');
    const keyAlone = await check(dir, { key: publicPath });
    expect(keyAlone.code).toBe(2);
    expect(() => readFileSync(join(dir, 'v.json'))).toThrow();
  });
});
