import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { ExprSyntaxError, parseExpr } from '../../util/expr.js';
import { thresholdError } from '../../util/threshold.js';
import { FORMATS, formatFromPath } from '../../data/value-source.js';
import { runIn } from '../_shared/run-module.js';

const Row = z
  .union(
    [
      z.literal('last'),
      z.literal('first'),
      z.number().int(),
      z.record(z.string(), z.union([z.string(), z.number()])),
    ],
    {
      error: 'expected last, first, a row index (negative counts from the end), or {column: value}',
    },
  )
  .describe('CSV/JSONL: which row. "last" (default), "first", an index, or {column: value} for a named row.');

const FileRef = z.union([
  z.string().min(1),
  z.strictObject({
    path: z.string().min(1),
    format: z.enum(FORMATS).optional(),
    row: Row.optional(),
  }),
]);

const Params = z
  .strictObject({
    file: z.string().min(1).optional().describe('The metrics file (JSON, YAML, CSV, JSONL).'),
    files: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), FileRef)
      .optional()
      .describe('Several files by name; expression paths start with the name (val.accuracy).'),
    format: z.enum(FORMATS).optional().describe('Format, when the extension does not tell.'),
    row: Row.optional(),
    key: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The value: a dotted path (test.accuracy) or a JSON pointer (/test/accuracy); for CSV a column.',
      ),
    expect: z
      .string()
      .optional()
      .describe('Threshold for `key`: ">= 0.97", "< 0.5", "within 0.005 of 0.9722". "%" means /100.'),
    assert: z
      .string()
      .optional()
      .describe('An expression over several values: "abs(val.accuracy - test.accuracy) < 0.05".'),
  })
  .superRefine((params, ctx) => {
    if ((params.file === undefined) === (params.files === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either "file" or "files"' });
    }
    if (params.assert !== undefined) {
      if (params.key !== undefined || params.expect !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'use either key + expect, or assert, not both' });
      }
      try {
        const expr = parseExpr(params.assert);
        if (
          expr.type !== 'compare' &&
          expr.type !== 'logical' &&
          !(expr.type === 'unary' && expr.op === 'not')
        ) {
          ctx.addIssue({
            code: 'custom',
            path: ['assert'],
            message: 'assert must compare, e.g. "abs(a - b) < 0.05"',
          });
        }
      } catch (error) {
        const message = error instanceof ExprSyntaxError ? `${error.reason}:\n${error.frame}` : String(error);
        ctx.addIssue({
          code: 'custom',
          path: ['assert'],
          message: `cannot read the expression: ${message}`,
        });
      }
    } else {
      if (params.key === undefined || params.expect === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'give key and expect (one value), or assert (an expression)',
        });
      }
      if (params.files !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['files'],
          message: 'several files need "assert"; for one value use "file"',
        });
      }
    }
    if (params.expect !== undefined) {
      const problem = thresholdError(params.expect);
      if (problem) ctx.addIssue({ code: 'custom', path: ['expect'], message: problem });
    }
    const paths = [
      params.file,
      ...Object.values(params.files ?? {}).map((f) => (typeof f === 'string' ? f : f.path)),
    ];
    for (const path of paths) {
      if (path !== undefined && params.format === undefined && formatFromPath(path) === undefined) {
        const explicit = Object.values(params.files ?? {}).some(
          (f) => typeof f === 'object' && f.path === path && f.format,
        );
        if (!explicit) {
          ctx.addIssue({
            code: 'custom',
            path: ['format'],
            message: `cannot tell the format of "${path}" from its name: set format (${FORMATS.join(', ')})`,
          });
        }
      }
    }
  });

export type MetricParams = z.output<typeof Params>;

export default defineCheck({
  kind: 'metric',
  title: 'A number in a metrics file meets a threshold',
  description: [
    'Reads a value a training or evaluation run wrote — JSON, YAML, CSV (the last row, a row',
    'by index, or a named row such as `{split: test}`) or JSONL (the last record) — by dotted',
    'path or JSON pointer, and compares it: `expect: ">= 0.97"`, `"< 0.5"`, `"within 0.005 of',
    '0.9722"`. `assert` takes an expression over several values, also across files',
    '(`abs(val.accuracy - test.accuracy) < 0.05`). The values are labelled *reported*: mlgate',
    'read them, it did not compute them (the `predictions` and `onnx-model` kinds measure).',
    'A missing file or key is an `error` naming the file, the key and the keys that exist;',
    '`%` in a threshold means /100, and comparing a percentage threshold with a value above 1',
    'is an error rather than a silent pass.',
  ].join(' '),
  params: Params,
  examples: [
    {
      title: 'Test accuracy at least 97%',
      params: { file: 'metrics.json', key: 'test.accuracy', expect: '>= 0.97' },
    },
    {
      title: 'Validation-test gap below 5 points',
      params: { file: 'metrics.json', assert: 'abs(val.accuracy - test.accuracy) < 0.05' },
    },
    {
      title: 'Final loss from a Keras CSV log',
      params: { file: 'history.csv', key: 'val_loss', expect: '< 0.3' },
    },
  ],
  run: runIn(() => import('./run.js')),
});
