/**
 * Assertions on a JSON response: JSON Schema (any draft, via @cfworker/json-schema, which
 * implements the whole specification — zod's converter skips keywords on schemas without a
 * `type`, which would pass bodies a real validator rejects) and JSONPath assertions.
 */
import type { SchemaDraft } from '@cfworker/json-schema';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { lazyRequire } from '../util/lazy.js';
import { jsonType, parseJsonPath, selectJsonPath } from '../util/json-path.js';
import { describeComparison, meets, parseThreshold, thresholdError } from '../util/threshold.js';

/** Loaded when a schema is checked, not when the http kind is imported (startup). */
const jsonSchema = lazyRequire<typeof import('@cfworker/json-schema')>('@cfworker/json-schema');

const JSON_TYPES = ['null', 'boolean', 'integer', 'number', 'string', 'array', 'object'] as const;

export const JsonAssertion = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .superRefine((path, ctx) => {
        try {
          parseJsonPath(path);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      })
      .describe('JSONPath of the value(s): $.prediction, $.probabilities[*], $.results[0].label.'),
    exists: z.boolean().optional().describe('The path must (true) or must not (false) be there.'),
    equals: z.unknown().optional().describe('Equal to this JSON value.'),
    in: z.array(z.unknown()).min(1).optional().describe('One of these values.'),
    matches: z.string().optional().describe('A string matching this regular expression.'),
    type: z.enum(JSON_TYPES).optional().describe('JSON type ("integer" for whole numbers).'),
    threshold: z.string().optional().describe('A number meeting this: ">= 0", "between 0 and 1".'),
    length: z.string().optional().describe('An array or string whose length meets this: "== 10".'),
    sum: z.string().optional().describe('An array of numbers whose sum meets this: "within 1e-4 of 1".'),
  })
  .superRefine((assertion, ctx) => {
    const given = ['exists', 'equals', 'in', 'matches', 'type', 'threshold', 'length', 'sum'].filter(
      (key) => (assertion as Record<string, unknown>)[key] !== undefined,
    );
    if (given.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'say what to check: exists, equals, in, matches, type, threshold, length or sum',
      });
    }
    for (const key of ['threshold', 'length', 'sum'] as const) {
      const text = assertion[key];
      const problem = text === undefined ? undefined : thresholdError(text);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
    }
    if (assertion.matches !== undefined) {
      try {
        new RegExp(assertion.matches);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          path: ['matches'],
          message: `not a regular expression: ${(error as Error).message}`,
        });
      }
    }
  });

export type JsonAssertion = z.output<typeof JsonAssertion>;

export interface AssertionResult {
  ok: boolean;
  /** "$.prediction == 3", "$.probabilities[4] = 1.7 is not between 0 and 1". */
  message: string;
}

const show = (value: unknown) => {
  const text = JSON.stringify(value);
  return text === undefined ? 'undefined' : text.length > 80 ? `${text.slice(0, 80)}…` : text;
};

