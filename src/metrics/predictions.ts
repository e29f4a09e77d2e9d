/**
 * Reads a predictions table (CSV, TSV, JSONL, Parquet) and computes its metrics in one pass.
 * Rows that cannot be judged — wrong column count, a label or probability that is not a
 * number, NaN probabilities, probabilities that do not sum to 1, a label no probability
 * column belongs to — are collected with their line numbers and the evaluation fails: the
 * numbers are never computed over a guess.
 */
import { matchColumns, scanTable, type TableFormat, TableError, type TableRow } from '../data/table.js';
import { wantRankMetrics } from './catalog.js';
import { ClassIndex } from './classes.js';
import { ClassificationAccumulator, type ClassificationResult } from './classification.js';
import { RegressionAccumulator, type RegressionResult } from './regression.js';

export type MetricsResult = ClassificationResult | RegressionResult;

export interface PredictionColumns {
  task?: 'classification' | 'regression';
  /** The true label / target column. */
  label?: string;
  /** The predicted class / value column. */
  pred?: string;
  /** Probability columns: a glob ("prob_*") or names, one per class in class order. */
  probs?: string | string[];
  /** Columns whose values define slices. */
  slices?: string[];
  /** Largest allowed |sum of probabilities - 1| per row. */
  probSumTolerance?: number;
  /**
   * Compute ROC AUC and average precision (keeps scores, spilling to disk when large).
   * Default: when there are at most RANK_METRICS_MAX_CLASSES classes.
   */
  rankMetrics?: boolean;
  /** Keep (y, ŷ) of regression rows for a row bootstrap. */
  keepRegressionRows?: boolean;
  /** Most distinct slice values before the column is taken for an id column. */
  maxSlices?: number;
}

export interface BadRow {
  where: string;
  problem: string;
}

export class PredictionsError extends Error {
  constructor(
    message: string,
    readonly badRows: BadRow[] = [],
    readonly badRowCount = 0,
  ) {
    super(message);
  }
}

export interface SliceResult {
  key: string;
  result: MetricsResult;
}

export interface PredictionsEvaluation {
  result: MetricsResult;
  slices: SliceResult[];
  columns: { label: string; pred?: string; probs: string[]; slices: string[] };
  /** Kept regression rows, for the row bootstrap. */
  regressionRows?: { y: Float64Array; predicted: Float64Array };
}

const LABEL_NAMES = ['label', 'y_true', 'target', 'true', 'y', 'truth', 'ground_truth'];
const PRED_NAMES = ['pred', 'prediction', 'y_pred', 'predicted', 'yhat', 'y_hat', 'predicted_label'];
const MAX_LISTED = 20;

