/**
 * Report writers and checklist import, beside the floor each cannot beat in the same run:
 * JSON.stringify of the same report, and the bare Markdown parse of the same checklist.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';
import { Redactor, sanitize } from '../redact/index.js';
import { parseChecklist } from '../checklist/parse.js';
import { checklistToSpec } from '../checklist/to-spec.js';
import { renderHtml } from '../report/html.js';
import { renderJunit } from '../report/junit.js';
import { renderMarkdown } from '../report/markdown.js';
import { renderSarif } from '../report/sarif.js';
import type { ItemResult, RunReport } from '../domain/run-report.js';
import { type Benchmark, fmt, medianMs, row } from './harness.js';

const ITEMS = 2000;

function bigReport(): RunReport {
  const counts = {
    total: ITEMS,
    pass: ITEMS / 2,
    fail: ITEMS / 2,
    error: 0,
    skip: 0,
    pending: 0,
    waived: 0,
    notApplicable: 0,
  };
  const items: ItemResult[] = Array.from({ length: ITEMS }, (_, i) => ({
    id: `item-${i}`,
    sectionPath: [`Section ${i % 20}`],
    title: `Item ${i} meets its threshold`,
    severity: 'required',
    kind: 'dockerfile',
    applicable: true,
    status: i % 2 ? 'fail' : 'pass',
    summary: `value ${i} against the threshold`,
    measured: { value: i / ITEMS },
    threshold: { value: '>= 0.5' },
    evidence: [
      {
        type: 'finding',
        rule: 'dockerfile/non-root-user',
        level: 'error',
        message: 'runs as root',
        location: { path: 'Dockerfile', line: i + 1 },
      },
      {
        type: 'table',
        title: 'values',
        columns: ['a', 'b'],
        rows: [
          [1, 2],
          [3, 4],
        ],
      },
    ],
    remediation: 'Fix it.',
    needs: [],
    definitionDigest: 'd'.repeat(64),
    specLine: i + 1,
    durationMs: 1,
  }));
  return {
    schemaVersion: 1,
    tool: { name: 'mlgate', version: 'bench' },
    project: { name: 'bench' },
    spec: { path: 'mlgate.yaml', sha256: 'f'.repeat(64) },
    root: '/bench',
    profile: null,
    selection: null,
    startedAt: new Date(0).toISOString(),
    finishedAt: new Date(1000).toISOString(),
    durationMs: 1000,
    complete: true,
    verdict: { status: 'BLOCKED', warnings: 0, waived: 0, blocking: [], warningReasons: [] },
    counts,
    sections: Array.from({ length: 20 }, (_, i) => ({ path: [`Section ${i}`], counts })),
    artifacts: [],
    items,
  };
}

export const reportsBenchmark: Benchmark = {
  name: `reports and import: ${ITEMS}-item report in every format; the 112-item shared checklist`,
  goal: 'each writer within a small factor of JSON.stringify; import within a small factor of the bare parse; 5,000 checklist items imported in < 2 s',
  async run() {
    const report = bigReport();
    const json = await medianMs(5, () => JSON.stringify(report));
    row('', 'median of 5', 'vs JSON');
    row('JSON.stringify (floor)', fmt.ms(json), fmt.ratio(1));
    for (const [name, render] of [
      ['Markdown', () => renderMarkdown(report)],
      ['HTML', () => renderHtml(report)],
      ['JUnit', () => renderJunit(report, { cwd: '/' })],
      ['SARIF', () => renderSarif(report, { cwd: '/' })],
      // What renderReport adds before any writer: terminal cleaning and the secrets rules.
      ['clean + redact (every render)', () => sanitize(report, new Redactor())],
    ] as const) {
      const ms = await medianMs(5, render);
      row(name, fmt.ms(ms), fmt.ratio(ms / json));
    }
    const checklist = readFileSync(
      join(import.meta.dirname, '../../../shared/checklists/radikal-backend-deployment-checklist.md'),
      'utf8',
    );
    const parse = await medianMs(5, () =>
      fromMarkdown(checklist, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] }),
    );
    const imported = await medianMs(5, () =>
      checklistToSpec(parseChecklist(checklist), { name: 'x', source: 'x' }),
    );
    row('', 'median of 5', 'vs parse');
    row('Markdown+GFM parse alone (floor)', fmt.ms(parse), fmt.ratio(1));
    row('mlgate import (parse, map, YAML)', fmt.ms(imported), fmt.ratio(imported / parse));
    // A long generated checklist (goal: 5,000 items < 2 s): parsed in pieces, beside one parse.
    let long = '# Long\n\n## Items\n\n';
    for (let i = 0; i < 5000; i++) long += `- [ ] Item ${i} is verified\n  - how item ${i} is checked\n`;
    const pieces = await medianMs(1, () => checklistToSpec(parseChecklist(long), { name: 'x', source: 'x' }));
    const whole = await medianMs(1, () => parseChecklist(long, Number.MAX_SAFE_INTEGER));
    row('', 'one run', 'vs one parse');
    row('import 5,000 items (pieces)', fmt.ms(pieces), fmt.ratio(pieces / whole));
    row('parse 5,000 items in one piece', fmt.ms(whole), fmt.ratio(1));
  },
};
