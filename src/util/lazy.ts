/**
 * A CommonJS dependency loaded on first use instead of at import time. Every check kind is
 * imported to validate a spec, so a kind's heavy dependency (undici, hdr-histogram, a parser)
 * would otherwise be paid by `mlgate --version` and `mlgate validate`. `require` keeps the call
 * sites synchronous; it returns the same instance an `import` of the package would.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
