/**
 * The report as one self-contained HTML file: inline CSS and SVG, no script and no network
 * (a Content-Security-Policy says so), readable on a laptop and on a phone.
 *
 * Read in ten seconds: a one-line verdict, then for a BLOCKED run the reasons grouped by
 * section, one line each (the item and its measured value against the threshold), each a
 * <details> that opens to its evidence without script. Then the warnings, the progress per
 * section, and every other item as a closed line showing its key number. Inside an item the
 * thresholds come first, then the message and fix, then the full tables and pictures.
 * A pure function of the run report.
 */
import { verdictLine } from '../engine/gate.js';
import { formatNumber } from '../util/threshold.js';
import { formatDuration } from '../util/units.js';
import { chartsFor, escapeXml as esc } from './charts.js';
import {
  type DisplayStatus,
  displayStatus,
  formatLocation,
  formatScalar,
  groupBySection,
  measuredAgainstThreshold,
  modelLabel,
  signoffLines,
} from './format.js';
import { ML_TEST_SCORE_SECTIONS } from './ml-test-score.js';
import type { Counts, Evidence, ItemResult, RunReport } from '../domain/run-report.js';

// Colours: every status colour carries white text at a contrast of at least 4.5:1 (WCAG AA);
// n/a is a light grey and carries dark text instead.
const STYLE = `
:root{--pass:#1a7f37;--fail:#cf222e;--error:#8250df;--pending:#9a6700;--waived:#bc4c00;--skip:#59636e;--na:#d1d9e0;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:16px;overflow-wrap:anywhere}
h1{font-size:1.4rem;margin:.1em 0}h2{font-size:1.15rem;margin:1.4em 0 .4em;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:1em 0 .25em;display:flex;gap:.6em;align-items:baseline}h3 .muted{font-weight:400;font-size:.9em}
h4,h5,h6{font-size:.95rem;margin:.8em 0 .2em}
a{color:#0550ae}
.muted{color:var(--muted)}.mono,code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.86em}
.verdict{border-radius:6px;padding:8px 14px;margin:10px 0;border:1px solid;border-left-width:6px}
.verdict.pass{background:#dafbe1;border-color:var(--pass);color:#0f5323}.verdict.blocked{background:#ffebe9;border-color:var(--fail);color:#82071e}
.verdict strong{font-size:1.25rem;margin-right:.4em}
.verdict p{margin:.2em 0}
.legend{display:flex;flex-wrap:wrap;gap:2px 14px;font-size:.85em;color:var(--muted);margin:4px 0}
.legend span.sw{display:inline-block;width:.9em;height:.9em;border-radius:2px;vertical-align:-.1em;margin-right:4px}
.score{border-left:4px solid var(--skip);background:var(--soft);padding:6px 12px;margin:8px 0}
.prow{display:grid;grid-template-columns:minmax(8em,1fr) 3fr 4em;grid-template-areas:"name bar count";gap:2px 12px;align-items:center;margin:3px 0}
.prow .pname{grid-area:name}.prow .bar{grid-area:bar}.prow .pcount{grid-area:count;text-align:right}
.bar{display:flex;height:12px;border-radius:6px;overflow:hidden;background:var(--soft)}
.bar span{display:block;height:100%}
.s-pass{background:var(--pass)}.s-fail{background:var(--fail)}.s-error{background:var(--error)}.s-pending{background:var(--pending)}.s-waived{background:var(--waived)}.s-skip{background:var(--skip)}.s-na{background:var(--na)}
details.item{border:1px solid var(--line);border-radius:6px;margin:4px 0;background:var(--bg)}
details.item.blocking{border-left:4px solid var(--fail)}details.item.warning{border-left:4px solid var(--pending)}
details.item>summary{cursor:pointer;padding:5px 10px;display:flex;gap:4px 10px;align-items:baseline;list-style:none}
details.item>summary::-webkit-details-marker{display:none}
details.item>summary::before{content:"▸";color:var(--muted);width:.8em;flex:none}details.item[open]>summary::before{content:"▾"}
details.item>summary:focus-visible{outline:2px solid #0969da;outline-offset:-2px}
details.item[open]>summary{border-bottom:1px solid var(--line)}
.badge{display:inline-block;flex:none;min-width:5.4em;text-align:center;border-radius:4px;color:#fff;font-size:.75em;font-weight:600;padding:1px 6px}
.badge.s-na{color:var(--fg)}
.title{font-weight:600;flex:0 1 auto;max-width:50%;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.key{flex:1 1 0;min-width:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;color:var(--fg)}
.key .fails{color:#a40e26;font-weight:600}
.body{padding:8px 12px;overflow-wrap:anywhere}
.body>p:first-child{margin-top:0}
.fix{border-left:4px solid var(--pending);padding:4px 10px;background:#fff8c5}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:6px 0;font-size:.9em}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top;overflow-wrap:normal}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.failing td{background:#ffebe9}tr.failing td:last-child{color:#a40e26;font-weight:600}
table.thresholds{font-size:.95em}
pre{background:var(--soft);padding:8px;overflow-x:auto;white-space:pre-wrap;max-height:24em}
ul.evidence{padding-left:1.2em}
details.more{margin:6px 0}details.more>summary{cursor:pointer;color:#0550ae}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,420px),1fr));gap:8px 16px;margin:6px 0}
figure{margin:0}
svg.chart{width:100%;height:auto;display:block;margin:4px 0;font:11px system-ui,sans-serif}
svg.chart .grid{stroke:#eaeef2}svg.chart .axis{stroke:#59636e}svg.chart text{fill:#1f2328}svg.chart text.on-dark{fill:#fff}svg.chart .label{fill:#59636e}
svg.chart .col{fill:#54aeff}svg.chart circle.line-a{fill:#0969da}svg.chart circle.line-b{fill:#bc4c00}svg.chart circle.line-err{fill:#cf222e}svg.chart .gap{stroke:#cf222e;stroke-width:2}svg.chart .ideal{stroke:#59636e;stroke-dasharray:4 3;fill:none}
svg.chart .line-a{stroke:#0969da;stroke-width:2}svg.chart .line-b{stroke:#bc4c00;stroke-width:2}svg.chart .line-err{stroke:#cf222e;stroke-width:1.5}
svg.chart .limit{stroke:#a40e26;stroke-width:1.5;stroke-dasharray:6 3}svg.chart text.limit-label{fill:#a40e26;font-weight:600}
svg.chart rect.swatch.line-a{fill:#0969da}svg.chart rect.swatch.line-b{fill:#bc4c00}svg.chart rect.swatch.line-err{fill:#cf222e}svg.chart rect.swatch.ideal{fill:#59636e}svg.chart rect.swatch.col{fill:#54aeff}svg.chart rect.swatch.limit{fill:#a40e26}svg.chart rect.swatch.gap{fill:#cf222e}
footer{margin:2em 0;color:var(--muted);font-size:.85em}
@media (max-width:600px){main{padding:8px}body{font-size:14px}.prow{grid-template-columns:1fr auto;grid-template-areas:"name count" "bar bar"}
details.item>summary{flex-wrap:wrap}.title{max-width:calc(100% - 8em);white-space:normal;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical}.key{flex-basis:100%;padding-left:1.2em}}
@media print{details.item{break-inside:avoid}}
`;

