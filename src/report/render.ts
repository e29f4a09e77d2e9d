/** Every output format, by name, from the one report structure. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Style } from '../cli/style.js';
import { UsageError } from '../engine/errors.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import type { RunReport } from '../domain/run-report.js';
import { renderText } from './text.js';
import { Redactor, sanitize } from '../redact/index.js';

import { REPORT_FORMATS, type ReportFormat } from './formats.js';
export { REPORT_FORMATS, type ReportFormat };

export interface RenderOptions {
  /** Paths in JUnit and SARIF are relative to this folder. */
  cwd: string;
  style: Style;
  verbose?: boolean;
}

export function renderReport(raw: RunReport, format: ReportFormat, options: RenderOptions): string {
  // Reports read back from the store or a file may predate today's cleaning and redaction: no
  // control sequence, and nothing the secrets rules recognise, reaches a terminal or a page.
  const report = sanitize(raw, new Redactor());
  switch (format) {
    case 'md':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
    case 'junit':
      return renderJunit(report, { cwd: options.cwd });
    case 'sarif':
      return renderSarif(report, { cwd: options.cwd });
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'text':
      return renderText(report, { style: options.style, verbose: options.verbose });
  }
}

/** The format a file name asks for: report.html, junit.xml, results.sarif, report.md. */
export function formatFromPath(file: string): ReportFormat | undefined {
  const name = file.toLowerCase();
  if (name.endsWith('.sarif') || name.endsWith('.sarif.json')) return 'sarif';
  if (name.endsWith('.md') || name.endsWith('.markdown')) return 'md';
  if (name.endsWith('.html') || name.endsWith('.htm')) return 'html';
  if (name.endsWith('.xml')) return 'junit';
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.txt')) return 'text';
  return undefined;
}

export interface ReportTarget {
  format: ReportFormat;
  file: string;
}

/** `--report md=report.md`, or `--report report.html` (the format from the extension). */
export function parseReportTarget(value: string): ReportTarget {
  const match = /^([a-z]+)=(.+)$/.exec(value);
  if (match) {
    const format = match[1] as ReportFormat;
    if (!REPORT_FORMATS.includes(format))
      throw new UsageError(
        `unknown report format "${match[1]}" in --report ${value}`,
        `use one of ${REPORT_FORMATS.join(', ')}, e.g. --report html=report.html`,
      );
    return { format, file: match[2]! };
  }
  const format = formatFromPath(value);
  if (!format)
    throw new UsageError(
      `cannot tell the format of --report ${value} from its extension`,
      `name it FORMAT=FILE (${REPORT_FORMATS.join(', ')}), e.g. --report junit=${value}`,
    );
  return { format, file: value };
}

/** Written whole or not at all: a reader never sees half a report. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
