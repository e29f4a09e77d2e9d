// Prometheus text exposition without a client library: three metric types are all this
// service needs, and the format is small (https://prometheus.io/docs/instrumenting/exposition_formats/).

const escapeLabel = (value) => String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (labels) => {
  const entries = Object.entries(labels);
  return entries.length ? `{${entries.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(',')}}` : '';
};

export class Registry {
  #metrics = [];

  counter(name, help, labelNames = []) {
    const metric = new Counter(name, help, labelNames);
    this.#metrics.push(metric);
    return metric;
  }

  gauge(name, help, read) {
    const metric = { name, help, type: 'gauge', lines: () => [`${name} ${read()}`] };
    this.#metrics.push(metric);
    return metric;
  }

  histogram(name, help, buckets, labelNames = []) {
    const metric = new Histogram(name, help, buckets, labelNames);
    this.#metrics.push(metric);
    return metric;
  }

  text() {
    const out = [];
    for (const metric of this.#metrics) {
      out.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`, ...metric.lines());
    }
    return `${out.join('\n')}\n`;
  }
}

class Counter {
  type = 'counter';
  #values = new Map();

  constructor(name, help, labelNames) {
    Object.assign(this, { name, help, labelNames });
  }

  inc(labels = {}, by = 1) {
    const key = JSON.stringify(this.labelNames.map((name) => labels[name] ?? ''));
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }

  lines() {
    if (this.#values.size === 0 && this.labelNames.length === 0) return [`${this.name} 0`];
    return [...this.#values].map(([key, value]) => {
      const values = JSON.parse(key);
      return `${this.name}${labelText(Object.fromEntries(this.labelNames.map((name, i) => [name, values[i]])))} ${value}`;
    });
  }
}

class Histogram {
  type = 'histogram';
  #series = new Map();

  constructor(name, help, buckets, labelNames) {
    Object.assign(this, { name, help, buckets, labelNames });
  }

  observe(labels, value) {
    const key = JSON.stringify(this.labelNames.map((name) => labels[name] ?? ''));
    let series = this.#series.get(key);
    if (!series) {
      series = { counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) series.counts[i] += 1;
    series.sum += value;
    series.count += 1;
  }

  lines() {
    const out = [];
    for (const [key, series] of this.#series) {
      const labels = Object.fromEntries(this.labelNames.map((name, i) => [name, JSON.parse(key)[i]]));
      this.buckets.forEach((bound, i) => out.push(`${this.name}_bucket${labelText({ ...labels, le: bound })} ${series.counts[i]}`));
      out.push(`${this.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${series.count}`);
      out.push(`${this.name}_sum${labelText(labels)} ${series.sum}`);
      out.push(`${this.name}_count${labelText(labels)} ${series.count}`);
    }
    return out;
  }
}
