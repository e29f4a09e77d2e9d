/**
 * A small, safe expression language for checks over several values, e.g. the seed
 * checklists' val-test gap: `abs(val.accuracy - test.accuracy) < 0.05`.
 *
 *   expr    := or
 *   or      := and ("or" and)*
 *   and     := not ("and" not)*
 *   not     := "not" not | cmp
 *   cmp     := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
 *   sum     := product (("+" | "-") product)*
 *   product := unary (("*" | "/") unary)*
 *   unary   := "-" unary | primary
 *   primary := number | path | name "(" expr ("," expr)* ")" | "(" expr ")"
 *   path    := name ("." (name | digits) | "[" (digits | quoted) "]")*
 *
 * Functions: abs, min, max, sqrt, round(x[, digits]). Nothing else is callable: the text
 * comes from a spec file and is never handed to JavaScript.
 */

import { type ComparisonOp, compare, formatNumber } from './threshold.js';

export type PathSegment = string | number;

export type Expr =
  | { type: 'number'; value: number }
  | { type: 'path'; segments: PathSegment[]; text: string }
  | { type: 'call'; name: string; args: Expr[] }
  | { type: 'unary'; op: '-' | 'not'; operand: Expr }
  | { type: 'binary'; op: '+' | '-' | '*' | '/'; left: Expr; right: Expr }
  | { type: 'compare'; op: ComparisonOp; left: Expr; right: Expr }
  | { type: 'logical'; op: 'and' | 'or'; left: Expr; right: Expr };

export class ExprSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly column: number,
    readonly source: string,
  ) {
    super(`${reason} at column ${column + 1}`);
  }

  /** The line of the expression with the problem, and a caret under it. */
  get frame(): string {
    const start = this.source.lastIndexOf('\n', this.column - 1) + 1;
    const end = this.source.indexOf('\n', this.column);
    const line = this.source.slice(start, end === -1 ? undefined : end);
    return `${line}\n${' '.repeat(this.column - start)}^`;
  }
}

