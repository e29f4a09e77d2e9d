/**
 * Interop with the Sigstore ecosystem: an envelope mlgate signs verifies with @sigstore/verify
 * (keyed, offline: no transparency log, certificate or timestamp required), wrapped in a
 * Sigstore bundle v0.3 the way cosign users would hold it; a tampered payload does not.
 * (@sigstore/verify is a dev dependency: it only checks that what we write is what they read.)
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, Verifier } from '@sigstore/verify';
import { describe, expect, test } from 'vitest';
import { type Envelope, IN_TOTO_PAYLOAD_TYPE, keyId, signEnvelope } from './dsse.js';

function bundle(envelope: Envelope, hint: string) {
  return bundleFromJSON({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: { hint },
      tlogEntries: [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: {
      payload: envelope.payload,
      payloadType: envelope.payloadType,
      signatures: envelope.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid ?? '' })),
    },
  });
}

function verifier(publicKey: KeyObject) {
  return new Verifier(
    {
      certificateAuthorities: [],
      timestampAuthorities: [],
      tlogs: [],
      ctlogs: [],
      publicKey: (hint: string) => {
        if (hint !== keyId(publicKey)) throw new Error(`unknown key ${hint}`);
        return { publicKey, validFor: () => true };
      },
    },
    { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 },
  );
}

describe('@sigstore/verify reads what mlgate signs', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const envelope = signEnvelope(
    IN_TOTO_PAYLOAD_TYPE,
    Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[]}'),
    privateKey,
  );

  test('a keyed, offline verification succeeds', () => {
    expect(verifier(publicKey).verify(toSignedEntity(bundle(envelope, keyId(publicKey))))).toBeTruthy();
  });

  test('a tampered payload, or another key, fails', () => {
    const tampered = { ...envelope, payload: Buffer.from('{"_type":"x"}').toString('base64') };
    expect(() => verifier(publicKey).verify(toSignedEntity(bundle(tampered, keyId(publicKey))))).toThrow();
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    expect(() => verifier(other).verify(toSignedEntity(bundle(envelope, keyId(publicKey))))).toThrow();
  });
});
