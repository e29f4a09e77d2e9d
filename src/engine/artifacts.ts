import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { artifactPath, type LoadedSpec } from '../spec/load.js';
import { sha256OfFile } from '../util/digest.js';
import type { ArtifactInfo } from './types.js';

export interface ArtifactRecord extends ArtifactInfo {
  required: boolean;
  error?: string;
}

/** Digests of every declared artifact, recorded in each run and binding later sign-offs. */
export async function digestArtifacts(loaded: LoadedSpec, signal?: AbortSignal): Promise<ArtifactRecord[]> {
  return Promise.all(
    Object.entries(loaded.spec.artifacts).map(async ([name, declared]): Promise<ArtifactRecord> => {
      const path = artifactPath(declared);
      const required = typeof declared === 'string' ? true : declared.required;
      const absolutePath = resolve(loaded.root, path);
      try {
        const info = await stat(absolutePath);
        if (!info.isFile()) {
          return {
            name,
            path,
            absolutePath,
            required,
            sha256: null,
            size: null,
            error: 'not a regular file',
          };
        }
        return {
          name,
          path,
          absolutePath,
          required,
          size: info.size,
          sha256: await sha256OfFile(absolutePath, signal),
        };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const message = code === 'ENOENT' ? 'not found' : (error as Error).message;
        return { name, path, absolutePath, required, sha256: null, size: null, error: message };
      }
    }),
  );
}
