/**
 * Paths written in a spec stay inside the project (the spec's folder) unless the spec says
 * otherwise. A path is judged by where it really leads: `..` segments, absolute paths and
 * symbolic links (also a link that is the last part and points nowhere yet) are followed
 * before the result is compared with the real project root. Whatever is outside is never
 * read, so its contents cannot reach a report.
 */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** How many links one path may go through before it counts as a loop (as Linux's ELOOP). */
const MAX_LINKS = 40;

export class OutsideProjectError extends Error {
  constructor(
    /** The path as written. */
    readonly path: string,
    /** Where it really leads. */
    readonly realPath: string,
    /** How to allow it, appended to the message. */
    hint = 'set allow_outside_project: true on this item to read it',
  ) {
    super(`path ${path} resolves outside the project (${realPath})${hint ? `; ${hint}` : ''}`);
    this.name = 'OutsideProjectError';
  }
}

/**
 * The real location of a path that may not exist (yet): the realpath of what exists, links
 * followed (a dangling one too, by its target), and the parts that do not exist appended.
 */
export function realLocation(path: string): string {
  return follow(resolve(path), 0);
}

function follow(absolute: string, links: number): string {
  try {
    return realpathSync.native(absolute);
  } catch {
    // Something along the way does not exist, loops, or cannot be read: go part by part.
  }
  const parent = dirname(absolute);
  if (parent === absolute) return absolute;
  const realParent = follow(parent, links);
  const here = join(realParent, basename(absolute));
  try {
    if (lstatSync(here).isSymbolicLink()) {
      // A link whose target does not exist (yet) still leads there: judge it by its target.
      if (links >= MAX_LINKS) return here;
      return follow(resolve(realParent, readlinkSync(here)), links + 1);
    }
  } catch {
    // Not there at all: the rest of the path is taken as written.
  }
  return here;
}

/** Whether `candidate` is `root` or below it (both already real, absolute paths). */
export function isWithin(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

export interface ProjectPathOptions {
  /** The folder the path must stay in, when wider than the one it is relative to. */
  within?: string;
  /** The spec allows this path to lead outside the project. */
  allowOutside?: boolean;
  /** Real paths outside the project the spec allowed one by one (artifacts it opted in). */
  allowed?: Iterable<string>;
  /** The end of the error message: how to allow it. */
  hint?: string;
}

/**
 * The absolute path of `path` (relative to `root`, or absolute), when it leads inside the
 * project; throws OutsideProjectError when it leads outside and nothing allows that. The
 * returned path is the real one, links already followed: a link swapped for another between
 * this judgement and the read cannot redirect the read (only renaming a real folder of the
 * path could, which needs write access to the project's own folders).
 */
export function resolveInProject(root: string, path: string, options: ProjectPathOptions = {}): string {
  const absolute = resolve(root, path);
  if (options.allowOutside) return absolute;
  const real = realLocation(absolute);
  if (isWithin(realLocation(options.within ?? root), real)) return real;
  for (const allowed of options.allowed ?? []) if (allowed === real) return real;
  throw new OutsideProjectError(path, real, options.hint);
}