const FUNCTIONS: Record<string, { arity: [number, number]; fn: (...args: number[]) => number }> = {
  abs: { arity: [1, 1], fn: Math.abs },
  sqrt: { arity: [1, 1], fn: Math.sqrt },
  min: { arity: [1, 16], fn: Math.min },
  max: { arity: [1, 16], fn: Math.max },
  round: {
    arity: [1, 2],
    fn: (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits,
  },
};

type Token = { kind: 'num' | 'name' | 'op' | 'str' | 'end'; text: string; pos: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(<=|>=|==|!=|[-+*/()<>.,[\]]))/y;
  let index = 0;
  while (index < source.length) {
    if (/^\s*$/.test(source.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(source);
    if (!match) {
      const at = index + (source.slice(index).length - source.slice(index).trimStart().length);
      throw new ExprSyntaxError(`unexpected character "${source[at]}"`, at, source);
    }
    let text = match[1] ?? match[2] ?? match[3] ?? match[4]!;
    const pos = match.index + match[0].length - text.length;
    // Inside a path, "." separates keys: "per_class.0.f1" is not ".0" and not "0." + "f1".
    const previous = tokens[tokens.length - 1];
    const afterPathPart =
      previous !== undefined &&
      (previous.kind === 'name' ||
        (previous.kind === 'op' && previous.text === ']') ||
        (previous.kind === 'num' && tokens[tokens.length - 2]?.text === '.'));
    if (match[1]?.startsWith('.') && afterPathPart) {
      tokens.push({ kind: 'op', text: '.', pos });
      index = pos + 1;
      continue;
    }
    if (match[1] && previous?.kind === 'op' && previous.text === '.' && !/^\d+$/.test(text)) {
      text = /^\d+/.exec(text)![0];
      tokens.push({ kind: 'num', text, pos });
      index = pos + text.length;
      continue;
    }
    const kind = match[1] ? 'num' : match[2] ? 'name' : match[3] ? 'str' : 'op';
    tokens.push({ kind, text, pos });
    index = pattern.lastIndex;
  }
  tokens.push({ kind: 'end', text: '', pos: source.length });
  return tokens;
}

export function parseExpr(source: string): Expr {
  const tokens = tokenize(source);
  let i = 0;
  const peek = () => tokens[i]!;
  const next = () => tokens[i++]!;
  const fail = (message: string, token = peek()): never => {
    throw new ExprSyntaxError(message, token.pos, source);
  };
  const expectOp = (text: string) => {
    const token = next();
    if (token.kind !== 'op' || token.text !== text) fail(`expected "${text}"`, token);
  };
  const isWord = (word: string) => peek().kind === 'name' && peek().text === word;

  const parseOr = (): Expr => {
    let left = parseAnd();
    while (isWord('or')) {
      next();
      left = { type: 'logical', op: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Expr => {
    let left = parseNot();
    while (isWord('and')) {
      next();
      left = { type: 'logical', op: 'and', left, right: parseNot() };
    }
    return left;
  };
  const parseNot = (): Expr => {
    if (isWord('not')) {
      next();
      return { type: 'unary', op: 'not', operand: parseNot() };
    }
    return parseCompare();
  };
  const parseCompare = (): Expr => {
    const left = parseSum();
    const token = peek();
    if (token.kind === 'op' && ['<', '<=', '>', '>=', '==', '!='].includes(token.text)) {
      next();
      const right = parseSum();
      const after = peek();
      if (after.kind === 'op' && ['<', '<=', '>', '>=', '==', '!='].includes(after.text)) {
        fail('comparisons cannot be chained; join them with "and"', after);
      }
      return { type: 'compare', op: token.text as ComparisonOp, left, right };
    }
    return left;
  };
  const parseSum = (): Expr => {
    let left = parseProduct();
    while (peek().kind === 'op' && (peek().text === '+' || peek().text === '-')) {
      const op = next().text as '+' | '-';
      left = { type: 'binary', op, left, right: parseProduct() };
    }
    return left;
  };
  const parseProduct = (): Expr => {
    let left = parseUnary();
    while (peek().kind === 'op' && (peek().text === '*' || peek().text === '/')) {
      const op = next().text as '*' | '/';
      left = { type: 'binary', op, left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): Expr => {
    if (peek().kind === 'op' && peek().text === '-') {
      next();
      return { type: 'unary', op: '-', operand: parseUnary() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): Expr => {
    const token = next();
    if (token.kind === 'num') return { type: 'number', value: Number(token.text) };
    if (token.kind === 'op' && token.text === '(') {
      const inner = parseOr();
      expectOp(')');
      return inner;
    }
    if (token.kind === 'name') {
      if (peek().kind === 'op' && peek().text === '(') {
        const fn = FUNCTIONS[token.text];
        if (!fn)
          fail(`unknown function "${token.text}" (known: ${Object.keys(FUNCTIONS).join(', ')})`, token);
        next();
        const args = [parseOr()];
        while (peek().kind === 'op' && peek().text === ',') {
          next();
          args.push(parseOr());
        }
        expectOp(')');
        const [least, most] = fn!.arity;
        if (args.length < least || args.length > most) {
          fail(`${token.text}() takes ${least === most ? least : `${least} to ${most}`} argument(s)`, token);
        }
        return { type: 'call', name: token.text, args };
      }
      const segments: PathSegment[] = [token.text];
      let end = token.pos + token.text.length;
      for (;;) {
        const t = peek();
        if (t.kind === 'op' && t.text === '.') {
          next();
          const part = next();
          if (part.kind === 'name') segments.push(part.text);
          else if (part.kind === 'num' && /^\d+$/.test(part.text)) segments.push(Number(part.text));
          else fail('expected a key name after "."', part);
          end = part.pos + part.text.length;
        } else if (t.kind === 'op' && t.text === '[') {
          next();
          const part = next();
          if (part.kind === 'num' && /^\d+$/.test(part.text)) segments.push(Number(part.text));
          else if (part.kind === 'str')
            segments.push(JSON.parse(`"${part.text.slice(1, -1).replace(/"/g, '\\"')}"`) as string);
          else fail('expected an index or a quoted key inside [ ]', part);
          const close = next();
          if (close.kind !== 'op' || close.text !== ']') fail('expected "]"', close);
          end = close.pos + 1;
        } else break;
      }
      return { type: 'path', segments, text: source.slice(token.pos, end) };
    }
    if (token.kind === 'end') return fail('unexpected end of expression', token);
    return fail(`unexpected "${token.text}"`, token);
  };

  const expr = parseOr();
  if (peek().kind !== 'end') fail(`unexpected "${peek().text}"`);
  return expr;
}

/** Every value path the expression reads, in order of first use. */
export function exprPaths(expr: Expr): Array<{ segments: PathSegment[]; text: string }> {
  const seen = new Map<string, { segments: PathSegment[]; text: string }>();
  const walk = (e: Expr) => {
    switch (e.type) {
      case 'path':
        if (!seen.has(e.text)) seen.set(e.text, e);
        break;
      case 'call':
        e.args.forEach(walk);
        break;
      case 'unary':
        walk(e.operand);
        break;
      case 'binary':
      case 'compare':
      case 'logical':
        walk(e.left);
        walk(e.right);
        break;
      case 'number':
        break;
    }
  };
  walk(expr);
  return [...seen.values()];
}

export type ExprValue = number | boolean;

/** One comparison as evaluated, for the evidence: "abs(val.accuracy - test.accuracy) = 0.0035 < 0.05". */
export interface ComparisonTrace {
  text: string;
  /** The left side, shortened for summaries. */
  leftText: string;
  left: number;
  op: ComparisonOp;
  right: number;
  holds: boolean;
}

export function evaluateExpr(
  expr: Expr,
  lookup: (path: { segments: PathSegment[]; text: string }) => number,
  source: string,
  traces: ComparisonTrace[] = [],
): ExprValue {
  const num = (e: Expr): number => {
    const value = evaluateExpr(e, lookup, source, traces);
    if (typeof value !== 'number')
      throw new Error(`a comparison was used where a number is needed in: ${source}`);
    return value;
  };
  const bool = (e: Expr): boolean => {
    const value = evaluateExpr(e, lookup, source, traces);
    if (typeof value !== 'boolean')
      throw new Error(`a number was used where a comparison is needed in: ${source}`);
    return value;
  };
  switch (expr.type) {
    case 'number':
      return expr.value;
    case 'path':
      return lookup(expr);
    case 'call':
      return FUNCTIONS[expr.name]!.fn(...expr.args.map(num));
    case 'unary':
      return expr.op === '-' ? -num(expr.operand) : !bool(expr.operand);
    case 'binary': {
      const left = num(expr.left);
      const right = num(expr.right);
      switch (expr.op) {
        case '+':
          return left + right;
        case '-':
          return left - right;
        case '*':
          return left * right;
        case '/':
          return left / right;
      }
      break;
    }
    case 'compare': {
      const left = num(expr.left);
      const right = num(expr.right);
      const holds = !Number.isNaN(left) && !Number.isNaN(right) && compare(left, expr.op, right);
      traces.push({
        text: exprText(expr),
        leftText: exprText(expr.left, true),
        left,
        op: expr.op,
        right,
        holds,
      });
      return holds;
    }
    case 'logical':
      // Both sides are always evaluated so the evidence shows every comparison.
      if (expr.op === 'and') {
        const left = bool(expr.left);
        const right = bool(expr.right);
        return left && right;
      } else {
        const left = bool(expr.left);
        const right = bool(expr.right);
        return left || right;
      }
  }
  throw new Error('unreachable');
}

/**
 * The expression written back as text (normalised spacing). `brief` shortens long argument
 * lists — "min(test.per_class.0.f1, … 10 values)" — for one-line summaries.
 */
export function exprText(expr: Expr, brief = false): string {
  const text = (e: Expr) => exprText(e, brief);
  switch (expr.type) {
    case 'number':
      return formatNumber(expr.value);
    case 'path':
      return expr.text;
    case 'call':
      if (brief && expr.args.length > 3)
        return `${expr.name}(${text(expr.args[0]!)}, … ${expr.args.length} values)`;
      return `${expr.name}(${expr.args.map(text).join(', ')})`;
    case 'unary':
      return expr.op === '-' ? `-${text(expr.operand)}` : `not ${text(expr.operand)}`;
    case 'binary': {
      const wrap = (e: Expr) =>
        e.type === 'binary' && (expr.op === '*' || expr.op === '/') && (e.op === '+' || e.op === '-')
          ? `(${text(e)})`
          : text(e);
      return `${wrap(expr.left)} ${expr.op} ${wrap(expr.right)}`;
    }
    case 'compare':
      return `${text(expr.left)} ${expr.op} ${text(expr.right)}`;
    case 'logical':
      return `${text(expr.left)} ${expr.op} ${text(expr.right)}`;
  }
}