const STATUS_CLASS: Record<DisplayStatus, string> = {
  pass: 's-pass',
  fail: 's-fail',
  error: 's-error',
  pending: 's-pending',
  waived: 's-waived',
  skip: 's-skip',
  'n/a': 's-na',
};

/** What each badge colour means, for the legend beside the bars. */
const STATUS_MEANING: Record<DisplayStatus, string> = {
  pass: 'pass',
  fail: 'fail',
  error: 'error (could not tell)',
  pending: 'pending sign-off',
  waived: 'waived',
  skip: 'skipped (a need failed)',
  'n/a': 'not applicable',
};

export function renderHtml(report: RunReport): string {
  const model = modelLabel(report);
  const title = `${report.project.name}${model ? ` — ${model}` : ''}: ${verdictLine(report.verdict)}`;
  const blockingIds = new Set(report.verdict.blocking.flatMap((r) => (r.itemId ? [r.itemId] : [])));
  const warningIds = new Set(
    report.verdict.warningReasons.flatMap((r) => (r.itemId && !blockingIds.has(r.itemId) ? [r.itemId] : [])),
  );
  const drawn = new Map<string, string>();
  const blocking = report.items.filter((i) => blockingIds.has(i.id));
  const warnings = report.items.filter((i) => warningIds.has(i.id));
  const rest = report.items.filter((i) => !blockingIds.has(i.id) && !warningIds.has(i.id));
  const body = [
    `<header><h1>${esc(report.project.name)}${model ? ` <span class="muted">${esc(model)}</span>` : ''}</h1>`,
    `<div class="muted">${facts(report).map(esc).join(' · ')}</div></header>`,
    verdictBlock(report, blocking, warnings),
    blocking.length > 0
      ? `<h2 id="blocking">Why it is blocked</h2>${sectionedItems(blocking, report, drawn, 'blocking')}`
      : '',
    warnings.length > 0
      ? `<h2 id="warnings">Warnings <span class="muted">— recommended items not passing</span></h2>${sectionedItems(warnings, report, drawn, 'warning')}`
      : '',
    progressBlock(report),
    rest.length > 0
      ? `<h2 id="items">${blocking.length + warnings.length > 0 ? 'Other items' : 'Items'}</h2>${sectionedItems(rest, report, drawn, '')}`
      : '',
    artifactsBlock(report),
    `<footer>Generated by mlgate ${esc(report.tool.version)}. Values marked “reported” were read from files, not measured. Spec ${esc(report.spec.path)} sha256 <span class="mono">${esc(report.spec.sha256)}</span>.</footer>`,
  ].join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${STYLE}</style></head>
<body><main>
${body}
</main></body></html>
`;
}

function facts(report: RunReport): string[] {
  return [
    report.profile ? `profile ${report.profile}` : '',
    report.runId !== undefined ? `run #${report.runId}` : '',
    `${report.items.length} items`,
    `${report.startedAt.replace('T', ' ').slice(0, 19)} UTC`,
    formatDuration(report.durationMs),
    report.selection ? `partial run: --only ${report.selection.only.join(',')}` : '',
  ].filter(Boolean);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One line: the verdict and how many items stand in its way, by status. */
