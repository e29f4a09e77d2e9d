/**
 * pip requirements files: which files are development-only, and whether a line pins what it
 * installs. https://pip.pypa.io/en/stable/reference/requirements-file-format/
 */

/** requirements.txt, requirements-gpu.txt, core-requirements.txt, requirements/base.txt. */
export const REQUIREMENTS_FILE = /(^|\/)([^/]*requirements[^/]*\.txt|requirements\/[^/]+\.txt)$/;

/** Words that mark a requirements file as development-only (tests, linting, docs, CI). */
const DEV_WORDS = new Set([
  'dev',
  'devel',
  'develop',
  'development',
  'test',
  'tests',
  'testing',
  'lint',
  'linting',
  'doc',
  'docs',
  'ci',
  'typing',
  'mypy',
  'format',
  'style',
  'precommit',
  'pre-commit',
  'bench',
  'benchmark',
  'benchmarks',
]);

/**
 * Whether a requirements file is for development only, by its name: requirements-dev.txt,
 * dev-requirements.txt, requirements_test.txt, requirements/dev.txt, requirements/lint.txt,
 * test-requirements.txt, requirements/skinny-test-requirements.txt.
 */
export function isDevRequirements(path: string): boolean {
  const parts = path.toLowerCase().split('/');
  const name = parts.pop()!.replace(/\.txt$/, '');
  // docs/requirements.txt (Read the Docs), tests/requirements.txt: the folder says it too.
  const words = [name, ...parts].flatMap((part) => part.split(/[-_.]+/));
  return words.some((word) => DEV_WORDS.has(word));
}

