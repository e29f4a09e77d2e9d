/**
 * The drift check's pictures: for each of the most drifted features, the reference and the
 * current distribution side by side on the same bins (the PSI bins of a numeric feature —
 * reference quantiles, so the reference bars are about level and a shift shows as a slope —
 * or the categories). Input: the `drift-distributions` data evidence of src/checks/drift.
 */
import { formatNumber } from '../util/threshold.js';
import { escapeXml, niceTicks } from './charts.js';

const WIDTH = 560;
const HEIGHT = 300;
const MARGIN = { top: 46, right: 44, bottom: 64, left: 56 };
// Inline colours: the picture reads the same whatever stylesheet the report has.
const REFERENCE_FILL = '#54aeff';
const CURRENT_FILL = '#bc4c00';

interface FeatureDistribution {
  feature: string;
  type: string;
  drifted: boolean;
  psi: number | null;
  labels: string[];
  reference: number[];
  current: number[];
}

function isDistribution(entry: unknown): entry is FeatureDistribution {
  const e = entry as Partial<FeatureDistribution> | null;
  return (
    !!e &&
    typeof e.feature === 'string' &&
    Array.isArray(e.labels) &&
    Array.isArray(e.reference) &&
    Array.isArray(e.current) &&
    e.labels.length > 0 &&
    e.labels.length === e.reference.length &&
    e.labels.length === e.current.length &&
    [...e.reference, ...e.current].every((v) => typeof v === 'number' && Number.isFinite(v))
  );
}

/** One SVG per feature; undefined when the data has another shape. */
export function driftDistributions(data: unknown): string[] | undefined {
  if (!Array.isArray(data)) return undefined;
  const charts = data.filter(isDistribution).map(distributionChart);
  return charts.length > 0 ? charts : undefined;
}

function distributionChart(entry: FeatureDistribution): string {
  const bins = entry.labels.length;
  const plotLeft = MARGIN.left;
  const plotRight = WIDTH - MARGIN.right;
  const bottom = HEIGHT - MARGIN.bottom;
  const top = MARGIN.top;
  const maxShare = Math.max(...entry.reference, ...entry.current, 0.01);
  const yMax = maxShare * 1.1;
  const y = (share: number) => bottom - (share / yMax) * (bottom - top);
  const slot = (plotRight - plotLeft) / bins;
  const bar = Math.max(1, slot * 0.4);
  const title = `${entry.feature} (${entry.type})${entry.psi === null ? '' : ` — PSI ${formatNumber(entry.psi)}`}${entry.drifted ? ', drifted' : ''}`;
  const parts: string[] = [];
  for (const tick of niceTicks(0, yMax)) {
    const py = y(tick);
    parts.push(
      `<line x1="${plotLeft}" x2="${plotRight}" y1="${py}" y2="${py}" class="grid" stroke="#eaeef2"/><text x="${plotLeft - 6}" y="${py + 4}" text-anchor="end">${escapeXml(`${formatNumber(tick * 100)}%`)}</text>`,
    );
  }
  const step = Math.ceil(bins / 12); // at most about 12 labels
  entry.labels.forEach((label, i) => {
    const x0 = plotLeft + i * slot + (slot - 2 * bar) / 2;
    const ref = entry.reference[i]!;
    const cur = entry.current[i]!;
    const tip = `${label}: reference ${formatNumber(ref * 100)}%, current ${formatNumber(cur * 100)}%`;
    parts.push(
      `<rect x="${x0.toFixed(1)}" y="${y(ref).toFixed(1)}" width="${bar.toFixed(1)}" height="${(bottom - y(ref)).toFixed(1)}" fill="${REFERENCE_FILL}"><title>${escapeXml(tip)}</title></rect>`,
      `<rect x="${(x0 + bar).toFixed(1)}" y="${y(cur).toFixed(1)}" width="${bar.toFixed(1)}" height="${(bottom - y(cur)).toFixed(1)}" fill="${CURRENT_FILL}"><title>${escapeXml(tip)}</title></rect>`,
    );
    if (i % step === 0) {
      const cx = plotLeft + i * slot + slot / 2;
      const text = label.length > 16 ? `${label.slice(0, 15)}…` : label;
      parts.push(
        `<text transform="translate(${cx.toFixed(1)} ${bottom + 12}) rotate(30)" text-anchor="start">${escapeXml(text)}</text>`,
      );
    }
  });
  parts.push(
    `<line x1="${plotLeft}" x2="${plotRight}" y1="${bottom}" y2="${bottom}" class="axis" stroke="#59636e"/><line x1="${plotLeft}" x2="${plotLeft}" y1="${top}" y2="${bottom}" class="axis" stroke="#59636e"/>`,
    `<text transform="translate(14 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle" class="label">share of values</text>`,
    legend(plotLeft + 10, 22, 'reference', REFERENCE_FILL),
    legend(plotLeft + 120, 22, 'current', CURRENT_FILL),
  );
  return `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" style="max-width:${WIDTH}px" role="img" aria-label="${escapeXml(title)}" xmlns="http://www.w3.org/2000/svg"><title>${escapeXml(title)}</title><text x="8" y="14" class="label">${escapeXml(title.length > 90 ? `${title.slice(0, 89)}…` : title)}</text>${parts.join('')}</svg>`;
}

function legend(x: number, y: number, label: string, fill: string): string {
  return `<g transform="translate(${x} ${y})"><rect width="14" height="10" y="1" fill="${fill}"/><text x="20" y="10">${escapeXml(label)}</text></g>`;
}
