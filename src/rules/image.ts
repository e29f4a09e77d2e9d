/** An image reference: [registry/]repository[:tag][@digest]; Docker Hub names completed. */
export function parseImage(reference: string): {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
} {
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost'))
    registry = parts.shift()!;
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  return { registry, repository: parts.join('/'), ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}