const EXACT = /^\s*[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*===?\s*[^\s,;<>=!~*]+\s*(;.*)?$/;
const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/i;

/** Why a requirement line does not pin what it installs, or undefined when it does. */
export function unpinnedReason(line: string): string | undefined {
  const requirement = line.split(/\s+--hash[= ]/)[0]!.trim();
  const hashed = /\s--hash[= ]/.test(line);
  // `name @ URL` (PEP 508) or a bare URL.
  const url =
    /^(?:[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\s*@\s*)?((?:git|hg|svn|bzr)\+\S+|https?:\/\/\S+|file:\S+)/.exec(
      requirement,
    )?.[1];
  if (url) return urlReason(url, hashed);
  // A path in the repository is versioned with it.
  if (/^\.{1,2}(\/|$)/.test(requirement)) return undefined;
  if (/^\//.test(requirement)) return 'a path outside the repository: what it installs is not versioned here';
  if (EXACT.test(requirement)) return undefined;
  return 'not pinned with ==';
}

function urlReason(url: string, hashed: boolean): string | undefined {
  const clean = url.replace(/[;\s].*$/, '');
  const vcs = /^(git|hg|svn|bzr)\+/.exec(clean)?.[1];
  if (vcs) {
    // The ref is after the last @ of the path, not the user's `git@` in the host part.
    const withoutFragment = clean.replace(/#.*$/, '');
    const afterScheme = withoutFragment.replace(/^[a-z+]+:\/\//, '');
    const path = afterScheme.slice(afterScheme.indexOf('/') + 1);
    const at = path.lastIndexOf('@');
    const ref = at === -1 ? undefined : path.slice(at + 1);
    if (!ref) return 'a VCS URL without a ref: it installs whatever the default branch is at install time';
    if (COMMIT.test(ref)) return undefined;
    if (vcs === 'hg' && /^[0-9a-f]{40}$/i.test(ref)) return undefined;
    return `@${ref} is a branch or tag name, which can move: pin the full commit sha (@<40 hex digits>)`;
  }
  if (/^file:/.test(clean)) return 'a file: URL: what it installs is not versioned here';
  if (hashed || /#(sha256|sha384|sha512)=[0-9a-f]+/i.test(clean)) return undefined;
  const file = decodeURIComponent(
    clean
      .replace(/[#?].*$/, '')
      .split('/')
      .pop() ?? '',
  );
  // A wheel or sdist file name carries its version; an index does not replace a published file.
  if (/\.whl$/.test(file) || /^[A-Za-z0-9_.]+-\d[\w.+!-]*\.(tar\.gz|zip|tar\.bz2)$/.test(file))
    return undefined;
  // GitHub/GitLab archives of a commit.
  if (/\/archive\/(?:[^/]*\/)*[0-9a-f]{40}\.(tar\.gz|zip)$/i.test(clean.replace(/[#?].*$/, '')))
    return undefined;
  return 'a URL to an archive of a branch or tag, which can change: use a commit sha or add --hash';
}

/** One requirement or constraint line of a requirements file, continuation lines joined. */
export interface RequirementLine {
  file: string;
  /** 1-based line where it starts. */
  line: number;
  /** The requirement without comment or `-e` ("torch==2.1.0", "git+https://…@sha"). */
  text: string;
  /** From a `-c` constraints file: pins what another line installs, installs nothing itself. */
  constraint: boolean;
}

export interface IncludeProblem {
  file: string;
  line: number;
  message: string;
  /** `unparseable` (could not be followed) or `unpinned` (a remote file, not versioned here). */
  rule: 'unparseable' | 'unpinned';
}

export interface RequirementsTree {
  lines: RequirementLine[];
  /** Every file read, in order, with how it was reached (the root has no `via`). */
  files: Array<{ file: string; via?: string; constraint: boolean }>;
  problems: IncludeProblem[];
}

/** pip follows includes without a limit; a chain deeper than this is a mistake or a loop. */
export const MAX_INCLUDE_DEPTH = 10;

/**
 * `-r FILE`, `-rFILE` (optparse takes a short option's value glued on), `--requirement FILE`,
 * `--requirement=FILE`, and the unique prefixes optparse accepts (`--requirem`, `--cons`).
 */
const INCLUDE =
  /^(?:-([rc])\s*(\S+)|--(requirem(?:ent|en|e)?|cons(?:traint|train|trai|tra|tr|t)?)(?:\s+|\s*=\s*)(\S+))/;
/** An include option whose file could not be read from the line (`-r` alone). */
const INCLUDE_OPTION = /^(?:-[rc](?:\s|$)|--requirem|--cons)/;

/**
 * A requirements file with everything it includes: `-r FILE` (its requirements are installed
 * too) and `-c FILE` (constraints: they pin versions of what is installed). Paths are relative
 * to the including file, as pip reads them; each file is read once (cycles are cut), to a
 * bounded depth, and what cannot be followed is a problem, never skipped quietly.
 */
export function readRequirementsTree(
  root: string,
  read: (file: string) => string | 'missing' | 'too large' | 'binary' | 'unreadable',
): RequirementsTree {
  const tree: RequirementsTree = { lines: [], files: [], problems: [] };
  const seen = new Set<string>();
  const visit = (file: string, constraint: boolean, depth: number, via?: string) => {
    seen.add(file);
    const text = read(file);
    if (typeof text !== 'string' || text === 'missing') return;
    tree.files.push({ file, ...(via ? { via } : {}), constraint });
    const lines = text.split(/\r?\n/);
    for (let index = 0; index < lines.length; index++) {
      let logical = lines[index]!;
      const first = index;
      // A requirement can continue over lines ending in a backslash (hashes, options).
      while (/\\\s*$/.test(logical) && index + 1 < lines.length)
        logical = `${logical.replace(/\\\s*$/, ' ')}${lines[++index]!}`;
      let line = logical.replace(/(^|\s)#.*$/, '').trim();
      if (!line) continue;
      const match = INCLUDE.exec(line);
      if (!match && INCLUDE_OPTION.test(line)) {
        // pip stops on it; skipping it would pass a file whose includes nobody read.
        tree.problems.push({
          file,
          line: first + 1,
          rule: 'unparseable',
          message: `${line}: an include with no file name, not followed`,
        });
        continue;
      }
      if (match) {
        const constraintOption = match[1] === 'c' || (match[3] ?? '').startsWith('cons');
        const include = [line, constraintOption ? '-c' : '-r', match[2] ?? match[4]!] as const;
        const target = include[2];
        const isConstraint = constraintOption;
        const at = { file, line: first + 1 };
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
          tree.problems.push({
            ...at,
            rule: 'unpinned',
            message: `${include[1]} ${target}: a remote requirements file, not versioned here: commit it and include it by path`,
          });
          continue;
        }
        const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '';
        const resolved = normalisePath(dir ? `${dir}/${target}` : target);
        if (resolved === undefined) {
          tree.problems.push({
            ...at,
            rule: 'unparseable',
            message: `${include[1]} ${target}: outside the folder checked, not followed; set \`path\` to a folder that contains it`,
          });
          continue;
        }
        if (seen.has(resolved)) continue;
        if (depth + 1 > MAX_INCLUDE_DEPTH) {
          tree.problems.push({
            ...at,
            rule: 'unparseable',
            message: `${include[1]} ${target}: includes nested deeper than ${MAX_INCLUDE_DEPTH} files, not followed`,
          });
          continue;
        }
        const state = read(resolved);
        if (typeof state !== 'string' || state === 'missing') {
          seen.add(resolved);
          tree.problems.push({
            ...at,
            rule: 'unparseable',
            message: `${include[1]} ${target}: ${state === 'missing' ? `${resolved} does not exist` : `${resolved} was not read (${state})`}, so what it installs was not judged`,
          });
          continue;
        }
        visit(resolved, constraint || isConstraint, depth + 1, file);
        continue;
      }
      // Editable VCS installs are judged like any VCS requirement; `-e .` is the project.
      const editable = /^(?:-e|--editable)(?:\s+|=)(.+)$/.exec(line);
      if (editable) line = editable[1]!.trim();
      else if (line.startsWith('-')) continue;
      tree.lines.push({ file, line: first + 1, text: line, constraint });
    }
  };
  visit(root, false, 0);
  return tree;
}

/** "a/./b/../c.txt" → "a/c.txt"; undefined when it leaves the folder (or is absolute). */
function normalisePath(path: string): string | undefined {
  if (path.startsWith('/')) return undefined;
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

/** The package an exact pin is for ("torch" for "torch==2.1.0"), normalised as PEP 503 says. */
export function exactPinName(text: string): string | undefined {
  const requirement = text.split(/\s+--hash[= ]/)[0]!.trim();
  if (!EXACT.test(requirement)) return undefined;
  return /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/
    .exec(requirement)![1]!
    .toLowerCase()
    .replace(/[-_.]+/g, '-');
}
