/**
 * Files .gitignore keeps out of the scan. They are not in the repository, so a secret in one is
 * not a leak in git; but a build context (`COPY . .` without a .dockerignore entry), an sdist or
 * a deploy by rsync still ships them. So every one is counted and listed, and those that hold
 * credentials by their nature — `.env` files, keys and keystores, credential and config files,
 * anything under a `secrets/` folder — are scanned anyway: what is found in them is reported as
 * a warning, and never makes the item fail.
 */
import { walkFiles } from '../../util/walk.js';

/** Ignored files scanned anyway, at most (a gitignored build or data folder may hold many). */
export const MAX_IGNORED_SCANNED = 1000;

/** Files below `root` that the walk honouring .gitignore left out (`kept`: what it returned). */
export function ignoredByGitignore(root: string, kept: readonly string[]): string[] {
  const keptSet = new Set(kept);
  return walkFiles(root, { gitignore: false }).filter((file) => !keptSet.has(file));
}

const WORTH_A_LOOK =
  /(?:^|\/)(?:\.env(?:\.[^/]*)?|[^/]*\.(?:env|pem|key|p12|pfx|jks|keystore|ppk|tfvars|tfstate|ya?ml|json|toml|ini|cfg|conf|properties|xml)|id_(?:rsa|dsa|ecdsa|ed25519)|\.?(?:npmrc|pypirc|netrc|htpasswd|git-credentials|dockercfg|pgpass|s3cfg|boto)|credentials|kubeconfig)$|(?:^|\/)(?:secrets?|credentials|\.aws|\.ssh|\.docker|\.kube)\//i;

/** An ignored file a build may still ship that holds credentials by its nature. */
export function worthScanningAnyway(path: string): boolean {
  return WORTH_A_LOOK.test(path);
}
