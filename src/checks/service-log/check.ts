import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { DEFAULT_ERROR_PATTERNS } from './patterns.js';

const Patterns = z.array(
  z.string().superRefine((pattern, ctx) => {
    try {
      new RegExp(pattern);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(error as Error).message}` });
    }
  }),
);

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
  params: z.strictObject({
    not_matches: Patterns.default(DEFAULT_ERROR_PATTERNS).describe(
      'No line may match any of these (case-sensitive regular expressions).',
    ),
    allow: Patterns.default([]).describe('Lines matching these are not errors (known, accepted messages).'),
    matches: Patterns.default([]).describe('Each must match some line.'),
    max_lines: z.number().int().min(1).max(100).default(20).describe('Offending lines kept as evidence.'),
  }),
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
  async run(ctx, params) {
    const service = ctx.service!;
    if (!service.managed) {
      return {
        status: 'error',
        summary:
          "the service's output is only visible when mlgate starts it (service.start); for a running service, check its log file with the log kind",
      };
    }
    const { lines, dropped } = service.logLines();
    const bad = params.not_matches.map((pattern) => new RegExp(pattern));
    const allow = params.allow.map((pattern) => new RegExp(pattern));
    const offending = lines.filter(
      (line) =>
        bad.some((pattern) => pattern.test(line.text)) && !allow.some((pattern) => pattern.test(line.text)),
    );
    const missing = params.matches.filter(
      (pattern) => !lines.some((line) => new RegExp(pattern).test(line.text)),
    );
    const evidence: Evidence[] = [];
    if (offending.length > 0) {
      evidence.push({
        type: 'table',
        title: `error lines in the service's output (${offending.length})`,
        columns: ['line', 'stream', 'text'],
        rows: offending
          .slice(0, params.max_lines)
          .map((line) => [line.n, line.stream, line.text.slice(0, 300)]),
      });
    }
    const measured = {
      lines: lines.length + dropped,
      error_lines: offending.length,
      missing: missing.length,
      dropped_lines: dropped,
    };
    const threshold = { error_lines: '== 0', ...(params.matches.length ? { missing: '== 0' } : {}) };
    const problems = [
      ...(offending.length
        ? [
            `${offending.length} error line${offending.length > 1 ? 's' : ''} (line ${offending[0]!.n}: ${offending[0]!.text.slice(0, 120)})`,
          ]
        : []),
      ...missing.map((pattern) => `no line matches /${pattern}/`),
    ];
    if (problems.length > 0) {
      if (missing.length)
        evidence.push({
          type: 'text',
          title: 'the last lines',
          text: lines
            .slice(-10)
            .map((line) => line.text)
            .join('\n'),
        });
      return {
        status: 'fail',
        summary: `the service's output: ${problems.join('; ')}`,
        measured,
        threshold,
        evidence,
      };
    }
    if (dropped > 0) {
      // Lines that were not kept could hold errors: could not tell.
      return {
        status: 'error',
        summary: `${dropped} lines of the service's output were not kept (it wrote ${lines.length + dropped}); cannot vouch for them`,
        measured,
      };
    }
    return {
      status: 'pass',
      summary: `${lines.length} line${lines.length === 1 ? '' : 's'} of service output, no error lines${params.matches.length ? `; ${params.matches.length} expected pattern${params.matches.length > 1 ? 's' : ''} found` : ''}`,
      measured,
      threshold,
      evidence: [
        {
          type: 'text',
          title: 'the last lines',
          text: lines
            .slice(-5)
            .map((line) => line.text)
            .join('\n'),
        },
      ],
    };
  },
});