function verdictBlock(report: RunReport, blocking: ItemResult[], warnings: ItemResult[]): string {
  const { verdict } = report;
  const passed = verdict.status === 'PASS';
  const parts: string[] = [];
  const byStatus = new Map<DisplayStatus, number>();
  for (const item of blocking)
    byStatus.set(displayStatus(item), (byStatus.get(displayStatus(item)) ?? 0) + 1);
  const sections = new Set(blocking.map((i) => i.sectionPath.join('\u0000'))).size;
  const line: string[] = [];
  if (!passed) {
    line.push(
      `<a href="#blocking">${plural(blocking.length, 'blocking item')}</a>${sections > 0 ? ` in ${plural(sections, 'section')}` : ''}${byStatus.size > 0 ? ` (${[...byStatus].map(([status, n]) => `${n} ${esc(status)}`).join(', ')})` : ''}`,
    );
  }
  if (warnings.length > 0) line.push(`<a href="#warnings">${plural(warnings.length, 'warning')}</a>`);
  line.push(`${report.counts.pass} of ${report.counts.total} items pass`);
  // Reasons that belong to no item (a missing artifact, a spec that judges nothing) have no
  // row below: they are told here, in full.
  const loose = verdict.blocking.filter((r) => !r.itemId);
  parts.push(
    `<section class="verdict ${passed ? 'pass' : 'blocked'}" id="verdict"><strong>${passed ? '✓' : '✗'} ${esc(verdictLine(verdict))}</strong>${line.join(' · ')}${loose.length > 0 ? `<ul>${loose.map((r) => `<li>${esc(r.status)}: ${esc(r.message)}</li>`).join('')}</ul>` : ''}${report.complete ? '' : '<p><b>The run was interrupted: this report is incomplete.</b></p>'}</section>`,
  );
  if (report.mlTestScore) {
    const score = report.mlTestScore;
    parts.push(
      `<section class="score"><b>ML Test Score (${esc(score.version)}): ${score.score}</b> — the minimum of ${ML_TEST_SCORE_SECTIONS.map((s) => `${s} ${score.sections[s]}`).join(', ')}. ${esc(score.band)} <span class="muted">It scores having tests; the verdict scores passing them.</span></section>`,
    );
  }
  return parts.join('\n');
}

