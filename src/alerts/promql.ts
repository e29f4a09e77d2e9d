/**
 * PromQL expressions as alert rules write them, parsed with Prometheus's own grammar
 * (`@prometheus-io/lezer-promql`, the parser behind the Prometheus web UI) and turned into a
 * small tree the alert checks can reason about: selectors (metric names, label matchers),
 * function calls, aggregations, binary operators and number literals.
 *
 * The grammar checks syntax only, as the UI's editor does: types (a range vector where an
 * instant vector belongs) are Prometheus's to check when it loads the rules.
 */
import type { parser } from '@prometheus-io/lezer-promql';
import { lazyRequire } from '../util/lazy.js';

/** The grammar loads when an expression is parsed, not when the alerts kind is imported (startup). */
const promql = lazyRequire<typeof import('@prometheus-io/lezer-promql')>('@prometheus-io/lezer-promql');

/** A node of the grammar's tree (the type comes from @lezer/common, through @lezer/lr). */
type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  label: string;
  op: MatchOp;
  value: string;
}

export type Expr =
  | { type: 'number'; value: number; text: string }
  | { type: 'string'; value: string }
  | {
      type: 'selector';
      /** The metric name (from the identifier or an `__name__=` matcher); undefined for `{job="x"}` or a regex. */
      name?: string;
      /** `{__name__=~"http_.*"}`: the pattern the name must match. */
      namePattern?: string;
      matchers: LabelMatcher[];
      /** A range (`[5m]`) or subquery: not an instant vector. */
      range: boolean;
      /** The range's length in seconds (`[5m]` → 300), when written as a duration. */
      rangeSeconds?: number;
      /** `offset 1h` (on it or on a subquery around it), in seconds. */
      offsetSeconds?: number;
      /** How far back its values reach: its range plus the ranges of subqueries around it. */
      windowSeconds?: number;
      /** `@ 1609459200`: evaluated at that fixed time, whatever the time of evaluation. */
      pinnedAt?: number;
      /** Offset of the selector in the expression. */
      from: number;
    }
  | { type: 'call'; fn: string; args: Expr[] }
  | {
      type: 'aggregate';
      op: string;
      param?: Expr;
      body: Expr;
      /** `by (...)` / `without (...)` labels, when written. */
      grouping?: { without: boolean; labels: string[] };
    }
  | {
      type: 'binary';
      op: string;
      /** `> bool`: the comparison returns 0 or 1 for every series instead of filtering. */
      bool: boolean;
      left: Expr;
      right: Expr;
    }
  | { type: 'unary'; op: '-' | '+'; expr: Expr }
  /** What the grammar accepts but this tree does not model (a duration expression, a fill modifier). */
  | { type: 'other'; text: string; children: Expr[] };

export interface PromqlSyntaxError {
  /** Offset in the expression where the parser gave up. */
  offset: number;
  message: string;
}

export type ParsedExpr = { ok: true; expr: Expr } | { ok: false; error: PromqlSyntaxError };

export const COMPARISONS = new Set(['>', '>=', '<', '<=', '==', '!=']);

const OPERATOR_NODES: Record<string, string> = {
  Pow: '^',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Add: '+',
  Sub: '-',
  Eql: '==',
  Gte: '>=',
  Gtr: '>',
  Lte: '<=',
  Lss: '<',
  Neq: '!=',
  And: 'and',
  Or: 'or',
  Unless: 'unless',
  Atan2: 'atan2',
  TrimUpper: '</',
  TrimLower: '>/',
};

/** Node types that only modify the expression they wrap (ranges, offsets, `@`). */
const WRAPPERS = new Set([
  'ParenExpr',
  'OffsetExpr',
  'StepInvariantExpr',
  'AnchoredExpr',
  'SmoothedExpr',
  'MatrixSelector',
  'SubqueryExpr',
]);

/** Children that are not expressions of their own. */
const NOT_EXPRESSIONS = new Set([
  'LineComment',
  'FunctionIdentifier',
  'AggregateOp',
  'AggregateModifier',
  'BoolModifier',
  'MatchingModifierClause',
  'FillModifier',
  'UnaryOp',
  'DurationExpr',
  'OffsetDurationExpr',
  'At',
  'AtModifierPreprocessors',
  'Offset',
  'Anchored',
  'Smoothed',
  ...Object.keys(OPERATOR_NODES),
]);

