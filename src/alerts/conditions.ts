/**
 * What an alert's expression watches and when it fires, read from its PromQL tree: the
 * comparisons that decide firing ("triggers"), what each compares (a latency quantile, an
 * error rate, `up`), the threshold in the metric's own units, and conditions that can never
 * fire or fire for every series. Reasoning is structural and deliberately narrow: a shape it
 * does not recognise counts for no requirement (and says so), it is never assumed to hold.
 */
import { childrenOf, COMPARISONS, constantValue, type Expr, render, selectors, walk } from './promql.js';

export interface Trigger {
  /** The side that is compared (normalised to the left: `0.05 < x` is `x > 0.05`). */
  subject: Expr;
  op: string;
  /** The constant it is compared with; undefined when compared with another vector. */
  threshold?: number;
  /** What it is compared with when that is not a number literal (`vector(0.05)`, another series). */
  other?: Expr;
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
  if (expr.type === 'call' && CLAMPS.has(expr.fn)) {
    const values = expr.args.map(staticValue);
    if (values.length === 0 || values.some((value) => value === undefined)) return undefined;
    const [value, a, b] = values as number[];
    return applyClamp(expr.fn, value!, a, b);
  }
  if (expr.type === 'binary' && !COMPARISONS.has(expr.op)) {
    const left = staticValue(expr.left);
    const right = staticValue(expr.right);
    if (left === undefined || right === undefined) return undefined;
    return constantValue({ ...expr, left: num(left), right: num(right) });
  }
  return constantValue(expr);
}

const num = (value: number): Expr => ({ type: 'number', value, text: String(value) });

const CLAMPS = new Set(['clamp', 'clamp_max', 'clamp_min', 'abs']);

function applyClamp(fn: string, value: number, a?: number, b?: number): number | undefined {
  switch (fn) {
    case 'abs':
      return Math.abs(value);
    case 'clamp_max':
      return a === undefined ? undefined : Math.min(value, a);
    case 'clamp_min':
      return a === undefined ? undefined : Math.max(value, a);
    default:
      // clamp(v, min, max) with min > max yields nothing: NaN compares false with everything.
      return a === undefined || b === undefined
        ? undefined
        : a > b
          ? Number.NaN
          : Math.min(Math.max(value, a), b);
  }
}

/** Functions whose result is never negative (a rate, a count). */
const NON_NEGATIVE = new Set([
  'rate',
  'irate',
  'increase',
  'count_over_time',
  'absent',
  'absent_over_time',
  'changes',
  'resets',
  'abs',
  'sqrt',
  'histogram_count',
]);

/**
 * Bounds on the values an expression can take, [low, high]: clamps bound it, `up` is 0 or 1,
 * rates are never negative, constants are themselves; anything else is unbounded.
 */
export function valueRange(expr: Expr): [number, number] {
  const constant = staticValue(expr);
  if (constant !== undefined) return [constant, constant];
  switch (expr.type) {
    case 'selector':
      return expr.name !== undefined && AVAILABILITY_METRICS.has(expr.name) ? [0, 1] : [-Infinity, Infinity];
    case 'call': {
      const first = expr.args[0];
      if (!first) return [-Infinity, Infinity];
      if (expr.fn === 'clamp_max' || expr.fn === 'clamp_min' || expr.fn === 'clamp') {
        const [low, high] = valueRange(first);
        const a = expr.args[1] ? staticValue(expr.args[1]) : undefined;
        const b = expr.args[2] ? staticValue(expr.args[2]) : undefined;
        if (expr.fn === 'clamp_max')
          return a === undefined ? [low, high] : [Math.min(low, a), Math.min(high, a)];
        if (expr.fn === 'clamp_min')
          return a === undefined ? [low, high] : [Math.max(low, a), Math.max(high, a)];
        if (a === undefined || b === undefined) return [low, high];
        return [Math.min(Math.max(low, a), b), Math.max(Math.min(high, b), a)];
      }
      if (VALUE_KEEPING_CALLS.has(expr.fn) || expr.fn === 'last_over_time') return valueRange(first);
      if (NON_NEGATIVE.has(expr.fn)) return [0, Infinity];
      return [-Infinity, Infinity];
    }
    case 'aggregate':
      if (expr.op === 'max' || expr.op === 'min' || expr.op === 'avg' || expr.op === 'quantile')
        return valueRange(expr.body);
      if (expr.op === 'count') return [0, Infinity];
      return [-Infinity, Infinity];
    case 'binary': {
      if (COMPARISONS.has(expr.op) && !expr.bool) return valueRange(expr.left);
      if (expr.op === 'and' || expr.op === 'unless') return valueRange(expr.left);
      const factor = staticValue(expr.right);
      if (expr.op === '*' && factor === 0) return [0, 0];
      if ((expr.op === '*' || expr.op === '/') && factor !== undefined && factor > 0) {
        const [low, high] = valueRange(expr.left);
        return expr.op === '*' ? [low * factor, high * factor] : [low / factor, high / factor];
      }
      return [-Infinity, Infinity];
    }
    default:
      return [-Infinity, Infinity];
  }
}

