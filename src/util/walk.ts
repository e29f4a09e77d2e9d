/**
 * Files under a folder, for the checks that read a project: expanded from paths, folders and
 * globs ("k8s/**\/*.yaml"), optionally honouring .gitignore files (with git's semantics, via
 * the `ignore` package). Version-control and dependency folders are never entered.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { pathMatches } from '../rules/findings.js';

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
}

/** Every file below `root`, as paths relative to it with forward slashes. */
export function walkFiles(root: string, options: WalkOptions = {}): string[] {
  const out: string[] = [];
  const skip = new Set([...NEVER, ...(options.skip ?? [])]);
  const visit = (dir: string, rules: Array<{ base: string; matcher: Ignore }>) => {
    let scoped = rules;
    if (options.gitignore) {
      const file = join(dir, '.gitignore');
      if (existsSync(file)) {
        scoped = [
          ...rules,
          {
            base: relative(root, dir).split(sep).join('/'),
            matcher: ignore().add(readFileSync(file, 'utf8')),
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
      const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && safeIsDirectory(absolute));
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
      if (isDirectory) visit(absolute, scoped);
      else if (entry.isFile()) out.push(path);
    }
  };
  visit(root, []);
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