export async function evaluatePredictions(
  path: string,
  format: TableFormat,
  options: PredictionColumns,
  signal?: AbortSignal,
): Promise<PredictionsEvaluation> {
  const bad: BadRow[] = [];
  let badCount = 0;
  const reject = (row: TableRow, problem: string) => {
    badCount++;
    if (bad.length < MAX_LISTED) bad.push({ where: row.where(), problem });
  };
  const tolerance = options.probSumTolerance ?? 1e-3;
  let width = 0;
  let labelColumn = -1;
  let predColumn = -1;
  let probColumns: number[] = [];
  let sliceColumns: number[] = [];
  let resolved: PredictionsEvaluation['columns'] | undefined;
  let task: 'classification' | 'regression' = options.task ?? 'classification';
  let classes: ClassIndex | undefined;
  let accumulator: ClassificationAccumulator | RegressionAccumulator | undefined;
  const sliceAccumulators = new Map<string, ClassificationAccumulator | RegressionAccumulator>();
  let probs = new Float64Array(0);
  const keptY: number[] = [];
  const keptPredicted: number[] = [];
  let binaryScore = false;

  const newAccumulator = (rank: boolean) =>
    task === 'regression'
      ? new RegressionAccumulator()
      : new ClassificationAccumulator({
          classes: classes!,
          probabilities: probColumns.length > 0,
          rankMetrics: rank,
        });

  // -2: empty; -3: a non-integer number (a regression target read as a class).
  const classOf = (row: TableRow, column: number): number => {
    const integer = row.integer(column);
    if (integer !== undefined) return classes!.ofInteger(integer);
    const text = row.text(column);
    if (text.trim() === '') return -2;
    if (Number.isFinite(row.number(column))) return -3;
    return classes!.ofText(text);
  };
  const notAClass = (row: TableRow, column: number, what: string) =>
    reject(
      row,
      `${what} "${row.text(column)}" is a non-integer number, not a class: for a regression target set task: regression`,
    );

  try {
    await scanTable(path, {
      format,
      signal,
      onHeader(columns, hints) {
        width = columns.length;
        const pick = (
          wanted: string | undefined,
          defaults: string[],
          what: string,
          required: boolean,
        ): number => {
          if (wanted !== undefined) {
            const index = columns.indexOf(wanted);
            if (index === -1)
              throw new PredictionsError(`no column "${wanted}" (${what}); columns: ${columns.join(', ')}`);
            return index;
          }
          const found = columns.findIndex((name) => defaults.includes(name.toLowerCase()));
          if (found === -1 && required) {
            throw new PredictionsError(
              `no ${what} column: name it with "${what === 'label' ? 'label' : 'pred'}:"; columns: ${columns.join(', ')}`,
            );
          }
          return found;
        };
        labelColumn = pick(options.label, LABEL_NAMES, 'label', true);
        const patterns =
          options.probs === undefined ? [] : Array.isArray(options.probs) ? options.probs : [options.probs];
        const probNames = patterns.flatMap((pattern) => {
          const matched = matchColumns(columns, pattern);
          if (matched.length === 0)
            throw new PredictionsError(
              `no column matches "${pattern}" (probabilities); columns: ${columns.join(', ')}`,
            );
          return matched;
        });
        if (options.probs === undefined && task === 'classification')
          probNames.push(...matchColumns(columns, 'prob_*'));
        probColumns = probNames.map((name) => columns.indexOf(name));
        if (options.task === undefined && probColumns.length === 0) {
          // No probabilities and a numeric-looking target: the caller must say which task.
          task = 'classification';
        }
        predColumn = pick(
          options.pred,
          PRED_NAMES,
          'pred',
          task === 'regression' || probColumns.length === 0,
        );
        sliceColumns = (options.slices ?? []).map((name) => {
          const index = columns.indexOf(name);
          if (index === -1)
            throw new PredictionsError(`no column "${name}" (slice); columns: ${columns.join(', ')}`);
          return index;
        });
        resolved = {
          label: columns[labelColumn]!,
          pred: predColumn >= 0 ? columns[predColumn] : undefined,
          probs: probNames,
          slices: sliceColumns.map((index) => columns[index]!),
        };
        if (task === 'classification') {
          if (probNames.length === 1) {
            binaryScore = true;
            classes = new ClassIndex(['0', '1'], false);
          } else if (probNames.length > 1) {
            classes = new ClassIndex(classNamesFromColumns(probNames, patterns), false);
          } else {
            classes = new ClassIndex();
          }
          probs = new Float64Array(Math.max(2, probNames.length));
        }
        accumulator = newAccumulator(
          options.rankMetrics ?? wantRankMetrics(Math.max(2, probColumns.length), []),
        );
        hints.numeric(task === 'regression' ? [labelColumn, predColumn] : probColumns);
      },
      onRow(row) {
        if (row.fieldCount !== width) {
          reject(row, `has ${row.fieldCount} fields, the header has ${width}`);
          return;
        }
        let sliceKey: string | undefined;
        if (sliceColumns.length > 0)
          sliceKey = sliceColumns.map((index) => row.text(index).trim()).join(' / ');
        if (task === 'regression') {
          const y = row.number(labelColumn);
          const predicted = row.number(predColumn);
          if (!Number.isFinite(y)) return reject(row, `target "${row.text(labelColumn)}" is not a number`);
          if (!Number.isFinite(predicted))
            return reject(row, `prediction "${row.text(predColumn)}" is not a number`);
          (accumulator as RegressionAccumulator).add(y, predicted);
          if (options.keepRegressionRows) {
            keptY.push(y);
            keptPredicted.push(predicted);
          }
          if (sliceKey !== undefined)
            (sliceFor(sliceKey, row) as RegressionAccumulator | undefined)?.add(y, predicted);
          return;
        }
        const label = classOf(row, labelColumn);
        if (label === -2) return reject(row, 'the label is empty');
        if (label === -3) return notAClass(row, labelColumn, 'label');
        if (label === -1)
          return reject(
            row,
            `label "${row.text(labelColumn)}" is not one of the classes (${classes!.names.join(', ')})`,
          );
        let hasProbs = false;
        if (probColumns.length > 0) {
          hasProbs = true;
          let sum = 0;
          if (binaryScore) {
            const p = row.number(probColumns[0]!);
            if (Number.isNaN(p))
              return reject(row, `probability "${row.text(probColumns[0]!)}" is not a number`);
            if (p < 0 || p > 1) return reject(row, `probability ${p} is outside [0, 1]`);
            probs[0] = 1 - p;
            probs[1] = p;
          } else {
            for (let j = 0; j < probColumns.length; j++) {
              const p = row.number(probColumns[j]!);
              if (Number.isNaN(p))
                return reject(
                  row,
                  `probability ${resolved!.probs[j]} "${row.text(probColumns[j]!)}" is not a number`,
                );
              if (p < 0 || p > 1 + tolerance)
                return reject(row, `probability ${resolved!.probs[j]} = ${p} is outside [0, 1]`);
              probs[j] = p;
              sum += p;
            }
            if (Math.abs(sum - 1) > tolerance) {
              return reject(
                row,
                `probabilities sum to ${sum.toPrecision(8)}, not 1 (tolerance ${tolerance}); are these logits? apply softmax first`,
              );
            }
          }
        }
        let predicted: number;
        if (predColumn >= 0) {
          predicted = classOf(row, predColumn);
          if (predicted === -2) return reject(row, 'the prediction is empty');
          if (predicted === -3) return notAClass(row, predColumn, 'prediction');
          if (predicted === -1)
            return reject(
              row,
              `prediction "${row.text(predColumn)}" is not one of the classes (${classes!.names.join(', ')})`,
            );
        } else {
          predicted = 0;
          for (let j = 1; j < classes!.size; j++) if (probs[j]! > probs[predicted]!) predicted = j;
        }
        (accumulator as ClassificationAccumulator).add(label, predicted, hasProbs ? probs : undefined);
        if (sliceKey !== undefined)
          (sliceFor(sliceKey, row) as ClassificationAccumulator | undefined)?.add(
            label,
            predicted,
            hasProbs ? probs : undefined,
          );
      },
    });
  } catch (error) {
    if (error instanceof PredictionsError) throw error;
    if (error instanceof TableError) throw new PredictionsError(error.message);
    if (error instanceof Error && /^line \d+:/.test(error.message)) throw new PredictionsError(error.message);
    throw error;
  }

  function sliceFor(key: string, row: TableRow) {
    let slice = sliceAccumulators.get(key);
    if (!slice) {
      if (sliceAccumulators.size >= (options.maxSlices ?? 1000)) {
        reject(
          row,
          `more than ${options.maxSlices ?? 1000} distinct slice values: is the slice column an id?`,
        );
        return undefined;
      }
      slice = newAccumulator(false);
      sliceAccumulators.set(key, slice);
    }
    return slice;
  }

  if (badCount > 0) {
    throw new PredictionsError(
      `${badCount} row${badCount === 1 ? '' : 's'} cannot be judged (first: ${bad[0]!.where}: ${bad[0]!.problem})`,
      bad,
      badCount,
    );
  }
  if (!accumulator || accumulator.n === 0) throw new PredictionsError('the file has no data rows');
  const mixed = classes?.mixedTypes();
  if (mixed) {
    throw new PredictionsError(
      `labels mix numbers and text (e.g. ${mixed.number} and "${mixed.text}"): is a column shifted, or a header repeated? Classes seen: ${classes!.names.slice(0, 12).join(', ')}`,
    );
  }
  return {
    result: accumulator.finish(),
    slices: [...sliceAccumulators]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, slice]) => ({ key, result: slice.finish() })),
    columns: resolved!,
    regressionRows: options.keepRegressionRows
      ? { y: Float64Array.from(keptY), predicted: Float64Array.from(keptPredicted) }
      : undefined,
  };
}

/** "prob_7" -> "7" for pattern "prob_*"; otherwise the names without their common prefix. */
export function classNamesFromColumns(columns: string[], patterns: string[]): string[] {
  if (patterns.length === 1 && patterns[0]!.includes('*')) {
    const [prefix, suffix] = patterns[0]!.split('*') as [string, string];
    return columns.map((name) => name.slice(prefix.length, name.length - suffix.length));
  }
  let prefix = columns[0]!;
  for (const name of columns) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return columns.map((name) => name.slice(prefix.length) || name);
}
