/**
 * The positive class of two is named, never taken from the order of the probability
 * columns, and a probability column belongs to the class its name says. Expected values are
 * worked out by hand below (scikit-learn's definitions, pos_label = the class named).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { metricsCommand } from '../cli/commands/metrics.js';
import { encodeNpy } from '../data/npy.js';
import { evaluateArrays } from './arrays.js';
import { csv, tempFiles } from '../testing/temp.js';
import { referenceJson, referencePath } from '../testing/reference.js';
import type { ClassificationResult } from './classification.js';
import { judge } from './judge.js';
import { evaluatePredictions, type PredictionColumns, PredictionsError } from './predictions.js';

async function evaluate(content: string, options: PredictionColumns = {}) {
  const dir = tempFiles({ 'p.csv': content });
  const evaluation = await evaluatePredictions(join(dir, 'p.csv'), 'csv', options);
  return evaluation.result as ClassificationResult;
}
const close = (actual: number | undefined, expected: number, what = '') =>
  expect(Math.abs(actual! - expected), `${what}: ${actual} vs ${expected}`).toBeLessThan(1e-12);

// Ten rows: label, predicted label, P(class 1). Predictions are the argmax (p1 > 0.5).
const ROWS: Array<[number, number, number]> = [
  [1, 1, 0.9],
  [1, 1, 0.8],
  [1, 0, 0.4],
  [0, 1, 0.6],
  [0, 0, 0.3],
  [0, 0, 0.2],
  [0, 0, 0.1],
  [1, 1, 0.7],
  [0, 1, 0.55],
  [0, 0, 0.05],
];
const p0 = (p1: number) => Number((1 - p1).toFixed(2));

/**
 * Class 1: TP 3 (rows 1, 2, 8), FP 2 (rows 4, 9), FN 1 (row 3).
 *   precision 3/5, recall 3/4, F1 2·3/(2·3 + 2 + 1) = 2/3.
 *   ROC AUC: of the 4 × 6 (positive, negative) pairs, 22 are ordered right: 11/12.
 *   AP: by P(1) descending P P P N N P …: ¼·(1 + 1 + 1 + 4/6) = 11/12.
 * Class 0: TP 4 (rows 5, 6, 7, 10), FP 1 (row 3), FN 2 (rows 4, 9).
 *   precision 4/5, recall 4/6, F1 8/11.
 *   AP: by P(0) descending P P P P N P P N N N: (1/6)·(4 + 5/6 + 6/7).
 * Brier (either class, the probabilities sum to 1): Σ (p1 − y)² / 10 = 1.305 / 10.
 */
const CLASS_1 = { precision: 3 / 5, recall: 3 / 4, f1: 2 / 3, average_precision: 11 / 12 };
const CLASS_0 = { precision: 4 / 5, recall: 4 / 6, f1: 8 / 11, average_precision: (4 + 5 / 6 + 6 / 7) / 6 };
const ROC_AUC = 11 / 12;
const BRIER = 0.1305;
const LOG_LOSS = -ROWS.reduce((sum, [y, , p1]) => sum + Math.log(y === 1 ? p1 : p0(p1)), 0) / ROWS.length;

const table = (columns: string[]) =>
  csv(
    columns,
    ROWS.map(([y, pred, p1]) =>
      columns.map((column) =>
        column === 'label' ? y : column === 'pred' ? pred : column === 'prob_1' ? p1 : p0(p1),
      ),
    ),
  );

function expectClass(result: ClassificationResult, expected: typeof CLASS_1, what: string) {
  for (const [name, value] of Object.entries(expected)) close(result.metrics[name], value, `${what} ${name}`);
  close(result.metrics.roc_auc, ROC_AUC, `${what} roc_auc`);
  close(result.metrics.brier, BRIER, `${what} brier`);
  close(result.metrics.log_loss, LOG_LOSS, `${what} log_loss`);
}

