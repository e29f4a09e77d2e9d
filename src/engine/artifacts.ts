import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { artifactPath, type LoadedSpec } from '../spec/load.js';
import { sha256OfFile } from '../util/digest.js';
import { OutsideProjectError, resolveInProject } from '../util/project-path.js';
import type { ArtifactInfo } from './types.js';

export interface ArtifactRecord extends ArtifactInfo {
  required: boolean;
  /** Declared `{path, allow_outside_project: true}`: it may be read where it is. */
  allowOutsideProject?: boolean;
  error?: string;
}

/** Digests of every declared artifact, recorded in each run and binding later sign-offs. */
export async function digestArtifacts(loaded: LoadedSpec, signal?: AbortSignal): Promise<ArtifactRecord[]> {
  return Promise.all(
    Object.entries(loaded.spec.artifacts).map(async ([name, declared]): Promise<ArtifactRecord> => {
      const path = artifactPath(declared);
      const required = typeof declared === 'string' ? true : declared.required;
      const allowOutsideProject = typeof declared === 'string' ? false : declared.allow_outside_project;
      const absolutePath = resolve(loaded.root, path);
      const missing = { name, path, absolutePath, required, allowOutsideProject, sha256: null, size: null };
      try {
        // Checked again here: the spec was loaded earlier, and a link may have changed since.
        // The real path is read, so a link swapped after this judgement cannot redirect it.
        const real = resolveInProject(loaded.root, path, {
          allowOutside: allowOutsideProject,
          hint: 'give it as {path, allow_outside_project: true} to allow it',
        });
        const info = await stat(real);
        if (!info.isFile()) return { ...missing, error: 'not a regular file' };
        return {
          ...missing,
          size: info.size,
          sha256: await sha256OfFile(real, signal),
        };
      } catch (error) {
        if (error instanceof OutsideProjectError) return { ...missing, error: error.message };
        const code = (error as NodeJS.ErrnoException).code;
        const message = code === 'ENOENT' ? 'not found' : (error as Error).message;
        return { ...missing, error: message };
      }
    }),
  );
}
