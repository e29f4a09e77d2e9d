/**
 * The report as the team's checklist, filled in: the verdict at the top, a table per section,
 * then every item as a task-list line with its status, the measured value against its
 * threshold, sign-offs, and the fix under each failure. Renders on GitHub, GitLab and in a
 * job summary. A pure function of the report.
 */
import { verdictLine } from '../engine/gate.js';
import { formatDuration } from '../util/units.js';
import {
  commonPrefix,
  displayStatus,
  formatLocation,
  groupBySection,
  measuredAgainstThreshold,
  modelLabel,
  primaryLocation,
  specFileInRoot,
  STATUS_MARK,
  signoffLines,
} from './format.js';
import { mlTestScoreLine } from './ml-test-score.js';
import type { Counts, Evidence, ItemResult, RunReport } from '../domain/run-report.js';

/** Text that Markdown must not read as markup (emphasis, links, HTML, table cells). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|#]/g, (char) => `\\${char}`).replace(/\r?\n/g, ' ');
}

function code(text: string): string {
  const clean = text.replace(/\r?\n/g, ' ');
  const ticks = clean.includes('`') ? '``' : '`';
  return `${ticks}${ticks === '``' ? ' ' : ''}${clean}${ticks === '``' ? ' ' : ''}${ticks}`;
}

const COUNT_COLUMNS: Array<[keyof Counts, string]> = [
  ['pass', '✅ pass'],
  ['fail', '❌ fail'],
  ['error', '💥 error'],
  ['pending', '⏳ pending'],
  ['waived', '⚠️ waived'],
  ['skip', '⏭️ skip'],
  ['notApplicable', '➖ n/a'],
  ['total', 'total'],
];

export interface MarkdownOptions {
  /** Evidence lines per item (failures); 0 leaves evidence to the other formats. */
  evidenceLimit?: number;
}

export function renderMarkdown(report: RunReport, options: MarkdownOptions = {}): string {
  const evidenceLimit = options.evidenceLimit ?? 8;
  const out: string[] = [];
  const model = modelLabel(report);
  out.push(`# ${escapeMarkdown(report.project.name)}${model ? ` — ${escapeMarkdown(model)}` : ''}`);
  out.push('');
  const headline = verdictLine(report.verdict);
  out.push(
    report.verdict.status === 'PASS'
      ? `## ✅ Verdict: ${headline}`
      : `## ⛔ Verdict: BLOCKED — ${report.verdict.blocking.length} reason${report.verdict.blocking.length === 1 ? '' : 's'}`,
  );
  out.push('');
  const facts = [
    report.profile ? `profile **${escapeMarkdown(report.profile)}**` : undefined,
    report.runId !== undefined ? `run #${report.runId}` : undefined,
    `${report.items.length} items`,
    `checked ${report.startedAt.replace('T', ' ').slice(0, 19)} UTC in ${formatDuration(report.durationMs)}`,
    `spec ${code(report.spec.path)} (sha256 ${code(report.spec.sha256.slice(0, 12))})`,
    `mlgate ${report.tool.version}`,
  ].filter(Boolean);
  out.push(facts.join(' · '));
  if (report.selection) {
    out.push('');
    out.push(
      `> **Partial run**: only ${report.selection.only.map(code).join(', ')}; the verdict covers these items only.`,
    );
  }
  if (!report.complete) {
    out.push('');
    out.push('> **The run was interrupted**: this report is incomplete and the verdict is BLOCKED.');
  }
  if (report.verdict.blocking.length > 0) {
    out.push('');
    for (const reason of report.verdict.blocking) {
      out.push(
        `- ❌ ${reason.itemId ? `${code(reason.itemId)} (${reason.status})` : escapeMarkdown(reason.status)}: ${escapeMarkdown(reason.message)}`,
      );
    }
  }
  if (report.verdict.warningReasons.length > 0) {
    out.push('');
    out.push('Warnings — recommended items not passing:');
    out.push('');
    for (const reason of report.verdict.warningReasons)
      out.push(`- ⚠️ ${code(reason.itemId ?? '')} (${reason.status}): ${escapeMarkdown(reason.message)}`);
  }
  if (report.mlTestScore) {
    out.push('');
    out.push(`**${escapeMarkdown(mlTestScoreLine(report.mlTestScore))}**`);
  }

  out.push('');
  out.push('## Summary');
  out.push('');
  out.push(`| Section | ${COUNT_COLUMNS.map(([, label]) => label).join(' | ')} |`);
  out.push(`| --- | ${COUNT_COLUMNS.map(() => '---:').join(' | ')} |`);
  for (const section of report.sections.filter((s) => s.counts.total > 0)) {
    const name = `${'&nbsp;&nbsp;'.repeat(section.path.length - 1)}${escapeMarkdown(section.path.at(-1) ?? '')}`;
    out.push(`| ${name} | ${countCells(section.counts)} |`);
  }
  out.push(`| **All items** | ${countCells(report.counts, true)} |`);

  const artifacts = report.artifacts;
  if (artifacts.length > 0) {
    out.push('');
    out.push('<details><summary>Artifacts (sha256)</summary>');
    out.push('');
    out.push('| Artifact | Path | sha256 | Size |');
    out.push('| --- | --- | --- | ---: |');
    for (const a of artifacts)
      out.push(
        `| ${escapeMarkdown(a.name)} | ${code(a.path)} | ${a.sha256 ? code(a.sha256) : `❌ ${escapeMarkdown(a.error ?? 'missing')}`} | ${a.size ?? '—'} |`,
      );
    out.push('');
    out.push('</details>');
  }

  let previous: string[] = [];
  for (const group of groupBySection(report.items)) {
    // A heading for each section level not already open.
    const common = commonPrefix(previous, group.path);
    for (let depth = common; depth < group.path.length; depth++) {
      out.push('');
      out.push(`${'#'.repeat(Math.min(6, depth + 2))} ${escapeMarkdown(group.path[depth]!)}`);
    }
    previous = group.path;
    out.push('');
    for (const item of group.items) out.push(...renderItem(item, report, evidenceLimit));
  }
  out.push('');
  out.push(
    `<sub>Generated by mlgate ${report.tool.version} from run ${report.runId !== undefined ? `#${report.runId}` : `of ${report.startedAt}`}. Values marked *reported* were read from files, not measured.</sub>`,
  );
  return `${out.join('\n')}\n`;
}

