import { z } from 'zod';
import { type CheckContext, type CheckOutcome, defineCheck } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { runProcess, tail } from '../../util/process.js';

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

/** Shells as GitHub Actions runs them: stop at the first failing command, pipelines included. */
const SHELLS = {
  bash: ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c'],
  sh: ['sh', '-e', '-c'],
} as const;

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
  params: z
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
    }),
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
  async run(ctx, params) {
    if (params.review === 'required') return awaitingReview(ctx, params);
    const argv = params.argv ?? [...SHELLS[params.shell], params.run!];
    const shown = params.argv ? params.argv.map(quote).join(' ') : firstLine(params.run!);
    const cwd = ctx.resolve(params.cwd ?? '.');
    const result = await runProcess({
      argv,
      cwd,
      env: { ...process.env, ...params.env },
      signal: ctx.signal,
    });
    if (result.spawnError) {
      return { status: 'error', summary: result.spawnError };
    }
    const output: Evidence = {
      type: 'output',
      command: params.argv ? shown : params.run!,
      cwd: ctx.display(cwd),
      exitCode: result.exitCode,
      signal: result.signal,
      stdoutTail: tail(result.stdout, params.tail_lines),
      stderrTail: tail(result.stderr, params.tail_lines),
      truncated: result.truncated,
    };
    const measured = { exit_code: result.exitCode, duration_ms: Math.round(result.durationMs) };
    const accepted = Array.isArray(params.exit_code) ? params.exit_code : [params.exit_code];
    const threshold = {
      exit_code: accepted.length === 1 ? `== ${accepted[0]}` : `in ${accepted.join(', ')}`,
    };

    const failures: string[] = [];
    const evidence: Evidence[] = [output];
    const leftovers = result.leftovers.map(
      (leftover) => `pid ${leftover.pid} \`${leftover.command}\` (ended by mlgate)`,
    );
    // Visible, not a failure: the command did what it was asked, and nothing of it survives.
    const leftNote = leftovers.length
      ? `; left running after the command exited: ${leftovers.join(', ')}`
      : '';
    if (leftovers.length)
      evidence.push({
        type: 'text',
        title: 'left running after the command exited',
        text: leftovers.join('\n'),
      });
    if (result.exitCode === null) {
      failures.push(`was killed by ${result.signal}`);
    } else if (!accepted.includes(result.exitCode)) {
      failures.push(`exited ${result.exitCode} (expected ${accepted.join(' or ')})`);
    }
    const checkPatterns = (
      stream: 'stdout' | 'stderr',
      patterns: string[] | undefined,
      mustMatch: boolean,
    ) => {
      for (const pattern of patterns ?? []) {
        const match = new RegExp(pattern, 'm').exec(result[stream]);
        if (mustMatch && !match) failures.push(`${stream} does not match /${pattern}/`);
        if (!mustMatch && match) {
          const line = lineAround(result[stream], match.index);
          failures.push(`${stream} matches /${pattern}/`);
          evidence.push({ type: 'text', title: `${stream} matches /${pattern}/`, text: line });
        }
      }
    };
    checkPatterns('stdout', params.stdout_matches, true);
    checkPatterns('stdout', params.stdout_not_matches, false);
    checkPatterns('stderr', params.stderr_matches, true);
    checkPatterns('stderr', params.stderr_not_matches, false);

    if (failures.length > 0) {
      return {
        status: 'fail',
        summary: `\`${shown}\` ${failures.join('; ')}${leftNote}`,
        measured,
        threshold,
        evidence,
      };
    }
    const patternCount =
      (params.stdout_matches?.length ?? 0) +
      (params.stdout_not_matches?.length ?? 0) +
      (params.stderr_matches?.length ?? 0) +
      (params.stderr_not_matches?.length ?? 0);
    return {
      status: 'pass',
      summary: `\`${shown}\` exited ${result.exitCode}${patternCount ? `; output met ${patternCount} pattern${patternCount > 1 ? 's' : ''}` : ''}${leftNote}`,
      measured,
      threshold,
      evidence,
    };
  },
});

/** An imported command nobody has read yet: refused, never run, with where to read it. */
function awaitingReview(
  ctx: CheckContext,
  params: { run?: string; argv?: string[]; env?: Record<string, string>; cwd?: string; shell?: string },
): CheckOutcome {
  const where = ctx.spec
    ? `${ctx.display(ctx.spec.file)}:${ctx.spec.line}`
    : `the spec (item "${ctx.itemId}")`;
  return {
    status: 'error',
    summary: `this command was imported from a checklist and has not been reviewed: read it in ${where} and delete \`review: required\` to allow it`,
    evidence: [
      {
        type: 'text',
        title: 'the command, not run',
        // Everything that decides what runs: an env (BASH_ENV, LD_PRELOAD) or cwd is part of it.
        text: [
          ...(params.cwd ? [`cwd: ${params.cwd}`] : []),
          ...Object.entries(params.env ?? {}).map(([name, value]) => `env: ${name}=${value}`),
          params.argv ? params.argv.map(quote).join(' ') : params.run!,
        ].join('\n'),
      },
    ],
  };
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function firstLine(script: string): string {
  const lines = script.trim().split('\n');
  const first = lines[0]!.length > 80 ? `${lines[0]!.slice(0, 77)}...` : lines[0]!;
  return lines.length > 1 ? `${first} (+${lines.length - 1} lines)` : first;
}

function lineAround(text: string, index: number): string {
  const start = text.lastIndexOf('\n', index - 1) + 1;
  const end = text.indexOf('\n', index);
  return text.slice(start, end === -1 ? undefined : end).slice(0, 500);
}
