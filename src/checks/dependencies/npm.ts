/**
 * npm lock files, every version of them, and npm workspaces.
 *
 * - lockfileVersion 2 and 3 have `packages`: `""` is the root (with the ranges it was made
 *   for), `"packages/api"` a workspace, `"node_modules/x"` an installed package.
 * - lockfileVersion 1 (npm 5–6) has only a `dependencies` tree: name → {version, requires,
 *   dependencies}. It does not record the ranges it was made for, so a declared dependency is
 *   in step when it is installed at a version the range accepts (what `npm ci` checks).
 * https://docs.npmjs.com/cli/v10/configuring-npm/package-lock-json
 */

export interface NpmLock {
  lockfileVersion?: number;
  packages?: Record<string, { dependencies?: Record<string, string>; version?: string; link?: boolean }>;
  dependencies?: Record<string, { version?: string; dev?: boolean }>;
}

export interface Drift {
  dependency: string;
  message: string;
}

/**
 * What is out of step between the dependencies a package.json declares and its lock. `folder`
 * is the package's folder relative to the lock's ("" for the root, "packages/api" for a
 * workspace).
 */
export function npmLockDrift(
  lock: NpmLock,
  folder: string,
  declared: Array<[string, string]>,
  lockName: string,
): Drift[] {
  const out: Drift[] = [];
  if (lock.packages) {
    const entry = lock.packages[folder];
    if (!entry)
      return [
        {
          dependency: '',
          message: `${lockName} has no entry for the workspace ${folder}: run npm install at the workspace root`,
        },
      ];
    const recorded = entry.dependencies ?? {};
    for (const [dependency, spec] of declared) {
      if (recorded[dependency] !== spec)
        out.push({
          dependency,
          message: `${dependency}: ${folder ? `${folder}/` : ''}package.json wants "${spec}", the lock file was made for "${recorded[dependency] ?? 'nothing'}"`,
        });
      else if (
        !lock.packages[`${folder ? `${folder}/` : ''}node_modules/${dependency}`] &&
        !lock.packages[`node_modules/${dependency}`]
      )
        out.push({ dependency, message: `${dependency} is declared but not installed in the lock file` });
    }
    return out;
  }
  if (lock.dependencies) {
    // lockfileVersion 1: only the installed tree.
    for (const [dependency, spec] of declared) {
      const installed = lock.dependencies[dependency];
      if (!installed?.version) {
        out.push({ dependency, message: `${dependency} is in package.json but not in the lock file` });
        continue;
      }
      const accepted = satisfies(installed.version, spec);
      if (accepted === false)
        out.push({
          dependency,
          message: `${dependency}: package.json wants "${spec}", the lock file installs ${installed.version}`,
        });
    }
    return out;
  }
  return [
    {
      dependency: '',
      message: `${lockName} has neither "packages" nor "dependencies": not a lock file npm wrote`,
    },
  ];
}

/** The workspace globs of a package.json: `["packages/*"]` or `{packages: [...]}` (yarn 1). */
export function workspaceGlobs(manifest: unknown): string[] {
  const workspaces = (manifest as { workspaces?: unknown } | null)?.workspaces;
  const list = Array.isArray(workspaces)
    ? workspaces
    : Array.isArray((workspaces as { packages?: unknown } | undefined)?.packages)
      ? (workspaces as { packages: unknown[] }).packages
      : [];
  return list.filter((glob): glob is string => typeof glob === 'string');
}

