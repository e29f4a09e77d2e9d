/**
 * Predictions given as NumPy arrays: labels (N), and predicted labels (N) and/or
 * probabilities (N×K) — or, for regression, targets and predictions (N). Classes are the
 * integers 0..K-1 when probabilities are given: column j is class j (scikit-learn's
 * predict_proba for labels 0..K-1). The positive class of two is 1 unless `positive` says.
 */
import { iterateNpy, type NpyInfo, openNpy } from '../data/npy.js';
import { wantRankMetrics } from './catalog.js';
import { ClassIndex, positiveClass } from './classes.js';
import { ClassificationAccumulator } from './classification.js';
import { type PredictionsEvaluation, PredictionsError } from './predictions.js';
import { RegressionAccumulator } from './regression.js';

export interface ArrayPaths {
  labels: { path: string; shown: string };
  preds?: { path: string; shown: string };
  probs?: { path: string; shown: string };
}

export async function evaluateArrays(
  paths: ArrayPaths,
  task: 'classification' | 'regression',
  options: {
    probSumTolerance?: number;
    keepRegressionRows?: boolean;
    rankMetrics?: boolean;
    /** The positive class of two (default: the greater label). */
    positive?: string;
  } = {},
): Promise<PredictionsEvaluation> {
  const open = (entry: { path: string; shown: string }) => {
    try {
      return openNpy(entry.path, entry.shown);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new PredictionsError(code === 'ENOENT' ? `${entry.shown} not found` : (error as Error).message);
    }
  };
  const labels = open(paths.labels);
  const preds = paths.preds ? open(paths.preds) : undefined;
  const probs = paths.probs ? open(paths.probs) : undefined;
  for (const [info, shown] of [
    [preds, paths.preds?.shown],
    [probs, paths.probs?.shown],
  ] as Array<[NpyInfo | undefined, string]>) {
    if (info && info.rows !== labels.rows) {
      throw new PredictionsError(`${shown} has ${info.rows} rows, ${paths.labels.shown} has ${labels.rows}`);
    }
  }
  if (labels.rowSize !== 1)
    throw new PredictionsError(
      `${paths.labels.shown} must be one value per row, it has shape ${JSON.stringify(labels.shape)}`,
    );

  if (task === 'regression') {
    if (!preds) throw new PredictionsError('regression arrays need "preds" (the predicted values)');
    const accumulator = new RegressionAccumulator();
    const ys: number[] = [];
    const ps: number[] = [];
    const y = iterateNpy(labels);
    for await (const chunk of iterateNpy(preds)) {
      const truth = (await y.next()).value!;
      for (let i = 0; i < chunk.rows; i++) {
        const target = truth.values[i]!;
        const predicted = chunk.values[i * preds.rowSize]!;
        if (!Number.isFinite(target) || !Number.isFinite(predicted)) {
          throw new PredictionsError(
            `row ${chunk.start + i}: target ${target}, prediction ${predicted}: not finite`,
          );
        }
        accumulator.add(target, predicted);
        if (options.keepRegressionRows) {
          ys.push(target);
          ps.push(predicted);
        }
      }
    }
    return {
      result: accumulator.finish(),
      slices: [],
      columns: { label: paths.labels.shown, pred: paths.preds?.shown, probs: [], slices: [] },
      regressionRows: options.keepRegressionRows
        ? { y: Float64Array.from(ys), predicted: Float64Array.from(ps) }
        : undefined,
    };
  }

  if (!preds && !probs) throw new PredictionsError('classification arrays need "preds" or "probs"');
  const k = probs?.rowSize ?? 0;
  const classes = probs
    ? new ClassIndex(
        Array.from({ length: k }, (_, i) => String(i)),
        false,
      )
    : new ClassIndex();
  const accumulator = new ClassificationAccumulator({
    classes,
    probabilities: Boolean(probs),
    rankMetrics: options.rankMetrics ?? wantRankMetrics(Math.max(2, k), []),
    positive: options.positive,
  });
  const tolerance = options.probSumTolerance ?? 1e-3;
  const labelChunks = iterateNpy(labels);
  const predChunks = preds ? iterateNpy(preds) : undefined;
  const probChunks = probs ? iterateNpy(probs) : undefined;
  const row = new Float64Array(Math.max(k, 2));
  for await (const labelChunk of labelChunks) {
    const predChunk = predChunks ? (await predChunks.next()).value! : undefined;
    const probChunk = probChunks ? (await probChunks.next()).value! : undefined;
    for (let i = 0; i < labelChunk.rows; i++) {
      const index = labelChunk.start + i;
      const labelValue = labelChunk.values[i]!;
      if (!Number.isInteger(labelValue))
        throw new PredictionsError(
          `${paths.labels.shown} row ${index}: label ${labelValue} is not an integer class`,
        );
      const label = classes.ofInteger(labelValue);
      if (label < 0)
        throw new PredictionsError(
          `${paths.labels.shown} row ${index}: label ${labelValue} has no probability column (0..${k - 1})`,
        );
      let predicted: number;
      if (probChunk) {
        let sum = 0;
        for (let j = 0; j < k; j++) {
          const p = probChunk.values[i * k + j]!;
          if (Number.isNaN(p) || p < 0 || p > 1 + tolerance) {
            throw new PredictionsError(
              `${paths.probs!.shown} row ${index}: probability ${p} for class ${j} is not in [0, 1]; are these logits? apply softmax first`,
            );
          }
          row[j] = p;
          sum += p;
        }
        if (Math.abs(sum - 1) > tolerance)
          throw new PredictionsError(
            `${paths.probs!.shown} row ${index}: probabilities sum to ${sum}, not 1`,
          );
      }
      if (predChunk) {
        const value = predChunk.values[i]!;
        if (!Number.isInteger(value))
          throw new PredictionsError(
            `${paths.preds!.shown} row ${index}: prediction ${value} is not an integer class`,
          );
        predicted = classes.ofInteger(value);
        if (predicted < 0)
          throw new PredictionsError(
            `${paths.preds!.shown} row ${index}: prediction ${value} has no probability column`,
          );
      } else {
        predicted = 0;
        for (let j = 1; j < k; j++) if (row[j]! > row[predicted]!) predicted = j;
      }
      accumulator.add(label, predicted, probChunk ? row : undefined);
    }
  }
  if (options.positive !== undefined) {
    const names = classes.sortedOrder().map((index) => classes.names[index]!);
    // More than two classes: positive: means nothing. Fewer: no positive-class metric to refuse.
    if (names.length > 2)
      throw new PredictionsError(
        `positive: is for two classes, and there are ${names.length} (${names.slice(0, 12).join(', ')})`,
      );
    const found = positiveClass(names, options.positive);
    if (names.length === 2 && !found.found) throw new PredictionsError(found.problem);
  }
  return {
    result: accumulator.finish(),
    slices: [],
    columns: {
      label: paths.labels.shown,
      pred: paths.preds?.shown,
      probs: paths.probs ? [paths.probs.shown] : [],
      slices: [],
    },
  };
}
