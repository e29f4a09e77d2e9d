/** The same P-256 public key with its point written compressed (59-byte SPKI), for key-id tests. */
import { createPublicKey, type KeyObject } from 'node:crypto';

export function compressedCopy(publicKey: KeyObject): KeyObject {
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  return createPublicKey({
    key: Buffer.concat([
      Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
      Buffer.from([y[y.length - 1]! & 1 ? 0x03 : 0x02]),
      x,
    ]),
    format: 'der',
    type: 'spki',
  });
}
