import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { runIn } from '../_shared/run-module.js';

const REGEX_HINT = 'a JavaScript regular expression';
const Patterns = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : [value]))
  .superRefine((patterns, ctx) => {
    for (const pattern of patterns) {
      try {
        new RegExp(pattern, 'm');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `not ${REGEX_HINT}: ${(error as Error).message}` });
      }
    }
  });

const params = z
  .strictObject({
    review: z
      .string()
      .superRefine((value, ctx) => {
        // Any other value would read as "reviewed" to a person, and allow nothing.
        if (value !== 'required')
          ctx.addIssue({
            code: 'custom',
            message: `review takes only "required"; to allow the command, delete the review line`,
          });
      })
      .optional()
      .describe(
        'Written by `mlgate import`: the command came from a checklist and nobody has read it yet. mlgate refuses to run it until this line is deleted.',
      ),
    run: z.string().min(1).optional().describe('A shell script.'),
    argv: z.array(z.string()).min(1).optional().describe('A program and its arguments, no shell.'),
    shell: z.enum(['bash', 'sh']).default('bash').describe('Shell for `run`.'),
    cwd: z.string().optional().describe('Working folder, relative to the spec.'),
    env: z.record(z.string(), z.string()).default({}).describe('Extra environment variables.'),
    exit_code: z
      .union([z.number().int(), z.array(z.number().int()).min(1)])
      .default(0)
      .describe('Expected exit code, or a list of accepted ones.'),
    stdout_matches: Patterns.optional().describe('Regex(es) stdout must match.'),
    stdout_not_matches: Patterns.optional().describe('Regex(es) stdout must not match.'),
    stderr_matches: Patterns.optional().describe('Regex(es) stderr must match.'),
    stderr_not_matches: Patterns.optional().describe('Regex(es) stderr must not match.'),
    tail_lines: z.number().int().min(1).max(500).default(30).describe('Output lines kept as evidence.'),
  })
  .superRefine((params, ctx) => {
    if ((params.run === undefined) === (params.argv === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'give either "run" (a shell script) or "argv" (a program and arguments)',
      });
    }
  });

export type CommandParams = z.output<typeof params>;

export default defineCheck({
  kind: 'command',
  title: 'A command succeeds and its output says what it must',
  description: [
    'Runs a command — a shell script (`run`, the checklists\' "Verification" blocks) or a',
    "program with arguments (`argv`) — in the spec's folder or `cwd`, with extra `env`, and",
    'expects an exit code (0 by default) and, optionally, output that matches or must not match',
    'regular expressions. Scripts run under `bash -eo pipefail` (as GitHub Actions does), so a',
    'failing line fails the script; `shell: sh` uses `sh -e`. The command runs as its own',
    "process group: at the item's timeout or on Ctrl-C the whole group is stopped. The tail of",
    'stdout and stderr is the evidence. A program that cannot be started is an `error`.',
    "The command's environment carries `MLGATE_CHILD` (a value unique to the command), which",
    'every process it starts inherits: what still runs half a second after the command exited',
    '(a background job, a daemon started with `setsid -f` or a double fork) is found by it, ended',
    '(SIGTERM, then SIGKILL) and named in the summary and evidence; that alone does not change',
    'pass or fail, and a daemon holding the output open no longer makes the item wait for its',
    'timeout.',
    'A command `mlgate import` took from a checklist carries `review: required` and is never',
    'run: the item is an `error` until a person reads the command and deletes that line',
    "(an edit to the spec that shows in `git diff`, like direnv's `allow`).",
  ].join(' '),
  defaultTimeout: '5m',
  params,
  examples: [
    {
      title: 'Training log says it finished',
      params: { run: 'grep "Training complete" logs/train.log' },
    },
    { title: 'Model checksums', params: { argv: ['sha256sum', '-c', 'model/SHA256SUMS'] } },
    {
      title: 'Unit tests pass and report no failures',
      params: { run: 'npm test', stdout_not_matches: ['\\bfailed\\b'], env: { CI: 'true' } },
    },
  ],
  run: runIn(() => import('./run.js')),
});
