/**
 * The two-sample Kolmogorov–Smirnov test as `scipy.stats.ks_2samp(a, b)` computes it with
 * its defaults (two-sided, method='auto'): exact when both samples have at most 10 000
 * values (Hodges' lattice-path counts; for unequal sizes the "inside" recursion for 1 − p
 * of Viehmann 2021), else — or when the exact count fails numerically — the asymptotic
 * p-value kstwo.sf(D, round(n·m/(n+m))).
 *
 * Hodges, J.L. (1958) "The significance probability of the Smirnov two-sample test",
 * Arkiv för Matematik 3(43). Viehmann, T. (2021) arXiv:2102.08037.
 */
import { kolmogorovSf } from './kolmogorov.js';

/** SciPy's limit for method='auto': exact when max(n1, n2) <= this. */
export const KS_EXACT_MAX_N = 10_000;

export interface KsResult {
  statistic: number;
  pvalue: number;
  method: 'exact' | 'asymptotic';
  /** The value where the empirical CDFs are farthest apart. */
  location: number;
}

/** Both arrays sorted ascending, without NaN, each non-empty. */
export function ks2samp(a: Float64Array, b: Float64Array): KsResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new Error('ks2samp needs two non-empty samples');
  let maxDiff = -Infinity;
  let minDiff = Infinity;
  let maxAt = Number.NaN;
  let minAt = Number.NaN;
  let i = 0;
  let j = 0;
  // The ECDFs change only at data values: evaluate after each distinct value (side='right').
  while (i < n1 || j < n2) {
    const value = i < n1 && (j >= n2 || a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < n1 && a[i]! <= value) i++;
    while (j < n2 && b[j]! <= value) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) {
      maxDiff = diff;
      maxAt = value;
    }
    if (diff < minDiff) {
      minDiff = diff;
      minAt = value;
    }
  }
  const minS = Math.min(Math.max(-minDiff, 0), 1);
  let d = maxDiff;
  let location = maxAt;
  if (minS > maxDiff) {
    d = minS;
    location = minAt;
  }
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    const exact = exactPvalue(n1, n2, d);
    if (exact) return { statistic: exact.d, pvalue: exact.p, method: 'exact', location };
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  const p = kolmogorovSf(roundHalfEven(en), d);
  return { statistic: d, pvalue: Math.min(Math.max(p, 0), 1), method: 'asymptotic', location };
}

/** numpy.round: halves to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The exact two-sided p-value, or undefined when it cannot be computed (then: asymptotic). */
function exactPvalue(n1: number, n2: number, statistic: number): { d: number; p: number } | undefined {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(statistic * lcm);
  const d = h / lcm;
  if (h === 0) return { d, p: 1 };
  const p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  if (!(p >= 0 && p <= 1)) return undefined;
  return { d, p };
}

/**
 * P(D_{n,n} >= h/n) = 2 Σ_k (-1)^(k+1) C(2n, n - kh) / C(2n, n), evaluated Horner-like with
 * each term divided by C(2n, n) first (no cancellation of huge numbers).
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * 1 − (the share of lattice paths from (0,0) to (m,n) that stay strictly inside
 * |x/m − y/n| < h/lcm), computed directly as Viehmann's recursion does: one sliding column.
 */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let value = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      value = (A[jj + minj - lastminj]! * i + value * j) / (i + j);
      A[jj] = value;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}
