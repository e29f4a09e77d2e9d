/**
 * Files .gitignore keeps out of the scan. They are not in the repository, so a secret in one is
 * not a leak in git; but a build context (`COPY . .` without a .dockerignore entry), an sdist or
 * a deploy by rsync still ships them. So every one is counted and listed, and those that hold
 * credentials by their nature — `.env` files, keys and keystores, credential and config files,
 * anything under a `secrets/` folder — are scanned anyway: what is found in them is reported as
 * a warning, and never makes the item fail.
 *
 * Two ways .gitignore could hide a committed file are closed here. Git matches patterns with
 * case (core.ignorecase is false on Linux), so `APP.py` does not ignore `app.py`; and .gitignore
 * does not apply to files git already tracks: a committed file named in .gitignore later is
 * still in every clone, so it is scanned like any other.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ignore } from 'ignore';
import { lazyRequire } from '../../util/lazy.js';
import { isWithin, realLocation } from '../../util/project-path.js';
import { walkFiles } from '../../util/walk.js';

/** Loaded on first use, not when a check kind is imported (startup). */
const loadIgnore = lazyRequire<typeof import('ignore')>('ignore');

/** Ignored files scanned anyway, at most (a gitignored build or data folder may hold many). */
export const MAX_IGNORED_SCANNED = 1000;

/** How long asking git may take (a huge repository's index is read in well under this). */
const GIT_TIMEOUT_MS = 20_000;

export interface Partition {
  /** Files to scan: not ignored, or ignored but tracked by git. */
  files: string[];
  /** Files .gitignore excludes that git does not track. */
  ignored: string[];
  /** Of `files`, those .gitignore names that git tracks (scanned: they are committed). */
  tracked: string[];
  /** What git said, for the evidence: whether tracked files could be told apart. */
  git: { available: true; ignorecase: boolean } | { available: false; reason: string };
}

function withoutGitLocation(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of [
    'GIT_DIR',
    'GIT_WORK_TREE',
    'GIT_INDEX_FILE',
    'GIT_COMMON_DIR',
    'GIT_CEILING_DIRECTORIES',
  ])
    delete out[name];
  return out;
}

/** Output of a git command run in `cwd`, or the reason it could not be had. */
function git(
  cwd: string,
  args: string[],
  signal?: AbortSignal,
): Promise<{ ok: true; out: string } | { ok: false; code: number | string | undefined; reason: string }> {
  return new Promise((resolve) => {
    execFile(
      'git',
      // fsmonitor would run a program the repository's config names: never.
      ['-c', 'core.fsmonitor=false', ...args],
      {
        cwd,
        timeout: GIT_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: 1 << 28,
        encoding: 'utf8',
        signal,
        windowsHide: true,
        // The repository is the one the project is in, not one a hook's environment names.
        env: withoutGitLocation(process.env),
      },
      (error, stdout, stderr) => {
        if (!error) resolve({ ok: true, out: stdout });
        else {
          const code = (error as NodeJS.ErrnoException).code;
          const reason =
            code === 'ENOENT'
              ? 'git is not installed'
              : error.killed
                ? `git did not answer within ${GIT_TIMEOUT_MS / 1000} s`
                : (stderr.trim().split('\n')[0] ?? error.message);
          resolve({ ok: false, code, reason });
        }
      },
    );
  });
}

/** Files git tracks below `root` (paths relative to it), and whether it matches without case. */
async function gitTracked(
  root: string,
  signal?: AbortSignal,
): Promise<{ tracked: Set<string>; ignorecase: boolean } | { reason: string }> {
  const listed = await git(root, ['ls-files', '-z', '--cached'], signal);
  if (signal?.aborted) throw signal.reason;
  if (!listed.ok) {
    // Not in a git work tree: git tracks nothing here, .gitignore alone decides.
    if (/not a git repository/i.test(listed.reason)) return { tracked: new Set(), ignorecase: false };
    return { reason: listed.reason };
  }
  const config = await git(root, ['config', '--type=bool', '--get', 'core.ignorecase'], signal);
  const ignorecase = config.ok && config.out.trim() === 'true';
  return { tracked: new Set(listed.out.split('\0').filter(Boolean)), ignorecase };
}

/**
 * Every file below `root` (gitignore: false) split into what to scan and what .gitignore leaves
 * out, with git's rules: patterns match with case unless core.ignorecase says otherwise, and a
 * file git tracks is scanned whatever .gitignore says. Without git, .gitignore alone decides.
 */
export async function partitionByGitignore(root: string, signal?: AbortSignal): Promise<Partition> {
  const all = walkFiles(root, { gitignore: false });
  const gitignores = all.filter((file) => file === '.gitignore' || file.endsWith('/.gitignore'));
  const answer = gitignores.length ? await gitTracked(root, signal) : undefined;
  const gitState: Partition['git'] =
    answer === undefined || 'tracked' in answer
      ? { available: true, ignorecase: answer?.ignorecase ?? false }
      : { available: false, reason: answer.reason };
  if (gitignores.length === 0) return { files: all, ignored: [], tracked: [], git: gitState };
  const ignorecase = answer && 'tracked' in answer ? answer.ignorecase : false;
  const boundary = realLocation(root);
  const matchers = new Map<string, Ignore>();
  for (const file of gitignores) {
    const absolute = join(root, file);
    // As the walk does: a .gitignore that is a link out of the project is not read.
    if (!isWithin(boundary, realLocation(absolute))) continue;
    let text: string;
    try {
      text = readFileSync(absolute, 'utf8');
    } catch {
      continue;
    }
    const base = file === '.gitignore' ? '' : file.slice(0, -'/.gitignore'.length);
    matchers.set(base, loadIgnore()({ ignorecase }).add(text));
  }
  const isIgnored = (file: string): boolean => {
    // Each .gitignore above the file judges its path below that folder (and the folders on
    // the way: a folder it ignores is not entered).
    let slash = -1;
    for (;;) {
      const base = slash === -1 ? '' : file.slice(0, slash);
      const matcher = matchers.get(base);
      if (matcher?.ignores(slash === -1 ? file : file.slice(slash + 1))) return true;
      slash = file.indexOf('/', slash + 1);
      if (slash === -1) return false;
    }
  };
  const files: string[] = [];
  const ignored: string[] = [];
  const tracked: string[] = [];
  const trackedSet = answer && 'tracked' in answer ? answer.tracked : undefined;
  for (const file of all) {
    if (!isIgnored(file)) files.push(file);
    else if (trackedSet?.has(file)) {
      files.push(file);
      tracked.push(file);
    } else ignored.push(file);
  }
  return { files, ignored, tracked, git: gitState };
}

const WORTH_A_LOOK =
  /(?:^|\/)(?:\.env(?:\.[^/]*)?|[^/]*\.(?:env|pem|key|p12|pfx|jks|keystore|ppk|tfvars|tfstate|ya?ml|json|toml|ini|cfg|conf|properties|xml)|id_(?:rsa|dsa|ecdsa|ed25519)|\.?(?:npmrc|pypirc|netrc|htpasswd|git-credentials|dockercfg|pgpass|s3cfg|boto)|credentials|kubeconfig)$|(?:^|\/)(?:secrets?|credentials|\.aws|\.ssh|\.docker|\.kube)\//i;

/** An ignored file a build may still ship that holds credentials by its nature. */
export function worthScanningAnyway(path: string): boolean {
  return WORTH_A_LOOK.test(path);
}
