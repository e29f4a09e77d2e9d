/**
 * What the predictions check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { tableFormatOf } from '../../data/table.js';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { formatNumber, meets, parseThreshold } from '../../util/threshold.js';
import { evaluateArrays } from '../../metrics/arrays.js';
import { evaluateSqlSource } from '../../metrics/sql-predictions.js';
import { readReported } from '../_shared/reported.js';
import { judge, outcomeOf } from '../../metrics/judge.js';
import {
  evaluatePredictions,
  type PredictionsEvaluation,
  PredictionsError,
} from '../../metrics/predictions.js';
import { groupColumns, judgeFairness } from '../../metrics/fairness.js';
import type { PredictionParams } from './check.js';

export async function run(ctx: CheckContext, params: PredictionParams): Promise<CheckOutcome> {
  let evaluation: PredictionsEvaluation;
  let shown: string;
  try {
    ({ evaluation, shown } = await evaluate(ctx, params, params));
  } catch (error) {
    if (error instanceof PredictionsError) return predictionsError(error);
    throw error;
  }
  const judgement = await judge(params, {
    result: evaluation.result,
    regressionRows: evaluation.regressionRows,
    readReported: (file, key) => readReported(ctx, file, key),
  });
  const extra: Evidence[] = [];

  if (params.compare) {
    try {
      const other = await evaluate(ctx, { ...params, ...params.compare, file: params.compare.file }, params);
      const rows: Array<Array<string | number | null>> = [];
      for (const [name, text] of Object.entries(params.compare.gaps)) {
        const mine = evaluation.result.metrics[name];
        const theirs = other.evaluation.result.metrics[name];
        if (mine === undefined || theirs === undefined || Number.isNaN(mine) || Number.isNaN(theirs)) {
          judgement.errors.push(`${name} was not computed for both sets`);
          continue;
        }
        const gap = Math.abs(mine - theirs);
        const ok = meets(gap, parseThreshold(text));
        (ok ? judgement.passes : judgement.failures).push(
          `${name} gap |${formatNumber(mine)} − ${formatNumber(theirs)} (${other.shown})| = ${formatNumber(gap)} ${ok ? 'meets' : 'fails'} ${text}`,
        );
        judgement.measured[`${name} gap`] = gap;
        judgement.threshold[`${name} gap`] = text;
        rows.push([name, mine, theirs, gap, text, ok ? 'pass' : 'fail']);
      }
      extra.push({
        type: 'table',
        title: `gap to ${other.shown}`,
        columns: ['metric', shown, other.shown, '|gap|', 'threshold', 'verdict'],
        rows,
      });
    } catch (error) {
      if (error instanceof PredictionsError)
        judgement.errors.push(`${params.compare.file}: ${error.message}`);
      else throw error;
    }
  }

  if (params.slices) {
    const rows: Array<Array<string | number | null>> = [];
    const names = Object.keys(params.slices.thresholds);
    let judged = 0;
    for (const slice of evaluation.slices) {
      if (slice.result.n < params.slices.min_size) {
        rows.push([
          slice.key,
          slice.result.n,
          ...names.map((name) => slice.result.metrics[name] ?? null),
          `too small (< ${params.slices.min_size} rows): not judged`,
        ]);
        continue;
      }
      judged++;
      const failing: string[] = [];
      for (const name of names) {
        const value = slice.result.metrics[name];
        const text = params.slices.thresholds[name]!;
        if (value === undefined || Number.isNaN(value) || !meets(value, parseThreshold(text))) {
          failing.push(`${name} = ${value === undefined ? 'n/a' : formatNumber(value)} fails ${text}`);
        }
      }
      if (failing.length > 0)
        judgement.failures.push(`slice "${slice.key}" (${slice.result.n} rows): ${failing.join(', ')}`);
      rows.push([
        slice.key,
        slice.result.n,
        ...names.map((name) => slice.result.metrics[name] ?? null),
        failing.length ? 'fail' : 'pass',
      ]);
    }
    if (judged === 0)
      judgement.errors.push(`no slice has at least ${params.slices.min_size} rows: nothing could be judged`);
    else if (!judgement.failures.some((f) => f.startsWith('slice ')))
      judgement.passes.push(`all ${judged} slices large enough to judge meet their thresholds`);
    judgement.measured.slices = evaluation.slices.length;
    judgement.measured['slices judged'] = judged;
    extra.push({
      type: 'table',
      title: `slices by ${evaluation.columns.slices.join(' / ')}`,
      columns: ['slice', 'rows', ...names, 'verdict'],
      rows,
    });
  }
  if (params.groups) {
    // The label or the prediction as the "group": each group is then one outcome, and parity is meaningless.
    const own = [evaluation.columns.label, evaluation.columns.pred].filter(Boolean);
    const clash = groupColumns(params.groups).filter((column) => own.includes(column));
    if (clash.length > 0)
      judgement.errors.push(
        `groups: ${clash.join(', ')} is the label or prediction column, not a group: name the sensitive column (e.g. sex, age_band)`,
      );
    else extra.push(...judgeFairness(judgement, evaluation.groups, evaluation.result, params.groups));
  }
  return outcomeOf(judgement, `${evaluation.result.n} rows of ${shown}, measured`, extra);
}

async function evaluate(
  ctx: CheckContext,
  params: PredictionParams & { file?: string },
  base: PredictionParams,
): Promise<{ evaluation: PredictionsEvaluation; shown: string }> {
  const keepRows =
    base.task === 'regression' && (base.confidence !== undefined || base.bootstrap !== undefined);
  if (params.arrays) {
    const entry = (path: string) => ({ path: ctx.resolve(path), shown: ctx.display(ctx.resolve(path)) });
    const { labels, preds, probs } = params.arrays;
    const evaluation = await evaluateArrays(
      {
        labels: entry(labels),
        preds: preds ? entry(preds) : undefined,
        probs: probs ? entry(probs) : undefined,
      },
      base.task,
      { probSumTolerance: base.prob_sum_tolerance, keepRegressionRows: keepRows, positive: base.positive },
    );
    return { evaluation, shown: ctx.display(ctx.resolve(labels)) };
  }
  if (params.source && params.file === undefined) {
    const evaluation = await evaluateSqlSource(
      params.source,
      {
        env: process.env,
        resolve: (p) => ctx.resolve(p),
        display: (p) => ctx.display(p),
        root: ctx.resolve('.'),
      },
      {
        label: params.label,
        pred: params.pred,
        probs: params.probs,
        task: base.task,
        positive: base.positive,
        slices: base.slices ? [base.slices.columns].flat() : undefined,
        probSumTolerance: base.prob_sum_tolerance,
      },
      ctx.signal,
    );
    return { evaluation, shown: evaluation.shown };
  }
  const path = ctx.resolve(params.file!);
  const shown = ctx.display(path);
  const format = params.format ?? tableFormatOf(path)!;
  try {
    const evaluation = await evaluatePredictions(
      path,
      format,
      {
        task: base.task,
        label: params.label,
        pred: params.pred,
        probs: params.probs,
        positive: base.positive,
        slices:
          base.slices && params === base
            ? Array.isArray(base.slices.columns)
              ? base.slices.columns
              : [base.slices.columns]
            : undefined,
        groups: base.groups && params === base ? groupColumns(base.groups) : undefined,
        probSumTolerance: base.prob_sum_tolerance,
        keepRegressionRows: keepRows,
        deadline: ctx.deadline,
      },
      ctx.signal,
    );
    return { evaluation, shown };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PredictionsError(`${shown} not found`);
    if (error instanceof PredictionsError) {
      throw new PredictionsError(`${shown}: ${error.message}`, error.badRows, error.badRowCount);
    }
    throw error;
  }
}

function predictionsError(error: PredictionsError): {
  status: 'error';
  summary: string;
  evidence: Evidence[];
} {
  return {
    status: 'error',
    summary: error.message,
    evidence: error.badRows.length
      ? [
          {
            type: 'table',
            title: `rows that cannot be judged (${error.badRowCount}${error.badRowCount > error.badRows.length ? `, first ${error.badRows.length} shown` : ''})`,
            columns: ['where', 'problem'],
            rows: error.badRows.map((row) => [row.where, row.problem]),
          },
        ]
      : [],
  };
}
