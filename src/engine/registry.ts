/**
 * The check kinds. Each kind lives in `checks/<kind>/check.ts` and default-exports a
 * definition made with defineCheck(); the folder is the whole registration, so adding a kind
 * is adding a folder. The definition holds what validating a spec needs (params, docs); its
 * run() imports the kind's code from `run.ts` when an item of the kind first runs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CheckDefinition } from './types.js';

export const CHECKS_DIR = fileURLToPath(new URL('../checks/', import.meta.url));
/** .ts when running from source (tests), .js when built. */
const MODULE_EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

export class CheckRegistry {
  private readonly byKind: ReadonlyMap<string, CheckDefinition>;

  constructor(definitions: Iterable<CheckDefinition>) {
    const byKind = new Map<string, CheckDefinition>();
    for (const definition of definitions) {
      if (byKind.has(definition.kind)) throw new Error(`check kind "${definition.kind}" is defined twice`);
      byKind.set(definition.kind, definition);
    }
    this.byKind = new Map([...byKind].sort(([a], [b]) => compareKinds(a, b)));
  }

  get(kind: string): CheckDefinition | undefined {
    return this.byKind.get(kind);
  }

  get kinds(): string[] {
    return [...this.byKind.keys()];
  }

  all(): CheckDefinition[] {
    return [...this.byKind.values()];
  }
}

const KIND_NAME = /^[a-z0-9-]*$/;

/**
 * Orders kind names as localeCompare does, without calling it: its first call loads ICU's
 * collator, some 10 ms of every `mlgate validate`. For names of [a-z0-9-] (folder names) the
 * order of code units is the same; any other name still goes through localeCompare.
 */
export function compareKinds(a: string, b: string): number {
  if (!KIND_NAME.test(a) || !KIND_NAME.test(b)) return a.localeCompare(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

let builtin: Promise<CheckRegistry> | undefined;

/** Every kind under checks/, loaded once per process. */
export function loadBuiltinChecks(): Promise<CheckRegistry> {
  builtin ??= loadChecksFrom(CHECKS_DIR);
  return builtin;
}

export async function loadChecksFrom(directory: string): Promise<CheckRegistry> {
  const folders = readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('_'))
    .map((entry) => entry.name)
    .filter((name) => existsSync(join(directory, name, `check${MODULE_EXTENSION}`)));
  const definitions = await Promise.all(
    folders.map(async (folder) => {
      const file = join(directory, folder, `check${MODULE_EXTENSION}`);
      const module = (await import(pathToFileURL(file).href)) as { default?: CheckDefinition };
      const definition = module.default;
      assertDefinition(definition, folder, file);
      return definition;
    }),
  );
  return new CheckRegistry(definitions);
}

function assertDefinition(
  definition: CheckDefinition | undefined,
  folder: string,
  file: string,
): asserts definition is CheckDefinition {
  const problem = (what: string) => new Error(`${file}: ${what}`);
  if (!definition || typeof definition !== 'object') throw problem('must default-export defineCheck({...})');
  if (definition.kind !== folder)
    throw problem(`kind "${definition.kind}" must equal its folder name "${folder}"`);
  if (typeof definition.run !== 'function') throw problem('run(ctx, params) is missing');
  if (!definition.params || typeof definition.params.safeParse !== 'function')
    throw problem('params must be a zod schema');
  if (!definition.title || !definition.description) throw problem('title and description are required');
  if (!Array.isArray(definition.examples) || definition.examples.length === 0)
    throw problem('at least one example is required');
}
