/** Prints spec and usage errors the way a person fixes them: where, what, how. */
import { UsageError } from '../engine/errors.js';
import { SpecError } from '../spec/errors.js';
import { isDamageError } from '../store/damage.js';
import { formatYamlPath } from '../util/yaml-source.js';
import { ExitCode } from './exit-codes.js';
import type { CliIO } from './io.js';
import type { Style } from './style.js';

export function formatSpecError(error: SpecError, style: Style): string {
  const lines: string[] = [];
  for (const problem of error.problems) {
    const where = problem.position
      ? `${problem.file}:${problem.position.line}:${problem.position.column}`
      : problem.file;
    lines.push(`${style.bold(where)}: ${style.red('error')}: ${problem.message}`);
    const context = [
      problem.path.length ? `at ${formatYamlPath(problem.path)}` : '',
      problem.context ? `in ${problem.context}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    if (context) lines.push(style.dim(`  ${context}`));
    if (problem.frame)
      lines.push(
        problem.frame
          .split('\n')
          .map((line) => `  ${line}`)
          .join('\n'),
      );
    lines.push('');
  }
  const count = error.problems.length;
  lines.push(
    `${count} problem${count === 1 ? '' : 's'} in ${error.file}; nothing was checked. Fix ${count === 1 ? 'it' : 'them'} and run \`mlgate validate\`.`,
  );
  return `${lines.join('\n')}\n`;
}

/** Prints a known error and returns its exit code; rethrows anything else. */
export function reportKnownError(error: unknown, io: CliIO, style: Style): number {
  if (error instanceof SpecError) {
    io.stderr.write(formatSpecError(error, style));
    return ExitCode.Usage;
  }
  if (error instanceof UsageError) {
    io.stderr.write(`${style.red('error')}: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ''}`);
    return ExitCode.Usage;
  }
  // SQLite's "damaged" errors from a query the store did not wrap (the store names the file itself).
  if (isDamageError(error)) {
    io.stderr.write(
      `${style.red('error')}: the store is damaged (${(error as Error).message}); nothing was changed\n  move it aside (mlgate starts a new store) or restore it from a backup\n`,
    );
    return ExitCode.Usage;
  }
  throw error;
}
