/**
 * What the command check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { runProcess, tail } from '../../util/process.js';
import type { CommandParams } from './check.js';

/** Shells as GitHub Actions runs them: stop at the first failing command, pipelines included. */
const SHELLS = {
  bash: ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c'],
  sh: ['sh', '-e', '-c'],
} as const;

export async function run(ctx: CheckContext, params: CommandParams): Promise<CheckOutcome> {
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
  const leftNote = leftovers.length ? `; left running after the command exited: ${leftovers.join(', ')}` : '';
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
  const checkPatterns = (stream: 'stdout' | 'stderr', patterns: string[] | undefined, mustMatch: boolean) => {
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
}

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
