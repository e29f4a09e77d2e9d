/** The shared reference pack (../shared/reference): numbers computed by other people's software. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './cli.js';

export const SHARED = join(REPO_ROOT, '..', 'shared');
export const REFERENCE_DIR = join(SHARED, 'reference');

export function referencePath(...parts: string[]): string {
  const path = join(REFERENCE_DIR, ...parts);
  if (!existsSync(path))
    throw new Error(`reference file missing: ${path} (is ../shared beside the checkout?)`);
  return path;
}

export function referenceJson<T = Record<string, unknown>>(...parts: string[]): T {
  return JSON.parse(readFileSync(referencePath(...parts), 'utf8')) as T;
}