/** Whether a value in [low, high] can ever satisfy `op threshold` (NaN never compares true). */
function canHold([low, high]: [number, number], op: string, t: number): boolean {
  if (Number.isNaN(t)) return op === '!=';
  switch (op) {
    case '>':
      return high > t;
    case '>=':
      return high >= t;
    case '<':
      return low < t;
    case '<=':
      return low <= t;
    case '==':
      return t >= low && t <= high;
    default:
      return true;
  }
}

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
        found.push({ subject: node.left, op: node.op, bool: node.bool, other: node.right });
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
  // absent(up == 0) is there when the comparison yields nothing, i.e. while the service is UP:
  // only absent of a plain selector says "the series is gone".
  if (expr.type === 'call' && (expr.fn === 'absent' || expr.fn === 'absent_over_time'))
    return expr.args[0] && readsSeriesPlainly(expr.args[0]) ? expr : undefined;
  if (expr.type === 'binary' && (expr.op === 'or' || expr.op === 'and' || expr.op === 'unless'))
    return absentTrigger(expr.left) ?? (expr.op === 'or' ? absentTrigger(expr.right) : undefined);
  return undefined;
}

/**
 * Whether an expression yields a value whenever its series exist: it reads a metric, and
 * nothing in it filters (`up == 0`, `and`, `unless`) — so absent(...) of it means "gone".
 */
