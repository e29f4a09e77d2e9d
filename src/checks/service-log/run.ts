/**
 * What the service-log check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import type { ServiceLogParams } from './check.js';

export async function run(ctx: CheckContext, params: ServiceLogParams): Promise<CheckOutcome> {
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
}
