/**
 * Signing keys: ECDSA P-256 pairs in PEM (PKCS#8 private, SPKI public), what cosign and
 * Sigstore use by default. The private key is written with mode 0600 and never leaves the
 * machine; the public key is committed to the repository and listed in the spec's `signers`.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { assertP256, keyId } from './dsse.js';

export interface GeneratedKey {
  privatePath: string;
  publicPath: string;
  keyid: string;
}

/** Writes PATH (private, 0600) and PATH.pub; refuses to overwrite either. */
export function generateKey(path: string): GeneratedKey {
  const publicPath = `${path}.pub`;
  for (const file of [path, publicPath])
    if (existsSync(file)) throw new Error(`${file} exists; nothing was written`);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }), { flag: 'wx' });
  return { privatePath: path, publicPath, keyid: keyId(publicKey) };
}

export function loadPrivateKey(path: string): KeyObject {
  const key = createPrivateKey(readFileSync(path));
  assertP256(key);
  return key;
}

export function loadPublicKey(path: string): KeyObject {
  const text = readFileSync(path);
  // createPublicKey would derive one from a private key: a private key here is a leak, refused.
  if (/PRIVATE KEY-----/.test(text.toString('latin1')))
    throw new Error('this is a private key: give the public one (KEY.pub)');
  const key = createPublicKey(text);
  assertP256(key);
  return key;
}
