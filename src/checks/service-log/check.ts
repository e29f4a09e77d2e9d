import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { DEFAULT_ERROR_PATTERNS } from './patterns.js';
import { runIn } from '../_shared/run-module.js';

const Patterns = z.array(
  z.string().superRefine((pattern, ctx) => {
    try {
      new RegExp(pattern);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(error as Error).message}` });
    }
  }),
);

const params = z.strictObject({
  not_matches: Patterns.default(DEFAULT_ERROR_PATTERNS).describe(
    'No line may match any of these (case-sensitive regular expressions).',
  ),
  allow: Patterns.default([]).describe('Lines matching these are not errors (known, accepted messages).'),
  matches: Patterns.default([]).describe('Each must match some line.'),
  max_lines: z.number().int().min(1).max(100).default(20).describe('Offending lines kept as evidence.'),
});

export type ServiceLogParams = z.output<typeof params>;

export default defineCheck({
  kind: 'service-log',
  title: "The service's output has no errors and says what it must",
  description: [
    'Reads what the service mlgate started wrote to stdout and stderr during the whole run',
    '(it runs after every other item that talks to the service): no line may match',
    '`not_matches`, except lines matching `allow`; every pattern in `matches` must appear (e.g.',
    '"model loaded"). By default an error line is ERROR/CRITICAL/FATAL, an unhandled rejection,',
    'out-of-memory, or a line of a stack trace of Node.js (`TypeError: ...`, `at fn (file.js:1:2)`),',
    'Python (`Traceback (most recent call last):`, `File "x.py", line 3`, `ValueError: ...`), the',
    'JVM (`Exception in thread`, `at com.x.Y(Y.java:12)`, `Caused by:`) or Go (`panic:`,',
    '`goroutine 1 [running]:`, `x.go:12 +0x1d`), each frame counted. Offending lines are the',
    "evidence, with their line numbers. Only for a service mlgate starts: a running service's log",
    'is not visible (use the `log` kind on its log file).',
  ].join(' '),
  params,
  examples: [
    { title: 'No errors or tracebacks while the checks ran', params: {} },
    {
      title: 'The model loaded, and no warnings about the input pipeline',
      params: {
        matches: ['model loaded'],
        not_matches: ['\\bERROR\\b', 'Traceback', 'DeprecationWarning'],
        allow: ['ERROR 404 on /favicon.ico'],
      },
    },
  ],
  service: () => true,
  phase: 1,
  run: runIn(() => import('./run.js')),
});
