/**
 * What the coverage check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { readFileSync } from 'node:fs';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import { meets, parseThreshold } from '../../util/threshold.js';
import { parseXml, XmlError } from '../_shared/xml.js';
import { type CoverageParams, FORMATS } from './check.js';

type Format = (typeof FORMATS)[number];

interface FileCoverage {
  path: string;
  lines: number;
  linesHit: number;
  branches: number;
  branchesHit: number;
}

export async function run(ctx: CheckContext, params: CoverageParams): Promise<CheckOutcome> {
  const path = ctx.resolve(params.path);
  const shown = ctx.display(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { status: 'error', summary: `${shown} not found: was coverage collected?` };
  }
  const format = params.format ?? detect(text);
  if (!format) return { status: 'error', summary: `${shown}: cannot tell the format (${FORMATS.join(', ')}); set format` };
  let files: FileCoverage[];
  try {
    files = PARSERS[format](text);
  } catch (error) {
    if (error instanceof XmlError) return { status: 'error', summary: `${shown}${error.line ? `:${error.line}` : ''}: not valid XML: ${error.message}` };
    return { status: 'error', summary: `${shown}: cannot read it as ${format}: ${(error as Error).message}` };
  }
  if (files.length === 0) return { status: 'error', summary: `${shown} lists no files` };
  const branches = params.metric === 'branches';
  const share = (list: FileCoverage[]) => {
    const total = list.reduce((sum, f) => sum + (branches ? f.branches : f.lines), 0);
    const hit = list.reduce((sum, f) => sum + (branches ? f.branchesHit : f.linesHit), 0);
    return { total, hit, value: total === 0 ? Number.NaN : hit / total };
  };
  const percent = (v: number) => (Number.isNaN(v) ? 'n/a' : `${(v * 100).toFixed(2)}%`);
  const failures: string[] = [];
  const errors: string[] = [];
  const passes: string[] = [];
  const measured: Record<string, number> = {};
  const threshold: Record<string, string> = {};
  const rows: Array<Array<string | number>> = [];
  const judge = (label: string, list: FileCoverage[], text: string) => {
    const { total, hit, value } = share(list);
    measured[label] = value;
    threshold[label] = text;
    rows.push([label, list.length, hit, total, percent(value), text]);
    if (Number.isNaN(value)) errors.push(`${label}: no ${params.metric} to measure`);
    else (meets(value, parseThreshold(text)) ? passes : failures).push(`${label} ${params.metric} ${percent(value)} (${hit}/${total}) ${meets(value, parseThreshold(text)) ? 'meets' : 'fails'} ${text}`);
  };
  if (params.min) judge('overall', files, params.min);
  for (const [prefix, text] of Object.entries(params.per_path ?? {})) {
    const clean = prefix.replace(/^\.\//, '');
    const matching = files.filter((f) => f.path.replace(/^\.\//, '').startsWith(clean) || f.path.includes(`/${clean}`));
    if (matching.length === 0) {
      errors.push(`no file in ${shown} is under "${prefix}" (files look like ${files.slice(0, 2).map((f) => f.path).join(', ')})`);
      continue;
    }
    judge(prefix, matching, text);
  }
  const worst = [...files]
    .filter((f) => (branches ? f.branches : f.lines) > 0)
    .sort((a, b) => (branches ? a.branchesHit / a.branches - b.branchesHit / b.branches : a.linesHit / a.lines - b.linesHit / b.lines))
    .slice(0, 10);
  const status = errors.length ? 'error' : failures.length ? 'fail' : 'pass';
  return {
    status,
    summary: `${shown} (${format}, ${files.length} files): ${(status === 'error' ? errors : status === 'fail' ? failures : passes).join('; ')}`,
    measured: { ...measured, files: files.length },
    threshold,
    evidence: [
      { type: 'table', title: `${params.metric} coverage`, columns: ['scope', 'files', 'covered', 'total', 'coverage', 'threshold'], rows },
      {
        type: 'table',
        title: 'least covered files',
        columns: ['file', 'covered', 'total', 'coverage'],
        rows: worst.map((f) => [f.path, branches ? f.branchesHit : f.linesHit, branches ? f.branches : f.lines, percent(branches ? f.branchesHit / f.branches : f.linesHit / f.lines)]),
      },
    ],
  };
}

function detect(text: string): Format | undefined {
  const head = text.trimStart().slice(0, 2000);
  if (head.startsWith('<')) return 'cobertura';
  if (/^(TN:|SF:)/m.test(head)) return 'lcov';
  if (head.startsWith('{')) {
    if (/"totals"\s*:/.test(text) && /"files"\s*:/.test(text)) return 'coverage-py';
    if (/"total"\s*:\s*\{\s*"lines"/.test(text)) return 'istanbul-summary';
  }
  return undefined;
}

const PARSERS: Record<Format, (text: string) => FileCoverage[]> = {
  lcov(text) {
    const files: FileCoverage[] = [];
    let current: FileCoverage | undefined;
    let counted = { lines: false, branches: false };
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (line.startsWith('SF:')) {
        current = { path: line.slice(3), lines: 0, linesHit: 0, branches: 0, branchesHit: 0 };
        counted = { lines: false, branches: false };
      } else if (!current) continue;
      else if (line.startsWith('DA:')) {
        const [, hits] = line.slice(3).split(',');
        current.lines++;
        if (Number(hits) > 0) current.linesHit++;
        counted.lines = true;
      } else if (line.startsWith('BRDA:')) {
        const taken = line.slice(5).split(',')[3];
        current.branches++;
        if (taken !== '-' && Number(taken) > 0) current.branchesHit++;
        counted.branches = true;
      } else if (line.startsWith('LF:') && !counted.lines) current.lines = Number(line.slice(3));
      else if (line.startsWith('LH:') && !counted.lines) current.linesHit = Number(line.slice(3));
      else if (line.startsWith('BRF:') && !counted.branches) current.branches = Number(line.slice(4));
      else if (line.startsWith('BRH:') && !counted.branches) current.branchesHit = Number(line.slice(4));
      else if (line === 'end_of_record') {
        files.push(current);
        current = undefined;
      }
    }
    if (current) files.push(current);
    return files;
  },
  cobertura(text) {
    const data = parseXml(text, ['package', 'class', 'line', 'source']);
    const coverage = data.coverage as Record<string, unknown> | undefined;
    if (!coverage) throw new Error('no <coverage> element');
    const byFile = new Map<string, FileCoverage>();
    const packages = ((coverage.packages as Record<string, unknown> | undefined)?.package ?? []) as Array<Record<string, unknown>>;
    for (const pkg of packages) {
      for (const cls of ((pkg.classes as Record<string, unknown> | undefined)?.class ?? []) as Array<Record<string, unknown>>) {
        const path = String(cls.filename ?? cls.name);
        const file = byFile.get(path) ?? { path, lines: 0, linesHit: 0, branches: 0, branchesHit: 0 };
        for (const line of ((cls.lines as Record<string, unknown> | undefined)?.line ?? []) as Array<Record<string, unknown>>) {
          file.lines++;
          if (Number(line.hits) > 0) file.linesHit++;
          const condition = /\((\d+)\/(\d+)\)/.exec(String(line['condition-coverage'] ?? ''));
          if (line.branch === 'true' && condition) {
            file.branchesHit += Number(condition[1]);
            file.branches += Number(condition[2]);
          }
        }
        byFile.set(path, file);
      }
    }
    return [...byFile.values()];
  },
  'coverage-py'(text) {
    const data = JSON.parse(text) as { files: Record<string, { summary: Record<string, number> }> };
    return Object.entries(data.files).map(([path, file]) => ({
      path,
      lines: file.summary.num_statements ?? 0,
      linesHit: file.summary.covered_lines ?? 0,
      branches: file.summary.num_branches ?? 0,
      branchesHit: file.summary.covered_branches ?? 0,
    }));
  },
  'istanbul-summary'(text) {
    const data = JSON.parse(text) as Record<string, { lines: { total: number; covered: number }; branches: { total: number; covered: number } }>;
    return Object.entries(data)
      .filter(([path]) => path !== 'total')
      .map(([path, file]) => ({ path, lines: file.lines.total, linesHit: file.lines.covered, branches: file.branches.total, branchesHit: file.branches.covered }));
  },
};

