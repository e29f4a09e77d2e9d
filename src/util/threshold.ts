/**
 * The one threshold language every check uses, written the way people write them in
 * checklists and in k6: ">= 0.97", "< 100ms", "< 1%", "within 0.005 of 0.9722",
 * "between 0.9 and 1".
 *
 *   threshold := op quantity
 *              | "within" quantity "of" quantity
 *              | "between" quantity "and" quantity
 *   op        := ">=" | ">" | "<=" | "<" | "==" | "!="
 *   quantity  := number [unit]          units are given by the caller ("%" always works)
 *
 * "%" divides by 100: "< 1%" is 0.01. Each check states which units it accepts, so
 * "< 100ms" on a value measured in milliseconds means what it says.
 */

export type ComparisonOp = '>=' | '>' | '<=' | '<' | '==' | '!=';

export type Threshold =
  | { kind: 'compare'; op: ComparisonOp; value: number; text: string; percent: boolean }
  | { kind: 'within'; tolerance: number; target: number; text: string; percent: boolean }
  | { kind: 'between'; low: number; high: number; text: string; percent: boolean };

export type UnitTable = Readonly<Record<string, number>>;

const NUMBER = '[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?';
const UNIT = '[A-Za-z%µ/]+';
const QUANTITY = new RegExp(`^(${NUMBER})\\s*(${UNIT})?$`);

export class ThresholdSyntaxError extends Error {}

function parseQuantity(text: string, units: UnitTable): { value: number; percent: boolean } {
  const match = QUANTITY.exec(text.trim());
  if (!match) throw new ThresholdSyntaxError(`"${text.trim()}" is not a number`);
  const number = Number(match[1]);
  const unit = match[2];
  if (unit === undefined) return { value: number, percent: false };
  if (unit === '%') return { value: number / 100, percent: true };
  const factor = units[unit] ?? units[unit.toLowerCase()];
  if (factor === undefined) {
    const known = ['%', ...Object.keys(units)].join(', ');
    throw new ThresholdSyntaxError(`unknown unit "${unit}" in "${text.trim()}" (known: ${known})`);
  }
  return { value: number * factor, percent: false };
}

export function parseThreshold(text: string, units: UnitTable = {}): Threshold {
  const source = text.trim();
  const within = /^within\s+(.+?)\s+of\s+(.+)$/i.exec(source);
  if (within) {
    const tolerance = parseQuantity(within[1]!, units);
    const target = parseQuantity(within[2]!, units);
    if (tolerance.value < 0) throw new ThresholdSyntaxError('the tolerance of "within" must be >= 0');
    return {
      kind: 'within',
      tolerance: tolerance.value,
      target: target.value,
      text: source,
      percent: tolerance.percent || target.percent,
    };
  }
  const between = /^between\s+(.+?)\s+and\s+(.+)$/i.exec(source);
  if (between) {
    const low = parseQuantity(between[1]!, units);
    const high = parseQuantity(between[2]!, units);
    if (low.value > high.value) throw new ThresholdSyntaxError('"between A and B" needs A <= B');
    return {
      kind: 'between',
      low: low.value,
      high: high.value,
      text: source,
      percent: low.percent || high.percent,
    };
  }
  // "=> 0.97", "=< 5": the comparison written backwards.
  const backwards = /^(=>|=<)\s*(.+)$/.exec(source);
  if (backwards)
    throw new ThresholdSyntaxError(
      `"${source}": did you mean "${backwards[1] === '=>' ? '>=' : '<='} ${backwards[2]}"?`,
    );
  const compare = /^(>=|<=|==|!=|>|<|=)\s*(.+)$/.exec(source);
  if (compare) {
    const op = (compare[1] === '=' ? '==' : compare[1]) as ComparisonOp;
    const quantity = parseQuantity(compare[2]!, units);
    return { kind: 'compare', op, value: quantity.value, text: source, percent: quantity.percent };
  }
  throw new ThresholdSyntaxError(
    `cannot read threshold "${source}": write it as ">= 0.95", "< 100ms", "within 0.005 of 0.97" or "between 1 and 2"`,
  );
}

/** Whether a threshold text parses; the message when it does not. */
export function thresholdError(text: string, units: UnitTable = {}): string | undefined {
  try {
    parseThreshold(text, units);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export function compare(left: number, op: ComparisonOp, right: number): boolean {
  switch (op) {
    case '>=':
      return left >= right;
    case '>':
      return left > right;
    case '<=':
      return left <= right;
    case '<':
      return left < right;
    case '==':
      return left === right;
    case '!=':
      return left !== right;
  }
}

/** NaN never meets a threshold: a value that could not be measured cannot pass. */
export function meets(value: number, threshold: Threshold): boolean {
  if (Number.isNaN(value)) return false;
  switch (threshold.kind) {
    case 'compare':
      return compare(value, threshold.op, threshold.value);
    case 'within':
      return Math.abs(value - threshold.target) <= threshold.tolerance;
    case 'between':
      return value >= threshold.low && value <= threshold.high;
  }
}

const NEGATION: Record<ComparisonOp, ComparisonOp> = {
  '>=': '<',
  '>': '<=',
  '<=': '>',
  '<': '>=',
  '==': '!=',
  '!=': '==',
};

/** "0.9611 < 0.97" when failing, "0.9722 >= 0.97" when passing. */
export function describeComparison(
  value: number,
  threshold: Threshold,
  format: (n: number) => string = formatNumber,
): string {
  const ok = meets(value, threshold);
  switch (threshold.kind) {
    case 'compare': {
      const op = ok ? threshold.op : NEGATION[threshold.op];
      return `${format(value)} ${op} ${format(threshold.value)}`;
    }
    case 'within': {
      const distance = Math.abs(value - threshold.target);
      return `${format(value)} is ${format(distance)} from ${format(threshold.target)} (${ok ? 'within' : 'beyond'} ${format(threshold.tolerance)})`;
    }
    case 'between':
      return `${format(value)} ${ok ? 'is' : 'is not'} between ${format(threshold.low)} and ${format(threshold.high)}`;
  }
}

/** Enough digits to show why a comparison went the way it did, without float noise. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-4) return value.toExponential(4);
  return String(Number(value.toPrecision(6)));
}
