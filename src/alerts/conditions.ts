/**
 * What an alert's expression watches and when it fires, read from its PromQL tree: the
 * comparisons that decide firing ("triggers"), what each compares (a latency quantile, an
 * error rate, `up`), the threshold in the metric's own units, and conditions that can never
 * fire or fire for every series. Reasoning is structural and deliberately narrow: a shape it
 * does not recognise counts for no requirement (and says so), it is never assumed to hold.
 */
import { COMPARISONS, constantValue, type Expr, render, selectors, walk } from './promql.js';

export interface Trigger {
  /** The side that is compared (normalised to the left: `0.05 < x` is `x > 0.05`). */
  subject: Expr;
  op: string;
  /** The constant it is compared with; undefined when compared with another vector. */
  threshold?: number;
  bool: boolean;
}

const FLIP: Record<string, string> = { '>': '<', '<': '>', '>=': '<=', '<=': '>=', '==': '==', '!=': '!=' };

/** Aggregations that keep the value of a single series (so a threshold on them is a threshold on it). */
const VALUE_KEEPING = new Set(['max', 'min', 'avg', 'sum', 'quantile', 'topk', 'bottomk', 'limitk']);
const VALUE_KEEPING_CALLS = new Set([
  'sort',
  'sort_desc',
  'label_replace',
  'label_join',
  'max_over_time',
  'min_over_time',
  'avg_over_time',
  'last_over_time',
  'clamp_min',
  'clamp_max',
]);

/** Replaces selectors of recorded series by the recording rule's expression (up to 8 deep). */
export function expandRecorded(expr: Expr, recorded: ReadonlyMap<string, Expr>, depth = 0): Expr {
  if (depth > 8) return expr;
  switch (expr.type) {
    case 'selector': {
      const replacement = !expr.range && expr.name !== undefined ? recorded.get(expr.name) : undefined;
      return replacement ? expandRecorded(replacement, recorded, depth + 1) : expr;
    }
    case 'call':
      return { ...expr, args: expr.args.map((arg) => expandRecorded(arg, recorded, depth)) };
    case 'aggregate':
      return {
        ...expr,
        ...(expr.param ? { param: expandRecorded(expr.param, recorded, depth) } : {}),
        body: expandRecorded(expr.body, recorded, depth),
      };
    case 'binary':
      return {
        ...expr,
        left: expandRecorded(expr.left, recorded, depth),
        right: expandRecorded(expr.right, recorded, depth),
      };
    case 'unary':
      return { ...expr, expr: expandRecorded(expr.expr, recorded, depth) };
    case 'other':
      return { ...expr, children: expr.children.map((child) => expandRecorded(child, recorded, depth)) };
    default:
      return expr;
  }
}

/** A constant, also through `vector(c)` and `scalar(...)` of a constant. */
function staticValue(expr: Expr): number | undefined {
  if (expr.type === 'call' && (expr.fn === 'vector' || expr.fn === 'scalar') && expr.args[0])
    return staticValue(expr.args[0]);
  if (expr.type === 'binary' && !COMPARISONS.has(expr.op)) {
    const left = staticValue(expr.left);
    const right = staticValue(expr.right);
    if (left === undefined || right === undefined) return undefined;
    return constantValue({ ...expr, left: num(left), right: num(right) });
  }
  return constantValue(expr);
}

const num = (value: number): Expr => ({ type: 'number', value, text: String(value) });

/**
 * Whether an expression without any metric yields a series: true (it always fires), false
 * (it never does), undefined (it depends on the time: `hour() > 8`).
 */
export function staticResult(expr: Expr): boolean | undefined {
  if (expr.type === 'binary' && COMPARISONS.has(expr.op)) {
    const left = staticValue(expr.left);
    const right = staticValue(expr.right);
    if (left === undefined || right === undefined) return undefined;
    if (expr.bool) return true;
    return compare(left, expr.op, right);
  }
  if (expr.type === 'binary' && (expr.op === 'and' || expr.op === 'unless' || expr.op === 'or')) {
    const left = staticResult(expr.left);
    const right = staticResult(expr.right);
    if (expr.op === 'or')
      return left === true || right === true ? true : left === false && right === false ? false : undefined;
    if (expr.op === 'and')
      return left === false || right === false ? false : left && right ? true : undefined;
    return left === false || right === true ? false : left === true && right === false ? true : undefined;
  }
  if (expr.type === 'call' && expr.fn === 'vector') return true;
  return staticValue(expr) !== undefined ? true : undefined;
}

function compare(left: number, op: string, right: number): boolean {
  switch (op) {
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '==':
      return left === right;
    default:
      return left !== right;
  }
}

