/**
 * The report as a person reads it in a terminal. By default compact, as pytest and ESLint
 * are: one summary line per section, the items that did not pass with their reason, the
 * verdict with the fix for each reason, and the exact commands to run next. `verbose` shows
 * every item with its evidence and the per-section table. A pure function of the report.
 */
import type { Style } from '../cli/style.js';
import { countItems, verdictLine } from '../engine/gate.js';
import { formatNumber } from '../util/threshold.js';
import { cleanDeep, inlineText } from '../redact/clean.js';
import { formatDuration } from '../util/units.js';
import { mlTestScoreLine } from './ml-test-score.js';
import type { Counts, Evidence, ItemResult, ItemStatus, RunReport } from '../domain/run-report.js';

export interface TextOptions {
  style: Style;
  /** Every item with its evidence, passing ones too, and the per-section table. */
  verbose?: boolean;
  /** Terminal columns: one-line reasons are cut to fit (default 120). */
  width?: number;
  /** The roles a manual item needs (from the spec), for exact `mlgate approve` commands. */
  rolesOf?(itemId: string): readonly string[] | undefined;
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

  if (options.verbose) {
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
  } else {
    out.push('');
    out.push(...renderSections(report, options));
  }
  out.push('');
  out.push(...renderVerdict(report, options));
  const next = nextSteps(report, options);
  if (next.length > 0) out.push('', ...next);
  return `${out.join('\n')}\n`;
}

/** Items a reader must look at: everything applicable that did not pass. */
function needsAttention(item: ItemResult): boolean {
  return item.applicable && item.status !== 'pass';
}

const COUNT_WORDS: Array<[keyof Counts, string]> = [
  ['pass', 'passed'],
  ['fail', 'failed'],
  ['error', 'errors'],
  ['pending', 'pending'],
  ['waived', 'waived'],
  ['skip', 'skipped'],
  ['notApplicable', 'not applicable'],
];

/** "6 passed, 1 failed": the counts that are not zero, coloured by what they mean. */
export function countsPhrase(counts: Counts, style: Style): string {
  const parts = COUNT_WORDS.filter(([key]) => counts[key] > 0).map(([key, word]) => {
    const text = `${counts[key]} ${key === 'error' && counts.error === 1 ? 'error' : word}`;
    return key === 'pass'
      ? style.green(text)
      : key === 'fail'
        ? style.red(text)
        : key === 'error'
          ? style.magenta(text)
          : key === 'pending' || key === 'waived'
            ? style.yellow(text)
            : text;
  });
  return parts.length > 0 ? parts.join(', ') : 'no items';
}