/** Parses one expression; the first syntax error with its offset, or the tree. */
export function parsePromql(text: string): ParsedExpr {
  if (text.trim() === '') return { ok: false, error: { offset: 0, message: 'the expression is empty' } };
  if (text.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('#')))
    return {
      ok: false,
      error: { offset: text.indexOf('#'), message: 'the expression is only a comment: nothing is evaluated' },
    };
  const tree = promql().parser.parse(text);
  let error: PromqlSyntaxError | undefined;
  tree.iterate({
    enter(node) {
      if (error) return false;
      if (node.type.isError) {
        // At the end: point just after the last token, not at trailing blank lines.
        const offset = Math.min(node.from, text.trimEnd().length);
        error = { offset, message: describeError(text, offset) };
        return false;
      }
      return undefined;
    },
  });
  if (error) return { ok: false, error };
  const expressions = children(tree.topNode).filter((child) => !NOT_EXPRESSIONS.has(child.name));
  if (expressions.length !== 1)
    return {
      ok: false,
      error: { offset: 0, message: expressions.length ? 'more than one expression' : 'no expression' },
    };
  try {
    return { ok: true, expr: convert(expressions[0]!, text) };
  } catch (caught) {
    return { ok: false, error: { offset: 0, message: (caught as Error).message } };
  }
}

function describeError(text: string, offset: number): string {
  if (offset >= text.trimEnd().length) {
    const open = (text.match(/\(/g) ?? []).length - (text.match(/\)/g) ?? []).length;
    return `unexpected end of the expression${open > 0 ? ` (${open} parenthesis${open > 1 ? 'es' : ''} not closed)` : ''}`;
  }
  const near = text.slice(offset, offset + 20).split('\n')[0];
  return `unexpected "${near}"`;
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) out.push(child);
  return out;
}

function expressionChildren(node: SyntaxNode): SyntaxNode[] {
  return children(node).filter((child) => !NOT_EXPRESSIONS.has(child.name));
}

function convert(node: SyntaxNode, text: string): Expr {
  const source = text.slice(node.from, node.to);
  if (WRAPPERS.has(node.name)) {
    const inner = expressionChildren(node)[0];
    if (!inner) return { type: 'other', text: source, children: [] };
    const expr = convert(inner, text);
    if (node.name === 'OffsetExpr') {
      const offset = children(node).find((child) => child.name === 'OffsetDurationExpr');
      const seconds = offset ? signedDuration(text.slice(offset.from, offset.to)) : undefined;
      return seconds === undefined ? expr : withOffset(expr, seconds);
    }
    if (node.name === 'StepInvariantExpr') {
      const at = children(node).find((child) => child.name === 'NumberDurationLiteral');
      return at
        ? mapSelectors(expr, (s) => ({ ...s, pinnedAt: parseNumber(text.slice(at.from, at.to)) }))
        : expr;
    }
    if (node.name === 'MatrixSelector' || node.name === 'SubqueryExpr') {
      const duration = children(node).find((child) => child.name === 'DurationExpr');
      const seconds = duration ? signedDuration(text.slice(duration.from, duration.to)) : undefined;
      const widened =
        seconds === undefined
          ? expr
          : mapSelectors(expr, (s) => ({ ...s, windowSeconds: (s.windowSeconds ?? 0) + seconds }));
      if (widened.type === 'selector')
        return { ...widened, range: true, ...(seconds !== undefined ? { rangeSeconds: seconds } : {}) };
      return widened;
    }
    return expr;
  }
  switch (node.name) {
    case 'NumberDurationLiteral':
      return { type: 'number', value: parseNumber(source), text: source };
    case 'StringLiteral':
      return { type: 'string', value: unquote(source) };
    case 'VectorSelector':
      return selector(node, text);
    case 'UnaryExpr': {
      const op = children(node).find((child) => child.name === 'UnaryOp');
      const inner = expressionChildren(node)[0]!;
      return {
        type: 'unary',
        op: op && text.slice(op.from, op.to) === '-' ? '-' : '+',
        expr: convert(inner, text),
      };
    }
    case 'BinaryExpr': {
      const parts = children(node);
      const operator = parts.find((child) => child.name in OPERATOR_NODES);
      const operands = parts.filter((child) => !NOT_EXPRESSIONS.has(child.name));
      if (!operator || operands.length !== 2) return other(node, text);
      return {
        type: 'binary',
        op: OPERATOR_NODES[operator.name]!,
        bool: parts.some((child) => child.name === 'BoolModifier'),
        left: convert(operands[0]!, text),
        right: convert(operands[1]!, text),
      };
    }
    case 'FunctionCall': {
      const identifier = children(node).find((child) => child.name === 'FunctionIdentifier');
      const body = children(node).find((child) => child.name === 'FunctionCallBody');
      return {
        type: 'call',
        fn: identifier ? text.slice(identifier.from, identifier.to) : '',
        args: body ? expressionChildren(body).map((arg) => convert(arg, text)) : [],
      };
    }
    case 'AggregateExpr': {
      const op = children(node).find((child) => child.name === 'AggregateOp');
      const body = children(node).find((child) => child.name === 'FunctionCallBody');
      const args = body ? expressionChildren(body).map((arg) => convert(arg, text)) : [];
      const last = args[args.length - 1];
      if (!last) return other(node, text);
      const modifier = children(node).find((child) => child.name === 'AggregateModifier');
      const grouping = modifier
        ? {
            without: children(modifier).some((child) => child.name === 'Without'),
            labels: children(modifier)
              .filter((child) => child.name === 'GroupingLabels')
              .flatMap((list) => children(list))
              .filter((child) => child.name === 'LabelName' || child.name === 'QuotedLabelName')
              .map((child) =>
                child.name === 'QuotedLabelName'
                  ? unquote(text.slice(child.from, child.to))
                  : text.slice(child.from, child.to),
              ),
          }
        : undefined;
      return {
        type: 'aggregate',
        op: op ? text.slice(op.from, op.to) : '',
        ...(args.length > 1 ? { param: args[0] } : {}),
        body: last,
        ...(grouping ? { grouping } : {}),
      };
    }
    default:
      return other(node, text);
  }
}

