/**
 * The report as a person reads it in a terminal: items by section, a per-section table, and
 * the verdict with the reasons it is BLOCKED. A pure function of the report.
 */
import type { Style } from '../cli/style.js';
import { verdictLine } from '../engine/gate.js';
import { formatNumber } from '../util/threshold.js';
import { cleanDeep, inlineText } from '../redact/clean.js';
import { formatDuration } from '../util/units.js';
import { mlTestScoreLine } from './ml-test-score.js';
import type { Counts, Evidence, ItemResult, ItemStatus, RunReport } from './schema.js';

export interface TextOptions {
  style: Style;
  /** Evidence for passing items too. */
  verbose?: boolean;
  width?: number;
}

export function statusLabel(status: ItemStatus | 'n/a', style: Style): string {
  const word = status.toUpperCase().padEnd(7);
  switch (status) {
    case 'pass':
      return style.green(word);
    case 'fail':
      return style.red(word);
    case 'error':
      return style.magenta(word);
    case 'pending':
    case 'waived':
      return style.yellow(word);
    default:
      return style.dim(word);
  }
}

export function renderText(given: RunReport, options: TextOptions): string {
  const { style } = options;
  // A stored report may predate cleaning: no escape sequence of its own reaches the terminal.
  const report = cleanDeep(given);
  const out: string[] = [];
  const model = report.project.model
    ? ` (${report.project.model.name}${report.project.model.version ? ` ${report.project.model.version}` : ''})`
    : '';
  out.push(
    style.bold(`mlgate ${report.tool.version} · ${report.project.name}${model}`) +
      (report.profile ? ` · profile ${report.profile}` : ''),
  );
  out.push(
    style.dim(
      `spec ${report.spec.path} (sha256 ${report.spec.sha256.slice(0, 12)}) · ${report.items.length} items · ${formatDuration(report.durationMs)}${report.runId !== undefined ? ` · run #${report.runId}` : ''}`,
    ),
  );
  if (report.selection) {
    const added = report.selection.addedForNeeds.length
      ? ` (+ ${report.selection.addedForNeeds.join(', ')} they need)`
      : '';
    out.push(
      style.yellow(
        `partial run: --only ${report.selection.only.join(',')}${added}; the verdict covers these items only`,
      ),
    );
  }
  // A managed service that no item needed was never started: nothing to say.
  if (
    report.service &&
    !(report.service.managed && report.service.pid === undefined && !report.service.error)
  ) {
    const service = report.service;
    const how = service.managed
      ? `${service.readyMs !== undefined ? `ready in ${formatDuration(service.readyMs)}${service.listenerVerified === false ? ', port owner NOT verified (verify_listener: false)' : ''}` : service.error ? `did not start: ${service.error}` : 'not started'}${service.exit ? `; ${service.exit.expected ? 'stopped' : 'DIED'} (${service.exit.signal ?? `exit ${service.exit.code}`})` : ''}`
      : 'already running';
    out.push(style.dim(`service ${service.url} (${how})`));
  }
  for (const artifact of report.artifacts.filter((a) => a.error)) {
    out.push(style.red(`artifact ${artifact.name} (${artifact.path}): ${artifact.error}`));
  }

  let previous: string[] = [];
  for (const item of report.items) {
    if (item.sectionPath.join('\u0000') !== previous.join('\u0000')) {
      out.push('');
      out.push(style.bold(item.sectionPath.join(' › ')));
      previous = item.sectionPath;
    }
    out.push(...renderItem(item, options));
  }

  out.push('');
  out.push(...renderTable(report, style));
  out.push('');
  out.push(...renderVerdict(report, style));
  return `${out.join('\n')}\n`;
}

function renderItem(item: ItemResult, options: TextOptions): string[] {
  const { style } = options;
  const status = item.applicable ? statusLabel(item.status, style) : statusLabel('n/a', style);
  const severity = item.severity === 'required' ? '' : style.dim(` (${item.severity})`);
  const lines = [`  ${status} ${item.id}${severity}  ${style.dim(inlineText(item.title))}`];
  // One line: a summary (with a name or a log line in it) never starts a line of its own.
  lines.push(
    `          ${inlineText(item.summary)}${item.source === 'reported' ? style.dim(' [reported]') : ''}`,
  );
  const showEvidence =
    options.verbose || (item.applicable && item.status !== 'pass' && item.status !== 'skip');
  if (showEvidence) {
    for (const line of renderEvidence(item.evidence, options.verbose ? 20 : 6))
      lines.push(`          ${style.dim(line)}`);
    if (item.remediation && item.status !== 'pass')
      lines.push(
        `          ${style.yellow('fix:')} ${item.remediation.trim().split('\n').join('\n               ')}`,
      );
  }
  return lines;
}

