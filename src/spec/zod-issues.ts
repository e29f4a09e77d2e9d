/**
 * Turns zod's validation issues into messages a person can act on: what was expected, what
 * was found, which keys are allowed, and the closest name for a typo.
 */
import type { z } from 'zod';
import { didYouMean } from '../util/suggest.js';
import type { YamlPath } from '../util/yaml-source.js';

interface ZodDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
  getter?: () => z.ZodType;
}

const defOf = (schema: z.ZodType): ZodDef => (schema as unknown as { _zod: { def: ZodDef } })._zod.def;

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else if (def.type === 'lazy' && def.getter) current = def.getter();
    else return current;
  }
}

/** The object schema a path leads to, for listing its allowed keys. */
export function schemaAt(schema: z.ZodType, path: YamlPath): z.ZodType | undefined {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (!current) return undefined;
    const def = defOf(current);
    if (def.type === 'union' && def.options) {
      current = def.options
        .map(unwrap)
        .find((option) => defOf(option).type === (typeof segment === 'number' ? 'array' : 'object'));
      if (!current) return undefined;
    }
    const inner = defOf(current);
    if (inner.type === 'object' && inner.shape && typeof segment === 'string') current = inner.shape[segment];
    else if (inner.type === 'array' && inner.element) current = inner.element;
    else if (inner.type === 'record' && inner.valueType) current = inner.valueType;
    else return undefined;
    current = current ? unwrap(current) : undefined;
  }
  if (current && defOf(current).type === 'union') {
    return (
      defOf(current)
        .options?.map(unwrap)
        .find((option) => defOf(option).type === 'object') ?? current
    );
  }
  return current;
}

export function allowedKeys(schema: z.ZodType, path: YamlPath): string[] {
  const target = schemaAt(schema, path);
  const def = target ? defOf(target) : undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `the string "${value.length > 40 ? `${value.slice(0, 37)}...` : value}"`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return `${value}`;
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

function valueAt(data: unknown, path: YamlPath): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  record: 'a mapping',
};

export interface IssueMessage {
  path: YamlPath;
  message: string;
  /** Points at the key rather than the value (unknown keys). */
  atKey?: boolean;
}

/** One message per problem; an issue listing several unknown keys becomes one per key. */
export function explainIssue(issue: z.core.$ZodIssue, schema: z.ZodType, data: unknown): IssueMessage[] {
  const path = issue.path as Array<string | number>;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(schema, path);
      return issue.keys.map((key) => ({
        path: [...path, key],
        atKey: true,
        message: `unknown key "${key}".${didYouMean(key, allowed)}${allowed.length ? ` Allowed keys: ${allowed.join(', ')}.` : ''}`,
      }));
    }
    case 'invalid_type': {
      const value = valueAt(data, path);
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (value === undefined) {
        const key = path[path.length - 1];
        return [{ path, message: `missing required key "${String(key)}" (${expected})` }];
      }
      const custom = issue.message.startsWith('Invalid input') ? '' : ` (${issue.message})`;
      return [{ path, message: `expected ${expected}, got ${describeValue(value)}${custom}` }];
    }
    case 'invalid_value': {
      const value = valueAt(data, path);
      const options = issue.values.map((v) => String(v));
      const hint = typeof value === 'string' ? didYouMean(value, options) : '';
      if (options.length === 1) {
        return [
          {
            path,
            message: `expected ${JSON.stringify(issue.values[0])}, got ${describeValue(value)}`,
          },
        ];
      }
      return [
        {
          path,
          message: `expected one of ${options.join(', ')}; got ${describeValue(value)}.${hint}`,
        },
      ];
    }
    case 'too_small': {
      if (issue.origin === 'array') {
        return [
          {
            path,
            message: `needs at least ${String(issue.minimum)} entr${issue.minimum === 1 ? 'y' : 'ies'}`,
          },
        ];
      }
      if (issue.origin === 'string') return [{ path, message: 'must not be empty' }];
      return [{ path, message: issue.message.replace(/^Too small: /, '') }];
    }
    case 'too_big':
      return [{ path, message: issue.message.replace(/^Too big: /, '') }];
    default:
      return [{ path, message: issue.message }];
  }
}