/** Every assertion of one entry, over every value its path selects. */
export function checkJsonAssertion(document: unknown, assertion: JsonAssertion): AssertionResult[] {
  const matches = selectJsonPath(document, parseJsonPath(assertion.path));
  const results: AssertionResult[] = [];
  if (assertion.exists === false) {
    results.push(
      matches.length === 0
        ? { ok: true, message: `${assertion.path} is absent` }
        : { ok: false, message: `${assertion.path} is present (${show(matches[0]!.value)}) and must not be` },
    );
    return results;
  }
  if (matches.length === 0) {
    return [{ ok: false, message: `nothing at ${assertion.path}` }];
  }
  if (assertion.exists === true) results.push({ ok: true, message: `${assertion.path} is present` });
  // Report the first failing value of each assertion (with how many failed), not a thousand lines.
  const each = (label: string, test: (value: unknown, path: string) => string | undefined) => {
    const failures: string[] = [];
    for (const { path, value } of matches) {
      const problem = test(value, path);
      if (problem) failures.push(problem);
    }
    if (failures.length === 0) {
      results.push({
        ok: true,
        message: `${assertion.path} ${label}${matches.length > 1 ? ` (${matches.length} values)` : ''}`,
      });
    } else {
      results.push({
        ok: false,
        message: `${failures[0]}${failures.length > 1 ? ` (and ${failures.length - 1} more of ${matches.length})` : ''}`,
      });
    }
  };
  if (assertion.equals !== undefined) {
    each(`== ${show(assertion.equals)}`, (value, path) =>
      isDeepStrictEqual(value, assertion.equals)
        ? undefined
        : `${path} is ${show(value)}, expected ${show(assertion.equals)}`,
    );
  }
  if (assertion.in !== undefined) {
    const allowed = assertion.in;
    each(`is one of ${show(allowed)}`, (value, path) =>
      allowed.some((candidate) => isDeepStrictEqual(candidate, value))
        ? undefined
        : `${path} is ${show(value)}, not one of ${show(allowed)}`,
    );
  }
  if (assertion.matches !== undefined) {
    const pattern = new RegExp(assertion.matches);
    each(`matches /${assertion.matches}/`, (value, path) =>
      typeof value !== 'string'
        ? `${path} is ${jsonType(value)} ${show(value)}, not a string`
        : pattern.test(value)
          ? undefined
          : `${path} is ${show(value)}, which does not match /${assertion.matches}/`,
    );
  }
  if (assertion.type !== undefined) {
    const wanted = assertion.type;
    each(`is ${wanted}`, (value, path) => {
      const actual = jsonType(value);
      return actual === wanted || (wanted === 'number' && actual === 'integer')
        ? undefined
        : `${path} is ${actual} ${show(value)}, expected ${wanted}`;
    });
  }
  const numeric = (label: string, text: string, measure: (value: unknown) => number | string) => {
    const threshold = parseThreshold(text);
    each(`${label} ${text}`, (value, path) => {
      const measured = measure(value);
      if (typeof measured === 'string') return `${path}: ${measured}`;
      return meets(measured, threshold)
        ? undefined
        : `${label === '' ? path : `${label} of ${path}`}: ${describeComparison(measured, threshold)}`;
    });
  };
  if (assertion.threshold !== undefined) {
    numeric('', assertion.threshold, (value) =>
      typeof value === 'number' ? value : `is ${jsonType(value)} ${show(value)}, not a number`,
    );
  }
  if (assertion.length !== undefined) {
    numeric('length', assertion.length, (value) =>
      Array.isArray(value) || typeof value === 'string'
        ? value.length
        : `is ${jsonType(value)}, which has no length`,
    );
  }
  if (assertion.sum !== undefined) {
    numeric('sum', assertion.sum, (value) => {
      if (!Array.isArray(value)) return `is ${jsonType(value)}, not an array of numbers`;
      if (!value.every((element) => typeof element === 'number')) return 'holds values that are not numbers';
      return (value as number[]).reduce((total, element) => total + element, 0);
    });
  }
  return results;
}

const DRAFTS: Record<string, SchemaDraft> = {
  'draft-04': '4',
  'draft-07': '7',
  'draft/2019-09': '2019-09',
  'draft/2020-12': '2020-12',
};

export interface SchemaProblem {
  /** JSON pointer in the response ("" for the whole body). */
  at: string;
  message: string;
}

/** Validates against a JSON Schema; the draft comes from `$schema` (2020-12 when absent). */
export function validateJsonSchema(schema: unknown, document: unknown): SchemaProblem[] {
  if (
    typeof schema !== 'boolean' &&
    (schema === null || typeof schema !== 'object' || Array.isArray(schema))
  ) {
    throw new Error('a JSON Schema is an object (or true/false)');
  }
  const declared = typeof schema === 'object' ? String((schema as { $schema?: unknown }).$schema ?? '') : '';
  const draft = Object.entries(DRAFTS).find(([marker]) => declared.includes(marker))?.[1] ?? '2020-12';
  const result = new (jsonSchema().Validator)(schema as never, draft, false).validate(document);
  if (result.valid) return [];
  // Keep the most specific errors: drop the "a subschema had errors" wrappers above them.
  const errors = result.errors;
  const leaves = errors.filter(
    (error) =>
      !errors.some(
        (other) => other !== error && other.keywordLocation.startsWith(`${error.keywordLocation}/`),
      ),
  );
  return leaves.map((error) => ({ at: error.instanceLocation.replace(/^#/, ''), message: error.error }));
}