export function renderEvidence(evidence: Evidence[], limit: number): string[] {
  const lines: string[] = [];
  let shown = 0;
  for (const entry of evidence) {
    if (entry.type === 'data') continue;
    if (shown++ >= limit) break;
    switch (entry.type) {
      case 'location': {
        const where = `${entry.path}${entry.line ? `:${entry.line}` : ''}`;
        lines.push(
          `at ${where}${entry.note ? ` — ${entry.note}` : ''}${entry.excerpt ? `\n   | ${entry.excerpt}` : ''}`,
        );
        break;
      }
      case 'finding': {
        const where = entry.location
          ? `${entry.location.path}${entry.location.line ? `:${entry.location.line}` : ''} `
          : '';
        lines.push(
          `${where}[${entry.rule}] ${entry.message}${entry.ignored ? ` (ignored: ${inlineText(entry.ignored.reason)})` : ''}`,
        );
        break;
      }
      case 'file':
        lines.push(
          `file ${entry.path}${entry.size !== undefined ? `, ${entry.size} bytes` : ''}${entry.sha256 ? `, sha256 ${entry.sha256.slice(0, 16)}…` : ''}`,
        );
        break;
      case 'output': {
        lines.push(`$ ${entry.command.split('\n')[0]}  → exit ${entry.exitCode ?? entry.signal}`);
        const outputTail = [entry.stderrTail, entry.stdoutTail]
          .filter(Boolean)
          .join('\n')
          .split('\n')
          .slice(-5);
        for (const line of outputTail) if (line) lines.push(`  ${line}`);
        break;
      }
      case 'http': {
        const outcome = entry.response
          ? `${entry.response.status} in ${formatDuration(entry.durationMs)}`
          : `no response: ${entry.error}`;
        lines.push(
          `${entry.title ? `${entry.title}: ` : ''}${entry.request.method} ${entry.request.url} → ${outcome}`,
        );
        const body = entry.response?.body.split('\n')[0]?.slice(0, 160);
        if (body) lines.push(`  ${body}`);
        break;
      }
      case 'text':
        lines.push(`${entry.title}: ${entry.text.split('\n').slice(0, 4).join('\n   ')}`);
        break;
      case 'table':
        lines.push(...textTable(entry.title, entry.columns, entry.rows));
        break;
    }
  }
  if (lines.length === 0) return [];
  const flat = lines.join('\n').split('\n');
  return flat.length > limit * 5 ? [...flat.slice(0, limit * 5), '… (more in the JSON report)'] : flat;
}

const MAX_TABLE_ROWS = 12;

/** A small table as aligned text; larger ones are left to the JSON and HTML reports. */
function textTable(
  title: string,
  columns: string[],
  rows: Array<Array<string | number | boolean | null>>,
): string[] {
  if (rows.length > MAX_TABLE_ROWS || columns.length > 12)
    return [`${title}: ${rows.length} rows (in the JSON and HTML reports)`];
  const cell = (value: string | number | boolean | null) =>
    value === null
      ? '—'
      : typeof value === 'number'
        ? Number.isInteger(value)
          ? String(value)
          : formatNumber(value)
        : inlineText(String(value));
  const texts = rows.map((row) => row.map(cell));
  const widths = columns.map((column, i) =>
    Math.min(40, Math.max(column.length, ...texts.map((row) => (row[i] ?? '').length))),
  );
  const line = (values: string[]) =>
    `  ${values.map((v, i) => v.slice(0, 40).padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [`${title}:`, line(columns), ...texts.map(line)];
}

const COLUMNS: Array<[keyof Counts, string]> = [
  ['pass', 'pass'],
  ['fail', 'fail'],
  ['error', 'error'],
  ['skip', 'skip'],
  ['pending', 'pending'],
  ['waived', 'waived'],
  ['notApplicable', 'n/a'],
  ['total', 'total'],
];

function renderTable(report: RunReport, style: Style): string[] {
  const rows = report.sections
    .filter((section) => section.counts.total > 0)
    .map((section) => ({
      name: `${'  '.repeat(section.path.length - 1)}${section.path[section.path.length - 1]}`,
      counts: section.counts,
    }));
  rows.push({ name: 'All items', counts: report.counts });
  const nameWidth = Math.min(48, Math.max(10, ...rows.map((row) => row.name.length)));
  const header = `${'Section'.padEnd(nameWidth)} ${COLUMNS.map(([, label]) => label.padStart(8)).join('')}`;
  const lines = [style.bold(header)];
  rows.forEach((row, index) => {
    const name =
      row.name.length > nameWidth ? `${row.name.slice(0, nameWidth - 1)}…` : row.name.padEnd(nameWidth);
    const cells = COLUMNS.map(([key]) => {
      const value = row.counts[key];
      const cell = String(value).padStart(8);
      if (value === 0 || key === 'total') return key === 'total' ? cell : style.dim(cell);
      return key === 'fail'
        ? style.red(cell)
        : key === 'error'
          ? style.magenta(cell)
          : key === 'pass'
            ? style.green(cell)
            : cell;
    }).join('');
    const line = `${name} ${cells}`;
    lines.push(index === rows.length - 1 ? style.bold(line) : line);
  });
  return lines;
}

function renderVerdict(report: RunReport, style: Style): string[] {
  const { verdict } = report;
  const lines: string[] = [];
  const headline = verdictLine(verdict);
  if (verdict.status === 'PASS') {
    lines.push(style.bold(style.green(`Verdict: ${headline}`)));
  } else {
    const count = verdict.blocking.length;
    lines.push(`${style.bold(style.red('Verdict: BLOCKED'))} — ${count} reason${count === 1 ? '' : 's'}:`);
    for (const reason of verdict.blocking) {
      const who = reason.itemId ? `${reason.itemId} (${reason.status})` : reason.status;
      lines.push(`  ${style.red('✗')} ${who}: ${inlineText(reason.message)}`);
    }
  }
  if (verdict.warningReasons.length > 0) {
    lines.push(style.yellow(`Warnings — recommended items not passing:`));
    for (const reason of verdict.warningReasons)
      lines.push(`  ${style.yellow('!')} ${reason.itemId} (${reason.status}): ${inlineText(reason.message)}`);
  }
  if (report.mlTestScore) lines.push(style.dim(mlTestScoreLine(report.mlTestScore)));
  if (!report.complete) lines.push(style.red('The run was interrupted: this report is incomplete.'));
  return lines;
}