/** One line per section, with the items that did not pass under it (compact default). */
function renderSections(report: RunReport, options: TextOptions): string[] {
  const { style } = options;
  const groups = new Map<string, ItemResult[]>();
  for (const item of report.items) {
    const key = item.sectionPath.join(' › ');
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  const width = Math.min(40, Math.max(0, ...[...groups.keys()].map((name) => name.length)));
  const lines: string[] = [];
  let listed = false;
  for (const [name, items] of groups) {
    const counts = countItems(items);
    // A blank line after a section that listed items, so each section's lines stay together.
    if (listed) lines.push('');
    listed = items.some(needsAttention);
    lines.push(`${style.bold(inlineText(name).padEnd(width))}  ${countsPhrase(counts, style)}`);
    for (const item of items.filter(needsAttention)) lines.push(...renderItem(item, options));
  }
  return lines;
}

function renderItem(item: ItemResult, options: TextOptions): string[] {
  const { style } = options;
  const status = item.applicable ? statusLabel(item.status, style) : statusLabel('n/a', style);
  const severity = item.severity === 'required' ? '' : style.dim(` (${item.severity})`);
  // The title is what people read: never dimmed.
  const lines = [`  ${status} ${item.id}${severity}  ${inlineText(item.title)}`];
  // One line: a summary (with a name or a log line in it) never starts a line of its own.
  lines.push(
    `          ${inlineText(item.summary)}${item.source === 'reported' ? style.dim(' [reported]') : ''}`,
  );
  if (item.status === 'waived' && item.waiver) {
    lines.push(
      `          ${style.yellow(`waived until ${item.waiver.expires.slice(0, 10)}`)} by ${inlineText(item.waiver.by)}: ${inlineText(item.waiver.reason)}`,
    );
  }
  if (!options.verbose) {
    // Compact: the first lines of evidence (the fix is under the verdict); the rest with --verbose.
    if (item.status === 'skip' || item.status === 'waived') return lines;
    const evidence = renderEvidence(compactEvidence(item.evidence), COMPACT_EVIDENCE, { tables: false });
    for (const line of evidence.slice(0, COMPACT_EVIDENCE)) lines.push(`          ${style.dim(line)}`);
    return lines;
  }
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

/**
 * What a compact item shows first: the places, findings, requests and commands that say why;
 * file digests and long texts (a stack, a log tail) wait for --verbose, unless nothing else is there.
 */
function compactEvidence(evidence: Evidence[]): Evidence[] {
  const telling = evidence.filter(
    (entry) => entry.type !== 'file' && (entry.type !== 'text' || entry.title === 'instructions'),
  );
  const withoutFiles = evidence.filter((entry) => entry.type !== 'file');
  const shows = (entries: Evidence[]) =>
    entries.some((entry) => entry.type !== 'data' && entry.type !== 'table');
  return shows(telling) ? telling : shows(withoutFiles) ? withoutFiles : evidence;
}

/** Lines of evidence a compact item shows at most. */
const COMPACT_EVIDENCE = 2;

export function renderEvidence(
  evidence: Evidence[],
  limit: number,
  options: { tables?: boolean } = {},
): string[] {
  const lines: string[] = [];
  let shown = 0;
  for (const entry of evidence) {
    if (entry.type === 'data') continue;
    if (entry.type === 'table' && options.tables === false) continue;
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

function renderVerdict(report: RunReport, options: TextOptions): string[] {
  const { style } = options;
  const { verdict } = report;
  const byId = new Map(report.items.map((item) => [item.id, item]));
  const width = options.width ?? 120;
  // Compact: one line per reason (the item above has the whole summary), then its fix.
  const message = (text: string, used: number) =>
    options.verbose ? inlineText(text) : cut(inlineText(text), Math.max(40, width - used));
  const fixLines = (itemId: string | null) => {
    const item = itemId ? byId.get(itemId) : undefined;
    if (!item || item.status === 'skip' || item.status === 'pending') return [];
    return fixesOf(item).map(
      (fix) =>
        `      ${style.yellow('fix:')} ${options.verbose ? fix : cut(fix, Math.max(60, width * 2 - 11))}`,
    );
  };
  const lines: string[] = [];
  const headline = verdictLine(verdict);
  if (verdict.status === 'PASS') {
    lines.push(style.bold(style.green(`Verdict: ${headline}`)));
  } else {
    const count = verdict.blocking.length;
    lines.push(`${style.bold(style.red('Verdict: BLOCKED'))} — ${count} reason${count === 1 ? '' : 's'}:`);
    for (const reason of verdict.blocking) {
      const who = reason.itemId ? `${reason.itemId} (${reason.status})` : reason.status;
      lines.push(`  ${style.red('✗')} ${who}: ${message(reason.message, who.length + 6)}`);
      lines.push(...fixLines(reason.itemId));
    }
  }
  if (verdict.warningReasons.length > 0) {
    lines.push(style.yellow(`Warnings — recommended items not passing:`));
    for (const reason of verdict.warningReasons) {
      const who = `${reason.itemId} (${reason.status})`;
      lines.push(`  ${style.yellow('!')} ${who}: ${message(reason.message, who.length + 6)}`);
      lines.push(...fixLines(reason.itemId));
    }
  }
  if (report.mlTestScore) lines.push(style.dim(mlTestScoreLine(report.mlTestScore)));
  if (!report.complete) lines.push(style.red('The run was interrupted: this report is incomplete.'));
  return lines;
}

/**
 * What to do about an item: the spec's remediation, else the fixes its findings carry (the
 * error-level ones first, each once).
 */
export function fixesOf(item: ItemResult): string[] {
  if (item.remediation?.trim()) return [inlineText(item.remediation.trim().replace(/\s*\n\s*/g, ' '))];
  const findings = item.evidence
    .filter((entry) => entry.type === 'finding' && entry.fix && !entry.ignored)
    .sort((a, b) => rank(a) - rank(b));
  const seen = new Set<string>();
  const fixes: string[] = [];
  for (const finding of findings) {
    if (finding.type !== 'finding' || seen.has(finding.fix!)) continue;
    seen.add(finding.fix!);
    fixes.push(`[${finding.rule}] ${inlineText(finding.fix!)}`);
  }
  const MAX_FIXES = 3;
  return fixes.length > MAX_FIXES
    ? [...fixes.slice(0, MAX_FIXES), `… ${fixes.length - MAX_FIXES} more fixes in the report`]
    : fixes;
}

function rank(entry: Evidence): number {
  return entry.type === 'finding' ? (entry.level === 'error' ? 0 : entry.level === 'warning' ? 1 : 2) : 3;
}

/** The text cut to `max` characters, with an ellipsis where it was cut. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The commands that move a run that is not a clean PASS forward: approve each pending
 * sign-off (by role), waive a failure for a time, run again. Paths as the spec's path says.
 */
export function nextSteps(report: RunReport, options: TextOptions): string[] {
  const { style } = options;
  const target = projectArgument(report.spec.path);
  const at = target ? ` ${target}` : '';
  const applicable = report.items.filter((item) => item.applicable);
  const pending = applicable.filter((item) => item.status === 'pending');
  const failing = applicable.filter(
    (item) => item.severity !== 'optional' && (item.status === 'fail' || item.status === 'error'),
  );
  const skipped = applicable.filter((item) => item.severity === 'required' && item.status === 'skip');
  const commands: string[] = [];
  for (const item of pending) {
    const current = new Set(
      (item.approvals ?? [])
        .filter((approval) => approval.state === 'current')
        .map((approval) => approval.role),
    );
    const roles = (options.rolesOf?.(item.id) ?? []).filter((role) => !current.has(role));
    // A stored report does not carry the roles: `mlgate status` reads them from the spec.
    const unknown = roles.length === 0 ? style.dim(` (mlgate status${at} names the role)`) : '';
    for (const role of roles.length > 0 ? roles : ['ROLE'])
      commands.push(
        `sign off:  ${style.bold(`mlgate approve ${item.id}${at} --role ${shellWord(role)}`)}${item.severity === 'required' ? '' : style.dim(` (${item.severity})`)}${unknown}`,
      );
  }
  if (failing.length > 0) {
    const errors = failing.filter((item) => item.status === 'error').length;
    const word =
      failing.length === 1
        ? failing[0]!.status === 'error'
          ? 'what kept the item from being checked'
          : 'the failure'
        : `the ${failing.length} items that ${errors === 0 ? 'fail' : errors === failing.length ? 'could not be checked' : 'fail or could not be checked'}`;
    commands.unshift(
      `fix ${word} (the fix is under each reason), then run again:  ${style.bold(`mlgate check${at}`)}`,
    );
    const example = failing.length === 1 ? failing[0]!.id : 'ITEM';
    commands.push(
      `or accept one not passing, for a time (someone accountable decides):  ${style.bold(`mlgate waive ${example}${at} --reason "why it may ship anyway" --expires 30d`)}`,
    );
  }
  if (skipped.length > 0 && failing.length === 0)
    commands.push(
      `${skipped.length} required item${skipped.length === 1 ? ' was' : 's were'} not run: see why above`,
    );
  if (commands.length === 0) return [];
  if (!options.verbose && report.runId !== undefined)
    commands.push(style.dim(`every item's evidence:  mlgate show ${report.runId}${at} --verbose`));
  return [style.bold('Next steps:'), ...commands.map((command) => `  ${command}`)];
}

/** `mlgate approve ITEM [DIR]`: the project's folder as the run was given it, or `--config FILE`. */
function projectArgument(specPath: string): string {
  const slash = specPath.lastIndexOf('/');
  const folder = slash === -1 ? '' : specPath.slice(0, slash);
  const name = slash === -1 ? specPath : specPath.slice(slash + 1);
  if (name !== 'mlgate.yaml' && name !== 'mlgate.yml') return `--config ${shellWord(specPath)}`;
  return folder === '' || folder === '.' ? '' : shellWord(folder);
}

/** A word the shell reads back as is: quoted when it has anything but safe characters. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
