/**
 * Distances between a reference sample and a current one, each defined once here and pinned
 * to SciPy/NumPy by scripts/reference/drift.py:
 *
 * - Wasserstein-1 = scipy.stats.wasserstein_distance(u, v): ∫ |F_u − F_v|.
 * - PSI (Population Stability Index) = Σ (c_i − r_i) · ln(c_i / r_i) over bins, where r_i and c_i
 *   are the shares of the reference and current values in bin i, and a share of 0 is replaced
 *   by ε (default 1e-4, not renormalised, as Evidently does). Numeric bins: the reference's
 *   quantiles at i/B (i = 1 … B−1, numpy.quantile's default 'linear' method), duplicates
 *   removed, bins closed on the right: (−∞, e1], (e1, e2], …, (e_last, +∞). Categorical bins:
 *   the categories of both tables.
 * - Chi-square = scipy.stats.chisquare(f_obs = current counts, f_exp = reference counts ×
 *   n_current / n_reference) over the categories of both tables, dof = k − 1: goodness of fit
 *   of the current sample to the reference proportions. A category the reference never had
 *   makes the statistic infinite (p = 0), as in SciPy.
 * - Jensen–Shannon distance = scipy.spatial.distance.jensenshannon(p, q, base=2): in [0, 1].
 */

/** Values <= x in a sorted array (searchsorted side='right'). */
export function countAtMost(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** numpy.quantile(sorted, q) with the default 'linear' method, for a sorted array. */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const virtual = (n - 1) * q;
  const previous = Math.max(0, Math.min(Math.floor(virtual), n - 1));
  const next = Math.min(previous + 1, n - 1);
  const gamma = virtual - Math.floor(virtual);
  const a = sorted[previous]!;
  const b = sorted[next]!;
  const diff = b - a;
  // numpy's _lerp: from the nearer end, so the result is monotone and exact at the ends.
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** Interior bin edges: the reference's quantiles at i/bins, without duplicates. */
export function quantileEdges(sortedReference: Float64Array, bins: number): number[] {
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const edge = quantileSorted(sortedReference, i / bins);
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  return edges;
}

/** Counts per bin (−∞, e1], (e1, e2], …, (e_last, +∞) of a sorted sample. */
export function binCounts(sorted: Float64Array, edges: number[]): number[] {
  const counts: number[] = [];
  let below = 0;
  for (const edge of edges) {
    const atMost = countAtMost(sorted, edge);
    counts.push(atMost - below);
    below = atMost;
  }
  counts.push(sorted.length - below);
  return counts;
}

/** PSI from counts per bin; shares of 0 become epsilon. */
export function psiFromCounts(reference: number[], current: number[], epsilon: number): number {
  const nRef = reference.reduce((a, b) => a + b, 0);
  const nCur = current.reduce((a, b) => a + b, 0);
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]! / nRef || epsilon;
    const c = current[i]! / nCur || epsilon;
    psi += (r - c) * Math.log(r / c);
  }
  return psi;
}

/** scipy.stats.wasserstein_distance of two sorted samples: Σ |F_u − F_v| · Δx. */
export function wasserstein(u: Float64Array, v: Float64Array): number {
  const nu = u.length;
  const nv = v.length;
  let i = 0;
  let j = 0;
  let total = 0;
  let value = Math.min(u[0]!, v[0]!);
  while (i < nu || j < nv) {
    while (i < nu && u[i]! <= value) i++;
    while (j < nv && v[j]! <= value) j++;
    if (i >= nu && j >= nv) break;
    const next = i < nu && (j >= nv || u[i]! <= v[j]!) ? u[i]! : v[j]!;
    total += Math.abs(i / nu - j / nv) * (next - value);
    value = next;
  }
  return total;
}

/** Population standard deviation (numpy.std, ddof 0), two-pass. */
export function standardDeviation(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - mean) ** 2;
  return Math.sqrt(squares / values.length);
}

export interface ChiSquareResult {
  statistic: number;
  pvalue: number;
  dof: number;
}

/**
 * scipy.stats.chisquare(observed, expected) with expected = reference × n_obs / n_ref.
 * One category in both: SciPy returns NaN (dof 0); the distributions are then identical, and
 * the p-value is 1.
 */
export function chiSquare(reference: number[], current: number[]): ChiSquareResult {
  const nRef = reference.reduce((a, b) => a + b, 0);
  const nCur = current.reduce((a, b) => a + b, 0);
  const scale = nCur / nRef;
  let statistic = 0;
  for (let i = 0; i < reference.length; i++) {
    const expected = reference[i]! * scale;
    const observed = current[i]!;
    statistic += expected === 0 ? (observed === 0 ? 0 : Infinity) : (observed - expected) ** 2 / expected;
  }
  const dof = reference.length - 1;
  if (dof === 0) return { statistic, pvalue: 1, dof };
  return { statistic, pvalue: chi2Sf(statistic, dof), dof };
}

/** scipy.spatial.distance.jensenshannon(p, q, base=2) of two count vectors. */
export function jensenShannon(reference: number[], current: number[]): number {
  const nRef = reference.reduce((a, b) => a + b, 0);
  const nCur = current.reduce((a, b) => a + b, 0);
  let left = 0;
  let right = 0;
  for (let i = 0; i < reference.length; i++) {
    const p = reference[i]! / nRef;
    const q = current[i]! / nCur;
    const m = (p + q) / 2;
    if (p > 0) left += p * Math.log(p / m);
    if (q > 0) right += q * Math.log(q / m);
  }
  const js = (left + right) / Math.LN2;
  // Rounding can leave a hair below 0 for identical inputs (SciPy would return NaN).
  return Math.sqrt(Math.max(js, 0) / 2);
}

/** The survival function of χ² with k degrees of freedom: Q(k/2, x/2) (scipy.stats.chi2.sf). */
export function chi2Sf(x: number, k: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return gammaQ(k / 2, x / 2);
}

/** Regularised upper incomplete gamma Q(a, x): series below a + 1, continued fraction above. */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const logPrefix = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    // P(a, x) = e^-x x^a / Γ(a+1) Σ x^n / ((a+1)…(a+n))
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
    }
    return 1 - sum * Math.exp(logPrefix);
  }
  // Lentz's continued fraction for Q (Numerical Recipes 6.2).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(logPrefix) * h;
}

// Lanczos approximation (g = 7, 9 terms), relative error about 1e-15.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}
