/**
 * The small JSONPath subset response assertions need, in the notation people copy from
 * Postman, k6 and jq-like tools:
 *
 *   $.prediction   $.probabilities[0]   $.results[-1].label   $['model-version']
 *   $.results[*].label   $.probabilities.*
 *
 * A leading "$" is optional; "/a/b" (a JSON pointer) also works. No filters or slices: the
 * text comes from a spec file and selects values, nothing more.
 */

export type JsonPathSegment = { key: string } | { index: number } | { wildcard: true };

export class JsonPathSyntaxError extends Error {}

export function parseJsonPath(text: string): JsonPathSegment[] {
  const source = text.trim();
  if (source.startsWith('/')) {
    return source
      .slice(1)
      .split('/')
      .filter((part, index, all) => part !== '' || index < all.length - 1)
      .map((part) => {
        const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
        return /^(0|[1-9]\d*)$/.test(key) ? { index: Number(key) } : { key };
      });
  }
  const segments: JsonPathSegment[] = [];
  let rest = source.startsWith('$') ? source.slice(1) : source;
  if (rest !== '' && !rest.startsWith('.') && !rest.startsWith('[')) rest = `.${rest}`;
  while (rest.length > 0) {
    let match: RegExpExecArray | null;
    if ((match = /^\.\*/.exec(rest)) || (match = /^\[\*\]/.exec(rest))) {
      segments.push({ wildcard: true });
    } else if ((match = /^\.([A-Za-z_$@][\w$@-]*)/.exec(rest))) {
      segments.push({ key: match[1]! });
    } else if ((match = /^\[(-?\d+)\]/.exec(rest))) {
      segments.push({ index: Number(match[1]) });
    } else if (
      (match = /^\[\s*'((?:[^'\\]|\\.)*)'\s*\]/.exec(rest)) ||
      (match = /^\[\s*"((?:[^"\\]|\\.)*)"\s*\]/.exec(rest))
    ) {
      segments.push({ key: match[1]!.replace(/\\(.)/g, '$1') });
    } else {
      throw new JsonPathSyntaxError(
        `cannot read JSON path "${source}" at "${rest}": write $.a.b, $.list[0], $.list[*].x or $['odd-key']`,
      );
    }
    rest = rest.slice(match[0].length);
  }
  return segments;
}

export interface JsonPathMatch {
  /** Concrete path of this value, e.g. "$.results[2].label". */
  path: string;
  value: unknown;
}

/** Every value the path selects; none when a step does not exist. */
export function selectJsonPath(document: unknown, segments: readonly JsonPathSegment[]): JsonPathMatch[] {
  let current: JsonPathMatch[] = [{ path: '$', value: document }];
  for (const segment of segments) {
    const next: JsonPathMatch[] = [];
    for (const { path, value } of current) {
      if ('wildcard' in segment) {
        if (Array.isArray(value))
          value.forEach((element, index) => next.push({ path: `${path}[${index}]`, value: element }));
        else if (value !== null && typeof value === 'object') {
          for (const [key, element] of Object.entries(value))
            next.push({ path: `${path}${keyText(key)}`, value: element });
        }
      } else if ('index' in segment) {
        if (Array.isArray(value)) {
          const index = segment.index < 0 ? value.length + segment.index : segment.index;
          if (index >= 0 && index < value.length)
            next.push({ path: `${path}[${index}]`, value: value[index] });
        }
      } else if (
        value !== null &&
        typeof value === 'object' &&
        !Array.isArray(value) &&
        Object.hasOwn(value, segment.key)
      ) {
        next.push({
          path: `${path}${keyText(segment.key)}`,
          value: (value as Record<string, unknown>)[segment.key],
        });
      }
    }
    current = next;
  }
  return current;
}

function keyText(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `['${key.replace(/'/g, "\\'")}']`;
}

/** The JSON type name as JSON Schema spells it ("integer" for whole numbers). */
export function jsonType(
  value: unknown,
): 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as 'boolean' | 'string' | 'object';
}