/** The comparisons that decide whether the alert fires, and what gates them. */
export function triggers(expr: Expr): { triggers: Trigger[]; gates: Expr[] } {
  const found: Trigger[] = [];
  const gates: Expr[] = [];
  const visit = (node: Expr) => {
    if (node.type === 'binary' && COMPARISONS.has(node.op)) {
      const left = constantValue(node.left);
      const right = constantValue(node.right);
      if (left !== undefined && right === undefined)
        found.push({ subject: node.right, op: FLIP[node.op]!, threshold: left, bool: node.bool });
      else if (right !== undefined && left === undefined)
        found.push({ subject: node.left, op: node.op, threshold: right, bool: node.bool });
      else if (left === undefined && right === undefined)
        found.push({ subject: node.left, op: node.op, bool: node.bool });
      return;
    }
    if (node.type === 'binary' && (node.op === 'and' || node.op === 'unless')) {
      visit(node.left);
      gates.push(node);
      return;
    }
    if (node.type === 'binary' && node.op === 'or') {
      visit(node.left);
      visit(node.right);
      return;
    }
    // count(up == 0), sum(x > 1): empty exactly when what they aggregate is.
    if (node.type === 'aggregate' && node.op !== 'count_values') visit(node.body);
  };
  visit(expr);
  return { triggers: found, gates };
}

/** Whether the expression fires through `absent(...)`: the series is gone. */
export function absentTrigger(expr: Expr): Extract<Expr, { type: 'call' }> | undefined {
  if (expr.type === 'call' && (expr.fn === 'absent' || expr.fn === 'absent_over_time')) return expr;
  if (expr.type === 'binary' && (expr.op === 'or' || expr.op === 'and' || expr.op === 'unless'))
    return absentTrigger(expr.left) ?? (expr.op === 'or' ? absentTrigger(expr.right) : undefined);
  return undefined;
}

/**
 * Follows what the subject's value is made of down to `target`, multiplying by constants on
 * the way (`histogram_quantile(...) * 1000`): the factor between the target's value and the
 * subject's; undefined when the path goes through anything else.
 */
export function scaleTo(
  subject: Expr,
  target: (node: Expr) => boolean,
): { node: Expr; scale: number } | undefined {
  if (target(subject)) return { node: subject, scale: 1 };
  switch (subject.type) {
    case 'binary': {
      if (subject.op !== '*' && subject.op !== '/') return undefined;
      const left = constantValue(subject.left);
      const right = constantValue(subject.right);
      if (subject.op === '*' && left !== undefined) {
        const inner = scaleTo(subject.right, target);
        return inner && { node: inner.node, scale: inner.scale * left };
      }
      if (right !== undefined) {
        const inner = scaleTo(subject.left, target);
        return (
          inner && { node: inner.node, scale: subject.op === '*' ? inner.scale * right : inner.scale / right }
        );
      }
      return undefined;
    }
    case 'aggregate':
      return VALUE_KEEPING.has(subject.op) ? scaleTo(subject.body, target) : undefined;
    case 'call':
      // The series argument comes first (clamp_min(v, c), label_replace(v, ...), max_over_time(v[5m])).
      return VALUE_KEEPING_CALLS.has(subject.fn) && subject.args[0]
        ? scaleTo(subject.args[0], target)
        : undefined;
    default:
      return undefined;
  }
}

/** Seconds per unit of a metric, read from its name as Prometheus names them (`_seconds`). */
export function unitSeconds(metric: string): { seconds: number; unit: string } | undefined {
  const base = metric.replace(/_(bucket|sum|count|total)$/, '');
  if (/_seconds$/.test(base)) return { seconds: 1, unit: 's' };
  if (/_(milliseconds|millis|ms)$/.test(base)) return { seconds: 0.001, unit: 'ms' };
  if (/_(microseconds|micros|us)$/.test(base)) return { seconds: 1e-6, unit: 'µs' };
  if (/_(nanoseconds|nanos|ns)$/.test(base)) return { seconds: 1e-9, unit: 'ns' };
  if (/_minutes$/.test(base)) return { seconds: 60, unit: 'min' };
  return undefined;
}

export interface LatencyReading {
  quantile: number;
  metric: string;
  /** The threshold as written, and in seconds (undefined when the unit is unknown). */
  threshold: number;
  thresholdSeconds?: number;
  op: string;
  how: 'histogram_quantile' | 'summary';
}

