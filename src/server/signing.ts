/**
 * The server's own signing key, for teams whose approvers have no keys of their own (a web page
 * cannot hold a private key). With one, a server-side approval or revocation is also written as
 * the DSSE sign-off record the CLI writes with `mlgate approve --key` (same statement, same
 * signing code), with `by` = the authenticated approver. A spec that lists the server's public
 * key under a role trusts the server to have checked who approved: that is the point of it, and
 * why the key is listed per role, never implied.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { EnvelopeError, IN_TOTO_PAYLOAD_TYPE, keyId, signEnvelope } from '../attest/dsse.js';
import { loadPrivateKey } from '../attest/keys.js';
import { type SignoffToSign, signoffStatement } from '../attest/signoffs.js';

export interface ServerSigner {
  key: KeyObject;
  /** Hex sha256 of the public key's SubjectPublicKeyInfo (what `signers` and records name). */
  keyid: string;
  /** The public key, SPKI PEM: what a team commits and lists under a role in `signers`. */
  publicPem: string;
}

export class SigningKeyError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** Reads an ECDSA P-256 private key (PKCS#8 PEM, as `mlgate keys generate` writes it). */
export function loadServerSigner(path: string): ServerSigner {
  let text: string;
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SigningKeyError(
      `cannot read the signing key ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'make one with `mlgate keys generate --out PATH` and give PATH (the private key, not PATH.pub)',
    );
  }
  if (!/PRIVATE KEY-----/.test(text))
    throw new SigningKeyError(
      `${path} is not a private key (a public key cannot sign)`,
      'give the private key file written by `mlgate keys generate --out PATH` (PATH, not PATH.pub)',
    );
  let key: KeyObject;
  try {
    key = loadPrivateKey(path);
  } catch (error) {
    throw new SigningKeyError(
      `${path} is not an ECDSA P-256 private key in PEM (${error instanceof EnvelopeError ? error.message : 'it does not parse, or is encrypted'})`,
      '`mlgate keys generate --out PATH` writes one',
    );
  }
  return {
    key,
    keyid: keyId(key),
    publicPem: createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Whether others than the owner may read the key file (a signing key must be private). */
export function readableByOthers(path: string): boolean {
  try {
    return (statSync(path).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

export interface ServerSignedRecord {
  /** The envelope as stored (JSON text) and its sha256, as uploaded attestations are stored. */
  text: string;
  sha256: string;
}

/** Signs a sign-off exactly as the CLI does (signoffStatement + DSSE over the in-toto payload). */
export function signSignoff(signer: ServerSigner, record: SignoffToSign): ServerSignedRecord {
  const payload = Buffer.from(JSON.stringify(signoffStatement(record, signer.keyid)), 'utf8');
  const text = JSON.stringify(signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, signer.key));
  return { text, sha256: createHash('sha256').update(text).digest('hex') };
}
