/**
 * Files under a folder, for the checks that read a project: expanded from paths, folders and
 * globs ("k8s/**\/*.yaml"), optionally honouring .gitignore files (with git's semantics, via
 * the `ignore` package). Version-control and dependency folders are never entered, and a
 * symbolic link is followed only when it leads to a folder inside the walk's boundary (the
 * folder walked, or `within`): a link out of the project is not a way to read outside it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Ignore } from 'ignore';
import { lazyRequire } from './lazy.js';
import { pathMatches } from '../rules/findings.js';
import { isWithin, realLocation } from './project-path.js';

/** Loaded on first use, not when a check kind is imported (startup). */
const loadIgnore = lazyRequire<typeof import('ignore')>('ignore');

const NEVER = new Set([
  '.git',
  'node_modules',
  '.hg',
  '.svn',
  '.mlgate',
  '__pycache__',
  '.venv',
  'venv',
  '.tox',
  '.mypy_cache',
]);

export interface WalkOptions {
  /** Honour .gitignore files (the root's and nested ones). */
  gitignore?: boolean;
  /** Extra folder names never to enter. */
  skip?: string[];
  /** Links are followed only to folders below this one (default: the folder walked). */
  within?: string;
}

/** Every file below `root`, as paths relative to it with forward slashes. */
export function walkFiles(root: string, options: WalkOptions = {}): string[] {
  const out: string[] = [];
  const skip = new Set([...NEVER, ...(options.skip ?? [])]);
  const boundary = realLocation(options.within ?? root);
  const inside = (path: string) => isWithin(boundary, realLocation(path));
  // `ancestors`: the real folders above this one; a link back to one would walk forever.
  const visit = (
    dir: string,
    rules: Array<{ base: string; matcher: Ignore }>,
    ancestors: ReadonlySet<string>,
    real: string,
  ) => {
    if (ancestors.has(real)) return;
    const chain = new Set(ancestors).add(real);
    let scoped = rules;
    if (options.gitignore) {
      const file = join(dir, '.gitignore');
      if (existsSync(file) && inside(file)) {
        scoped = [
          ...rules,
          {
            base: relative(root, dir).split(sep).join('/'),
            matcher: loadIgnore()({ ignorecase: false }).add(readFileSync(file, 'utf8')),
          },
        ];
      }
    }
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const absolute = join(dir, entry.name);
      const path = relative(root, absolute).split(sep).join('/');
      const isLink = entry.isSymbolicLink();
      if (isLink && !inside(absolute)) continue;
      const isDirectory = entry.isDirectory() || (isLink && safeIsDirectory(absolute));
      if (isDirectory && skip.has(entry.name)) continue;
      if (
        scoped.some(({ base, matcher }) => {
          const inner =
            base === '' ? path : path.startsWith(`${base}/`) ? path.slice(base.length + 1) : undefined;
          return inner !== undefined && matcher.ignores(isDirectory ? `${inner}/` : inner);
        })
      ) {
        continue;
      }
      // A plain folder's real path follows from its parent's; only a link needs resolving.
      if (isDirectory)
        visit(absolute, scoped, chain, isLink ? realLocation(absolute) : join(real, entry.name));
      else if (entry.isFile()) out.push(path);
    }
  };
  if (inside(root)) visit(root, [], new Set(), realLocation(root));
  return out.sort();
}

function safeIsDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Paths, folders and globs to files (relative to root, sorted, unique). A folder means the
 * files in it whose names match `folderPattern`; missing plain paths are returned in `missing`.
 */
export function expandPaths(
  root: string,
  patterns: string[],
  folderPattern: RegExp = /./,
): { files: string[]; missing: string[] } {
  const files = new Set<string>();
  const missing: string[] = [];
  let all: string[] | undefined;
  for (const pattern of patterns) {
    const clean = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
    if (/[*?[]/.test(clean)) {
      all ??= walkFiles(root);
      for (const file of all) if (pathMatches(clean, file)) files.add(file);
      continue;
    }
    const absolute = join(root, clean);
    if (!existsSync(absolute)) {
      missing.push(clean);
      continue;
    }
    if (statSync(absolute).isDirectory()) {
      for (const file of walkFiles(absolute))
        if (folderPattern.test(file.split('/').pop()!)) files.add(`${clean}/${file}`);
    } else files.add(clean);
  }
  return { files: [...files].sort(), missing };
}