/** Reads a latency trigger: `histogram_quantile(q, ...X_bucket...) > t`, or a summary's `X{quantile="q"} > t`. */
export function readLatency(trigger: Trigger): LatencyReading | string | undefined {
  const histogram = scaleTo(
    trigger.subject,
    (node) => node.type === 'call' && node.fn === 'histogram_quantile',
  );
  let quantile: number | undefined;
  let metric: string | undefined;
  let scale = 1;
  let how: LatencyReading['how'] = 'histogram_quantile';
  if (histogram && histogram.node.type === 'call') {
    const [q, inner] = histogram.node.args;
    quantile = q ? constantValue(q) : undefined;
    const names = inner
      ? selectors(inner)
          .map((s) => s.name)
          .filter((n): n is string => n !== undefined)
      : [];
    metric = names[0]?.replace(/_bucket$/, '');
    scale = histogram.scale;
    if (quantile === undefined) return 'histogram_quantile without a constant quantile';
  } else {
    const summary = scaleTo(
      trigger.subject,
      (node) => node.type === 'selector' && node.matchers.some((m) => m.label === 'quantile' && m.op === '='),
    );
    if (!summary || summary.node.type !== 'selector') {
      // Quantiles inside other arithmetic cannot be read as a threshold.
      let inside = false;
      walk(trigger.subject, (node) => {
        if (node.type === 'call' && node.fn === 'histogram_quantile') inside = true;
      });
      return inside
        ? `a histogram_quantile inside "${render(trigger.subject)}": its threshold cannot be read`
        : undefined;
    }
    quantile = Number(summary.node.matchers.find((m) => m.label === 'quantile')!.value);
    metric = summary.node.name;
    scale = summary.scale;
    how = 'summary';
    if (!Number.isFinite(quantile)) return undefined;
  }
  if (trigger.threshold === undefined)
    return `compares ${render(trigger.subject)} with another series, not a threshold`;
  if (metric === undefined) return 'cannot tell which histogram it reads';
  const unit = unitSeconds(metric);
  const written = trigger.threshold / scale;
  return {
    quantile,
    metric,
    threshold: trigger.threshold,
    ...(unit ? { thresholdSeconds: written * unit.seconds } : {}),
    op: trigger.op,
    how,
  };
}

const STATUS_LABELS = new Set([
  'status',
  'code',
  'status_code',
  'http_status',
  'response_code',
  'http_code',
  'status_class',
]);
const ERROR_NAME = /(^|_)(errors?|failures?|failed|exceptions?|5xx)(_|$)/i;

