/**
 * The report as one self-contained HTML file: inline CSS and SVG, no script and no network
 * (a Content-Security-Policy says so), readable on a laptop and on a phone. The verdict and
 * its reasons first, then progress per section, then every item with its evidence and the
 * pictures its checks left (confusion matrix, reliability diagram, latency). A pure function.
 */
import { verdictLine } from '../engine/gate.js';
import { formatDuration } from '../util/units.js';
import { chartsFor, escapeXml as esc } from './charts.js';
import {
  commonPrefix,
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
import type { Counts, Evidence, ItemResult, RunReport } from './schema.js';

const STYLE = `
:root{--pass:#1a7f37;--fail:#cf222e;--error:#8250df;--pending:#9a6700;--waived:#bc4c00;--skip:#6e7781;--na:#afb8c1;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1080px;margin:0 auto;padding:16px;overflow-wrap:anywhere}
h1{font-size:1.5rem;margin:.2em 0}h2{font-size:1.2rem;margin:1.6em 0 .4em;border-bottom:1px solid var(--line)}h3{font-size:1.05rem;margin:1.2em 0 .3em}
.muted{color:var(--muted)}.mono,code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.86em}
.verdict{border-radius:8px;padding:14px 18px;margin:12px 0;color:#fff}
.verdict.pass{background:var(--pass)}.verdict.blocked{background:var(--fail)}
.verdict strong{font-size:1.4rem;display:block}
.verdict ul{margin:.4em 0 0;padding-left:1.2em}
.warnings{border-left:4px solid var(--pending);background:#fff8c5;padding:8px 12px;margin:8px 0}
.score{border-left:4px solid var(--skip);background:var(--soft);padding:8px 12px;margin:8px 0}
.prow{display:grid;grid-template-columns:minmax(8em,1fr) 3fr 4em;grid-template-areas:"name bar count";gap:4px 12px;align-items:center;margin:4px 0}
.prow .pname{grid-area:name}.prow .bar{grid-area:bar}.prow .pcount{grid-area:count;text-align:right}
.bar{display:flex;height:12px;border-radius:6px;overflow:hidden;background:var(--soft)}
.bar span{display:block;height:100%}
.s-pass{background:var(--pass)}.s-fail{background:var(--fail)}.s-error{background:var(--error)}.s-pending{background:var(--pending)}.s-waived{background:var(--waived)}.s-skip{background:var(--skip)}.s-na{background:var(--na)}
details.item{border:1px solid var(--line);border-radius:6px;margin:6px 0;background:var(--bg)}
details.item>summary{cursor:pointer;padding:8px 10px;list-style:none;display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
details.item>summary::-webkit-details-marker{display:none}
details.item[open]>summary{border-bottom:1px solid var(--line)}
.badge{display:inline-block;min-width:5.2em;text-align:center;border-radius:4px;color:#fff;font-size:.78em;font-weight:600;padding:1px 6px}
.title{font-weight:600;flex:1 1 16em}
.body{padding:8px 12px;overflow-wrap:anywhere}
.fix{border-left:4px solid var(--pending);padding:4px 10px;background:#fff8c5}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:6px 0;font-size:.9em}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:var(--soft);padding:8px;overflow-x:auto;white-space:pre-wrap;max-height:24em}
ul.evidence{padding-left:1.2em}
svg.chart{width:100%;max-width:560px;height:auto;display:block;margin:8px 0;font:11px system-ui,sans-serif}
svg.chart .grid{stroke:#eaeef2}svg.chart .axis{stroke:#59636e}svg.chart text{fill:#1f2328}svg.chart text.on-dark{fill:#fff}svg.chart .label{fill:#59636e}
svg.chart .col{fill:#54aeff}svg.chart circle.line-a{fill:#0969da}svg.chart circle.line-b{fill:#bc4c00}svg.chart circle.line-err{fill:#cf222e}svg.chart .gap{stroke:#cf222e;stroke-width:2}svg.chart .ideal{stroke:#59636e;stroke-dasharray:4 3;fill:none}
svg.chart .line-a{stroke:#0969da;stroke-width:2}svg.chart .line-b{stroke:#bc4c00;stroke-width:2}svg.chart .line-err{stroke:#cf222e;stroke-width:1.5}
svg.chart rect.swatch.line-a{fill:#0969da}svg.chart rect.swatch.line-b{fill:#bc4c00}svg.chart rect.swatch.line-err{fill:#cf222e}svg.chart rect.swatch.ideal{fill:#59636e}svg.chart rect.swatch.col{fill:#54aeff}
footer{margin:2em 0;color:var(--muted);font-size:.85em}
@media (max-width:600px){main{padding:10px}.prow{grid-template-columns:1fr auto;grid-template-areas:"name count" "bar bar"}body{font-size:14px}}
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

export function renderHtml(report: RunReport): string {
  const model = modelLabel(report);
  const title = `${report.project.name}${model ? ` — ${model}` : ''}: ${verdictLine(report.verdict)}`;
  const body = [
    `<header><h1>${esc(report.project.name)}${model ? ` <span class="muted">${esc(model)}</span>` : ''}</h1>`,
    `<div class="muted">${facts(report).map(esc).join(' · ')}</div></header>`,
    verdictBlock(report),
    progressBlock(report),
    itemsBlock(report),
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

function verdictBlock(report: RunReport): string {
  const { verdict } = report;
  const parts: string[] = [];
  const reasons = verdict.blocking.map(
    (reason) =>
      `<li>${reason.itemId ? `<a href="#item-${esc(reason.itemId)}" style="color:#fff"><code>${esc(reason.itemId)}</code></a> (${esc(reason.status)})` : esc(reason.status)}: ${esc(reason.message)}</li>`,
  );
  parts.push(
    `<section class="verdict ${verdict.status === 'PASS' ? 'pass' : 'blocked'}" id="verdict"><strong>${verdict.status === 'PASS' ? '✓' : '✗'} ${esc(verdictLine(verdict))}</strong>${verdict.status === 'BLOCKED' ? `${verdict.blocking.length} reason${verdict.blocking.length === 1 ? '' : 's'}:<ul>${reasons.join('')}</ul>` : ''}${report.complete ? '' : '<p>The run was interrupted: this report is incomplete.</p>'}</section>`,
  );
  if (verdict.warningReasons.length > 0) {
    parts.push(
      `<section class="warnings"><b>Warnings</b> — recommended items not passing:<ul>${verdict.warningReasons
        .map(
          (r) =>
            `<li><a href="#item-${esc(r.itemId ?? '')}"><code>${esc(r.itemId ?? '')}</code></a> (${esc(r.status)}): ${esc(r.message)}</li>`,
        )
        .join('')}</ul></section>`,
    );
  }
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
  return `<h2>Progress</h2><div class="progress">${rows.join('')}</div><p class="muted">${esc(countText(report.counts))}</p>`;
}

function itemsBlock(report: RunReport): string {
  const out: string[] = ['<h2>Items</h2>'];
  // Several items evaluating the same predictions leave the same confusion matrix: draw it once.
  const drawn = new Map<string, string>();
  let previous: string[] = [];
  for (const group of groupBySection(report.items)) {
    const common = commonPrefix(previous, group.path);
    for (let depth = common; depth < group.path.length; depth++) {
      const level = Math.min(6, depth + 3);
      out.push(`<h${level}>${esc(group.path[depth]!)}</h${level}>`);
    }
    previous = group.path;
    for (const item of group.items) out.push(itemBlock(item, drawn));
  }
  return out.join('\n');
}

function itemBlock(item: ItemResult, drawn: Map<string, string>): string {
  const status = displayStatus(item);
  const open = status === 'fail' || status === 'error' || status === 'pending' || status === 'waived';
  const parts: string[] = [];
  parts.push(
    `<p>${esc(item.summary)}${item.source === 'reported' ? ' <i class="muted">(reported: read from a file, not measured)</i>' : ''}</p>`,
  );
  if (item.description) parts.push(`<p class="muted">${esc(item.description)}</p>`);
  const measured = measuredAgainstThreshold(item);
  if (measured.length > 0) {
    parts.push(
      `<div class="scroll"><table><tr><th>measured</th><th>value</th></tr>${measured
        .map((row) => `<tr><td><code>${esc(row.name)}</code></td><td>${esc(row.text)}</td></tr>`)
        .join('')}</table></div>`,
    );
  }
  const signoffs = signoffLines(item);
  if (signoffs.length > 0) parts.push(`<ul>${signoffs.map((line) => `<li>${esc(line)}</li>`).join('')}</ul>`);
  if (item.remediation && open) parts.push(`<p class="fix"><b>Fix:</b> ${esc(item.remediation.trim())}</p>`);
  parts.push(evidenceBlock(item, drawn));
  const severity = item.severity === 'required' ? '' : ` <span class="muted">(${item.severity})</span>`;
  return `<details class="item" id="item-${esc(item.id)}"${open ? ' open' : ''}><summary><span class="badge ${STATUS_CLASS[status]}">${esc(status.toUpperCase())}</span><span class="title">${esc(item.title)}${severity}</span><code class="muted">${esc(item.id)} · ${esc(item.kind)}</code></summary><div class="body">${parts.join('')}</div></details>`;
}

function evidenceBlock(item: ItemResult, drawn: Map<string, string>): string {
  const evidence: Evidence[] = item.evidence;
  const list: string[] = [];
  const blocks: string[] = [];
  for (const entry of evidence) {
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
        blocks.push(
          `<p><b>${esc(entry.title)}</b></p><div class="scroll"><table><tr>${entry.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${entry.rows
            .slice(0, 200)
            .map(
              (row) =>
                `<tr>${row.map((cell) => `<td${typeof cell === 'number' ? ' class="num"' : ''}>${esc(formatScalar(cell))}</td>`).join('')}</tr>`,
            )
            .join(
              '',
            )}</table></div>${entry.rows.length > 200 ? `<p class="muted">${entry.rows.length - 200} more rows in the JSON report</p>` : ''}`,
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
        const svgs = chartsFor(entry.name, entry.data);
        if (svgs.length > 0) drawn.set(key, item.id);
        for (const svg of svgs) blocks.push(`<figure>${svg}</figure>`);
        break;
      }
    }
  }
  return `${list.length > 0 ? `<ul class="evidence">${list.join('')}</ul>` : ''}${blocks.join('')}`;
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
