/**
 * Pictures for the HTML report as inline SVG: no script, no network, they print and they
 * scale to a phone. Each takes the `data` evidence a check wrote and returns an <svg> string,
 * or undefined when the data does not have the expected shape (the report then shows none).
 */
import { formatNumber } from '../util/threshold.js';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const WIDTH = 560;
const HEIGHT = 300;
const MARGIN = { top: 16, right: 16, bottom: 44, left: 56 };

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

function frame(title: string, body: string, width = WIDTH, height = HEIGHT): string {
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" style="max-width:${width}px" role="img" aria-label="${escapeXml(title)}" xmlns="http://www.w3.org/2000/svg"><title>${escapeXml(title)}</title>${body}</svg>`;
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

function legend(entries: Array<{ label: string; className: string }>): string {
  return entries
    .map(
      (entry, i) =>
        `<g transform="translate(${MARGIN.left + 10 + i * 110} ${MARGIN.top + 4})"><rect width="14" height="4" y="4" class="${entry.className} swatch"/><text x="20" y="10">${escapeXml(entry.label)}</text></g>`,
    )
    .join('');
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
  const parts: string[] = [];
  counts.forEach((row: unknown, t) => {
    const values = Array.isArray(row) ? row.map(Number) : [];
    const total = values.reduce((a, b) => a + b, 0) || 1;
    values.forEach((count, p) => {
      const share = count / total;
      const x = label + p * cell;
      const y = label + t * cell;
      const hue = t === p ? 150 : 5; // green diagonal (right), red elsewhere (wrong)
      const light = 97 - share * 55;
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="hsl(${hue} 65% ${light.toFixed(1)}%)"><title>true ${escapeXml(String(classes[t]))}, predicted ${escapeXml(String(classes[p]))}: ${count} (${(share * 100).toFixed(1)}% of the row)</title></rect>`,
      );
      if (k <= 16 && count > 0)
        parts.push(
          `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" class="${share > 0.6 ? 'on-dark' : ''}">${count}</text>`,
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
  return frame('Confusion matrix', parts.join(''), size, size);
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
  const y = linear([0, 1], [HEIGHT - MARGIN.bottom, MARGIN.top]);
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
  }
  parts.push(`<line class="ideal" x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}"/>`);
  parts.push(
    legend([
      { label: 'accuracy', className: 'col' },
      { label: 'perfect', className: 'ideal' },
    ]),
  );
  return frame('Reliability diagram', parts.join(''));
}

/** Load test over time: requests per second, and p50 / p99 latency per second. */
export function loadTimeseries(data: unknown): string[] | undefined {
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

  const rpsMax = Math.max(...series.map((s) => s.requests), 1);
  const yRps = linear([0, rpsMax * 1.1], [HEIGHT - MARGIN.bottom, MARGIN.top]);
  const throughput = frame(
    'Requests per second during the load test',
    [
      axes(x, yRps, xTicks, niceTicks(0, rpsMax * 1.1), { x: 'time', y: 'requests / s' }),
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
      ]),
    ].join(''),
  );

  const latencies = series.flatMap((s) => [s.p50, s.p99]).filter((v): v is number => v !== null);
  const msMax = Math.max(...latencies, 1);
  const yMs = linear([0, msMax * 1.1], [HEIGHT - MARGIN.bottom, MARGIN.top]);
  const latency = frame(
    'Latency per second during the load test',
    [
      axes(x, yMs, xTicks, niceTicks(0, msMax * 1.1), { x: 'time', y: 'ms' }),
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
      ]),
    ].join(''),
  );
  return [throughput, latency];
}

/**
 * Latency by percentile, HdrHistogram style: the x axis stretches the tail (1 / (1 - p) on a
 * log scale) so p99 and p99.9 are as readable as the median.
 */
