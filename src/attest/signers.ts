/**
 * The spec's `signers`: which public keys may sign for which role. Apart from signoffs.ts,
 * which reads and writes the signed records, so that loading a spec does not load those.
 */
import type { KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { SignerRoleSpec } from '../spec/schema.js';
import { OutsideProjectError, resolveInProject } from '../util/project-path.js';
import { EnvelopeError, keyId } from './dsse.js';
import { loadPublicKey } from './keys.js';

/** A key the spec lists for a role. */
export interface SignerKey {
  /** As written in the spec (relative to the project root). */
  path: string;
  keyid: string;
  key: KeyObject;
}

export interface RoleSigners {
  keys: SignerKey[];
  /** How many distinct listed keys must each have a current approval. */
  threshold: number;
}

/** role -> who may sign for it. */
export type Signers = ReadonlyMap<string, RoleSigners>;

export interface SignerProblem {
  /** Path in the spec: ['signers', role, ...]. */
  path: Array<string | number>;
  message: string;
}

/**
 * The spec's `signers`, keys read and checked: each file inside the project, a public (not
 * private) ECDSA P-256 key, listed once per role, and a threshold the keys can reach.
 */
export function loadSigners(
  root: string,
  spec: Record<string, SignerRoleSpec> | undefined,
): { signers: Map<string, RoleSigners>; problems: SignerProblem[] } {
  const signers = new Map<string, RoleSigners>();
  const problems: SignerProblem[] = [];
  for (const [role, entry] of Object.entries(spec ?? {})) {
    const paths = Array.isArray(entry) ? entry : entry.keys;
    const base: Array<string | number> = Array.isArray(entry) ? ['signers', role] : ['signers', role, 'keys'];
    const threshold = Array.isArray(entry) ? 1 : entry.threshold;
    const keys: SignerKey[] = [];
    paths.forEach((path, index) => {
      const at = [...base, index];
      let real: string;
      try {
        real = resolveInProject(root, path, {
          hint: 'public keys are committed inside the project, reviewed like code',
        });
      } catch (error) {
        if (!(error instanceof OutsideProjectError)) throw error;
        problems.push({ path: at, message: error.message });
        return;
      }
      let text: string;
      try {
        if (!statSync(real).isFile()) throw new Error('not a file');
        text = readFileSync(real, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        problems.push({
          path: at,
          message:
            code === 'ENOENT'
              ? `public key ${path} does not exist: write one with \`mlgate keys generate --out ~/.config/mlgate/NAME\` and commit NAME.pub here`
              : `cannot read public key ${path}: ${(error as Error).message}`,
        });
        return;
      }
      if (/PRIVATE KEY/.test(text)) {
        problems.push({
          path: at,
          message: `${path} holds a PRIVATE key: remove it from the project (and make a new pair: it is no longer secret), then list only the .pub file`,
        });
        return;
      }
      let key: KeyObject;
      try {
        key = loadPublicKey(real);
      } catch (error) {
        problems.push({
          path: at,
          message: `${path} is not an ECDSA P-256 public key in PEM (${error instanceof EnvelopeError ? error.message : 'it does not parse'}); \`mlgate keys generate\` writes one`,
        });
        return;
      }
      const id = keyId(key);
      const twin = keys.find((k) => k.keyid === id);
      if (twin) {
        problems.push({
          path: at,
          message: `${path} is the same key as ${twin.path}: a key counts once toward the threshold`,
        });
        return;
      }
      keys.push({ path, keyid: id, key });
    });
    if (keys.length === paths.length && threshold > keys.length) {
      problems.push({
        path: ['signers', role, 'threshold'],
        message: `threshold ${threshold} cannot be reached: ${role} lists ${keys.length} key${keys.length === 1 ? '' : 's'}`,
      });
    }
    signers.set(role, { keys, threshold });
  }
  return { signers, problems };
}
