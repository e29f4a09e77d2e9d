/**
 * Found by an attacker pass on signed sign-offs and verdicts: each case once gave a PASS (or a
 * verify exit 0) without the right key or with the wrong file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compressedCopy } from '../testing/keys.js';
import { describe, expect, test } from 'vitest';
import { tempFiles } from '../testing/temp.js';
import { generateKey, loadPrivateKey, loadPublicKey } from './keys.js';
import { loadSigners, readSignedRecords, writeSignedSignoff } from './signoffs.js';

const AT = new Date('2026-11-25T12:00:00Z');

describe('signed sign-offs', () => {
  test('a waiver of a sign-off needs a key of that sign-off’s role, not any listed key', () => {
    const dir = tempFiles({ 'model.onnx': 'weights' });
    mkdirSync(join(dir, 'keys'));
    const lead = generateKey(join(dir, 'keys', 'lead'));
    const security = generateKey(join(dir, 'keys', 'sec'));
    const { signers } = loadSigners(dir, {
      'technical-lead': ['keys/lead.pub'],
      security: ['keys/sec.pub'],
    });
    const waiver = (key: string) =>
      writeSignedSignoff(
        dir,
        {
          action: 'waive',
          itemId: 'lead-approval',
          definitionDigest: 'd'.repeat(64),
          by: 'x',
          at: AT,
          comment: 'ship it',
          expires: new Date('2026-12-31T00:00:00Z'),
          artifacts: { model: { path: 'model.onnx', sha256: null } },
        },
        loadPrivateKey(key),
      );
    waiver(security.privatePath);
    waiver(lead.privatePath);
    const records = readSignedRecords(
      dir,
      signers,
      ['lead-approval'],
      new Map([['lead-approval', ['technical-lead']]]),
    );
    const bySecurity = records.find((r) => r.keyid === security.keyid)!;
    expect(bySecurity.verified).toBe(false);
    expect(bySecurity.problem).toMatch(
      /a sign-off by technical-lead, but is signed by key .* not listed for that role/,
    );
    expect(records.find((r) => r.keyid === lead.keyid)!.verified).toBe(true);
  });

  test('one key written compressed and uncompressed is one key: a threshold of 2 is not met by it', () => {
    const dir = tempFiles({});
    mkdirSync(join(dir, 'keys'));
    const bob = generateKey(join(dir, 'keys', 'bob'));
    const compressed = compressedCopy(loadPublicKey(bob.publicPath));
    writeFileSync(join(dir, 'keys', 'carol.pub'), compressed.export({ type: 'spki', format: 'pem' }));
    const { problems } = loadSigners(dir, {
      'technical-lead': { keys: ['keys/bob.pub', 'keys/carol.pub'], threshold: 2 },
    });
    expect(problems.map((p) => p.message).join('\n')).toMatch(/same key|listed twice|twice/i);
  });

  test('a private key is not accepted where a public key is expected', () => {
    const dir = tempFiles({});
    const key = generateKey(join(dir, 'k'));
    expect(() => loadPublicKey(key.privatePath)).toThrow(/private key/);
  });
});

describe('levels', () => {
  test('profiles that differ only in case are refused: both would attest MLGATE_PROD', async () => {
    const { parseSpec } = await import('../spec/load.js');
    const { loadBuiltinChecks } = await import('../engine/registry.js');
    const yaml = [
      'version: 1',
      'project: {name: x}',
      'profiles: {prod: {}, PROD: {}}',
      'sections:',
      '  - title: S',
      '    items: [{id: a, title: A, manual: {}}]',
      '',
    ].join('\n');
    const registry = await loadBuiltinChecks();
    expect(() => parseSpec(yaml, '/tmp/x/mlgate.yaml', registry)).toThrow(/differ only in case/);
  });
});