describe('the positive class of two does not follow the column order', () => {
  test('prob_1 before prob_0: the metrics of class 1, the same as prob_0 before prob_1', async () => {
    const reversed = await evaluate(table(['label', 'pred', 'prob_1', 'prob_0']));
    const ordered = await evaluate(table(['label', 'pred', 'prob_0', 'prob_1']));
    expectClass(reversed, CLASS_1, 'prob_1,prob_0');
    expectClass(ordered, CLASS_1, 'prob_0,prob_1');
    expect(reversed.positive).toBe('1');
    expect(reversed.classes).toEqual(['0', '1']);
    expect(reversed.confusion).toEqual(ordered.confusion);
    expect(reversed.metrics).toEqual(ordered.metrics);
  });

  test('without a prediction column, the argmax is read by class name too', async () => {
    const reversed = await evaluate(table(['label', 'prob_1', 'prob_0']));
    expectClass(reversed, CLASS_1, 'argmax');
    close(reversed.metrics.accuracy, 7 / 10);
  });

  test('positive: 0 gives the metrics of class 0, whatever the column order', async () => {
    for (const columns of [
      ['label', 'pred', 'prob_1', 'prob_0'],
      ['label', 'pred', 'prob_0', 'prob_1'],
    ]) {
      const result = await evaluate(table(columns), { positive: '0' });
      expectClass(result, CLASS_0, columns.join(','));
      expect(result.positive).toBe('0');
    }
  });

  test('the bootstrap judges the same positive class', async () => {
    const result = await evaluate(table(['label', 'pred', 'prob_1', 'prob_0']), { positive: '0' });
    const judgement = await judge(
      { thresholds: { precision: '>= 0.5' }, confidence: 0.95, bootstrap: { samples: 500, seed: 1 } },
      { result },
    );
    const interval = judgement.intervals.precision!;
    expect(interval.low).toBeLessThanOrEqual(CLASS_0.precision);
    expect(interval.high).toBeGreaterThanOrEqual(CLASS_0.precision);
    // Class 1's precision (0.6) has an interval of its own: this one is class 0's.
    const other = await judge(
      { thresholds: { precision: '>= 0.5' }, confidence: 0.95, bootstrap: { samples: 500, seed: 1 } },
      { result: await evaluate(table(['label', 'pred', 'prob_1', 'prob_0'])) },
    );
    expect(other.intervals.precision).not.toEqual(interval);
  });

  test('one column named by the glob is the probability of that class', async () => {
    // prob_* matches only prob_0: it is P(0), not P(positive).
    const onlyZero = await evaluate(table(['label', 'pred', 'prob_0']));
    expectClass(onlyZero, CLASS_1, 'prob_0 alone');
    const onlyOne = await evaluate(table(['label', 'pred', 'prob_1']));
    expectClass(onlyOne, CLASS_1, 'prob_1 alone');
  });
});

describe('NumPy arrays: column j is class j, and positive: names the class', () => {
  test('class 1 by default, class 0 when named', async () => {
    const dir = tempFiles({
      'y.npy': encodeNpy(
        ROWS.map(([y]) => y),
        [ROWS.length],
        '<i8',
      ),
      'p.npy': encodeNpy(
        ROWS.flatMap(([, , p1]) => [p0(p1), p1]),
        [ROWS.length, 2],
      ),
    });
    const entry = (name: string) => ({ path: join(dir, name), shown: name });
    const paths = { labels: entry('y.npy'), probs: entry('p.npy') };
    const byDefault = (await evaluateArrays(paths, 'classification')).result as ClassificationResult;
    expectClass(byDefault, CLASS_1, 'arrays');
    const zero = (await evaluateArrays(paths, 'classification', { positive: '0' }))
      .result as ClassificationResult;
    expectClass(zero, CLASS_0, 'arrays, positive 0');
    const wrong = await evaluateArrays(paths, 'classification', { positive: '2' }).catch((e: unknown) => e);
    expect((wrong as Error).message).toBe('positive: "2" is not one of the classes ("0", "1")');
  });
});