const BAR_KEYS: Array<[keyof Counts, DisplayStatus]> = [
  ['pass', 'pass'],
  ['fail', 'fail'],
  ['error', 'error'],
  ['pending', 'pending'],
  ['waived', 'waived'],
  ['skip', 'skip'],
  ['notApplicable', 'n/a'],
];

function countBar(counts: Counts): string {
  const total = counts.total || 1;
  return `<div class="bar" role="img" aria-label="${esc(countText(counts))}">${BAR_KEYS.filter(
    ([key]) => counts[key] > 0,
  )
    .map(
      ([key, status]) =>
        `<span class="${STATUS_CLASS[status]}" style="width:${((counts[key] / total) * 100).toFixed(2)}%" title="${counts[key]} ${status}"></span>`,
    )
    .join('')}</div>`;
}

function countText(counts: Counts): string {
  return BAR_KEYS.filter(([key]) => counts[key] > 0)
    .map(([key, status]) => `${counts[key]} ${status}`)
    .join(', ');
}

/** The colours of the bars, named: only those that appear. */
function statusLegend(counts: Counts): string {
  return `<div class="legend" aria-hidden="true">${BAR_KEYS.filter(([key]) => counts[key] > 0)
    .map(
      ([key, status]) =>
        `<span><span class="sw ${STATUS_CLASS[status]}"></span>${counts[key]} ${esc(STATUS_MEANING[status])}</span>`,
    )
    .join('')}</div>`;
}

function progressBlock(report: RunReport): string {
  const rows = report.sections
    .filter((s) => s.counts.total > 0)
    .map(
      (s) =>
        `<div class="prow"><div class="pname" style="padding-left:${s.path.length - 1}em">${esc(s.path.at(-1) ?? '')}</div>${countBar(s.counts)}<div class="pcount muted">${s.counts.pass}/${s.counts.total}</div></div>`,
    );
  rows.push(
    `<div class="prow"><div class="pname"><b>All items</b></div>${countBar(report.counts)}<div class="pcount"><b>${report.counts.pass}/${report.counts.total}</b></div></div>`,
  );
  return `<h2 id="progress">Progress by section</h2>${statusLegend(report.counts)}<div class="progress">${rows.join('')}</div>`;
}

/** Items under their section headings (the full path, one heading per group). */
function sectionedItems(
  items: ItemResult[],
  report: RunReport,
  drawn: Map<string, string>,
  role: 'blocking' | 'warning' | '',
): string {
  const out: string[] = [];
  for (const group of groupBySection(items)) {
    const section = report.sections.find((s) => s.path.join('\u0000') === group.path.join('\u0000'));
    const count =
      role === ''
        ? `${group.items.length}${section ? ` of ${section.counts.total}` : ''} items`
        : `${group.items.length}${section ? ` of ${section.counts.total}` : ''} ${role === 'blocking' ? 'blocking' : 'not passing'}`;
    out.push(`<h3>${esc(group.path.join(' › ') || 'Items')} <span class="muted">${esc(count)}</span></h3>`);
    for (const item of group.items) out.push(itemBlock(item, drawn, role));
  }
  return out.join('\n');
}

