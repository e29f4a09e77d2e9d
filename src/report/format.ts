/**
 * Small pieces every report format shares: how a status is named and marked, how measured
 * values read against their thresholds, and where an item points in the project.
 */
import path from 'node:path';
import { inlineText } from '../redact/clean.js';
import { formatNumber } from '../util/threshold.js';
import type { Evidence, ItemResult, Location, RunReport } from '../domain/run-report.js';

export type DisplayStatus = ItemResult['status'] | 'n/a';

export function displayStatus(item: ItemResult): DisplayStatus {
  return item.applicable ? item.status : 'n/a';
}

/** One symbol per status, the same in Markdown, HTML and the job summary. */
export const STATUS_MARK: Record<DisplayStatus, string> = {
  pass: '✅',
  fail: '❌',
  error: '💥',
  pending: '⏳',
  waived: '⚠️',
  skip: '⏭️',
  'n/a': '➖',
};

export function formatScalar(value: number | string | boolean | null): string {
  if (value === null) return '—';
  if (typeof value === 'number') return formatNumber(value);
  return String(value);
}

/**
 * Measured values beside their thresholds: "accuracy 0.975 (>= 0.97)". Values with a
 * threshold come first; the rest follow as plain measurements.
 */
export function measuredAgainstThreshold(item: ItemResult): Array<{ name: string; text: string }> {
  const rows: Array<{ name: string; text: string }> = [];
  const seen = new Set<string>();
  for (const [name, threshold] of Object.entries(item.threshold)) {
    const value = item.measured[name];
    rows.push({
      name,
      text:
        value === undefined ? `threshold ${threshold}` : `${formatScalar(value)} (threshold ${threshold})`,
    });
    seen.add(name);
  }
  for (const [name, value] of Object.entries(item.measured)) {
    if (!seen.has(name)) rows.push({ name, text: formatScalar(value) });
  }
  return rows;
}

/**
 * Where an item's problem is: its first finding, else the first line it points at, else the
 * item's line in the spec. A file without a line (say, one that does not exist) is not a
 * place an annotation can be shown; the requirement in the spec is.
 */
export function primaryLocation(item: ItemResult, report: RunReport): Location {
  for (const entry of item.evidence) {
    if (entry.type === 'finding' && entry.location && !entry.ignored) return entry.location;
  }
  for (const entry of item.evidence) {
    if (entry.type === 'location' && entry.line) return entryLocation(entry);
  }
  return { path: specFileInRoot(report), ...(item.specLine ? { line: item.specLine } : {}) };
}

/** The spec file relative to the project root (which is the spec's folder), like evidence paths. */
export function specFileInRoot(report: RunReport): string {
  return report.spec.path.split(/[\\/]/).at(-1) ?? report.spec.path;
}

/**
 * A project-relative path as seen from `cwd`, with forward slashes: what CI annotations and
 * code scanning expect when mlgate runs from the repository root on a project below it.
 */
export function pathFromCwd(report: RunReport, projectPath: string, cwd: string): string {
  const absolute = path.resolve(report.root, projectPath);
  const relative = path.relative(cwd, absolute);
  return (relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative)
    .split(path.sep)
    .join('/');
}

function entryLocation(entry: Extract<Evidence, { type: 'location' }>): Location {
  return {
    path: entry.path,
    ...(entry.line ? { line: entry.line } : {}),
    ...(entry.column ? { column: entry.column } : {}),
  };
}

export function formatLocation(location: Location): string {
  return `${location.path}${location.line ? `:${location.line}` : ''}`;
}

/**
 * The approvals and waiver of an item, as sentences. Names, comments and reasons are people's
 * input: one line each, without escape sequences, whatever the store holds.
 */
export function signoffLines(item: ItemResult): string[] {
  const lines: string[] = [];
  const say = inlineText;
  for (const approval of item.approvals ?? []) {
    const state =
      approval.state === 'current' ? '' : ` — ${approval.state}: ${say(approval.reason ?? '')}`.trimEnd();
    lines.push(
      `${say(approval.role)}: approved by ${say(approval.by)} on ${approval.at.slice(0, 10)}${approval.comment ? ` ("${say(approval.comment)}")` : ''}${state}`,
    );
  }
  if (item.waiver) {
    const waiver = item.waiver;
    lines.push(
      `waiver by ${say(waiver.by)} until ${waiver.expires.slice(0, 10)} (${waiver.state}${waiver.stateReason ? `: ${say(waiver.stateReason)}` : ''}): ${say(waiver.reason)}${waiver.waivedSummary ? ` — without it: ${say(waiver.waivedSummary)}` : ''}`,
    );
  }
  return lines;
}

export function modelLabel(report: RunReport): string {
  const model = report.project.model;
  return model ? `${model.name}${model.version ? ` ${model.version}` : ''}` : '';
}

/** How many leading section titles two paths share (the headings already open). */
export function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Items grouped by section path, in report order (sections are contiguous in it). */
export function groupBySection(items: ItemResult[]): Array<{ path: string[]; items: ItemResult[] }> {
  const groups: Array<{ path: string[]; items: ItemResult[] }> = [];
  for (const item of items) {
    const last = groups[groups.length - 1];
    if (last && last.path.join('\u0000') === item.sectionPath.join('\u0000')) last.items.push(item);
    else groups.push({ path: item.sectionPath, items: [item] });
  }
  return groups;
}
