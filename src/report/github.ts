/**
 * GitHub Actions: `::error file=…,line=…::` workflow commands, so a blocking item shows on
 * the line that caused it in the pull request, and the Markdown report as the job summary.
 */
import { displayStatus, pathFromCwd, primaryLocation } from './format.js';
import { renderMarkdown } from './markdown.js';
import type { RunReport } from '../domain/run-report.js';

/** GitHub shows at most 10 errors and 10 warnings per step; a few more cost nothing. */
const MAX_ANNOTATIONS = 50;
/** The job summary's limit is 1 MiB per step. */
const MAX_SUMMARY_BYTES = 1000 * 1024;

const escapeData = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (text: string) => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function githubAnnotations(report: RunReport, cwd = process.cwd()): string[] {
  const lines: string[] = [];
  const byId = new Map(report.items.map((item) => [item.id, item]));
  const annotate = (level: 'error' | 'warning', reason: RunReport['verdict']['blocking'][number]) => {
    const item = reason.itemId ? byId.get(reason.itemId) : undefined;
    const properties: string[] = [];
    if (item) {
      const where = primaryLocation(item, report);
      properties.push(`file=${escapeProperty(pathFromCwd(report, where.path, cwd))}`);
      if (where.line) properties.push(`line=${where.line}`);
      if (where.column) properties.push(`col=${where.column}`);
      properties.push(`title=${escapeProperty(`mlgate ${displayStatus(item)}: ${item.id}`)}`);
    } else {
      properties.push(`title=${escapeProperty(`mlgate: ${reason.status}`)}`);
    }
    const message = item
      ? `${item.title}: ${reason.message}${item.remediation ? `\nFix: ${item.remediation.trim()}` : ''}`
      : reason.message;
    lines.push(`::${level} ${properties.join(',')}::${escapeData(message)}`);
  };
  for (const reason of report.verdict.blocking) annotate('error', reason);
  for (const reason of report.verdict.warningReasons) annotate('warning', reason);
  if (lines.length > MAX_ANNOTATIONS) {
    const more = lines.length - MAX_ANNOTATIONS;
    return [
      ...lines.slice(0, MAX_ANNOTATIONS),
      `::warning title=mlgate::${more} more annotations left out; the full list is in the job summary`,
    ];
  }
  return lines;
}

export function githubJobSummary(report: RunReport): string {
  const markdown = renderMarkdown(report, { evidenceLimit: 4 });
  if (Buffer.byteLength(markdown) <= MAX_SUMMARY_BYTES) return markdown;
  let cut = markdown.slice(0, MAX_SUMMARY_BYTES);
  while (Buffer.byteLength(cut) > MAX_SUMMARY_BYTES - 200)
    cut = cut.slice(0, cut.lastIndexOf('\n', cut.length - 2));
  return `${cut}\n\n> The report is longer than a job summary may be; the rest is in the HTML or JSON report.\n`;
}
