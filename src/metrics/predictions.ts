/**
 * Reads a predictions table (CSV, TSV, JSONL, Parquet) and computes its metrics in one pass.
 * Rows that cannot be judged — wrong column count, a label or probability that is not a
 * number, NaN probabilities, probabilities that do not sum to 1, a label no probability
 * column belongs to — are collected with their line numbers and the evaluation fails: the
 * numbers are never computed over a guess.
 *
 * Which probability column belongs to which class:
 * - a glob ("prob_*", the default): by name — the part the * matches is the class (prob_7 is
 *   class 7), in whatever order the columns come;
 * - a list of two or more names: by position — the i-th listed column is the i-th class in
 *   sorted label order (scikit-learn's classes_, the order of predict_proba's columns). When
 *   the names themselves name the classes in another order ([prob_1, prob_0]) the list is
 *   refused rather than read against its names;
 * - one column: the probability of the class its glob names (prob_* matching only prob_1),
 *   else of the positive class; the labels are 0 and 1.
 * The positive class of two is by name too (see positiveClass), never a column's position.
 */
import { matchColumns, scanTable, type TableFormat, TableError, type TableRow } from '../data/table.js';
import { wantRankMetrics } from './catalog.js';
import { ClassIndex, ClassLabelError, positiveClass } from './classes.js';
import { ClassificationAccumulator, type ClassificationResult } from './classification.js';
import { GroupAccumulator, type GroupCounts, GroupError, groupKeyReader } from './fairness.js';
import { RankMetricsError } from './parallel-score-summary.js';
import { RegressionAccumulator, type RegressionResult } from './regression.js';

export type MetricsResult = ClassificationResult | RegressionResult;

export interface PredictionColumns {
  task?: 'classification' | 'regression';
  /** The true label / target column. */
  label?: string;
  /** The predicted class / value column. */
  pred?: string;
  /**
   * Probability columns: a glob ("prob_*": the * is the class) or a list of names, one per
   * class in sorted label order.
   */
  probs?: string | string[];
  /**
   * The positive class of two (precision, recall, F1, ROC AUC, average precision, Brier).
   * Default: the greater of two numeric labels, or the label true/yes/pos/positive.
   */
  positive?: string;
  /** Columns whose values define slices. */
  slices?: string[];
  /** Sensitive columns: per-group counts for fairness metrics (classification), same pass. */
  groups?: string[];
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
  /** performance.now() by which the evaluation must end (the check's timeout). */
  deadline?: number;
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
  /** Per-group counts, when `groups` was given. */
  groups?: GroupCounts;
}

export const LABEL_NAMES = ['label', 'y_true', 'target', 'true', 'y', 'truth', 'ground_truth'];
export const PRED_NAMES = ['pred', 'prediction', 'y_pred', 'predicted', 'yhat', 'y_hat', 'predicted_label'];
const MAX_LISTED = 20;
export const DEFAULT_PROBS = 'prob_*';

/** The column named `wanted`, else the first with a default name; -1 when optional and absent. */
export function resolveColumn(
  columns: string[],
  wanted: string | undefined,
  defaults: string[],
  what: 'label' | 'pred',
  required: boolean,
): number {
  if (wanted !== undefined) {
    const index = columns.indexOf(wanted);
    if (index === -1)
      throw new PredictionsError(`no column "${wanted}" (${what}); columns: ${columns.join(', ')}`);
    if (columns.indexOf(wanted, index + 1) !== -1)
      throw new PredictionsError(`the header has "${wanted}" more than once: which one is the ${what}?`);
    return index;
  }
  // Never by column order: two candidates (label and y_true, pred and prediction) are a question.
  const candidates = columns.filter((name) => defaults.includes(name.toLowerCase()));
  if (candidates.length > 1)
    throw new PredictionsError(
      `more than one column could be the ${what} (${candidates.map((name) => `"${name}"`).join(', ')}): name it with "${what}:"`,
    );
  const found = columns.findIndex((name) => defaults.includes(name.toLowerCase()));
  if (found === -1 && required) {
    throw new PredictionsError(`no ${what} column: name it with "${what}:"; columns: ${columns.join(', ')}`);
  }
  return found;
}

/** The probability columns a list or glob names, in the order given (a list) or the header's. */
export function probabilityColumns(columns: string[], patterns: string[]): string[] {
  return patterns.flatMap((pattern) => {
    const matched = matchColumns(columns, pattern);
    if (matched.length === 0)
      throw new PredictionsError(
        `no column matches "${pattern}" (probabilities); columns: ${columns.join(', ')}`,
      );
    return matched;
  });
}

