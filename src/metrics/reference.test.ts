/**
 * mlgate's metrics against scikit-learn's, computed on the same predictions (the shared
 * reference pack). Agreement to 1e-9.
 */
import { describe, expect, test } from 'vitest';
import { referenceJson, referencePath } from '../testing/reference.js';
import type { ClassificationResult } from './classification.js';
import { evaluatePredictions } from './predictions.js';

const TOLERANCE = 1e-9;

interface DigitsReference {
  test_metrics_onnx: Record<string, number> & {
    per_class: Record<string, { precision: number; recall: number; f1: number; support: number }>;
    confusion_matrix: number[][];
  };
}

describe('digits: every scikit-learn metric reproduced from predictions_test.csv', async () => {
  const reference = referenceJson<DigitsReference>('digits', 'reference.json').test_metrics_onnx;
  const evaluation = await evaluatePredictions(referencePath('digits', 'predictions_test.csv'), 'csv', {});
  const result = evaluation.result as ClassificationResult;
  // Our names for the reference's keys.
  const names: Record<string, string> = { ece_15_bins: 'ece', roc_auc_ovr_macro: 'roc_auc' };
  const scalar = Object.entries(reference).filter(
    ([key, value]) => typeof value === 'number' && key !== 'n' && key !== 'ece_15_bins_torchmetrics',
  ) as Array<[string, number]>;

  test('columns and classes are found without configuration', () => {
    expect(evaluation.columns).toEqual({
      label: 'label',
      pred: 'pred',
      probs: Array.from({ length: 10 }, (_, i) => `prob_${i}`),
      slices: [],
    });
    expect(result.n).toBe(360);
    expect(result.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  test.each(scalar)('%s', (key, expected) => {
    const ours = result.metrics[names[key] ?? key];
    expect(ours, key).toBeDefined();
    expect(Math.abs(ours! - expected)).toBeLessThanOrEqual(TOLERANCE);
  });

  test('per-class precision, recall, F1 and support', () => {
    for (const row of result.perClass) {
      const expected = reference.per_class[row.class]!;
      expect(Math.abs(row.precision - expected.precision)).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs(row.recall - expected.recall)).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs(row.f1 - expected.f1)).toBeLessThanOrEqual(TOLERANCE);
      expect(row.support).toBe(expected.support);
    }
  });

  test('confusion matrix', () => {
    expect(result.confusion).toEqual(reference.confusion_matrix);
  });

  test('ECE agrees with torchmetrics (float32) to its precision', () => {
    expect(Math.abs(result.metrics.ece! - reference.ece_15_bins_torchmetrics!)).toBeLessThan(1e-6);
    expect(result.reliability?.reduce((sum, bin) => sum + bin.count, 0)).toBe(360);
  });
});

describe('diabetes: every scikit-learn regression metric reproduced', async () => {
  const reference = referenceJson<{ test_metrics_onnx: Record<string, number> }>(
    'diabetes',
    'reference.json',
  ).test_metrics_onnx;
  const evaluation = await evaluatePredictions(referencePath('diabetes', 'predictions_test.csv'), 'csv', {
    task: 'regression',
  });
  const entries = Object.entries(reference).filter(([key]) => key !== 'n');

  test('columns found: target and prediction', () => {
    expect(evaluation.columns).toMatchObject({ label: 'target', pred: 'prediction' });
    expect(evaluation.result.n).toBe(reference.n);
  });

  test.each(entries)('%s', (key, expected) => {
    const ours = evaluation.result.metrics[key]!;
    expect(Math.abs(ours - expected) / Math.max(1, Math.abs(expected))).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('digits: the metrics reference.json does not carry (see fixtures/extra-reference.py)', async () => {
  const { readFileSync } = await import('node:fs');
  const extra = JSON.parse(
    readFileSync(new URL('./fixtures/extra-reference.json', import.meta.url), 'utf8'),
  ) as { multiclass: Record<string, number> };
  const evaluation = await evaluatePredictions(referencePath('digits', 'predictions_test.csv'), 'csv', {});
  test.each(Object.entries(extra.multiclass))('%s', (name, expected) => {
    const ours = evaluation.result.metrics[name];
    expect(ours, name).toBeDefined();
    expect(Math.abs(ours! - expected)).toBeLessThanOrEqual(TOLERANCE);
  });
});