/** `5m`, `-1h`, `30`: seconds; undefined for a duration expression (`5m * 2`). */
function signedDuration(written: string): number | undefined {
  const trimmed = written.trim();
  const negative = trimmed.startsWith('-');
  const body = trimmed.replace(/^[-+]/, '');
  if (!/^(\d+(?:\.\d+)?(ms|s|m|h|d|w|y)?)+$/.test(body)) return undefined;
  const seconds = parseNumber(body);
  if (!Number.isFinite(seconds)) return undefined;
  return negative ? -seconds : seconds;
}

type Selector = Extract<Expr, { type: 'selector' }>;

/** Adds an offset to every selector below (an offset on a subquery shifts all it reads). */
function withOffset(expr: Expr, seconds: number): Expr {
  return mapSelectors(expr, (s) => ({ ...s, offsetSeconds: (s.offsetSeconds ?? 0) + seconds }));
}

/** The tree with every selector replaced by what `change` makes of it. */
export function mapSelectors(expr: Expr, change: (selector: Selector) => Selector): Expr {
  const again = (inner: Expr) => mapSelectors(inner, change);
  switch (expr.type) {
    case 'selector':
      return change(expr);
    case 'call':
      return { ...expr, args: expr.args.map(again) };
    case 'aggregate':
      return { ...expr, ...(expr.param ? { param: again(expr.param) } : {}), body: again(expr.body) };
    case 'binary':
      return { ...expr, left: again(expr.left), right: again(expr.right) };
    case 'unary':
      return { ...expr, expr: again(expr.expr) };
    case 'other':
      return { ...expr, children: expr.children.map(again) };
    default:
      return expr;
  }
}

function other(node: SyntaxNode, text: string): Expr {
  return {
    type: 'other',
    text: text.slice(node.from, node.to),
    children: expressionChildren(node).map((child) => convert(child, text)),
  };
}

function selector(node: SyntaxNode, text: string): Expr {
  let name: string | undefined;
  let namePattern: string | undefined;
  const matchers: LabelMatcher[] = [];
  const identifier = children(node).find((child) => child.name === 'Identifier');
  if (identifier) name = text.slice(identifier.from, identifier.to);
  const list = children(node).find((child) => child.name === 'LabelMatchers');
  for (const matcher of list ? children(list) : []) {
    const parts = children(matcher);
    const at = (type: string) => parts.find((child) => child.name === type);
    const valueNode = parts.filter((child) => child.name === 'StringLiteral').pop();
    if (matcher.name === 'QuotedLabelName') {
      // {"my.metric"}: a quoted name alone is the metric name.
      name = unquote(text.slice(matcher.from, matcher.to));
      continue;
    }
    const labelNode = at('LabelName') ?? at('QuotedLabelName');
    const opNode = at('MatchOp');
    if (!labelNode || !opNode || !valueNode) continue;
    const label =
      labelNode.name === 'QuotedLabelName'
        ? unquote(text.slice(labelNode.from, labelNode.to))
        : text.slice(labelNode.from, labelNode.to);
    const op = text.slice(opNode.from, opNode.to) as MatchOp;
    const value = unquote(text.slice(valueNode.from, valueNode.to));
    if (label === '__name__') {
      if (op === '=') name = value;
      else if (op === '=~') namePattern = value;
      continue;
    }
    matchers.push({ label, op, value });
  }
  return {
    type: 'selector',
    ...(name !== undefined ? { name } : {}),
    ...(namePattern !== undefined ? { namePattern } : {}),
    matchers,
    range: false,
    from: node.from,
  };
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g;
const SECONDS: Record<string, number> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

/**
 * A PromQL number: decimal, hexadecimal, Inf, NaN — or a duration, which Prometheus 3 reads
 * as its seconds (`> 50ms` is `> 0.05`).
 */
export function parseNumber(text: string): number {
  const trimmed = text.trim();
  if (/^[+-]?inf$/i.test(trimmed)) return trimmed.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(trimmed)) return Number.NaN;
  if (/^0x[0-9a-f]+$/i.test(trimmed)) return Number.parseInt(trimmed, 16);
  if (/^(\d+(?:\.\d+)?(ms|s|m|h|d|w|y))+$/.test(trimmed)) {
    let seconds = 0;
    for (const [, amount, unit] of trimmed.matchAll(DURATION_PART))
      seconds += Number(amount) * SECONDS[unit!]!;
    return seconds;
  }
  return Number(trimmed.replace(/_/g, ''));
}