/** `probs:` is a list of names: columns map to classes by position. */
export function isPositionalList(probs: PredictionColumns['probs']): probs is string[] {
  return Array.isArray(probs) && probs.length >= 2;
}

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
  let groups: GroupAccumulator | undefined;
  let groupKey: ((row: TableRow) => string) | undefined;
  let probs = new Float64Array(0);
  const keptY: number[] = [];
  const keptPredicted: number[] = [];
  let binaryScore = false;
  // One probability column: the class index it is the probability of.
  let scoreClass = 1;
  // probs given as a list: its columns are the classes in sorted label order.
  let listedClasses: string[] | undefined;

  const newAccumulator = (rank: boolean) =>
    task === 'regression'
      ? new RegressionAccumulator()
      : new ClassificationAccumulator({
          classes: classes!,
          probabilities: probColumns.length > 0,
          rankMetrics: rank,
          positive: options.positive,
          deadline: options.deadline,
        });
  let rank: Int32Array | undefined;

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
    if (isPositionalList(options.probs) && task === 'classification')
      listedClasses = await classesForList(path, format, options, signal);
    await scanTable(path, {
      format,
      signal,
      onHeader(columns, hints) {
        width = columns.length;
        labelColumn = resolveColumn(columns, options.label, LABEL_NAMES, 'label', true);
        const patterns =
          options.probs === undefined ? [] : Array.isArray(options.probs) ? options.probs : [options.probs];
        const probNames = probabilityColumns(columns, patterns);
        if (options.probs === undefined && task === 'classification')
          probNames.push(...matchColumns(columns, DEFAULT_PROBS));
        probColumns = probNames.map((name) => columns.indexOf(name));
        if (options.task === undefined && probColumns.length === 0) {
          // No probabilities and a numeric-looking target: the caller must say which task.
          task = 'classification';
        }
        predColumn = resolveColumn(
          columns,
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
        if (options.groups) {
          if (task === 'regression') throw new GroupError('groups: fairness metrics are for classification');
          groupKey = groupKeyReader(columns, options.groups);
          groups = new GroupAccumulator(options.groups);
        }
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
            scoreClass = singleColumnClass(probNames[0]!, patterns, options.positive);
          } else if (probNames.length > 1 && listedClasses) {
            classes = new ClassIndex(listedClasses, false);
          } else if (probNames.length > 1) {
            classes = new ClassIndex(
              classNamesFromColumns(probNames, patterns.length > 0 ? patterns : [DEFAULT_PROBS]),
              false,
            );
          } else {
            classes = new ClassIndex();
          }
          probs = new Float64Array(Math.max(2, probNames.length));
        }
        accumulator = newAccumulator(
          options.rankMetrics ?? wantRankMetrics(Math.max(2, probColumns.length), []),
        );
        hints.numeric(task === 'regression' ? [labelColumn, predColumn] : probColumns);
        if (task === 'classification' && probColumns.length > 0) rank = classes!.sortedRank();
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
            probs[scoreClass] = p;
            probs[1 - scoreClass] = 1 - p;
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
          // The most probable class; a tie goes to the class first in sorted order (numpy's argmax).
          predicted = 0;
          for (let j = 1; j < classes!.size; j++) {
            const p = probs[j]!;
            if (p > probs[predicted]! || (p === probs[predicted]! && rank![j]! < rank![predicted]!))
              predicted = j;
          }
        }
        (accumulator as ClassificationAccumulator).add(label, predicted, hasProbs ? probs : undefined);
        groups?.add(groupKey!(row), label, predicted);
        if (sliceKey !== undefined)
          (sliceFor(sliceKey, row) as ClassificationAccumulator | undefined)?.add(
            label,
            predicted,
            hasProbs ? probs : undefined,
          );
      },
    });
  } catch (error) {
    release();
    if (error instanceof PredictionsError) throw error;
    if (
      error instanceof TableError ||
      error instanceof ClassLabelError ||
      error instanceof GroupError ||
      error instanceof RankMetricsError
    )
      throw new PredictionsError(error.message);
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

  // The rank metrics' threads and spilled runs, when the evaluation ends without finishing.
  function release() {
    if (accumulator instanceof ClassificationAccumulator) accumulator.dispose();
  }

  if (badCount > 0) {
    release();
    throw new PredictionsError(
      `${badCount} row${badCount === 1 ? '' : 's'} cannot be judged (first: ${bad[0]!.where}: ${bad[0]!.problem})`,
      bad,
      badCount,
    );
  }
  try {
    if (!accumulator || accumulator.n === 0) throw new PredictionsError('the file has no data rows');
    const mixed = classes?.mixedTypes();
    if (mixed) {
      throw new PredictionsError(
        `labels mix numbers and text (e.g. ${mixed.number} and "${mixed.text}"): is a column shifted, or a header repeated? Classes seen: ${classes!.names.slice(0, 12).join(', ')}`,
      );
    }
    if (options.positive !== undefined && task === 'classification') {
      const names = classes!.sortedOrder().map((index) => classes!.names[index]!);
      // More than two classes: positive: means nothing. Fewer: no positive-class metric to refuse.
      if (names.length > 2)
        throw new PredictionsError(
          `positive: is for two classes, and there are ${names.length} (${names.slice(0, 12).join(', ')})`,
        );
      const found = positiveClass(names, options.positive);
      if (names.length === 2 && !found.found) throw new PredictionsError(found.problem);
    }
  } catch (error) {
    release();
    throw error;
  }
  let result: MetricsResult;
  try {
    result = accumulator.finish();
  } catch (error) {
    if (error instanceof RankMetricsError) throw new PredictionsError(error.message);
    throw error;
  }
  return {
    result,
    slices: [...sliceAccumulators]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, slice]) => ({ key, result: slice.finish() })),
    columns: resolved!,
    groups: groups?.finish(classes!.names),
    regressionRows: options.keepRegressionRows
      ? { y: Float64Array.from(keptY), predicted: Float64Array.from(keptPredicted) }
      : undefined,
  };
}

