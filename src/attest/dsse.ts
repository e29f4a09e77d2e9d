/**
 * DSSE envelopes (github.com/secure-systems-lab/dsse, v1.0): the payload is signed through the
 * pre-authentication encoding (PAE) so the type cannot be swapped under a signature:
 *
 *   "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body      (lengths in ASCII decimal)
 *
 * Signatures are ECDSA P-256 over SHA-256, ASN.1 DER encoded (what cosign and Sigstore write),
 * with the key's id: the hex sha256 of its SubjectPublicKeyInfo. Base64 and URL-safe base64 are
 * both accepted on verify, as the spec allows.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

export interface Envelope {
  payloadType: string;
  /** Standard base64 of the payload bytes. */
  payload: string;
  signatures: Array<{ keyid?: string; sig: string }>;
}

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** The bytes that are signed. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    Buffer.from(payload),
  ]);
}

/**
 * The key's id: hex sha256 of its DER SubjectPublicKeyInfo, with the point uncompressed. A key
 * written compressed is the same key: one key must have one id, or a threshold of two could be
 * met by one key listed twice.
 */
export function keyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const canonical = createPublicKey({ key: publicKey.export({ format: 'jwk' }), format: 'jwk' });
  return createHash('sha256')
    .update(canonical.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export function signEnvelope(payloadType: string, payload: Uint8Array, privateKey: KeyObject): Envelope {
  assertP256(privateKey);
  const sig = sign('sha256', pae(payloadType, payload), privateKey);
  return {
    payloadType,
    payload: Buffer.from(payload).toString('base64'),
    signatures: [{ keyid: keyId(privateKey), sig: sig.toString('base64') }],
  };
}

export class EnvelopeError extends Error {}

/** Standard or URL-safe base64, strictly: anything else is not an envelope. */
export function decodeBase64(text: string, what: string): Buffer {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text))
    throw new EnvelopeError(`${what} is not base64`);
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** A parsed envelope, or why it is not one. */
export function parseEnvelope(value: unknown): Envelope {
  const env = value as Partial<Envelope> | null;
  if (!env || typeof env !== 'object') throw new EnvelopeError('not a JSON object');
  if (typeof env.payloadType !== 'string' || env.payloadType === '')
    throw new EnvelopeError('payloadType is missing');
  if (typeof env.payload !== 'string') throw new EnvelopeError('payload is missing');
  if (!Array.isArray(env.signatures) || env.signatures.length === 0)
    throw new EnvelopeError('there is no signature');
  for (const s of env.signatures)
    if (!s || typeof s !== 'object' || typeof s.sig !== 'string')
      throw new EnvelopeError('a signature has no sig');
  decodeBase64(env.payload, 'payload');
  return env as Envelope;
}

export interface Verified {
  /** The payload bytes (only after a signature verified). */
  payload: Buffer;
  /** Ids of the given keys whose signature verified. */
  keyids: string[];
}

/**
 * Verifies every signature against every given public key (a keyid is a hint, never trusted
 * alone). Throws when no signature verifies with any of the keys.
 */
export function verifyEnvelope(envelope: Envelope, publicKeys: KeyObject[]): Verified {
  const payload = decodeBase64(envelope.payload, 'payload');
  const message = pae(envelope.payloadType, payload);
  const keyids = new Set<string>();
  for (const signature of envelope.signatures) {
    let sig: Buffer;
    try {
      sig = decodeBase64(signature.sig, 'signature');
    } catch {
      continue;
    }
    for (const key of publicKeys) {
      try {
        if (verify('sha256', message, key, sig)) keyids.add(keyId(key));
      } catch {
        // A malformed signature is a signature that does not verify.
      }
    }
  }
  if (keyids.size === 0) throw new EnvelopeError('no signature verifies with a listed key');
  return { payload, keyids: [...keyids] };
}

export function assertP256(key: KeyObject): void {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1')
    throw new EnvelopeError('the key is not an ECDSA P-256 key');
}

export { createPrivateKey, createPublicKey };
