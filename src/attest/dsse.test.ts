/**
 * DSSE as the spec defines it: the PAE test vector, sign/verify round trips, strict failure on
 * any flipped byte, and interop with a verifier and a signer written here independently with
 * node:crypto alone (from the spec's text, not from our module).
 */
import { createHash, generateKeyPairSync, sign as rawSign, verify as rawVerify } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressedCopy } from '../testing/keys.js';
import { describe, expect, test } from 'vitest';
import {
  type Envelope,
  IN_TOTO_PAYLOAD_TYPE,
  keyId,
  pae,
  parseEnvelope,
  signEnvelope,
  verifyEnvelope,
} from './dsse.js';
import { generateKey, loadPrivateKey, loadPublicKey } from './keys.js';

const pair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

/** The spec's encoding, written out again: "DSSEv1" SP len(type) SP type SP len(body) SP body. */
function independentPae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

describe('DSSE', () => {
  test('PAE matches the specification test vector', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  test('sign then verify; the key id is the sha256 of the public key', () => {
    const { privateKey, publicKey } = pair();
    const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from('{"a":1}'), privateKey);
    expect(envelope.signatures[0]!.keyid).toBe(
      createHash('sha256')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex'),
    );
    const verified = verifyEnvelope(parseEnvelope(JSON.parse(JSON.stringify(envelope))), [publicKey]);
    expect(verified.payload.toString()).toBe('{"a":1}');
    expect(verified.keyids).toEqual([keyId(publicKey)]);
  });

  test('one key has one id, however its point is written (compressed or not)', () => {
    const { publicKey } = pair();
    const compressed = compressedCopy(publicKey);
    expect(compressed.export({ type: 'spki', format: 'der' }).length).toBe(59);
    expect(keyId(compressed)).toBe(keyId(publicKey));
  });

  test('URL-safe base64 is accepted', () => {
    const { privateKey, publicKey } = pair();
    const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from('~~~???>>>'), privateKey);
    const urlSafe: Envelope = {
      ...envelope,
      payload: envelope.payload.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
      signatures: envelope.signatures.map((s) => ({
        ...s,
        sig: s.sig.replace(/\+/g, '-').replace(/\//g, '_'),
      })),
    };
    expect(verifyEnvelope(urlSafe, [publicKey]).payload.toString()).toBe('~~~???>>>');
  });

  test('any flipped byte of payload, type or signature fails; so does another key', () => {
    const { privateKey, publicKey } = pair();
    const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from('{"subject":"model"}'), privateKey);
    const payload = Buffer.from(envelope.payload, 'base64');
    for (let i = 0; i < payload.length; i++) {
      const flipped = Buffer.from(payload);
      flipped[i]! ^= 0x01;
      expect(() =>
        verifyEnvelope({ ...envelope, payload: flipped.toString('base64') }, [publicKey]),
      ).toThrow();
    }
    const sig = Buffer.from(envelope.signatures[0]!.sig, 'base64');
    for (let i = 0; i < sig.length; i += 7) {
      const flipped = Buffer.from(sig);
      flipped[i]! ^= 0x80;
      expect(() =>
        verifyEnvelope({ ...envelope, signatures: [{ sig: flipped.toString('base64') }] }, [publicKey]),
      ).toThrow();
    }
    expect(() => verifyEnvelope({ ...envelope, payloadType: 'application/json' }, [publicKey])).toThrow();
    expect(() => verifyEnvelope(envelope, [pair().publicKey])).toThrow(/no signature verifies/);
  });

  test('malformed envelopes are refused with the reason', () => {
    expect(() => parseEnvelope({ payloadType: 'x', payload: 'e30=' })).toThrow(/no signature/);
    expect(() => parseEnvelope({ payloadType: 'x', payload: '{}', signatures: [{ sig: 'a' }] })).toThrow(
      /not base64/,
    );
    expect(() => parseEnvelope([])).toThrow();
  });

  test('interop: an independent verifier accepts ours, and ours accepts an independent signer', () => {
    const { privateKey, publicKey } = pair();
    const body = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
    const ours = signEnvelope(IN_TOTO_PAYLOAD_TYPE, body, privateKey);
    expect(
      rawVerify(
        'sha256',
        independentPae(ours.payloadType, Buffer.from(ours.payload, 'base64')),
        publicKey,
        Buffer.from(ours.signatures[0]!.sig, 'base64'),
      ),
    ).toBe(true);
    const theirs: Envelope = {
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      payload: body.toString('base64'),
      signatures: [
        { sig: rawSign('sha256', independentPae(IN_TOTO_PAYLOAD_TYPE, body), privateKey).toString('base64') },
      ],
    };
    expect(verifyEnvelope(theirs, [publicKey]).payload.equals(body)).toBe(true);
  });

  test('generated keys: the private one 0600, both load, and other curves are refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlgate-keys-'));
    const key = generateKey(join(dir, 'jane'));
    expect(statSync(key.privatePath).mode & 0o777).toBe(0o600);
    const envelope = signEnvelope('t', Buffer.from('x'), loadPrivateKey(key.privatePath));
    expect(verifyEnvelope(envelope, [loadPublicKey(key.publicPath)]).keyids).toEqual([key.keyid]);
    expect(() => generateKey(join(dir, 'jane'))).toThrow(/exists/);
  });
});