/**
 * The classes a list of probability columns stands for: the labels and predictions of the
 * table, in sorted order, one per listed column (a pass over the label and prediction
 * columns before the real one). Integer labels 0..K−1 with a class that never occurs are
 * the classes 0..K−1. A list whose names say other classes in another order is refused.
 */
async function classesForList(
  path: string,
  format: TableFormat,
  options: PredictionColumns,
  signal?: AbortSignal,
): Promise<string[]> {
  const listed = options.probs as string[];
  const seen = new ClassIndex();
  let probNames: string[] = [];
  let labelColumn = -1;
  let predColumn = -1;
  let width = 0;
  await scanTable(path, {
    format,
    signal,
    onHeader(columns) {
      width = columns.length;
      labelColumn = resolveColumn(columns, options.label, LABEL_NAMES, 'label', true);
      predColumn = resolveColumn(columns, options.pred, PRED_NAMES, 'pred', false);
      probNames = probabilityColumns(columns, listed);
    },
    onRow(row) {
      // Rows the real pass rejects are left to it, with their line numbers.
      if (row.fieldCount !== width) return;
      for (const column of [labelColumn, predColumn]) {
        if (column < 0) continue;
        const integer = row.integer(column);
        if (integer !== undefined) seen.ofInteger(integer);
        else if (row.text(column).trim() !== '' && !Number.isFinite(row.number(column)))
          seen.ofText(row.text(column));
      }
      // More classes than columns: no need to read on to refuse it.
      return seen.size <= probNames.length;
    },
  });
  const k = probNames.length;
  let classes = seen.sortedOrder().map((index) => seen.names[index]!);
  const shown = `probs lists ${k} columns (${probNames.join(', ')})`;
  if (classes.length < k && classes.every((name) => /^\d+$/.test(name) && Number(name) < k)) {
    classes = Array.from({ length: k }, (_, i) => String(i));
  } else if (classes.length !== k) {
    throw new PredictionsError(
      `${shown}, one per class in sorted label order, but the labels and predictions have ${classes.length}${seen.size > k ? ' or more' : ''} classes (${classes.slice(0, 12).join(', ')}): list one column per class, or name them with a glob such as "prob_*"`,
    );
  }
  // The names may say which class each column is: they must agree with the positions.
  const named = classNamesFromColumns(probNames, listed);
  const index = new ClassIndex(classes, false);
  if (named.every((name) => index.find(name) >= 0) && new Set(named.map((n) => index.find(n))).size === k) {
    const disagree = named.findIndex((name, i) => index.find(name) !== i);
    if (disagree !== -1) {
      throw new PredictionsError(
        `${shown}: a list maps to the classes by position, in sorted label order (${classes.join(', ')}), so ${probNames[disagree]} would be read as the probability of class ${classes[disagree]}, while its name says class ${named[disagree]}. List the columns in class order (${classes.map((c) => probNames[named.findIndex((n) => index.find(n) === index.find(c))]).join(', ')}), or use a glob such as "prob_*" to map them by name`,
      );
    }
  }
  return classes;
}

/**
 * The class index (0 or 1) a single probability column is for: the class its glob names
 * (prob_* matching only prob_0), else the positive class.
 */
export function singleColumnClass(column: string, patterns: string[], positive: string | undefined): number {
  const glob = patterns.length === 0 ? DEFAULT_PROBS : patterns.length === 1 ? patterns[0]! : undefined;
  if (glob?.includes('*')) {
    const named = classNamesFromColumns([column], [glob])[0]!;
    const byName = new ClassIndex(['0', '1'], false).find(named);
    if (byName >= 0) return byName;
  }
  if (positive === undefined) return 1;
  const found = positiveClass(['0', '1'], positive);
  if (!found.found)
    throw new PredictionsError(
      `with one probability column (${column}) the labels are 0 and 1, and positive: "${positive}" is not one of them`,
    );
  return found.index;
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
