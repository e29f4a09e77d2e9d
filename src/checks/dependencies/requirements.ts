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