function itemBlock(item: ItemResult, drawn: Map<string, string>, role: 'blocking' | 'warning' | ''): string {
  const status = displayStatus(item);
  const parts: string[] = [];
  parts.push(thresholdTable(item));
  parts.push(
    `<p>${esc(item.summary)}${item.source === 'reported' ? ' <i class="muted">(reported: read from a file, not measured)</i>' : ''}</p>`,
  );
  if (item.remediation && status !== 'pass' && status !== 'n/a')
    parts.push(`<p class="fix"><b>Fix:</b> ${esc(item.remediation.trim())}</p>`);
  const signoffs = signoffLines(item);
  if (signoffs.length > 0) parts.push(`<ul>${signoffs.map((line) => `<li>${esc(line)}</li>`).join('')}</ul>`);
  if (item.description) parts.push(`<p class="muted">${esc(item.description)}</p>`);
  parts.push(
    `<p class="muted"><code>${esc(item.id)}</code> · ${esc(item.kind)} · ${esc(item.severity)}${item.specLine ? ` · spec line ${item.specLine}` : ''}</p>`,
  );
  parts.push(otherMeasured(item));
  parts.push(evidenceBlock(item, drawn));
  const severity = item.severity === 'required' ? '' : ` <span class="muted">(${esc(item.severity)})</span>`;
  return `<details class="item${role ? ` ${role}` : ''}" id="item-${esc(item.id)}"><summary><span class="badge ${STATUS_CLASS[status]}">${esc(status.toUpperCase())}</span><span class="title">${esc(item.title)}${severity}</span><span class="key">${keyLine(item)}</span></summary><div class="body">${parts.join('')}</div></details>`;
}

/** A threshold's unit, read from how it was written ("< 100ms", "< 1%"), to show the value in it. */
function withUnit(value: number, threshold: string | undefined, precise: boolean): string {
  const number = (v: number) => (precise ? formatNumber(v) : short(v));
  if (threshold && /\d\s*%/.test(threshold)) return `${number(value * 100)}%`;
  if (threshold && /\d\s*ms\b/i.test(threshold)) return `${number(value)} ms`;
  return number(value);
}

/** Four significant digits: what a glance needs ("accuracy 0.9722", "p95 12.3 ms"). */
function short(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) || Math.abs(value) >= 1e4) return formatNumber(value);
  return String(Number(value.toPrecision(4)));
}

/** The measured value a threshold judges: the same name, else the first "name@…" (per batch size). */
function measuredFor(
  item: ItemResult,
  name: string,
): { name: string; value: number | string | boolean | null } | undefined {
  if (name in item.measured) return { name, value: item.measured[name] ?? null };
  const variant = Object.keys(item.measured).find((key) => key.startsWith(`${name}@`));
  return variant ? { name: variant, value: item.measured[variant] ?? null } : undefined;
}

/**
 * The one line a collapsed item shows. Not passing: the thresholds it missed, measured against
 * them (from the check's own verdicts where it wrote a "thresholds" table), else its message.
 * Passing: its key number ("accuracy 0.9722", "p(95) 12 ms").
 */
function keyLine(item: ItemResult): string {
  const status = displayStatus(item);
  if (status === 'fail' || status === 'error') {
    const missed = missedThresholds(item);
    if (missed.length > 0) return `<span class="fails">${esc(missed.join(' · '))}</span>`;
    return esc(item.summary);
  }
  if (status === 'pass') {
    const numbers = Object.entries(item.threshold).flatMap(([name, threshold]) => {
      const found = measuredFor(item, name);
      if (!found || found.value === null) return [];
      return [
        `${found.name} ${typeof found.value === 'number' ? withUnit(found.value, threshold, false) : String(found.value)}`,
      ];
    });
    if (numbers.length > 0) return esc(numbers.slice(0, 3).join(' · '));
  }
  return `<span class="muted">${esc(item.summary)}</span>`;
}

function thresholdsEvidence(item: ItemResult): Extract<Evidence, { type: 'table' }> | undefined {
  return item.evidence.find(
    (e): e is Extract<Evidence, { type: 'table' }> => e.type === 'table' && e.title === 'thresholds',
  );
}

const FAILED = /^(fail|failed|✗|no)$/i;