function countCells(counts: Counts, bold = false): string {
  return COUNT_COLUMNS.map(([key]) => {
    const value = counts[key];
    const text = value === 0 && key !== 'total' ? '·' : String(value);
    return bold && value !== 0 ? `**${text}**` : text;
  }).join(' | ');
}

function renderItem(item: ItemResult, report: RunReport, evidenceLimit: number): string[] {
  const status = displayStatus(item);
  const box = status === 'pass' ? '[x]' : '[ ]';
  const severity = item.severity === 'required' ? '' : ` *(${item.severity})*`;
  const lines = [
    `- ${box} ${STATUS_MARK[status]} **${escapeMarkdown(item.title)}**${severity} — ${status.toUpperCase()} ${code(item.id)}`,
  ];
  // Continuation lines are indented to stay inside the nested list item.
  const sub = (text: string) => lines.push(`  - ${text.split('\n').join('\n    ')}`);
  sub(
    `${escapeMarkdown(item.summary)}${item.source === 'reported' ? ' *(reported: read from a file, not measured)*' : ''}`,
  );
  const failing = item.applicable && item.status !== 'pass' && item.status !== 'skip';
  // A passing item shows what was held against a threshold; a failing one, everything measured.
  const measured = measuredAgainstThreshold(item).filter((row) => failing || row.name in item.threshold);
  for (const row of measured.slice(0, 12)) sub(`${code(row.name)}: ${escapeMarkdown(row.text)}`);
  for (const line of signoffLines(item)) sub(`✍️ ${escapeMarkdown(line)}`);
  if (failing && evidenceLimit > 0) {
    const location = primaryLocation(item, report);
    if (location.path !== specFileInRoot(report)) sub(`at ${code(formatLocation(location))}`);
    for (const line of evidenceLines(item.evidence, evidenceLimit)) sub(line);
  }
  if (failing && item.remediation) sub(`**Fix:** ${escapeMarkdown(item.remediation.trim())}`);
  return lines;
}

function evidenceLines(evidence: Evidence[], limit: number): string[] {
  const lines: string[] = [];
  for (const entry of evidence) {
    if (lines.length >= limit) break;
    switch (entry.type) {
      case 'finding':
        if (entry.ignored) break;
        lines.push(
          `${entry.level === 'error' ? '🔴' : entry.level === 'warning' ? '🟡' : '🔵'} ${code(entry.rule)} ${escapeMarkdown(entry.message)}${entry.location ? ` at ${code(formatLocation(entry.location))}` : ''}`,
        );
        break;
      case 'location':
        lines.push(
          `${code(formatLocation(entry))}${entry.note ? ` ${escapeMarkdown(entry.note)}` : ''}${entry.excerpt ? `: ${code(entry.excerpt.slice(0, 160))}` : ''}`,
        );
        break;
      case 'output': {
        const tail = [entry.stderrTail, entry.stdoutTail].filter(Boolean).join('\n').trimEnd();
        lines.push(
          `${code(entry.command.split('\n')[0]!.slice(0, 120))} exited ${entry.exitCode ?? entry.signal}${tail ? `\n\n\`\`\`text\n${tail.replace(/`{3,}/g, "'''").split('\n').slice(-8).join('\n')}\n\`\`\`` : ''}`,
        );
        break;
      }
      case 'http':
        lines.push(
          `${code(`${entry.request.method} ${entry.request.url}`)} → ${entry.response ? `${entry.response.status} in ${formatDuration(entry.durationMs)}` : escapeMarkdown(`no response: ${entry.error ?? ''}`)}`,
        );
        break;
      case 'text':
        lines.push(`${escapeMarkdown(entry.title)}: ${escapeMarkdown(entry.text.split('\n')[0] ?? '')}`);
        break;
      default:
        break;
    }
  }
  return lines;
}
