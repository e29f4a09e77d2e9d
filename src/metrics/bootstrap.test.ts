import { describe, expect, test } from 'vitest';
import { binomial, bootstrapConfusion, bootstrapRows, multinomial, percentile, Random } from './bootstrap.js';
import { confusionMetrics } from './classification.js';

describe('binomial sampler (inversion and BTRD)', () => {
  test.each([
    [20, 0.3],
    [1000, 0.3],
    [100_000, 0.01],
    [500, 0.9],
    [1_000_000, 0.5],
    [60, 0.2],
  ])('Binomial(%i, %f): mean and variance', (n, p) => {
    const random = new Random(42);
    const draws = 200_000;
    let sum = 0;
    let sumSquares = 0;
    let outOfRange = 0;
    for (let i = 0; i < draws; i++) {
      const x = binomial(random, n, p);
      if (!(x >= 0 && x <= n && Number.isInteger(x))) outOfRange++;
      sum += x;
      sumSquares += x * x;
    }
    expect(outOfRange).toBe(0);
    const mean = sum / draws;
    const variance = sumSquares / draws - mean * mean;
    const expectedVariance = n * p * (1 - p);
    // Five standard errors of the mean; variance within 3%.
    expect(Math.abs(mean - n * p)).toBeLessThan(5 * Math.sqrt(expectedVariance / draws));
    expect(Math.abs(variance / expectedVariance - 1)).toBeLessThan(0.03);
  });

  test('the same seed gives the same draws', () => {
    const a = new Random(7);
    const b = new Random(7);
    const c = new Random(8);
    const seq = (r: Random) => Array.from({ length: 5 }, () => binomial(r, 1000, 0.4));
    const first = seq(a);
    expect(seq(b)).toEqual(first);
    expect(seq(c)).not.toEqual(first);
  });

  test('multinomial counts add up to n', () => {
    const out = multinomial(new Random(1), 360, [0.5, 0.25, 0.125, 0.125], new Float64Array(4));
    expect(out.reduce((a, b) => a + b, 0)).toBe(360);
  });

  test('percentile interpolates like numpy', () => {
    expect(percentile(Float64Array.from([4, 1, 3, 2]), 50)).toBe(2.5);
    expect(percentile(Float64Array.from([1, 2, 3, 4, 5]), 2.5)).toBeCloseTo(1.1, 12);
  });
});

describe('bootstrap intervals', () => {
  // The digits test set: 360 rows, 350 correct.
  const confusion = [
    [175, 5],
    [5, 175],
  ];
  const names = ['0', '1'];

  test('accuracy 97.2% on 360 rows: the 95% interval is about ±1.7 points', () => {
    const intervals = bootstrapConfusion(confusion, (c) => confusionMetrics(c, names).metrics, ['accuracy'], {
      samples: 2000,
      seed: 0,
      confidence: 0.95,
    });
    expect(intervals.accuracy!.low).toBeGreaterThan(0.95);
    expect(intervals.accuracy!.low).toBeLessThan(0.962);
    expect(intervals.accuracy!.high).toBeGreaterThan(0.983);
    expect(intervals.accuracy!.high).toBeLessThan(0.995);
  });

  test('resampling the confusion matrix agrees with resampling rows', () => {
    const labels = Int32Array.from({ length: 360 }, (_, i) => (i < 180 ? 0 : 1));
    const preds = Int32Array.from(labels, (label, i) => (i % 36 === 0 ? 1 - label : label));
    const byRows = bootstrapRows(
      360,
      (indices) => {
        let correct = 0;
        for (const i of indices) if (labels[i] === preds[i]) correct++;
        return { accuracy: correct / indices.length };
      },
      ['accuracy'],
      { samples: 4000, seed: 1, confidence: 0.9 },
    );
    const byCells = bootstrapConfusion(confusion, (c) => confusionMetrics(c, names).metrics, ['accuracy'], {
      samples: 4000,
      seed: 1,
      confidence: 0.9,
    });
    expect(Math.abs(byRows.accuracy!.low - byCells.accuracy!.low)).toBeLessThan(0.004);
    expect(Math.abs(byRows.accuracy!.high - byCells.accuracy!.high)).toBeLessThan(0.004);
  });
});