function missedThresholds(item: ItemResult): string[] {
  const table = thresholdsEvidence(item);
  if (table) {
    const col = (name: string) => table.columns.indexOf(name);
    const verdict = [col('verdict'), col('result')].find((i) => i >= 0);
    if (verdict !== undefined) {
      const failing = table.rows.filter((row) => FAILED.test(String(row[verdict] ?? '')));
      const [metric, measured, threshold] = [col('metric'), col('measured'), col('threshold')];
      const lines = failing.map((row) =>
        metric >= 0 && typeof row[measured] === 'number'
          ? `${String(row[metric])} ${formatNumber(row[measured] as number)} (needs ${String(row[threshold] ?? '')})`
          : String(row[measured >= 0 ? measured : 0] ?? ''),
      );
      if (lines.length > 0) return lines;
    }
  }
  // No verdict per threshold: every threshold beside its measured value, judged by the message.
  return Object.entries(item.threshold).flatMap(([name, threshold]) => {
    const found = measuredFor(item, name);
    if (!found) return [];
    const value =
      typeof found.value === 'number' ? withUnit(found.value, threshold, true) : formatScalar(found.value);
    return [`${found.name} ${value} (needs ${threshold})`];
  });
}

/**
 * The thresholds first, each beside its measured value, before any full table. A check's own
 * "thresholds" table (with its verdicts) is used as is, failing rows marked.
 */
function thresholdTable(item: ItemResult): string {
  const table = thresholdsEvidence(item);
  if (table) return tableHtml(table, 'thresholds', true);
  const rows = Object.entries(item.threshold).map(([name, threshold]) => {
    const found = measuredFor(item, name);
    const value =
      found === undefined
        ? '—'
        : typeof found.value === 'number'
          ? withUnit(found.value, threshold, true)
          : formatScalar(found.value);
    return `<tr><td><code>${esc(found?.name ?? name)}</code></td><td class="num">${esc(value)}</td><td>${esc(threshold)}</td></tr>`;
  });
  if (rows.length === 0) return '';
  return `<div class="scroll"><table class="thresholds"><tr><th>measured</th><th>value</th><th>threshold</th></tr>${rows.join('')}</table></div>`;
}

/** Measured values no threshold judges, folded away: they explain, they do not decide. */
function otherMeasured(item: ItemResult): string {
  const judged = new Set(Object.keys(item.threshold).map((name) => measuredFor(item, name)?.name ?? name));
  const rows = measuredAgainstThreshold(item).filter(
    (row) => !judged.has(row.name) && !(row.name in item.threshold),
  );
  if (rows.length === 0) return '';
  return `<details class="more"><summary>All measured values (${rows.length})</summary><div class="scroll"><table>${rows
    .map((row) => `<tr><td><code>${esc(row.name)}</code></td><td class="num">${esc(row.text)}</td></tr>`)
    .join('')}</table></div></details>`;
}

function tableHtml(entry: Extract<Evidence, { type: 'table' }>, className = '', markFailing = false): string {
  const verdict = markFailing
    ? [entry.columns.indexOf('verdict'), entry.columns.indexOf('result')].find((i) => i >= 0)
    : undefined;
  const rows = entry.rows
    .slice(0, 200)
    .map((row) => {
      const failing = verdict !== undefined && FAILED.test(String(row[verdict] ?? ''));
      return `<tr${failing ? ' class="failing"' : ''}>${row.map((cell) => `<td${typeof cell === 'number' ? ' class="num"' : ''}>${esc(formatScalar(cell))}</td>`).join('')}</tr>`;
    })
    .join('');
  return `<div class="scroll"><table${className ? ` class="${className}"` : ''}><tr>${entry.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${rows}</table></div>${entry.rows.length > 200 ? `<p class="muted">${entry.rows.length - 200} more rows in the JSON report</p>` : ''}`;
}

// Tables longer than this are folded behind their title: the pictures and short tables stay open.
const OPEN_TABLE_ROWS = 8;