export function percentileCurve(data: unknown): string | undefined {
  if (!Array.isArray(data)) return undefined;
  const points = data.filter(
    (p): p is [number, number] => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number',
  );
  const usable = points.filter(([p]) => p >= 0 && p < 100);
  if (usable.length < 2) return undefined;
  const stretch = (p: number) => Math.log10(1 / (1 - p / 100));
  const maxP = Math.max(...usable.map(([p]) => p));
  const x = linear([0, stretch(maxP)], [MARGIN.left, WIDTH - MARGIN.right]);
  const msMax = Math.max(...usable.map(([, ms]) => ms), 1);
  const y = linear([0, msMax * 1.1], [HEIGHT - MARGIN.bottom, MARGIN.top]);
  const marks = [50, 90, 99, 99.9, 99.99].filter((p) => p <= maxP);
  const body = [
    axes(
      (p) => x(stretch(p)),
      y,
      marks.map((value) => ({ value, label: `${value}%` })),
      niceTicks(0, msMax * 1.1),
      { x: 'percentile', y: 'ms' },
    ),
    polyline(
      usable.map(([p, ms]) => [x(stretch(p)), y(ms)]),
      'line-a',
    ),
  ];
  return frame('Latency by percentile', body.join(''));
}

/** Histogram of latency samples, one per batch size (the onnx-model check's measurements). */
export function latencyHistograms(data: unknown): string[] | undefined {
  if (!Array.isArray(data)) return undefined;
  const charts: string[] = [];
  for (const entry of data as Array<{ batchSize?: unknown; samples?: unknown }>) {
    if (!Array.isArray(entry?.samples) || entry.samples.length === 0) continue;
    const samples = (entry.samples as unknown[]).map(Number).filter(Number.isFinite);
    if (samples.length === 0) continue;
    const sorted = [...samples].sort((a, b) => a - b);
    // The last 1% would squash the rest into one bar; it is told in the title instead.
    const hi = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;
    const lo = sorted[0]!;
    const binCount = Math.min(40, Math.max(5, Math.ceil(Math.sqrt(samples.length))));
    const width = (hi - lo) / binCount || 1;
    const bins = new Array<number>(binCount).fill(0);
    for (const s of sorted) if (s <= hi) bins[Math.min(binCount - 1, Math.floor((s - lo) / width))]!++;
    const x = linear([lo, lo + width * binCount], [MARGIN.left, WIDTH - MARGIN.right]);
    const maxCount = Math.max(...bins, 1);
    const y = linear([0, maxCount * 1.1], [HEIGHT - MARGIN.bottom, MARGIN.top]);
    const bars = bins.map(
      (count, i) =>
        `<rect class="col" x="${x(lo + i * width) + 0.5}" y="${y(count)}" width="${Math.max(0.5, x(lo + (i + 1) * width) - x(lo + i * width) - 1)}" height="${y(0) - y(count)}"><title>${formatNumber(lo + i * width)}–${formatNumber(lo + (i + 1) * width)} ms: ${count} runs</title></rect>`,
    );
    charts.push(
      frame(
        `Latency of ${samples.length} runs at batch ${String(entry.batchSize)} (max ${formatNumber(sorted.at(-1)!)} ms)`,
        [
          axes(
            x,
            y,
            niceTicks(lo, lo + width * binCount).map((value) => ({ value, label: formatNumber(value) })),
            niceTicks(0, maxCount * 1.1),
            { x: `ms per run (batch ${String(entry.batchSize)})`, y: 'runs' },
          ),
          ...bars,
        ].join(''),
      ),
    );
  }
  return charts.length > 0 ? charts : undefined;
}

/** The pictures for one `data` evidence entry, by its name. */
export function chartsFor(name: string, data: unknown): string[] {
  const one = (svg: string | undefined) => (svg ? [svg] : []);
  switch (name) {
    case 'confusion-matrix':
      return one(confusionHeatmap(data));
    case 'reliability':
      return one(reliabilityDiagram(data));
    case 'load-timeseries':
      return loadTimeseries(data) ?? [];
    case 'latency-percentiles':
      return one(percentileCurve(data));
    case 'latency':
      return latencyHistograms(data) ?? [];
    default:
      return [];
  }
}