/** Prometheus durations as rule files write them (`for: 5m`, `1h30m`), in seconds; undefined if not one. */
export function parsePromDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(trimmed)) return undefined;
  return parseNumber(trimmed);
}

function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  const body = literal.slice(1, -1);
  return body.replace(/\\(.)/g, (_, char: string) =>
    char === 'n' ? '\n' : char === 't' ? '\t' : char === 'r' ? '\r' : char,
  );
}

/** Every selector in the tree. */
export function selectors(expr: Expr): Array<Extract<Expr, { type: 'selector' }>> {
  const out: Array<Extract<Expr, { type: 'selector' }>> = [];
  walk(expr, (node) => {
    if (node.type === 'selector') out.push(node);
  });
  return out;
}

/** Visits every node, parents first. */
export function walk(expr: Expr, visit: (node: Expr) => void): void {
  visit(expr);
  for (const child of childrenOf(expr)) walk(child, visit);
}

export function childrenOf(expr: Expr): Expr[] {
  switch (expr.type) {
    case 'call':
      return expr.args;
    case 'aggregate':
      return expr.param ? [expr.param, expr.body] : [expr.body];
    case 'binary':
      return [expr.left, expr.right];
    case 'unary':
      return [expr.expr];
    case 'other':
      return expr.children;
    default:
      return [];
  }
}

/** The value of an expression made only of numbers (`0.5`, `-1`, `50 / 1000`), else undefined. */
export function constantValue(expr: Expr): number | undefined {
  switch (expr.type) {
    case 'number':
      return expr.value;
    case 'unary': {
      const inner = constantValue(expr.expr);
      return inner === undefined ? undefined : expr.op === '-' ? -inner : inner;
    }
    case 'binary': {
      const left = constantValue(expr.left);
      const right = constantValue(expr.right);
      if (left === undefined || right === undefined) return undefined;
      switch (expr.op) {
        case '+':
          return left + right;
        case '-':
          return left - right;
        case '*':
          return left * right;
        case '/':
          return left / right;
        case '^':
          return left ** right;
        default:
          return undefined;
      }
    }
    default:
      return undefined;
  }
}

/** A short rendering of a tree, for messages. */
export function render(expr: Expr): string {
  switch (expr.type) {
    case 'number':
      return expr.text;
    case 'string':
      return JSON.stringify(expr.value);
    case 'selector': {
      const matchers = expr.matchers.map((m) => `${m.label}${m.op}${JSON.stringify(m.value)}`);
      if (expr.name === undefined && expr.namePattern !== undefined)
        matchers.unshift(`__name__=~${JSON.stringify(expr.namePattern)}`);
      return `${expr.name ?? ''}${matchers.length || expr.name === undefined ? `{${matchers.join(', ')}}` : ''}${expr.range ? '[…]' : ''}`;
    }
    case 'call':
      return `${expr.fn}(${expr.args.map(render).join(', ')})`;
    case 'aggregate':
      return `${expr.op}(${expr.param ? `${render(expr.param)}, ` : ''}${render(expr.body)})`;
    case 'binary':
      return `${render(expr.left)} ${expr.op}${expr.bool ? ' bool' : ''} ${render(expr.right)}`;
    case 'unary':
      return `${expr.op}${render(expr.expr)}`;
    case 'other':
      return expr.text;
  }
}