/** A selector that counts errors: an errors counter, or requests with a 5xx status. */
export function isErrorSelector(node: Expr): boolean {
  if (node.type !== 'selector') return false;
  if (node.name !== undefined && ERROR_NAME.test(node.name)) return true;
  return node.matchers.some((m) => {
    if (STATUS_LABELS.has(m.label) && (m.op === '=' || m.op === '=~'))
      return /^(5|\(5|5xx|\^5)/i.test(m.value);
    if (/^(outcome|result|status)$/.test(m.label) && m.op === '=')
      return /^(error|failure|failed|server_error)$/i.test(m.value);
    return false;
  });
}

export interface ErrorRateReading {
  /** The threshold as a share of requests, when the subject is a ratio. */
  ratio?: number;
  threshold: number;
  op: string;
  metric?: string;
}

export function readErrorRate(trigger: Trigger): ErrorRateReading | string | undefined {
  let errorSelector: Expr | undefined;
  walk(trigger.subject, (node) => {
    if (!errorSelector && isErrorSelector(node)) errorSelector = node;
  });
  if (!errorSelector) return undefined;
  if (trigger.threshold === undefined)
    return `compares ${render(trigger.subject)} with another series, not a threshold`;
  const metric = errorSelector.type === 'selector' ? errorSelector.name : undefined;
  const ratio = scaleTo(
    trigger.subject,
    (node) =>
      node.type === 'binary' &&
      node.op === '/' &&
      constantValue(node.left) === undefined &&
      constantValue(node.right) === undefined,
  );
  // `100 * errors / total` parses as `(100 * errors) / total`: constants inside the ratio scale it too.
  const inner =
    ratio && ratio.node.type === 'binary'
      ? leadingFactor(ratio.node.left) / leadingFactor(ratio.node.right)
      : 1;
  return {
    threshold: trigger.threshold,
    op: trigger.op,
    ...(ratio ? { ratio: trigger.threshold / (ratio.scale * inner) } : {}),
    ...(metric ? { metric } : {}),
  };
}

/** The constant an expression is multiplied by at its top (`100 * x` → 100, `x / 1000` → 0.001). */
function leadingFactor(expr: Expr): number {
  if (expr.type !== 'binary') return 1;
  const left = constantValue(expr.left);
  const right = constantValue(expr.right);
  if (expr.op === '*' && left !== undefined) return left * leadingFactor(expr.right);
  if (expr.op === '*' && right !== undefined) return right * leadingFactor(expr.left);
  if (expr.op === '/' && right !== undefined) return leadingFactor(expr.left) / right;
  return 1;
}

/** `up`, `probe_success`: 1 while the target answers. */
const AVAILABILITY_METRICS = new Set(['up', 'probe_success']);

export function readAvailability(
  trigger: Trigger,
): string | undefined | { op: string; threshold: number; metric: string } {
  const found = selectors(trigger.subject).find(
    (s) => s.name !== undefined && AVAILABILITY_METRICS.has(s.name),
  );
  if (!found) return undefined;
  if (trigger.threshold === undefined) return `compares ${render(trigger.subject)} with another series`;
  const t = trigger.threshold;
  // count(up == 0) > 0: the inner comparison says "down", the outer one "any of them".
  if ((trigger.op === '>' && t >= 0) || (trigger.op === '>=' && t >= 1)) {
    for (const inner of triggers(trigger.subject).triggers) {
      if (inner.subject === trigger.subject) continue;
      const reading = readAvailability(inner);
      if (typeof reading === 'object') return reading;
    }
  }
  const down =
    (trigger.op === '==' && t === 0) ||
    (trigger.op === '<' && t > 0) ||
    (trigger.op === '<=' && t >= 0) ||
    (trigger.op === '!=' && t === 1);
  if (!down)
    return `${render(trigger.subject)} ${trigger.op} ${t} does not mean "down" (up is 1 when the target answers, 0 when not)`;
  return { op: trigger.op, threshold: t, metric: found.name! };
}

/** Why a condition can never fire (or fires for every series), or undefined. */
export function brokenCondition(expr: Expr, alert: string): string | undefined {
  if (selectors(expr).length === 0) {
    const result = staticResult(expr);
    if (result === false) return `"${alert}" watches no metric and can never fire: ${render(expr)}`;
    return undefined;
  }
  const always = alwaysBranch(expr);
  if (always)
    return `"${alert}" has "or ${render(always)}", which holds at every evaluation: it fires all the time, whatever the service does`;
  const { triggers: found, gates } = triggers(expr);
  for (const gate of gates) {
    if (gate.type !== 'binary') continue;
    if (selectors(gate.right).length === 0) {
      const result = staticResult(gate.right);
      if ((gate.op === 'and' && result === false) || (gate.op === 'unless' && result === true))
        return `"${alert}" is gated by a constant (${gate.op} ${render(gate.right)}): it can never fire`;
    }
  }
  for (const trigger of found) {
    if (trigger.bool)
      return `"${alert}" compares with "bool" (${render(trigger.subject)} ${trigger.op} bool ${trigger.threshold ?? '…'}): that yields 0 or 1 for every series, so it fires whenever the series exist`;
    if (trigger.threshold === undefined) continue;
    const latency = readLatency(trigger);
    if (typeof latency === 'object' && trigger.op.startsWith('>') && latency.threshold <= 0)
      return `"${alert}" fires when a latency quantile is ${trigger.op} ${latency.threshold}: it always is while there is traffic`;
    const error = readErrorRate(trigger);
    if (typeof error === 'object' && error.ratio !== undefined) {
      if ((trigger.op === '>' && error.ratio >= 1) || (trigger.op === '>=' && error.ratio > 1))
        return `"${alert}" fires when an error ratio is ${trigger.op} ${formatShare(error.ratio)}: a share of requests never is, so it can never fire`;
    }
    const bare =
      trigger.subject.type === 'selector' &&
      trigger.subject.name !== undefined &&
      AVAILABILITY_METRICS.has(trigger.subject.name);
    if (bare) {
      const t = trigger.threshold;
      const never =
        (trigger.op === '<' && t <= 0) ||
        (trigger.op === '>' && t >= 1) ||
        (trigger.op === '==' && t !== 0 && t !== 1) ||
        (trigger.op === '<=' && t < 0) ||
        (trigger.op === '>=' && t > 1);
      if (never)
        return `"${alert}": ${render(trigger.subject)} is 0 or 1, never ${trigger.op} ${t}: it can never fire`;
    }
  }
  return undefined;
}

/** A branch of a top-level `or` that involves no metric and always yields a series. */
function alwaysBranch(expr: Expr): Expr | undefined {
  if (expr.type !== 'binary' || expr.op !== 'or') return undefined;
  for (const side of [expr.left, expr.right]) {
    if (selectors(side).length === 0 && staticResult(side) === true) return side;
    const inner = alwaysBranch(side);
    if (inner) return inner;
  }
  return undefined;
}

export function formatShare(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(6))}%`;
}
