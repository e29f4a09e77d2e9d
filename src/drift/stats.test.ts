/**
 * The drift statistics against SciPy: reference values made by scripts/reference/drift.py
 * (SciPy 1.17.1) and committed in src/checks/drift/fixtures/reference.json.
 * Tolerance: 1e-9 relative (plus 1e-300 absolute for values that underflow), except where
 * a comment says why a value is computed another way than SciPy's.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { openNpy, readNpyRows } from '../data/npy.js';
import { analyzeFeature } from './analyze.js';
import { readBoth, sortFloat64 } from './collect.js';
import { kolmogorovSf, smirnovSf } from './kolmogorov.js';
import { ks2samp, roundHalfEven } from './ks.js';
import {
  binCounts,
  chi2Sf,
  chiSquare,
  jensenShannon,
  psiFromCounts,
  quantileEdges,
  standardDeviation,
  wasserstein,
} from './stats.js';

const FIXTURES = fileURLToPath(new URL('../checks/drift/fixtures/', import.meta.url));

interface NumericCase {
  name: string;
  ref: string;
  cur: string;
  ks_statistic: number;
  ks_pvalue: number;
  ks_method: 'exact' | 'asymptotic';
  wasserstein: number;
  std_ref: number;
  psi: number;
  psi_edges: number[];
  psi_ref_counts: number[];
  psi_cur_counts: number[];
}
interface CategoricalCase {
  name: string;
  ref_counts: number[];
  cur_counts: number[];
  chi2_statistic: number;
  chi2_pvalue: number;
  js_distance: number;
  psi: number;
}
const reference = JSON.parse(readFileSync(`${FIXTURES}reference.json`, 'utf8'), (_key, value: unknown) =>
  value === 'Infinity' ? Infinity : value,
) as {
  psi: { bins: number; epsilon: number };
  numeric: NumericCase[];
  categorical: CategoricalCase[];
  kstwo_sf: Array<[number, number, number]>;
  smirnov_sf: Array<[number, number, number]>;
  chi2_sf: Array<[number, number, number]>;
  tables: Record<string, Record<string, Record<string, number | string>>>;
};

function close(actual: number, expected: number, relative = 1e-9, label = ''): void {
  if (!Number.isFinite(expected)) {
    expect(actual, label).toBe(expected);
    return;
  }
  const tolerance = relative * Math.abs(expected) + 1e-300;
  expect(Math.abs(actual - expected), `${label}: ${actual} vs SciPy ${expected}`).toBeLessThanOrEqual(
    tolerance,
  );
}

function sample(path: string): Float64Array {
  const info = openNpy(`${FIXTURES}_data/${path}`);
  return readNpyRows(info, 0, info.rows).sort();
}

describe('kstwo.sf (the one-sample two-sided KS distribution)', () => {
  test.each(reference.kstwo_sf)('n=%d, d=%d', (n, d, expected) => {
    close(kolmogorovSf(n, d), expected, 1e-9, `kstwo.sf(${d}, ${n})`);
  });
});

describe('smirnov (the one-sided KS distribution)', () => {
  test.each(reference.smirnov_sf)('n=%d, d=%d', (n, d, expected) => {
    close(smirnovSf(n, d), expected, 1e-9, `smirnov(${n}, ${d})`);
  });
});

describe('chi2.sf', () => {
  test.each(reference.chi2_sf)('x=%d, k=%d', (x, k, expected) => {
    close(chi2Sf(x, k), expected, 1e-9, `chi2.sf(${x}, ${k})`);
  });
});

describe('numeric samples: ks_2samp, wasserstein_distance, PSI', () => {
  for (const c of reference.numeric) {
    test(c.name, () => {
      const a = sample(c.ref);
      const b = sample(c.cur);
      const ks = ks2samp(a, b);
      expect(ks.method).toBe(c.ks_method);
      close(ks.statistic, c.ks_statistic, 1e-12, 'KS statistic');
      close(ks.pvalue, c.ks_pvalue, 1e-9, 'KS p-value');
      close(wasserstein(a, b), c.wasserstein, 1e-9, 'Wasserstein');
      close(standardDeviation(a), c.std_ref, 1e-9, 'std');
      const edges = quantileEdges(a, reference.psi.bins);
      expect(edges).toEqual(c.psi_edges);
      const refCounts = binCounts(a, edges);
      const curCounts = binCounts(b, edges);
      expect(refCounts).toEqual(c.psi_ref_counts);
      expect(curCounts).toEqual(c.psi_cur_counts);
      close(psiFromCounts(refCounts, curCounts, reference.psi.epsilon), c.psi, 1e-9, 'PSI');
    });
  }
});

describe('categorical counts: chisquare, jensenshannon, PSI', () => {
  for (const c of reference.categorical) {
    test(c.name, () => {
      const chi = chiSquare(c.ref_counts, c.cur_counts);
      close(chi.statistic, c.chi2_statistic, 1e-9, 'chi-square statistic');
      close(chi.pvalue, c.chi2_pvalue, 1e-9, 'chi-square p-value');
      close(jensenShannon(c.ref_counts, c.cur_counts), c.js_distance, 1e-9, 'JS distance');
      close(psiFromCounts(c.ref_counts, c.cur_counts, reference.psi.epsilon), c.psi, 1e-9, 'PSI');
    });
  }
});

test('round half to even, as numpy.round (the asymptotic n of two samples of 10 001)', () => {
  expect(roundHalfEven(5000.5)).toBe(5000);
  expect(roundHalfEven(5001.5)).toBe(5002);
  expect(roundHalfEven(2.4)).toBe(2);
});

describe('whole tables, read from CSV (and Parquet): every statistic of every feature', () => {
  const cases = [
    ...Object.keys(reference.tables).map((file) => ['reference.csv', file] as const),
    ['reference.parquet', 'current-income-shifted.csv'] as const,
  ];
  for (const [referenceFile, file] of cases) {
    const expected = reference.tables[file]!;
    test(`${referenceFile} vs ${file}`, async () => {
      const input = (name: string) => ({
        path: `${FIXTURES}_data/${name}`,
        shown: name,
        format: name.endsWith('.parquet') ? ('parquet' as const) : ('csv' as const),
      });
      const read = await readBoth(input(referenceFile), input(file), { types: {}, maxCategories: 100 });
      read.features.forEach((name, k) => {
        const feature = analyzeFeature(
          read.reference.features[k]!,
          read.current.features[k]!,
          read.reference.rows,
          read.current.rows,
          'reference.csv',
          file,
          { bins: reference.psi.bins, epsilon: reference.psi.epsilon, maxCategories: 100, minValues: 1 },
        );
        const wanted = expected[name]!;
        expect(feature.type).toBe(wanted.type);
        for (const [metric, value] of Object.entries(wanted)) {
          if (metric === 'type') continue;
          const actual = feature.values[metric as keyof typeof feature.values];
          expect(actual, `${file} ${name} ${metric}`).toBeDefined();
          close(actual!, value as number, 1e-9, `${file} ${name} ${metric}`);
        }
      });
    });
  }
});

test('the radix sort orders doubles as TypedArray.prototype.sort does', () => {
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const values = new Float64Array(50_000);
  for (let i = 0; i < values.length; i++) {
    const kind = i % 5;
    values[i] =
      kind === 0
        ? (random() - 0.5) * 1e6
        : kind === 1
          ? Math.round((random() - 0.5) * 10)
          : kind === 2
            ? (random() - 0.5) * 1e-300
            : kind === 3
              ? -0
              : (random() - 0.5) * 1e300;
  }
  const expected = Float64Array.from(values).sort();
  const sorted = sortFloat64(Float64Array.from(values));
  expect(Array.from(sorted)).toEqual(Array.from(expected));
  // one digit in a pass (narrow data) is skipped, and the result is still sorted
  const narrow = Float64Array.from({ length: 5000 }, (_, i) => 1 + ((i * 7919) % 5000) / 1e9);
  expect(Array.from(sortFloat64(Float64Array.from(narrow)))).toEqual(Array.from(narrow.sort()));
});