/** Whether a folder (relative to the workspace root) is one of the workspace globs. */
export function inWorkspace(globs: string[], folder: string): boolean {
  const clean = (path: string) => path.replace(/^\.\//, '').replace(/\/+$/, '');
  return globs.some((glob) => {
    const pattern = clean(glob);
    if (pattern.startsWith('!')) return false;
    let regex = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === '*' && pattern[i + 1] === '*') {
        regex += '.*';
        i++;
      } else if (c === '*') regex += '[^/]*';
      else if (c === '?') regex += '[^/]';
      else regex += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${regex}$`).test(folder);
  });
}

// --- A subset of npm's range grammar, enough to judge a lock: x.y.z, ^, ~, comparators,
// x-ranges, hyphen ranges, ||. Anything else (tags, URLs, npm: aliases) is "cannot tell".

type Version = [number, number, number, string];

function parseVersion(text: string): Version | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:-([\w.-]+))?(?:\+[\w.-]+)?$/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3]), match[4] ?? ''] : undefined;
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  if (a[3] === b[3]) return 0;
  if (a[3] === '') return 1;
  if (b[3] === '') return -1;
  return a[3] < b[3] ? -1 : 1;
}

/** A partial version "1", "1.2", "1.x", "*" → [lower bound, upper bound (exclusive)]. */
function partial(text: string): { parts: number[]; pre: string } | undefined {
  const match = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([\w.-]+))?(?:\+[\w.-]+)?$/.exec(text);
  if (!match) return undefined;
  const parts: number[] = [];
  for (const part of [match[1], match[2], match[3]]) {
    if (part === undefined || /^[xX*]$/.test(part)) break;
    parts.push(Number(part));
  }
  return { parts, pre: match[4] ?? '' };
}

type Comparator = (v: Version) => boolean;

function comparators(range: string): Comparator[] | undefined {
  const out: Comparator[] = [];
  const hyphen = /^\s*(\S+)\s+-\s+(\S+)\s*$/.exec(range);
  if (hyphen) {
    const low = partial(hyphen[1]!);
    const high = partial(hyphen[2]!);
    if (!low || !high) return undefined;
    const lowV: Version = [low.parts[0] ?? 0, low.parts[1] ?? 0, low.parts[2] ?? 0, low.pre];
    out.push((v) => compare(v, lowV) >= 0);
    if (high.parts.length === 3) {
      const highV: Version = [high.parts[0]!, high.parts[1]!, high.parts[2]!, high.pre];
      out.push((v) => compare(v, highV) <= 0);
    } else if (high.parts.length > 0) {
      const bump = [...high.parts];
      bump[bump.length - 1]!++;
      const highV: Version = [bump[0]!, bump[1] ?? 0, bump[2] ?? 0, ''];
      out.push((v) => compare(v, highV) < 0);
    }
    return out;
  }
  const tokens = range
    .trim()
    .replace(/(>=|<=|>|<|=|\^|~>?)\s+/g, '$1')
    .split(/\s+/)
    .filter(Boolean);
  for (const token of tokens) {
    const match = /^(>=|<=|>|<|=|\^|~>?)?(.*)$/.exec(token)!;
    const operator = match[1] ?? '';
    const version = partial(match[2]!);
    if (!version) return undefined;
    const [major, minor, patch] = version.parts;
    const full: Version = [major ?? 0, minor ?? 0, patch ?? 0, version.pre];
    const upper = (index: number): Version => {
      const bumped: number[] = [major ?? 0, minor ?? 0, patch ?? 0];
      bumped[index]!++;
      for (let i = index + 1; i < 3; i++) bumped[i] = 0;
      return [bumped[0]!, bumped[1]!, bumped[2]!, ''];
    };
    const between =
      (low: Version, high: Version): Comparator =>
      (v) =>
        compare(v, low) >= 0 && compare(v, high) < 0;
    const count = version.parts.length;
    if (operator === '^') {
      const index = major !== 0 || count < 2 ? 0 : minor !== 0 || count < 3 ? 1 : 2;
      out.push(between(full, upper(Math.min(index, Math.max(count - 1, 0)))));
    } else if (operator === '~' || operator === '~>') out.push(between(full, upper(count < 2 ? 0 : 1)));
    else if (operator === '>=') out.push((v) => compare(v, full) >= 0);
    else if (operator === '>')
      out.push((v) => (count === 3 ? compare(v, full) > 0 : compare(v, upper(count - 1)) >= 0));
    else if (operator === '<=')
      out.push((v) => (count === 3 ? compare(v, full) <= 0 : compare(v, upper(count - 1)) < 0));
    else if (operator === '<') out.push((v) => compare(v, full) < 0);
    else if (count === 0) out.push(() => true);
    else if (count < 3) out.push(between(full, upper(count - 1)));
    else out.push((v) => compare(v, full) === 0);
  }
  return out;
}

/** Whether `version` is in the npm range; undefined when the range is not one (a tag, a URL). */
export function satisfies(version: string, range: string): boolean | undefined {
  const v = parseVersion(version);
  if (!v) return undefined;
  const spec = range.trim();
  if (spec === '' || spec === '*' || spec === 'latest') return spec === 'latest' ? undefined : true;
  let known = false;
  for (const alternative of spec.split('||')) {
    const list = comparators(alternative);
    if (!list) continue;
    known = true;
    // A prerelease only satisfies a range that names a prerelease of the same x.y.z.
    if (v[3] !== '' && !/-/.test(alternative)) continue;
    if (list.every((test) => test(v))) return true;
  }
  return known ? false : undefined;
}
