/**
 * Metrics on small inputs whose values scikit-learn documents (the examples in its API
 * reference), plus the edge cases: absent classes, zero division, bad rows, spilling.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { csv, tempFiles } from '../testing/temp.js';
import { ClassIndex } from './classes.js';
import { ClassificationAccumulator, type ClassificationResult } from './classification.js';
import { evaluatePredictions, PredictionsError } from './predictions.js';
import { RegressionAccumulator } from './regression.js';

async function evaluate(content: string, options: Parameters<typeof evaluatePredictions>[2] = {}) {
  const dir = tempFiles({ 'p.csv': content });
  return evaluatePredictions(join(dir, 'p.csv'), 'csv', options);
}
const close = (actual: number | undefined, expected: number) =>
  expect(Math.abs(actual! - expected)).toBeLessThan(1e-12);

describe('classification, against scikit-learn documentation examples', () => {
  test('accuracy, macro/weighted/micro precision, recall, F1', async () => {
    const { result } = await evaluate(
      csv(
        ['label', 'pred'],
        [
          [0, 0],
          [1, 2],
          [2, 1],
          [0, 0],
          [1, 0],
          [2, 1],
        ],
      ),
    );
    close(result.metrics.accuracy, 1 / 3);
    close(result.metrics.precision_macro, 0.2222222222222222);
    close(result.metrics.recall_macro, 0.3333333333333333);
    close(result.metrics.f1_macro, 0.26666666666666666);
    close(result.metrics.precision_weighted, 0.2222222222222222);
    close(result.metrics.f1_weighted, 0.26666666666666666);
    close(result.metrics.f1_micro, 0.3333333333333333);
  });

  test('balanced accuracy', async () => {
    const { result } = await evaluate(
      csv(
        ['label', 'pred'],
        [
          [0, 0],
          [1, 1],
          [0, 0],
          [0, 0],
          [1, 0],
          [0, 1],
        ],
      ),
    );
    close(result.metrics.balanced_accuracy, 0.625);
  });

  test('MCC with labels -1 and +1', async () => {
    const { result } = await evaluate(
      csv(
        ['label', 'pred'],
        [
          [1, 1],
          [1, -1],
          [1, 1],
          [-1, 1],
        ],
      ),
    );
    close(result.metrics.mcc, -0.3333333333333333);
    expect((result as ClassificationResult).classes).toEqual(['-1', '1']);
  });

  test("Cohen's kappa with text labels, sorted as scikit-learn sorts them", async () => {
    const { result } = await evaluate(
      csv(
        ['label', 'pred'],
        [
          ['negative', 'negative'],
          ['positive', 'positive'],
          ['negative', 'negative'],
          ['neutral', 'neutral'],
          ['positive', 'negative'],
        ],
      ),
    );
    close(result.metrics.cohen_kappa, 0.6875);
    expect((result as ClassificationResult).classes).toEqual(['negative', 'neutral', 'positive']);
  });

  test('binary: ROC AUC, average precision, Brier from one positive-class probability column', async () => {
    const { result } = await evaluate(
      csv(
        ['label', 'p'],
        [
          [0, 0.1],
          [0, 0.4],
          [1, 0.35],
          [1, 0.8],
        ],
      ),
      { probs: 'p' },
    );
    close(result.metrics.roc_auc, 0.75);
    close(result.metrics.average_precision, 0.8333333333333333);
    const brier = await evaluate(
      csv(
        ['label', 'p'],
        [
          [0, 0.1],
          [1, 0.9],
          [1, 0.8],
          [0, 0.3],
        ],
      ),
      { probs: 'p' },
    );
    close(brier.result.metrics.brier, 0.0375);
    // Binary metrics of the positive class.
    close(brier.result.metrics.precision, 1);
    close(brier.result.metrics.recall, 1);
  });

  test('log loss with text classes in probability-column order', async () => {
    const { result } = await evaluate(
      csv(
        ['label', 'p_ham', 'p_spam'],
        [
          ['spam', 0.1, 0.9],
          ['ham', 0.9, 0.1],
          ['ham', 0.8, 0.2],
          ['spam', 0.35, 0.65],
        ],
      ),
      { probs: 'p_*' },
    );
    close(result.metrics.log_loss, 0.21616187468057912);
  });

  test('top-k accuracy, ties ranked as scikit-learn ranks them', async () => {
    const { result } = await evaluate(
      csv(
        ['label', 'prob_0', 'prob_1', 'prob_2'],
        [
          [0, 0.5, 0.2, 0.3],
          [1, 0.3, 0.4, 0.3],
          [2, 0.2, 0.4, 0.4],
          [2, 0.7, 0.2, 0.1],
        ],
      ),
    );
    close(result.metrics.top2_accuracy, 0.75);
  });

  test('a class never predicted: precision 0 (zero_division=0) and still in the macro average', async () => {
    const { result } = await evaluate(
      csv(
        ['label', 'pred'],
        [
          [0, 0],
          [1, 0],
          [2, 2],
        ],
      ),
    );
    const perClass = (result as ClassificationResult).perClass;
    expect(perClass[1]).toEqual({ class: '1', precision: 0, recall: 0, f1: 0, support: 1 });
    close(result.metrics.precision_macro, (0.5 + 0 + 1) / 3);
  });

  test('a probability column for a class absent from labels and predictions: left out of macro averages', async () => {
    const { result } = await evaluate(
      csv(
        ['label', 'prob_0', 'prob_1', 'prob_2'],
        [
          [0, 0.9, 0.1, 0],
          [1, 0.2, 0.8, 0],
          [1, 0.4, 0.6, 0],
        ],
      ),
    );
    close(result.metrics.f1_macro, 1);
    expect(result.notes).toEqual(['class 2 has no rows: left out of roc_auc and average_precision']);
  });
});

describe('regression, against scikit-learn documentation examples', () => {
  test('mae, mse, r2, explained variance, median, mape', async () => {
    const { result } = await evaluate(
      csv(
        ['y', 'yhat'],
        [
          [3, 2.5],
          [-0.5, 0],
          [2, 2],
          [7, 8],
        ],
      ),
      { task: 'regression' },
    );
    close(result.metrics.mae, 0.5);
    close(result.metrics.mse, 0.375);
    close(result.metrics.rmse, Math.sqrt(0.375));
    close(result.metrics.r2, 0.9486081370449679);
    close(result.metrics.explained_variance, 0.9571734475374732);
    close(result.metrics.median_ae, 0.5);
    close(result.metrics.mape, 0.3273809523809524);
  });

  test('max error; a constant target gives r2 = 0 unless the fit is perfect', async () => {
    const { result } = await evaluate(
      csv(
        ['y', 'yhat'],
        [
          [3, 4],
          [2, 2],
          [7, 7],
          [1, 1],
        ],
      ),
      { task: 'regression' },
    );
    close(result.metrics.max_error, 1);
    const constant = await evaluate(
      csv(
        ['y', 'yhat'],
        [
          [2, 1],
          [2, 2],
        ],
      ),
      { task: 'regression' },
    );
    expect(constant.result.metrics.r2).toBe(0);
    expect(constant.result.notes[0]).toContain('the target is constant');
  });
});

describe('rows that cannot be judged fail the evaluation, with their line numbers', () => {
  test.each([
    [
      'a label outside the probability columns',
      'label,prob_0,prob_1\n0,0.9,0.1\n7,0.5,0.5\n',
      {},
      'line 3: label "7" is not one of the classes (0, 1)',
    ],
    [
      'NaN probability',
      'label,prob_0,prob_1\n0,nan,0.1\n',
      {},
      'line 2: probability prob_0 "nan" is not a number',
    ],
    [
      'probabilities not summing to 1 (logits)',
      'label,prob_0,prob_1\n0,2.3,-1.2\n',
      {},
      'line 2: probability prob_0 = 2.3 is outside [0, 1]',
    ],
    [
      'sum off by more than the tolerance',
      'label,prob_0,prob_1\n0,0.5,0.4\n',
      {},
      'line 2: probabilities sum to 0.90000000, not 1',
    ],
    ['wrong column count', 'label,pred\n0,0\n1,1,1\n', {}, 'line 3: has 3 fields, the header has 2'],
    [
      'non-numeric regression target',
      'y,yhat\n1,2\nabc,3\n',
      { task: 'regression' as const },
      'line 3: target "abc" is not a number',
    ],
    ['empty label', 'label,pred\n,1\n', {}, 'line 2: the label is empty'],
  ])('%s', async (_name, content, options, message) => {
    const error = await evaluate(content, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PredictionsError);
    expect((error as PredictionsError).message).toContain(
      message.replace(/^line (\d+): /, '(first: line $1: '),
    );
  });

  test('numbers and text mixed as labels (scikit-learn refuses them too)', async () => {
    const error = (await evaluate('label,pred\n0,0\n1,x\n').catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(
      'labels mix numbers and text (e.g. 0 and "x"): is a column shifted, or a header repeated? Classes seen: 0, 1, x',
    );
  });

  test('every bad row is counted, the first twenty listed', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i % 2},0.5,0.6`);
    const error = (await evaluate(`label,prob_0,prob_1\n${rows.join('\n')}\n`).catch(
      (e: unknown) => e,
    )) as PredictionsError;
    expect(error.badRowCount).toBe(30);
    expect(error.badRows).toHaveLength(20);
    expect(error.message).toMatch(/^30 rows cannot be judged/);
  });

  test('missing columns are named, with the columns that exist', async () => {
    const error = (await evaluate('truth,guess\n1,1\n', { label: 'label' }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toBe('no column "label" (label); columns: truth, guess');
  });
});

describe('the median absolute error from runs on disk', () => {
  test('equals the in-memory median, with runs read back in several blocks each', () => {
    const build = (memoryValues: number | undefined) => {
      const accumulator = new RegressionAccumulator(memoryValues);
      let seed = 11;
      const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
      // 200,001 rows: runs of 70,000 errors, each read back in blocks of 65,536, an odd count.
      for (let i = 0; i < 200_001; i++) accumulator.add(random() * 10, random() * 10);
      return accumulator.finish().metrics;
    };
    const spilled = build(70_000);
    const inMemory = build(undefined);
    expect(spilled.median_ae).toBe(inMemory.median_ae);
    expect(spilled.mae).toBe(inMemory.mae);
  });
});

describe('rank metrics spill to disk without changing a digit', () => {
  test('ROC AUC and average precision are identical with a tiny memory budget', () => {
    const build = (budget: number) => {
      const classes = new ClassIndex(['0', '1', '2'], false);
      const accumulator = new ClassificationAccumulator({
        classes,
        probabilities: true,
        rankMetrics: true,
        rankMemoryValues: budget,
      });
      let seed = 7;
      const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
      const probs = new Float64Array(3);
      for (let i = 0; i < 5000; i++) {
        const raw = [random(), random(), Math.round(random() * 4) / 4];
        const sum = raw[0]! + raw[1]! + raw[2]!;
        raw.forEach((v, j) => {
          probs[j] = v / sum;
        });
        accumulator.add(i % 3, i % 2, probs);
      }
      return accumulator.finish().metrics;
    };
    const inMemory = build(1e9);
    const spilled = build(97);
    expect(spilled.roc_auc).toBe(inMemory.roc_auc);
    expect(spilled.average_precision).toBe(inMemory.average_precision);
  });
});

describe('evidence stays readable with many classes', () => {
  test('60 classes: the weakest classes and the most frequent confusions, not a 3600-cell matrix', async () => {
    const { resultEvidence } = await import('./judge.js');
    const rows = Array.from({ length: 600 }, (_, i) => [i % 60, i % 7 === 0 ? (i + 1) % 60 : i % 60]);
    const { result } = await evaluate(csv(['label', 'pred'], rows));
    const titles = resultEvidence(result).map((e) => ('title' in e ? (e.title ?? '') : ''));
    expect(titles).toContain('per class: the 50 lowest F1 of 60 classes');
    expect(titles.some((t) => t.startsWith('most frequent confusions'))).toBe(true);
    expect(titles.some((t) => t.startsWith('confusion matrix'))).toBe(false);
  });
});
