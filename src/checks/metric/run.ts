/**
 * What the metric check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { type ComparisonTrace, evaluateExpr, exprPaths, parseExpr } from '../../util/expr.js';
import { describeComparison, formatNumber, meets, parseThreshold } from '../../util/threshold.js';
import {
  type Format,
  formatFromPath,
  LookupError,
  MetricSource,
  parseKey,
  type RowSelector,
} from '../../data/value-source.js';
import type { MetricParams } from './check.js';

export async function run(ctx: CheckContext, params: MetricParams): Promise<CheckOutcome> {
  const defaultRow: RowSelector = params.row ?? 'last';
  const open = (path: string, format: Format | undefined, row: RowSelector | undefined) => {
    const absolute = ctx.resolve(path);
    return MetricSource.open(
      absolute,
      ctx.display(absolute),
      (format ?? params.format ?? formatFromPath(path))!,
      row ?? defaultRow,
    );
  };
  try {
    if (params.assert === undefined) {
      const source = await open(params.file!, undefined, undefined);
      const key = params.key!;
      const read = source.read(parseKey(key), key);
      const threshold = parseThreshold(params.expect!);
      if (threshold.percent && Math.abs(read.value) > 1) {
        return {
          status: 'error',
          summary: `${key} is ${formatNumber(read.value)} but the threshold "${params.expect}" is a percentage (${formatNumber(threshold.kind === 'compare' ? threshold.value : 0)} as a fraction): if ${source.shown} stores percentages, write the threshold without "%"`,
          source: 'reported',
          measured: { [key]: read.value },
        };
      }
      const ok = meets(read.value, threshold);
      return {
        status: ok ? 'pass' : 'fail',
        summary: `${key} = ${describeComparison(read.value, threshold)} (reported in ${source.shown}${read.line ? `:${read.line}` : ''})`,
        source: 'reported',
        measured: { [key]: read.value },
        threshold: { [key]: params.expect! },
        evidence: [valueEvidence(source.shown, key, read)],
      };
    }

    const expr = parseExpr(params.assert);
    const evidence: Evidence[] = [];
    const measured: Record<string, number> = {};
    let resolveValue: (
      segments: Array<string | number>,
      text: string,
    ) => { value: number; shown: string; line?: number; excerpt?: string };
    if (params.file !== undefined) {
      const source = await open(params.file, undefined, undefined);
      resolveValue = (segments, text) => ({
        ...source.read(segments, text),
        shown: source.shown,
      });
    } else {
      const sources = new Map<string, MetricSource>();
      for (const [name, ref] of Object.entries(params.files!)) {
        sources.set(
          name,
          typeof ref === 'string'
            ? await open(ref, undefined, undefined)
            : await open(ref.path, ref.format, ref.row),
        );
      }
      resolveValue = (segments, text) => {
        const [name, ...rest] = segments;
        const source = sources.get(String(name));
        if (!source) {
          throw new LookupError(`"${text}" must start with a file name: ${[...sources.keys()].join(', ')}`);
        }
        return { ...source.read(rest, text), shown: source.shown };
      };
    }
    // Read every value first so a missing one is reported before any arithmetic.
    const values = new Map<string, number>();
    for (const path of exprPaths(expr)) {
      const read = resolveValue(path.segments, path.text);
      values.set(path.text, read.value);
      measured[path.text] = read.value;
      evidence.push(valueEvidence(read.shown, path.text, read));
    }
    const traces: ComparisonTrace[] = [];
    const holds = evaluateExpr(expr, (path) => values.get(path.text)!, params.assert, traces);
    const explained = traces
      .map(
        (t) =>
          `${t.leftText} = ${formatNumber(t.left)}${decidingValue(t, values)} ${t.holds ? t.op : negate(t.op)} ${formatNumber(t.right)}`,
      )
      .join('; ');
    evidence.unshift({
      type: 'text',
      title: 'evaluation',
      text: traces
        .map((t) => `${t.text}: ${formatNumber(t.left)} ${t.op} ${formatNumber(t.right)} → ${t.holds}`)
        .join('\n'),
    });
    return {
      status: holds === true ? 'pass' : 'fail',
      summary: `${explained} (reported values)`,
      source: 'reported',
      measured,
      threshold: { assert: params.assert },
      evidence,
    };
  } catch (error) {
    if (error instanceof LookupError) return { status: 'error', summary: error.message };
    throw error;
  }
}

/** For min(...)/max(...) over values, which value it was: " (test.per_class.8.f1)". */
function decidingValue(trace: ComparisonTrace, values: Map<string, number>): string {
  const match = /^(min|max)\(/.exec(trace.leftText);
  if (!match) return '';
  const names = [...values].filter(([, value]) => value === trace.left).map(([name]) => name);
  return names.length === 1 ? ` (${names[0]})` : '';
}

function negate(op: string): string {
  return (
    ({ '>=': '<', '>': '<=', '<=': '>', '<': '>=', '==': '!=', '!=': '==' } as Record<string, string>)[op] ??
    op
  );
}

function valueEvidence(
  shown: string,
  key: string,
  read: { value: number; line?: number; excerpt?: string },
): Evidence {
  return {
    type: 'location',
    path: shown,
    ...(read.line ? { line: read.line } : {}),
    ...(read.excerpt ? { excerpt: read.excerpt } : {}),
    note: `${key} = ${formatNumber(read.value)} (reported)`,
  };
}
