/**
 * Pictures for the HTML report as inline SVG: no script, no network, they print and they
 * scale to a phone. Each takes the `data` evidence a check wrote and returns an <svg> string,
 * or undefined when the data does not have the expected shape (the report then shows none).
 */
import { formatNumber, parseThreshold } from '../util/threshold.js';
import { driftDistributions } from './charts-drift.js';

/** What a chart may know about the item it belongs to: its thresholds, to draw them on it. */
export interface ChartContext {
  threshold?: Readonly<Record<string, string>>;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const WIDTH = 560;
const HEIGHT = 300;
// The top margin holds the legend, above the plot where it hides no data.
const MARGIN = { top: 30, right: 16, bottom: 44, left: 56 };

type Scale = (value: number) => number;

function linear(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

/** About five round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

// Charts fill the width they are given (the viewBox scales them); only a square one is held to
// a maximum, or it would grow taller than a screen.
function frame(title: string, body: string, width = WIDTH, height = HEIGHT, maxWidth?: number): string {
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" preserveAspectRatio="xMidYMid meet"${maxWidth ? ` style="max-width:${maxWidth}px"` : ''} role="img" aria-label="${escapeXml(title)}" xmlns="http://www.w3.org/2000/svg"><title>${escapeXml(title)}</title>${body}</svg>`;
}

function axes(
  x: Scale,
  y: Scale,
  xTicks: Array<{ value: number; label: string }>,
  yTicks: number[],
  labels: { x: string; y: string },
): string {
  const parts: string[] = [];
  const left = MARGIN.left;
  const bottom = HEIGHT - MARGIN.bottom;
  for (const tick of yTicks) {
    const py = y(tick);
    parts.push(
      `<line x1="${left}" x2="${WIDTH - MARGIN.right}" y1="${py}" y2="${py}" class="grid"/><text x="${left - 6}" y="${py + 4}" text-anchor="end">${escapeXml(formatNumber(tick))}</text>`,
    );
  }
  for (const tick of xTicks) {
    const px = x(tick.value);
    const anchor = px > WIDTH - MARGIN.right - 20 ? 'end' : 'middle';
    parts.push(
      `<line x1="${px}" x2="${px}" y1="${bottom}" y2="${bottom + 4}" class="axis"/><text x="${px}" y="${bottom + 16}" text-anchor="${anchor}">${escapeXml(tick.label)}</text>`,
    );
  }
  parts.push(
    `<line x1="${left}" x2="${WIDTH - MARGIN.right}" y1="${bottom}" y2="${bottom}" class="axis"/><line x1="${left}" x2="${left}" y1="${MARGIN.top}" y2="${bottom}" class="axis"/>`,
  );
  parts.push(
    `<text x="${(left + WIDTH - MARGIN.right) / 2}" y="${HEIGHT - 6}" text-anchor="middle" class="label">${escapeXml(labels.x)}</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${(MARGIN.top + bottom) / 2}) rotate(-90)" text-anchor="middle" class="label">${escapeXml(labels.y)}</text>`,
  );
  return parts.join('');
}

function polyline(points: Array<[number, number]>, className: string): string {
  if (points.length === 0) return '';
  // Dots too, so a series of one or two points is still visible.
  const dots =
    points.length <= 30
      ? points
          .map(
            ([px, py]) =>
              `<circle class="${className} dot" cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3"/>`,
          )
          .join('')
      : '';
  return `<polyline class="${className}" fill="none" points="${points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}"/>${dots}`;
}

/** A row of swatches naming each colour; an entry without a class is a note without a swatch. */
function legend(entries: Array<{ label: string; className: string }>): string {
  let offset = MARGIN.left + 10;
  return entries
    .map((entry) => {
      const at = offset;
      const swatch = entry.className ? 20 : 0;
      offset += swatch + entry.label.length * 6 + 18;
      return `<g transform="translate(${at} 4)">${swatch ? `<rect width="14" height="4" y="4" class="${entry.className} swatch"/>` : ''}<text x="${swatch}" y="10">${escapeXml(entry.label)}</text></g>`;
    })
    .join('');
}

/**
 * Whether white text reads better than black on an HSL fill: the WCAG relative luminance of
 * the colour, against the contrast each text colour would have.
 */
function darkFill(hue: number, saturation: number, lightness: number): boolean {
  const s = saturation / 100;
  const l = lightness / 100;
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number) => {
    const k = (n + hue / 30) % 12;
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(8) + 0.0722 * channel(4);
  return 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05;
}

interface Limit {
  value: number;
  label: string;
  percentile?: number;
}

/** A threshold written as one comparison ("< 100ms", "> 50"), in the chart's unit; else none. */
function comparisonLimit(name: string, text: string, units: Record<string, number>): Limit | undefined {
  try {
    const parsed = parseThreshold(text, units);
    if (parsed.kind !== 'compare' || !Number.isFinite(parsed.value)) return undefined;
    return { value: parsed.value, label: `${name} ${text}` };
  } catch {
    return undefined;
  }
}

/** The latency thresholds of an item ("p(99)": "< 100ms", "p95": "< 100ms"), in ms. */
export function latencyLimits(context: ChartContext): Limit[] {
  return Object.entries(context.threshold ?? {}).flatMap(([name, text]) => {
    const match = /^p\(?(\d+(?:\.\d+)?)\)?$/.exec(name);
    if (!match) return [];
    const limit = comparisonLimit(name, text, { ms: 1, s: 1000 });
    return limit ? [{ ...limit, percentile: Number(match[1]) }] : [];
  });
}

/** The throughput threshold of a load test ("rps": "> 50"), in requests per second. */
function rpsLimit(context: ChartContext): Limit | undefined {
  const text = context.threshold?.rps;
  return text === undefined ? undefined : comparisonLimit('rps', text, {});
}

/** A threshold as a dashed line across the plot, labelled with what it says. */
function limitLine(py: number, label: string, width = WIDTH): string {
  return `<line class="limit" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${py.toFixed(1)}" y2="${py.toFixed(1)}"/><text class="limit-label" x="${width - MARGIN.right - 4}" y="${(py - 4).toFixed(1)}" text-anchor="end">${escapeXml(label)}</text>`;
}

/** Confusion matrix: rows are true classes, columns predictions; shade is the share of the row. */
export function confusionHeatmap(data: unknown): string | undefined {
  const { classes, counts } = (data ?? {}) as { classes?: unknown; counts?: unknown };
  if (!Array.isArray(classes) || !Array.isArray(counts) || counts.length !== classes.length) return undefined;
  const k = classes.length;
  if (k === 0 || k > 60) return undefined;
  const cell = Math.max(10, Math.min(44, Math.floor(440 / k)));
  const label = 70;
  const size = label + cell * k + 8;
  const height = size + 20;
  const parts: string[] = [];
  counts.forEach((row: unknown, t) => {
    const values = Array.isArray(row) ? row.map(Number) : [];
    const total = values.reduce((a, b) => a + b, 0) || 1;
    values.forEach((count, p) => {
      const share = count / total;
      const x = label + p * cell;
      const y = label + t * cell;
      const hue = t === p ? 150 : 5; // green diagonal (right), red elsewhere (wrong)
      const light = 97 - share * 67;
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="hsl(${hue} 65% ${light.toFixed(1)}%)"><title>true ${escapeXml(String(classes[t]))}, predicted ${escapeXml(String(classes[p]))}: ${count} (${(share * 100).toFixed(1)}% of the row)</title></rect>`,
      );
      if (k <= 16 && count > 0)
        parts.push(
          `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle"${darkFill(hue, 65, light) ? ' class="on-dark"' : ''}>${count}</text>`,
        );
    });
  });
  if (k <= 30) {
    classes.forEach((name, i) => {
      const text = escapeXml(String(name).slice(0, 10));
      parts.push(
        `<text x="${label - 4}" y="${label + i * cell + cell / 2 + 4}" text-anchor="end">${text}</text>`,
        `<text transform="translate(${label + i * cell + cell / 2} ${label - 4}) rotate(-45)">${text}</text>`,
      );
    });
  }
  parts.push(`<text x="4" y="12" class="label">rows: true class · columns: predicted</text>`);
  // The colour legend: what green, red and the depth of the shade mean.
  const key = [0.1, 0.5, 1]
    .map(
      (share, i) =>
        `<rect x="${4 + i * 14}" y="${size + 4}" width="12" height="12" fill="hsl(150 65% ${(97 - share * 67).toFixed(1)}%)"/><rect x="${50 + i * 14}" y="${size + 4}" width="12" height="12" fill="hsl(5 65% ${(97 - share * 67).toFixed(1)}%)"/>`,
    )
    .join('');
  parts.push(
    key,
    `<text x="96" y="${size + 14}" class="label">green: right, red: wrong; darker: more of the row</text>`,
  );
  return frame('Confusion matrix', parts.join(''), size, height, 520);
}

/** Reliability diagram: accuracy against mean confidence per bin, beside the diagonal. */
export function reliabilityDiagram(data: unknown): string | undefined {
  if (!Array.isArray(data)) return undefined;
  const bins = data.filter(
    (b): b is { lower: number; upper: number; count: number; accuracy: number; confidence: number } =>
      typeof b?.lower === 'number' && typeof b?.accuracy === 'number' && b.count > 0,
  );
  if (bins.length === 0) return undefined;
  const x = linear([0, 1], [MARGIN.left, WIDTH - MARGIN.right]);
  // Headroom above 1 for the row counts written over the bars.
  const y = linear([0, 1.08], [HEIGHT - MARGIN.bottom, MARGIN.top]);
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const parts = [
    axes(
      x,
      y,
      ticks.map((value) => ({ value, label: String(value) })),
      ticks,
      { x: 'confidence', y: 'accuracy' },
    ),
  ];
  for (const bin of bins) {
    const x0 = x(bin.lower) + 1;
    const width = Math.max(1, x(bin.upper) - x(bin.lower) - 2);
    parts.push(
      `<rect class="col" x="${x0}" y="${y(bin.accuracy)}" width="${width}" height="${y(0) - y(bin.accuracy)}"><title>confidence ${bin.lower.toFixed(2)}–${bin.upper.toFixed(2)}: accuracy ${(bin.accuracy * 100).toFixed(1)}%, mean confidence ${(bin.confidence * 100).toFixed(1)}%, ${bin.count} rows</title></rect>`,
    );
    parts.push(
      `<line class="gap" x1="${x0 + width / 2}" x2="${x0 + width / 2}" y1="${y(bin.accuracy)}" y2="${y(bin.confidence)}"/>`,
    );
    // How many rows the bar stands on: a bar of 2 rows is noise, one of 300 is evidence.
    const top = Math.min(y(bin.accuracy), y(bin.confidence));
    parts.push(
      `<text x="${(x0 + width / 2).toFixed(1)}" y="${(top - 3).toFixed(1)}" text-anchor="middle" class="label">${bin.count}</text>`,
    );
  }
  parts.push(`<line class="ideal" x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}"/>`);
  parts.push(
    legend([
      { label: 'accuracy', className: 'col' },
      { label: 'gap to confidence', className: 'gap' },
      { label: 'perfect', className: 'ideal' },
      { label: 'n: rows in bin', className: '' },
    ]),
  );
  return frame('Reliability diagram', parts.join(''));
}

/** Load test over time: requests per second, and p50 / p99 latency per second. */
export function loadTimeseries(data: unknown, context: ChartContext = {}): string[] | undefined {
  const { columns, rows } = (data ?? {}) as { columns?: unknown; rows?: unknown };
  if (!Array.isArray(columns) || !Array.isArray(rows) || rows.length === 0) return undefined;
  const col = (name: string) => columns.indexOf(name);
  const [t, requests, errors, p50, p99] = ['t', 'requests', 'errors', 'p50_ms', 'p99_ms'].map(col);
  if ([t, requests, p50, p99].some((i) => i === undefined || i < 0)) return undefined;
  const series = (rows as unknown[][]).map((row) => ({
    t: Number(row[t!]),
    requests: Number(row[requests!]),
    errors: errors !== undefined && errors >= 0 ? Number(row[errors]) : 0,
    p50: row[p50!] === null ? null : Number(row[p50!]),
    p99: row[p99!] === null ? null : Number(row[p99!]),
  }));
  // Each row is one second starting at t: drawn at its middle.
  for (const s of series) s.t += 0.5;
  const tMax = Math.max(...series.map((s) => s.t + 0.5), 1);
  const x = linear([0, tMax], [MARGIN.left, WIDTH - MARGIN.right]);
  const xTicks = niceTicks(0, tMax).map((value) => ({ value, label: `${value}s` }));

  const target = rpsLimit(context);
  const rpsMax = Math.max(...series.map((s) => s.requests), target?.value ?? 0, 1);
  const yRps = linear([0, rpsMax * 1.15], [HEIGHT - MARGIN.bottom, MARGIN.top]);
  const throughput = frame(
    'Requests per second during the load test',
    [
      axes(x, yRps, xTicks, niceTicks(0, rpsMax * 1.15), { x: 'time', y: 'requests / s' }),
      target ? limitLine(yRps(target.value), `threshold ${target.label}`) : '',
      polyline(
        series.map((s) => [x(s.t), yRps(s.requests)]),
        'line-a',
      ),
      polyline(
        series.map((s) => [x(s.t), yRps(s.errors)]),
        'line-err',
      ),
      legend([
        { label: 'requests/s', className: 'line-a' },
        { label: 'errors/s', className: 'line-err' },
        ...(target ? [{ label: 'threshold', className: 'limit' }] : []),
      ]),
    ].join(''),
  );

  // p50 and p99 are drawn per second; a threshold on any percentile is drawn as its value.
  const limits = latencyLimits(context);
  const latencies = series.flatMap((s) => [s.p50, s.p99]).filter((v): v is number => v !== null);
  const msMax = Math.max(...latencies, ...limits.map((l) => l.value), 1);
  const yMs = linear([0, msMax * 1.15], [HEIGHT - MARGIN.bottom, MARGIN.top]);
  const latency = frame(
    'Latency per second during the load test',
    [
      axes(x, yMs, xTicks, niceTicks(0, msMax * 1.15), { x: 'time', y: 'ms' }),
      ...limits.map((limit) => limitLine(yMs(limit.value), `threshold ${limit.label}`)),
      polyline(
        series.filter((s) => s.p50 !== null).map((s) => [x(s.t), yMs(s.p50!)]),
        'line-a',
      ),
      polyline(
        series.filter((s) => s.p99 !== null).map((s) => [x(s.t), yMs(s.p99!)]),
        'line-b',
      ),
      legend([
        { label: 'p50', className: 'line-a' },
        { label: 'p99', className: 'line-b' },
        ...(limits.length > 0 ? [{ label: 'threshold', className: 'limit' }] : []),
      ]),
    ].join(''),
  );
  return [throughput, latency];
}

/**
 * Latency by percentile, HdrHistogram style: the x axis stretches the tail (1 / (1 - p) on a
 * log scale) so p99 and p99.9 are as readable as the median. A threshold on a percentile is
 * drawn as a line at its value, with a mark where the curve crosses that percentile.
 */
export function percentileCurve(data: unknown, context: ChartContext = {}): string | undefined {
  if (!Array.isArray(data)) return undefined;
  const points = data.filter(
    (p): p is [number, number] => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number',
  );
  const usable = points.filter(([p]) => p >= 0 && p < 100);
  if (usable.length < 2) return undefined;
  const stretch = (p: number) => Math.log10(1 / (1 - p / 100));
  const maxP = Math.max(...usable.map(([p]) => p));
  const x = linear([0, stretch(maxP)], [MARGIN.left, WIDTH - MARGIN.right]);
  const limits = latencyLimits(context);
  const msMax = Math.max(...usable.map(([, ms]) => ms), ...limits.map((l) => l.value), 1);
  const y = linear([0, msMax * 1.15], [HEIGHT - MARGIN.bottom, MARGIN.top]);
  const marks = [50, 90, 99, 99.9, 99.99].filter((p) => p <= maxP);
  const body = [
    axes(
      (p) => x(stretch(p)),
      y,
      marks.map((value) => ({ value, label: `${value}%` })),
      niceTicks(0, msMax * 1.15),
      { x: 'percentile', y: 'ms' },
    ),
    ...limits.map((limit) => limitLine(y(limit.value), `threshold ${limit.label}`)),
    ...limits.flatMap((limit) => {
      const at = usable.find(([p]) => p === limit.percentile);
      return at && limit.percentile! <= maxP
        ? [
            `<line class="limit" x1="${x(stretch(at[0])).toFixed(1)}" x2="${x(stretch(at[0])).toFixed(1)}" y1="${y(0).toFixed(1)}" y2="${y(at[1]).toFixed(1)}"/><circle cx="${x(stretch(at[0])).toFixed(1)}" cy="${y(at[1]).toFixed(1)}" r="4" fill="#a40e26"><title>p${at[0]} ${formatNumber(at[1])} ms</title></circle>`,
          ]
        : [];
    }),
    polyline(
      usable.map(([p, ms]) => [x(stretch(p)), y(ms)]),
      'line-a',
    ),
    legend([
      { label: 'latency', className: 'line-a' },
      ...(limits.length > 0 ? [{ label: 'threshold', className: 'limit' }] : []),
    ]),
  ];
  return frame('Latency by percentile', body.join(''));
}

/**
 * Histogram of latency samples, one per batch size (the onnx-model check's measurements), on a
 * log axis: latencies spread over orders of magnitude (a warm run in 30 µs, a cold one in 4 ms),
 * and a linear axis draws them as one bar. Every sample is counted; a latency threshold is drawn.
 */
export function latencyHistograms(data: unknown, context: ChartContext = {}): string[] | undefined {
  if (!Array.isArray(data)) return undefined;
  const limits = latencyLimits(context);
  const charts: string[] = [];
  for (const entry of data as Array<{ batchSize?: unknown; samples?: unknown }>) {
    if (!Array.isArray(entry?.samples) || entry.samples.length === 0) continue;
    const samples = (entry.samples as unknown[]).map(Number).filter((v) => Number.isFinite(v) && v > 0);
    if (samples.length === 0) continue;
    const sorted = [...samples].sort((a, b) => a - b);
    const lo = Math.log10(sorted[0]!);
    const hi = Math.max(Math.log10(sorted.at(-1)!), lo + 0.1);
    const binCount = Math.min(40, Math.max(8, Math.ceil(Math.sqrt(samples.length) * 2)));
    const step = (hi - lo) / binCount;
    const bins = new Array<number>(binCount).fill(0);
    for (const s of sorted) bins[Math.min(binCount - 1, Math.floor((Math.log10(s) - lo) / step))]!++;
    // The axis spans the samples and the thresholds, in whole decades.
    const shown = limits.filter((l) => l.value > 0);
    const axisLo = Math.floor(Math.min(lo, ...shown.map((l) => Math.log10(l.value))));
    const axisHi = Math.ceil(Math.max(hi, ...shown.map((l) => Math.log10(l.value))) + 1e-9);
    const x = linear([axisLo, axisHi], [MARGIN.left, WIDTH - MARGIN.right]);
    const maxCount = Math.max(...bins, 1);
    const y = linear([0, maxCount * 1.15], [HEIGHT - MARGIN.bottom, MARGIN.top]);
    const bars = bins.map((count, i) => {
      const from = 10 ** (lo + i * step);
      const to = 10 ** (lo + (i + 1) * step);
      return count === 0
        ? ''
        : `<rect class="col" x="${(x(lo + i * step) + 0.5).toFixed(1)}" y="${y(count).toFixed(1)}" width="${Math.max(0.5, x(lo + (i + 1) * step) - x(lo + i * step) - 1).toFixed(1)}" height="${(y(0) - y(count)).toFixed(1)}"><title>${formatNumber(from)}–${formatNumber(to)} ms: ${count} runs</title></rect>`;
    });
    const decades: Array<{ value: number; label: string }> = [];
    for (let d = axisLo; d <= axisHi; d++) decades.push({ value: d, label: `${formatNumber(10 ** d)} ms` });
    const limitMarks = shown.map((limit) => {
      const px = x(Math.log10(limit.value)).toFixed(1);
      return `<line class="limit" x1="${px}" x2="${px}" y1="${MARGIN.top}" y2="${HEIGHT - MARGIN.bottom}"/><text class="limit-label" x="${px}" y="${MARGIN.top + 24}" text-anchor="end" dx="-4">threshold ${escapeXml(limit.label)}</text>`;
    });
    charts.push(
      frame(
        `Latency of ${samples.length} runs at batch ${String(entry.batchSize)} (max ${formatNumber(sorted.at(-1)!)} ms)`,
        [
          axes(x, y, decades, niceTicks(0, maxCount * 1.15), {
            x: `ms per run (batch ${String(entry.batchSize)}), log scale`,
            y: 'runs',
          }),
          ...bars,
          ...limitMarks,
          legend([
            { label: 'runs', className: 'col' },
            ...(limitMarks.length > 0 ? [{ label: 'threshold', className: 'limit' }] : []),
          ]),
        ].join(''),
      ),
    );
  }
  return charts.length > 0 ? charts : undefined;
}

/** The pictures for one `data` evidence entry, by its name. */
export function chartsFor(name: string, data: unknown, context: ChartContext = {}): string[] {
  const one = (svg: string | undefined) => (svg ? [svg] : []);
  switch (name) {
    case 'confusion-matrix':
      return one(confusionHeatmap(data));
    case 'reliability':
      return one(reliabilityDiagram(data));
    case 'load-timeseries':
      return loadTimeseries(data, context) ?? [];
    case 'latency-percentiles':
      return one(percentileCurve(data, context));
    case 'latency':
      return latencyHistograms(data, context) ?? [];
    case 'drift-distributions':
      return driftDistributions(data) ?? [];
    default:
      return [];
  }
}
