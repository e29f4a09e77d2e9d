/**
 * Reads the Prometheus text exposition format (version 0.0.4, and the OpenMetrics additions
 * scrapers accept: `# EOF`, `# UNIT`, exemplars) and reports what a scrape would reject,
 * with line numbers: a malformed sample, a bad name or label, an unknown type, a TYPE after
 * its samples, duplicate HELP/TYPE lines, duplicate label names, a bucket without `le`.
 */

export interface MetricFamily {
  name: string;
  type?: string;
  help?: string;
  samples: number;
  /** Label names its samples carry (`le` and `quantile` included). */
  labelNames?: Set<string>;
}

export interface ExpositionProblem {
  line: number;
  message: string;
  text: string;
}

export interface Exposition {
  families: Map<string, MetricFamily>;
  /** Every sample name seen (e.g. http_request_duration_seconds_bucket). */
  sampleNames: Set<string>;
  samples: number;
  problems: ExpositionProblem[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set([
  'counter',
  'gauge',
  'histogram',
  'summary',
  'untyped',
  'unknown',
  'info',
  'stateset',
  'gaugehistogram',
]);
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count', '_created'],
  counter: ['_total', '_created'],
  info: ['_info'],
};
const VALUE = /^(?:[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Inf|NaN)$/i;

export function parseExposition(text: string): Exposition {
  const families = new Map<string, MetricFamily>();
  const sampleNames = new Set<string>();
  const problems: ExpositionProblem[] = [];
  const withSamples = new Set<string>();
  let samples = 0;
  const lines = text.split('\n');
  let sawEof = false;
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) {
      found = { name, samples: 0 };
      families.set(name, found);
    }
    return found;
  };
  // A sample belongs to the family whose name plus a type suffix it is.
  const familyOf = (sample: string): string => {
    for (const [name, known] of families) {
      if (name === sample) return name;
      if (known.type && SUFFIXES[known.type]?.some((suffix) => sample === name + suffix)) return name;
    }
    return sample;
  };

  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    const lineNo = index + 1;
    const problem = (message: string) => problems.push({ line: lineNo, message, text: raw.slice(0, 200) });
    const line = raw.replace(/\r$/, '').trim();
    if (line === '') continue;
    if (sawEof) {
      problem('content after "# EOF"');
      break;
    }
    if (line.startsWith('#')) {
      const parts = line
        .slice(1)
        .trim()
        .split(/[ \t]+/);
      const keyword = parts[0];
      if (keyword === 'EOF' && parts.length === 1) {
        sawEof = true;
        continue;
      }
      if (keyword !== 'HELP' && keyword !== 'TYPE' && keyword !== 'UNIT') continue; // a plain comment
      const name = parts[1];
      if (name === undefined) {
        problem(`# ${keyword} without a metric name`);
        continue;
      }
      if (!METRIC_NAME.test(name)) problem(`"${name}" is not a valid metric name`);
      const known = family(name);
      if (keyword === 'HELP') {
        if (known.help !== undefined) problem(`second HELP line for ${name}`);
        known.help = line.replace(/^#\s*HELP\s+\S+\s?/, '');
      } else if (keyword === 'TYPE') {
        const type = parts[2];
        if (parts.length !== 3 || type === undefined)
          problem(`# TYPE needs a name and one type, e.g. "# TYPE ${name} counter"`);
        else if (!TYPES.has(type))
          problem(`unknown metric type "${type}" (counter, gauge, histogram, summary or untyped)`);
        else if (known.type !== undefined) problem(`second TYPE line for ${name}`);
        else if (withSamples.has(name)) problem(`TYPE line for ${name} after its samples`);
        else known.type = type;
      }
      continue;
    }
    const sample = parseSample(line);
    if (typeof sample === 'string') {
      problem(sample);
      continue;
    }
    samples++;
    sampleNames.add(sample.name);
    const name = familyOf(sample.name);
    const owner = family(name);
    owner.samples++;
    owner.labelNames ??= new Set();
    for (const label of sample.labels.keys()) owner.labelNames.add(label);
    withSamples.add(name);
    if (
      (owner.type === 'histogram' || owner.type === 'gaugehistogram') &&
      sample.name === `${name}_bucket` &&
      !sample.labels.has('le')
    ) {
      problem(`histogram bucket ${sample.name} without an "le" label`);
    }
    if (owner.type === 'summary' && sample.name === name && !sample.labels.has('quantile')) {
      problem(`summary sample ${sample.name} without a "quantile" label`);
    }
  }
  if (text.length > 0 && !text.endsWith('\n')) {
    problems.push({
      line: lines.length,
      message: 'the last line does not end with a line feed',
      text: lines[lines.length - 1]!.slice(0, 200),
    });
  }
  return { families, sampleNames, samples, problems };
}

/** One sample line, or why it is not one. */
function parseSample(line: string): { name: string; labels: Map<string, string>; value: string } | string {
  const nameMatch = /^[^\s{]+/.exec(line);
  if (!nameMatch) return 'a sample line must start with a metric name';
  const name = nameMatch[0];
  if (!METRIC_NAME.test(name)) return `"${name}" is not a valid metric name`;
  let rest = line.slice(name.length);
  const labels = new Map<string, string>();
  if (rest.startsWith('{')) {
    let position = 1;
    for (;;) {
      while (rest[position] === ' ' || rest[position] === '\t') position++;
      if (rest[position] === '}') {
        position++;
        break;
      }
      const labelMatch = /^([^=\s]+)\s*=\s*"/.exec(rest.slice(position));
      if (!labelMatch)
        return `cannot read the labels of ${name}: expected name="value" at "${rest.slice(position, position + 20)}"`;
      const labelName = labelMatch[1]!;
      if (!LABEL_NAME.test(labelName)) return `"${labelName}" is not a valid label name`;
      position += labelMatch[0].length;
      let value = '';
      for (;;) {
        const char = rest[position];
        if (char === undefined) return `unterminated label value for ${labelName}`;
        if (char === '\\') {
          const escaped = rest[position + 1];
          if (escaped === 'n') value += '\n';
          else if (escaped === '\\' || escaped === '"') value += escaped;
          else return `invalid escape "\\${escaped ?? ''}" in label ${labelName} (only \\\\, \\" and \\n)`;
          position += 2;
          continue;
        }
        if (char === '"') {
          position++;
          break;
        }
        value += char;
        position++;
      }
      if (labels.has(labelName)) return `label ${labelName} appears twice in ${name}`;
      labels.set(labelName, value);
      while (rest[position] === ' ' || rest[position] === '\t') position++;
      if (rest[position] === ',') {
        position++;
        continue;
      }
      if (rest[position] === '}') {
        position++;
        break;
      }
      return `cannot read the labels of ${name}: expected "," or "}" at "${rest.slice(position, position + 20)}"`;
    }
    rest = rest.slice(position);
  }
  // OpenMetrics exemplars follow " # ".
  const exemplar = rest.indexOf(' # ');
  if (exemplar !== -1) rest = rest.slice(0, exemplar);
  const tokens = rest
    .trim()
    .split(/[ \t]+/)
    .filter(Boolean);
  if (tokens.length === 0) return `${name} has no value`;
  if (tokens.length > 2)
    return `${name}: expected a value and an optional timestamp, found "${rest.trim().slice(0, 40)}"`;
  if (!VALUE.test(tokens[0]!)) return `${name}: "${tokens[0]}" is not a number`;
  if (tokens[1] !== undefined && !/^-?\d+(\.\d+)?$/.test(tokens[1]))
    return `${name}: "${tokens[1]}" is not a timestamp`;
  return { name, labels, value: tokens[0]! };
}
