import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { runIn } from '../_shared/run-module.js';

const Strings = z
  .union([z.string().min(1), z.array(z.string().min(1))])
  .transform((v) => (Array.isArray(v) ? v : [v]));
const Regexes = Strings.superRefine((patterns, ctx) => {
  for (const pattern of patterns) {
    try {
      new RegExp(pattern);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `not a regular expression: ${(error as Error).message}`,
      });
    }
  }
});

const params = z
  .strictObject({
    path: z.string().min(1).describe('The log file, relative to the spec.'),
    contains: Strings.optional().describe('Text(s) some line must contain.'),
    matches: Regexes.optional().describe('Regex(es) some line must match.'),
    not_contains: Strings.optional().describe('Text(s) no line may contain.'),
    not_matches: Regexes.optional().describe('Regex(es) no line may match.'),
    ignore_case: z.boolean().default(false).describe('Match without regard to case.'),
    max_excerpts: z.number().int().min(1).max(100).default(5).describe('Forbidden lines shown per pattern.'),
  })
  .superRefine((params, ctx) => {
    if (!params.contains && !params.matches && !params.not_contains && !params.not_matches) {
      ctx.addIssue({
        code: 'custom',
        message: 'give at least one of contains, matches, not_contains, not_matches',
      });
    }
  });

export type LogParams = z.output<typeof params>;

export default defineCheck({
  kind: 'log',
  title: 'A log file contains (or does not contain) lines',
  description: [
    'Reads a log line by line (streamed, so large logs are fine) and requires each `contains`',
    'text or `matches` regex to appear on some line ("Training complete"), and no line to',
    'contain a `not_contains` text or match a `not_matches` regex ("nan loss", "Traceback").',
    'Evidence is the file and line of each required line found, and of the forbidden lines',
    'found (up to `max_excerpts`, with the total count). A missing log is an `error`.',
  ].join(' '),
  params,
  examples: [
    {
      title: 'Training finished without NaN losses',
      params: {
        path: 'logs/train.log',
        contains: 'Training complete',
        not_contains: ['nan loss'],
        ignore_case: true,
      },
    },
  ],
  run: runIn(() => import('./run.js')),
});