describe('probs given as a list maps by position, in sorted label order', () => {
  test('[prob_0, prob_1] and unnamed columns [score_a, score_b] are classes 0 and 1', async () => {
    const named = await evaluate(table(['label', 'pred', 'prob_0', 'prob_1']), {
      probs: ['prob_0', 'prob_1'],
    });
    expectClass(named, CLASS_1, 'list');
    const content = table(['label', 'pred', 'prob_0', 'prob_1']).replace('prob_0,prob_1', 'score_a,score_b');
    const unnamed = await evaluate(content, { probs: ['score_a', 'score_b'] });
    expectClass(unnamed, CLASS_1, 'unnamed list');
  });

  test('a list whose names contradict their positions is refused, with the order to use', async () => {
    const error = await evaluate(table(['label', 'pred', 'prob_0', 'prob_1']), {
      probs: ['prob_1', 'prob_0'],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PredictionsError);
    expect((error as Error).message).toBe(
      'probs lists 2 columns (prob_1, prob_0): a list maps to the classes by position, in sorted label order (0, 1), so prob_1 would be read as the probability of class 0, while its name says class 1. List the columns in class order (prob_0, prob_1), or use a glob such as "prob_*" to map them by name',
    );
  });

  test('text labels: [p_no, p_yes] is no, yes; and yes is the positive class', async () => {
    const content = csv(
      ['label', 'p_no', 'p_yes'],
      ROWS.map(([y, , p1]) => [y === 1 ? 'yes' : 'no', p0(p1), p1]),
    );
    const result = await evaluate(content, { probs: ['p_no', 'p_yes'] });
    expect(result.classes).toEqual(['no', 'yes']);
    expect(result.positive).toBe('yes');
    expectClass(result, CLASS_1, 'yes/no');
  });

  test('a list with more columns than classes is refused', async () => {
    const error = await evaluate(
      csv(
        ['label', 'a', 'b', 'c'],
        [
          ['cat', 0.5, 0.3, 0.2],
          ['dog', 0.1, 0.8, 0.1],
        ],
      ),
      { probs: ['a', 'b', 'c'] },
    ).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /^probs lists 3 columns \(a, b, c\), one per class in sorted label order, but the labels and predictions have 2 classes \(cat, dog\)/,
    );
  });
});

describe('labels without a recognisable positive class', () => {
  const animals = csv(
    ['label', 'prob_cat', 'prob_dog'],
    ROWS.map(([y, , p1]) => [y === 1 ? 'dog' : 'cat', p0(p1), p1]),
  );

  test('the positive-class metrics are not computed, and saying which is an error with the labels', async () => {
    const result = await evaluate(animals);
    expect(result.positive).toBeUndefined();
    for (const name of ['precision', 'recall', 'f1', 'roc_auc', 'average_precision', 'brier'])
      expect(result.metrics[name], name).toBeUndefined();
    // What does not depend on it is still measured.
    close(result.metrics.accuracy, 7 / 10);
    close(result.metrics.log_loss, LOG_LOSS);
    const judgement = await judge({ thresholds: { f1: '>= 0.5' } }, { result });
    expect(judgement.errors).toEqual([
      'f1 was not computed: f1 is a metric of the positive class, and which class is positive is not known: the labels are "cat", "dog", neither of them a number or true/yes/pos/positive; set positive: to one of them (precision, recall, f1, roc_auc, roc_auc_ovo, roc_auc_weighted, average_precision, brier are not computed without it)',
    ]);
  });

  test('positive: dog names it', async () => {
    expectClass(await evaluate(animals, { positive: 'dog' }), CLASS_1, 'dog');
    expectClass(await evaluate(animals, { positive: 'cat' }), CLASS_0, 'cat');
  });

  test('a positive class that is not a label, or more than two classes, is refused', async () => {
    const wrong = await evaluate(animals, { positive: 'bird' }).catch((e: unknown) => e);
    expect((wrong as Error).message).toBe('positive: "bird" is not one of the classes ("cat", "dog")');
    const three = await evaluate('label,pred\n0,0\n1,2\n2,1\n', { positive: '1' }).catch((e: unknown) => e);
    expect((three as Error).message).toBe('positive: is for two classes, and there are 3 (0, 1, 2)');
  });

  test('true/false labels: true is positive, in any case', async () => {
    const content = csv(
      ['label', 'pred'],
      ROWS.map(([y, pred]) => [y === 1 ? 'True' : 'False', pred === 1 ? 'True' : 'False']),
    );
    const result = await evaluate(content);
    expect(result.positive).toBe('True');
    for (const name of ['precision', 'recall', 'f1'] as const)
      close(result.metrics[name], CLASS_1[name], name);
  });
});

