/**
 * Whether a metric name an alert uses is one the service exports, read from its `/metrics`
 * exposition (parsed by service/prometheus.ts). A histogram `X` is queried as `X_bucket`,
 * `X_sum` and `X_count`; a summary as `X`, `X_sum`, `X_count`; an OpenMetrics counter `X` as
 * `X_total`. Names that come from elsewhere — Prometheus itself (`up`, `scrape_*`), the
 * blackbox exporter (`probe_*`), kube-state-metrics (`kube_*`) — are allowed by pattern.
 */
import type { Exposition, MetricFamily } from '../service/prometheus.js';

const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count', '_created'],
  counter: ['_total', '_created'],
  info: ['_info'],
};

/** Series Prometheus and the usual exporters add, not the service (globs with `*`). */
export const DEFAULT_EXTERNAL_METRICS = [
  'up',
  'scrape_*',
  'ALERTS',
  'ALERTS_FOR_STATE',
  'probe_*',
  'kube_*',
  'kubelet_*',
  'container_*',
  'node_*',
  'machine_*',
  'prometheus_*',
  'alertmanager_*',
];

/**
 * Labels Prometheus adds to every series of a target (the job, the instance, and what the
 * Kubernetes service discovery of kube-prometheus attaches): not the service's to export.
 */
export const DEFAULT_TARGET_LABELS = [
  'job',
  'instance',
  'namespace',
  'pod',
  'container',
  'service',
  'endpoint',
  'node',
  'cluster',
  'prometheus',
  'prometheus_replica',
];

export class ExportedNames {
  /** Every name a query may use for what the service exports, and the family it belongs to. */
  private readonly names = new Map<string, MetricFamily>();

  /** Per sample name: how many series, and the values each label takes in them. */
  private readonly series = new Map<string, SeriesLabels>();

  constructor(exposition: Exposition, text = '') {
    this.series = seriesLabels(text);
    for (const family of exposition.families.values()) {
      this.names.set(family.name, family);
      for (const suffix of SUFFIXES[family.type ?? ''] ?? []) this.names.set(family.name + suffix, family);
    }
    for (const sample of exposition.sampleNames)
      if (!this.names.has(sample))
        this.names.set(sample, exposition.families.get(sample) ?? { name: sample, samples: 1 });
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /**
   * The label names the series of a metric carry, when the exposition shows samples of it
   * (a counter nobody has incremented yet shows none: then nothing can be said).
   */
  labelsOf(name: string): ReadonlySet<string> | undefined {
    const family = this.names.get(name);
    return family && family.samples > 0 ? family.labelNames : undefined;
  }

  /** The series of a sample name and their label values, when the exposition shows any. */
  seriesOf(name: string): SeriesLabels | undefined {
    return this.series.get(name);
  }

  /** Names matching a `__name__=~` pattern (anchored, as PromQL anchors it). */
  matching(pattern: string): string[] {
    let regex: RegExp;
    try {
      regex = new RegExp(`^(?:${pattern})$`);
    } catch {
      return [];
    }
    return [...this.names.keys()].filter((name) => regex.test(name));
  }

  /**
   * The closest exported names to a missing one (at most three), nearest first. Names whose
   * length alone puts them further than the third best are not compared, and a comparison
   * stops once it cannot beat it: thousands of names stay fast.
   */
  closest(name: string, count = 3): string[] {
    const cached = this.closestCache.get(name);
    if (cached) return cached;
    const best: Array<{ candidate: string; distance: number }> = [];
    const worst = () => (best.length < count ? Infinity : best[best.length - 1]!.distance);
    // Lengths outward from the name's own: the length difference is a lower bound on the distance.
    const lengths = [...this.byLength.keys()].sort(
      (a, b) => Math.abs(a - name.length) - Math.abs(b - name.length) || a - b,
    );
    for (const length of lengths) {
      if (Math.abs(length - name.length) > worst()) break;
      for (const candidate of this.byLength.get(length)!) {
        const bound = worst();
        const distance = boundedDistance(name, candidate, bound);
        if (distance === undefined || (best.length === count && distance >= bound)) continue;
        best.push({ candidate, distance });
        best.sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate));
        if (best.length > count) best.pop();
      }
    }
    const found = best.map((entry) => entry.candidate);
    this.closestCache.set(name, found);
    return found;
  }

  private readonly closestCache = new Map<string, string[]>();

  private get byLength(): Map<number, string[]> {
    if (!this.lengthIndex) {
      this.lengthIndex = new Map();
      for (const name of [...this.names.keys()].sort()) {
        const list = this.lengthIndex.get(name.length) ?? [];
        list.push(name);
        this.lengthIndex.set(name.length, list);
      }
    }
    return this.lengthIndex;
  }

  private lengthIndex: Map<number, string[]> | undefined;

  get size(): number {
    return this.names.size;
  }
}

export function isExternal(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) =>
    pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern,
  );
}

/** Levenshtein distance, or undefined as soon as it must exceed `bound`. */
function boundedDistance(a: string, b: string, bound: number): number | undefined {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > bound) return undefined;
    previous = current;
  }
  const distance = previous[b.length]!;
  return distance > bound ? undefined : distance;
}

export interface SeriesLabels {
  count: number;
  /** Label → the values it takes, and in how many series it is there. */
  labels: Map<string, { values: Set<string>; carriers: number }>;
}

// The label block ends at the first "}" outside quotes (an OpenMetrics exemplar may follow the value).
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\})?\s+\S/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;

/** Label values by sample name, read from the exposition's sample lines. */
function seriesLabels(text: string): Map<string, SeriesLabels> {
  const out = new Map<string, SeriesLabels>();
  for (const line of text.split('\n')) {
    const match = SAMPLE_LINE.exec(line.trim());
    if (!match) continue;
    const entry = out.get(match[1]!) ?? { count: 0, labels: new Map() };
    out.set(match[1]!, entry);
    entry.count++;
    for (const [, label, raw] of (match[2] ?? '').matchAll(LABEL_PAIR)) {
      const value = raw!.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char));
      const known = entry.labels.get(label!) ?? { values: new Set<string>(), carriers: 0 };
      entry.labels.set(label!, known);
      known.values.add(value);
      known.carriers++;
    }
  }
  return out;
}