function readsSeriesPlainly(expr: Expr): boolean {
  let filters = false;
  walk(expr, (node) => {
    if (
      node.type === 'binary' &&
      ((COMPARISONS.has(node.op) && !node.bool) || node.op === 'and' || node.op === 'unless')
    )
      filters = true;
    if (node.type === 'aggregate' && (node.op === 'topk' || node.op === 'bottomk' || node.op === 'limitk'))
      filters = true;
  });
  return !filters && selectors(expr).some((s) => s.name !== undefined);
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
  if (ratio && ratio.node.type === 'binary') {
    const hasErrors = (side: Expr) => {
      let found = false;
      walk(side, (node) => {
        if (isErrorSelector(node)) found = true;
      });
      return found;
    };
    // all / errors > t: the share of requests per error, which falls as errors rise.
    if (!hasErrors(ratio.node.left) && hasErrors(ratio.node.right))
      return `${render(ratio.node)}: the errors are the denominator (all / errors), so the ratio falls when errors rise; the numerator must be the error series`;
  }
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

/** Functions over a range that need two samples in it: with fewer they return nothing. */
const TWO_SAMPLE_FUNCTIONS = new Set([
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'predict_linear',
]);

/** A `rate(x[1s])` whose range holds fewer than two scrapes: it never returns a value. */
function tooShortRange(expr: Expr, scrapeSeconds: number): string | undefined {
  let found: string | undefined;
  walk(expr, (node) => {
    if (found || node.type !== 'call' || !TWO_SAMPLE_FUNCTIONS.has(node.fn)) return;
    const range = node.args[0];
    if (
      range?.type === 'selector' &&
      range.rangeSeconds !== undefined &&
      range.rangeSeconds < 2 * scrapeSeconds
    )
      found = `${node.fn}(${render(range).replace('[…]', `[${range.rangeSeconds}s]`)}) needs two samples in its range, but ${range.rangeSeconds} s holds fewer than two scrapes (every ${scrapeSeconds} s): it returns nothing`;
  });
  return found;
}

/** `up{job="a", job="b"}`: two values one label cannot both have. */
function contradictoryMatchers(expr: Expr): string | undefined {
  for (const selector of selectors(expr)) {
    const equal = new Map<string, string>();
    for (const matcher of selector.matchers) {
      if (matcher.op !== '=') continue;
      const before = equal.get(matcher.label);
      if (before !== undefined && before !== matcher.value)
        return `${render(selector)} asks ${matcher.label} to be both "${before}" and "${matcher.value}": it selects nothing, so it can never fire`;
      equal.set(matcher.label, matcher.value);
    }
  }
  return undefined;
}

/** A histogram_quantile whose buckets were summed away (`sum without (le)`, `sum by (job)`). */
function leDropped(expr: Expr): string | undefined {
  let found: string | undefined;
  walk(expr, (node) => {
    if (found || node.type !== 'call' || node.fn !== 'histogram_quantile' || !node.args[1]) return;
    // The outermost aggregations under it decide which labels reach it.
    const outer: Array<Extract<Expr, { type: 'aggregate' }>> = [];
    const visit = (inner: Expr) => {
      if (inner.type === 'aggregate') outer.push(inner);
      else childrenOf(inner).forEach(visit);
    };
    visit(node.args[1]);
    for (const aggregate of outer) {
      if (aggregate.op === 'count_values' || aggregate.op === 'topk' || aggregate.op === 'bottomk') continue;
      const grouping = aggregate.grouping;
      const keepsLe = grouping
        ? grouping.without
          ? !grouping.labels.includes('le')
          : grouping.labels.includes('le')
        : false;
      if (!keepsLe)
        found = `histogram_quantile over ${aggregate.op}${grouping ? ` ${grouping.without ? 'without' : 'by'} (${grouping.labels.join(', ')})` : ''}: the "le" label is summed away, no buckets are left, so it returns nothing (write sum by (le) (...))`;
    }
  });
  return found;
}

/**
 * `X unless on() up`, `X unless on() up == 1`: suppressed whenever the target is scraped or
 * up, i.e. whenever the service runs. Only an `unless` on the service being DOWN (`up == 0`,
 * `absent(up)`) is a sensible gate on `up`.
 */
function suppressedWhileUp(gate: Extract<Expr, { type: 'binary' }>): boolean {
  if (gate.op !== 'unless') return false;
  if (!selectors(gate.right).some((s) => s.name !== undefined && AVAILABILITY_METRICS.has(s.name)))
    return false;
  if (absentTrigger(gate.right)) return false;
  const conditions = triggers(gate.right).triggers;
  return !conditions.some((condition) => typeof readAvailability(condition) === 'object');
}

/** Prometheus's lookback: a sample up to 5 minutes old still counts as the present. */
const FUTURE_TOLERANCE_SECONDS = 300;

export interface ConditionOptions {
  /** Prometheus's scrape interval, in seconds (default 15). */
  scrapeSeconds?: number;
}

/** Why a condition can never fire (or fires for every series), or undefined. */
export function brokenCondition(
  expr: Expr,
  alert: string,
  options: ConditionOptions = {},
): string | undefined {
  if (selectors(expr).length === 0) {
    const result = staticResult(expr);
    if (result === false) return `"${alert}" watches no metric and can never fire: ${render(expr)}`;
    return undefined;
  }
  const always = alwaysBranch(expr);
  if (always)
    return `"${alert}" has "or ${render(always)}", which holds at every evaluation: it fires all the time, whatever the service does`;
  const contradiction = contradictoryMatchers(expr);
  if (contradiction) return `"${alert}": ${contradiction}`;
  const future = selectors(expr).find((s) => (s.offsetSeconds ?? 0) < -FUTURE_TOLERANCE_SECONDS);
  if (future)
    return `"${alert}": ${render(future)} is read "offset ${future.offsetSeconds} s" in the future, where there is no data yet: it returns nothing, so it can never fire`;
  const short = tooShortRange(expr, options.scrapeSeconds ?? 15);
  if (short) return `"${alert}": ${short}`;
  const dropped = leDropped(expr);
  if (dropped) return `"${alert}": ${dropped}`;
  const { triggers: found, gates } = triggers(expr);
  for (const gate of gates) {
    if (gate.type !== 'binary') continue;
    if (suppressedWhileUp(gate))
      return `"${alert}" is gated by "unless ${render(gate.right)}": up exists whenever the target is scraped, so it never fires while the service runs`;
    if (selectors(gate.right).length === 0) {
      const result = staticResult(gate.right);
      if ((gate.op === 'and' && result === false) || (gate.op === 'unless' && result === true))
        return `"${alert}" is gated by a constant (${gate.op} ${render(gate.right)}): it can never fire`;
    }
  }
  for (const trigger of found) {
    if (trigger.bool)
      return `"${alert}" compares with "bool" (${render(trigger.subject)} ${trigger.op} bool ${trigger.threshold ?? '…'}): that yields 0 or 1 for every series, so it fires whenever the series exist`;
    if (trigger.threshold === undefined) {
      // `x > vector(NaN)`, `x > scalar(NaN)`: NaN compares false with everything.
      if (
        trigger.other &&
        selectors(trigger.other).length === 0 &&
        Number.isNaN(staticValue(trigger.other)) &&
        trigger.op !== '!='
      )
        return `"${alert}" compares with NaN (${render(trigger.subject)} ${trigger.op} ${render(trigger.other)}): a comparison with NaN is never true, so it can never fire`;
      continue;
    }
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
    if (Number.isNaN(trigger.threshold) && trigger.op !== '!=')
      return `"${alert}" compares with NaN (${render(trigger.subject)} ${trigger.op} NaN): a comparison with NaN is never true, so it can never fire`;
    const range = valueRange(trigger.subject);
    if (!canHold(range, trigger.op, trigger.threshold))
      return `"${alert}": ${render(trigger.subject)} ${range[0] === -Infinity && range[1] === Infinity ? 'is a number, and no number is' : `is always between ${range[0]} and ${range[1]}, never`} ${trigger.op} ${trigger.threshold}: it can never fire`;
  }
  return undefined;
}

/**
 * Whether an alert may fire at every evaluation whatever the service does: it watches no
 * metric and is not provably empty (`vector(1)`, `time() > 0`, `hour() > 8`), or it has an
 * `or` branch that always holds. As an inhibit rule's source, such an alert mutes for good.
 */
export function mayAlwaysFire(expr: Expr): boolean {
  if (selectors(expr).length === 0) return staticResult(expr) !== false;
  return alwaysBranch(expr) !== undefined;
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

export interface TimingLimits {
  /** Longest `offset` on a selector, in seconds. */
  maxOffsetSeconds: number;
  /** Longest range window (`[5m]`, `*_over_time`), in seconds; undefined: not checked. */
  maxWindowSeconds?: number;
}

/**
 * Why an alert reacts too late to count: it reads the past (`offset 1y`), or averages over a
 * window so long that an outage shows only after (most of) it has passed.
 */
export function lateness(
  expr: Expr,
  limits: TimingLimits,
): { why: string; delaySeconds: number } | undefined {
  let worst: { why: string; delaySeconds: number } | undefined;
  for (const selector of selectors(expr)) {
    const offset = selector.offsetSeconds ?? 0;
    if (offset > limits.maxOffsetSeconds && offset > (worst?.delaySeconds ?? 0))
      worst = {
        why: `${render(selector)} reads the series "offset ${formatSeconds(offset)}" in the past: the alert sees a change ${formatSeconds(offset)} after it happens`,
        delaySeconds: offset,
      };
    if (selector.pinnedAt !== undefined && worst?.delaySeconds !== Infinity)
      worst = {
        why: `${render(selector)} is read "@ ${selector.pinnedAt}", at a fixed time: the alert never sees the present`,
        delaySeconds: Infinity,
      };
    const window = selector.windowSeconds ?? selector.rangeSeconds ?? 0;
    if (
      limits.maxWindowSeconds !== undefined &&
      window > limits.maxWindowSeconds &&
      window + offset > (worst?.delaySeconds ?? 0)
    )
      worst = {
        why: `${render(selector).replace('[…]', `[${formatSeconds(window)}]`)} looks over ${formatSeconds(window)}: a change shows in full only after up to ${formatSeconds(window + offset)}, longer than ${formatSeconds(limits.maxWindowSeconds)}`,
        delaySeconds: window + offset,
      };
  }
  return worst;
}

/** Seconds as a Prometheus duration (`90000` → `1d1h`). */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const units: Array<[string, number]> = [
    ['y', 31_536_000],
    ['w', 604_800],
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  let rest = Math.round(seconds);
  let out = '';
  for (const [unit, size] of units) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out || `${seconds}s`;
}