function evidenceBlock(item: ItemResult, drawn: Map<string, string>): string {
  const list: string[] = [];
  const blocks: string[] = [];
  const figures: string[] = [];
  const thresholds = thresholdsEvidence(item);
  for (const entry of item.evidence) {
    switch (entry.type) {
      case 'finding':
        list.push(
          `<li>${entry.ignored ? '<s>' : ''}<b>${esc(entry.level)}</b> <code>${esc(entry.rule)}</code> ${esc(entry.message)}${entry.location ? ` <code>${esc(formatLocation(entry.location))}</code>` : ''}${entry.ignored ? `</s> <i>ignored (${esc(entry.ignored.source)}): ${esc(entry.ignored.reason)}</i>` : ''}${entry.excerpt ? `<pre>${esc(entry.excerpt)}</pre>` : ''}${entry.fix ? `<div class="muted">fix: ${esc(entry.fix)}</div>` : ''}</li>`,
        );
        break;
      case 'location':
        list.push(
          `<li><code>${esc(formatLocation(entry))}</code>${entry.note ? ` ${esc(entry.note)}` : ''}${entry.excerpt ? `<pre>${esc(entry.excerpt)}</pre>` : ''}</li>`,
        );
        break;
      case 'file':
        list.push(
          `<li>file <code>${esc(entry.path)}</code>${entry.size !== undefined ? `, ${entry.size} bytes` : ''}${entry.sha256 ? `, sha256 <span class="mono">${esc(entry.sha256)}</span>` : ''}${entry.note ? ` — ${esc(entry.note)}` : ''}</li>`,
        );
        break;
      case 'output':
        blocks.push(
          `<p><code>$ ${esc(entry.command)}</code> → exit ${esc(String(entry.exitCode ?? entry.signal))}${entry.cwd ? ` <span class="muted">in ${esc(entry.cwd)}</span>` : ''}${entry.truncated ? ' <span class="muted">(tail)</span>' : ''}</p>${entry.stdoutTail ? `<pre>${esc(entry.stdoutTail)}</pre>` : ''}${entry.stderrTail ? `<pre>${esc(entry.stderrTail)}</pre>` : ''}`,
        );
        break;
      case 'http':
        blocks.push(
          `<p>${entry.title ? `${esc(entry.title)}: ` : ''}<code>${esc(entry.request.method)} ${esc(entry.request.url)}</code> → ${entry.response ? `${entry.response.status} in ${esc(formatDuration(entry.durationMs))}` : `no response: ${esc(entry.error ?? '')}`}</p>${entry.response?.body ? `<pre>${esc(entry.response.body)}</pre>` : ''}`,
        );
        break;
      case 'text':
        blocks.push(`<p><b>${esc(entry.title)}</b></p><pre>${esc(entry.text)}</pre>`);
        break;
      case 'table':
        if (entry === thresholds) break; // shown first, above
        blocks.push(
          entry.rows.length > OPEN_TABLE_ROWS
            ? `<details class="more"><summary>${esc(entry.title)} (${entry.rows.length} rows)</summary>${tableHtml(entry)}</details>`
            : `<p><b>${esc(entry.title)}</b></p>${tableHtml(entry)}`,
        );
        break;
      case 'data': {
        const key = `${entry.name}\u0000${JSON.stringify(entry.data)}`;
        const first = drawn.get(key);
        if (first) {
          blocks.push(
            `<p class="muted">${esc(entry.title)}: the same as in <a href="#item-${esc(first)}">${esc(first)}</a>.</p>`,
          );
          break;
        }
        const svgs = chartsFor(entry.name, entry.data, { threshold: item.threshold });
        if (svgs.length > 0) drawn.set(key, item.id);
        for (const svg of svgs) figures.push(`<figure>${svg}</figure>`);
        break;
      }
    }
  }
  return `${list.length > 0 ? `<ul class="evidence">${list.join('')}</ul>` : ''}${figures.length > 0 ? `<div class="figures">${figures.join('')}</div>` : ''}${blocks.join('')}`;
}

function artifactsBlock(report: RunReport): string {
  if (report.artifacts.length === 0) return '';
  return `<h2>Artifacts</h2><div class="scroll"><table><tr><th>name</th><th>path</th><th>sha256</th><th>size</th></tr>${report.artifacts
    .map(
      (a) =>
        `<tr><td>${esc(a.name)}</td><td><code>${esc(a.path)}</code></td><td class="mono">${a.sha256 ? esc(a.sha256) : `<b style="color:var(--fail)">${esc(a.error ?? 'missing')}</b>`}</td><td class="num">${a.size ?? '—'}</td></tr>`,
    )
    .join('')}</table></div>`;
}