describe('digits (shared reference): the order of the probability columns changes nothing', async () => {
  const reference = referenceJson<{ test_metrics_onnx: Record<string, unknown> }>(
    'digits',
    'reference.json',
  ).test_metrics_onnx;
  const original = readFileSync(referencePath('digits', 'predictions_test.csv'), 'utf8').trim().split('\n');
  const header = original[0]!.split(',');
  // Columns reversed: prob_9 … prob_0, pred, label.
  const order = header.map((_, i) => header.length - 1 - i);
  const reversed = original.map((line) => {
    const fields = line.split(',');
    return order.map((i) => fields[i]).join(',');
  });
  const result = await evaluate(`${reversed.join('\n')}\n`);
  const names: Record<string, string> = { ece_15_bins: 'ece', roc_auc_ovr_macro: 'roc_auc' };

  test.each(
    Object.entries(reference).filter(
      ([key, value]) => typeof value === 'number' && key !== 'n' && key !== 'ece_15_bins_torchmetrics',
    ) as Array<[string, number]>,
  )('%s', (key, expected) => {
    expect(Math.abs(result.metrics[names[key] ?? key]! - expected)).toBeLessThanOrEqual(1e-9);
  });

  test('classes and confusion matrix in sorted order', () => {
    expect(result.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(result.confusion).toEqual(reference.confusion_matrix);
  });
});

describe('mlgate metrics --positive', () => {
  async function metrics(content: string, options: { positive?: string; format: 'text' | 'json' }) {
    const dir = tempFiles({ 'p.csv': content });
    const out: string[] = [];
    const err: string[] = [];
    const stream = (into: string[]) => {
      const s = new PassThrough();
      s.on('data', (chunk: Buffer) => into.push(chunk.toString()));
      return s;
    };
    const code = await metricsCommand('p.csv', options, {
      stdout: stream(out),
      stderr: stream(err),
      env: { NO_COLOR: '1' },
      cwd: dir,
    });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  test('names the positive class; the default is the greater label', async () => {
    const reversed = table(['label', 'pred', 'prob_1', 'prob_0']);
    const byDefault = JSON.parse((await metrics(reversed, { format: 'json' })).stdout);
    expect(byDefault.positive).toBe('1');
    close(byDefault.metrics.precision, CLASS_1.precision);
    const zero = await metrics(reversed, { format: 'json', positive: '0' });
    expect(zero.code).toBe(0);
    const parsed = JSON.parse(zero.stdout);
    expect(parsed.positive).toBe('0');
    close(parsed.metrics.precision, CLASS_0.precision);
    const text = await metrics(reversed, { format: 'text', positive: '0' });
    expect(text.stdout).toContain('positive class 0');
  });

  test('text labels without a positive class: a note that says how to choose; a wrong one: exit 2', async () => {
    const animals = csv(
      ['label', 'pred'],
      ROWS.map(([y, pred]) => [y === 1 ? 'dog' : 'cat', pred === 1 ? 'dog' : 'cat']),
    );
    const unknown = await metrics(animals, { format: 'text' });
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toContain('which class is positive is not known: the labels are "cat", "dog"');
    const wrong = await metrics(animals, { format: 'text', positive: 'bird' });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('positive: "bird" is not one of the classes ("cat", "dog")');
  });
});

describe('which column is the label and which the prediction is never decided by column order', () => {
  test('two candidates for one role, or a repeated header, are a question for the spec', async () => {
    for (const [content, message] of [
      [
        'label,prediction,pred\n1,1,0\n0,0,1\n',
        'more than one column could be the pred ("prediction", "pred"): name it with "pred:"',
      ],
      [
        'y_true,label,pred\n1,0,1\n0,1,0\n',
        'more than one column could be the label ("y_true", "label"): name it with "label:"',
      ],
      [
        'label,pred,label\n1,1,0\n',
        'more than one column could be the label ("label", "label"): name it with "label:"',
      ],
    ] as const) {
      await expect(evaluate(content)).rejects.toThrow(message);
    }
    await expect(evaluate('label,pred,label\n1,1,0\n', { label: 'label' })).rejects.toThrow(
      'the header has "label" more than once: which one is the label?',
    );
    // Named, it is clear: the other candidate is just another column.
    const named = await evaluate('label,prediction,pred\n1,1,0\n0,0,1\n1,1,0\n', { pred: 'pred' });
    expect(named.metrics.accuracy).toBe(0);
  });
});

test('two spellings of one number ("1" and "01") are refused, not merged into one class', async () => {
  await expect(evaluate('label,pred,prob_1,prob_01\n1,1,0.9,0.1\n01,01,0.2,0.8\n')).rejects.toThrow(
    new PredictionsError('the classes "1" and "01" are the same number (1): give each class one spelling'),
  );
});
