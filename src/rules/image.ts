/**
 * Image references as Dockerfiles, compose files and Kubernetes manifests write them.
 * `parseImage` keeps its shape for every caller; the helpers below add what the rules need:
 * ko:// references, registries with ports, wildcard registry patterns, and the short list of
 * base images known to run as a non-root user.
 */

export interface ImageReference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
  /** `ko://import/path`: built from source by ko at deploy time, not pulled by a tag. */
  ko?: true;
}

/** Docker Hub's other names, so "docker.io" patterns match every form. */
const DOCKER_HUB = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

/** An image reference: [registry[:port]/]repository[:tag][@digest]; Docker Hub names completed. */
export function parseImage(reference: string): ImageReference {
  const ko = /^ko:\/\/(.+)$/.exec(reference.trim());
  if (ko) return { registry: 'ko', repository: ko[1]!, ko: true };
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  // A colon after the last slash is the tag's; one before it is a registry's port.
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost'))
    registry = parts.shift()!.toLowerCase();
  if (DOCKER_HUB.has(registry)) registry = 'docker.io';
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  return { registry, repository: parts.join('/'), ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/**
 * What is wrong with how an image is pinned: no tag, or :latest (a digest pins it either way;
 * a ko:// reference is built from the source tree it sits in). Undefined when it is pinned.
 */
export function imageTagProblem(reference: string): 'no tag' | 'latest' | undefined {
  const image = parseImage(reference);
  if (image.ko || image.digest) return undefined;
  if (!image.tag) return 'no tag';
  // Registries treat tags case-sensitively, but "LATEST" is the same intent and no release.
  return image.tag?.toLowerCase() === 'latest' ? 'latest' : undefined;
}

function globRegex(glob: string): RegExp {
  // `*` stays within one name part: *.example.com matches a.example.com, not a/b.example.com
  const body = glob
    .replace(/[.+^${}()|[\]\\?]/g, '\\$&')
    .replace(/\*\*/g, '\u0000')
    .replace(/\*/g, '[^/]*');
  return new RegExp(`^${body.replace(/\u0000/g, '.*')}$`);
}

/**
 * Whether an image comes from a registry pattern: "nvcr.io", "docker.io/library",
 * "localhost:5000", "*.dkr.ecr.*.amazonaws.com", "ghcr.io/my-org/*", "*" (anything).
 * A pattern without a wildcard matches its own path and everything below it.
 */
export function registryMatches(reference: string, pattern: string): boolean {
  const image = parseImage(reference);
  const full = `${image.registry}/${image.repository}`;
  let clean = pattern.trim().replace(/\/+$/, '');
  if (clean === '*' || clean === '**') return true;
  const [first, ...rest] = clean.split('/');
  if (first && DOCKER_HUB.has(first.toLowerCase())) clean = ['docker.io', ...rest].join('/');
  if (clean.includes('*')) {
    const regex = globRegex(clean);
    // a pattern for registries (no slash) matches every repository in them
    const parts = full.split('/');
    for (let n = 1; n <= parts.length; n++) if (regex.test(parts.slice(0, n).join('/'))) return true;
    return false;
  }
  return full === clean || full.startsWith(`${clean}/`);
}

/**
 * Base images known to run as a non-root user by default, so an image built on them without a
 * USER line does not run as root. Kept short on purpose: only images whose own build sets the
 * user (documented by their publishers). Anything else: say it with a USER line.
 */
export const NON_ROOT_IMAGES: ReadonlyArray<{ pattern: string; tag?: RegExp; user: string; note: string }> = [
  {
    pattern: 'gcr.io/distroless/**',
    tag: /(^|-)nonroot(-|$)/,
    user: '65532 (nonroot)',
    note: 'distroless :nonroot and :debug-nonroot tags',
  },
  {
    pattern: 'cgr.dev/chainguard/**',
    tag: /^(?!.*dev)/,
    user: '65532 (nonroot)',
    note: 'Chainguard images, except the -dev variants',
  },
  { pattern: 'docker.io/nginxinc/nginx-unprivileged', user: '101 (nginx)', note: 'unprivileged NGINX' },
  { pattern: 'docker.io/jupyter/**', user: '1000 (jovyan)', note: 'Jupyter Docker Stacks' },
  { pattern: 'quay.io/jupyter/**', user: '1000 (jovyan)', note: 'Jupyter Docker Stacks' },
  {
    pattern: 'registry.access.redhat.com/ubi*/python-*',
    user: '1001 (default)',
    note: 'Red Hat UBI Python images',
  },
  {
    pattern: 'registry.access.redhat.com/ubi*/nodejs-*',
    user: '1001 (default)',
    note: 'Red Hat UBI Node.js images',
  },
];

/** The non-root user a known base image runs as, or undefined when it is not on the list. */
export function knownNonRootUser(reference: string): { user: string; note: string } | undefined {
  const image = parseImage(reference);
  if (image.ko) return undefined;
  for (const entry of NON_ROOT_IMAGES) {
    if (!globRegex(entry.pattern).test(`${image.registry}/${image.repository}`)) continue;
    if (entry.tag && !entry.tag.test(image.tag ?? 'latest')) continue;
    return { user: entry.user, note: entry.note };
  }
  return undefined;
}

/** The recognised base images, for messages and docs. */
export function nonRootImagesText(): string {
  return NON_ROOT_IMAGES.map((e) => `${e.pattern}${e.tag ? ` (${e.note})` : ''}`).join(', ');
}
