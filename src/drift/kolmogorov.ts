/**
 * The distribution of the Kolmogorov–Smirnov statistic, as SciPy computes it, so that
 * mlgate's p-values equal `scipy.stats.ks_2samp`'s:
 *
 * - `kolmogorovSf(n, d)` is `scipy.stats.kstwo.sf(d, n)`: P(D_n >= d) for the two-sided
 *   one-sample statistic, with the method chosen as Simard & L'Ecuyer (2011) recommend and
 *   SciPy implements it (Ruben–Gambino closed forms, the Durbin matrix as Marsaglia–Tsang–Wang
 *   compute it, Pomeranz's recursion, Pelz–Good's asymptotic series, 2 × Smirnov's one-sided
 *   distribution).
 * - `smirnovSf(n, d)` is `scipy.special.smirnov(n, d)`: P(D_n+ >= d), Birnbaum–Tingey's sum.
 *
 * Written from the papers and the behaviour of SciPy 1.17; the reference values in
 * src/checks/drift/fixtures/reference.json (scripts/reference/drift.py) pin the agreement.
 *
 * [Simard & L'Ecuyer 2011] "Computing the Two-Sided Kolmogorov-Smirnov Distribution", JSS 39(11).
 * [Marsaglia, Tsang, Wang 2003] "Evaluating Kolmogorov's Distribution", JSS 8(18).
 * [Pomeranz 1974] CACM 17(12), Algorithm 487.  [Pelz & Good 1976] JRSS B 38(2).
 * [Birnbaum & Tingey 1951] Ann. Math. Statist. 22(4).
 */

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const MIN_LOG = -708;
const EPSILON = Number.EPSILON;

// Stirling series coefficients B_2j / (2j (2j-1)), j = 8 … 1 (highest first, for Horner).
const STIRLING = [
  -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
  -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2,
];

const clip01 = (p: number) => (p < 0 ? 0 : p > 1 ? 1 : p);

/** log(n! / n^n) by Stirling, with n log n removed first (no cancellation). */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  let poly = 0;
  for (const c of STIRLING) poly = poly * (rn / n) + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

/** P(D_n >= d), two-sided one-sample KS: scipy.stats.kstwo.sf(d, n). */
export function kolmogorovSf(n: number, d: number): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(d)) return Number.NaN;
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 1) {
    // Ruben–Gambino: 1/(2n) <= d <= 1/n.
    if (t <= 0.5) return 1;
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else prob = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    return clip01(1 - prob);
  }
  if (t >= n - 1) return clip01(2 * (1 - d) ** n); // Ruben–Gambino
  if (d >= 0.5) return clip01(2 * smirnovSf(n, d)); // the one-sided events are disjoint
  const nxSquared = t * d;
  if (n <= 140) {
    if (nxSquared <= 0.754693) return clip01(1 - durbinCdf(n, d));
    if (nxSquared <= 4) return clip01(1 - pomeranzCdf(n, d));
    return clip01(2 * smirnovSf(n, d));
  }
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clip01(2 * smirnovSf(n, d));
  const cdf = n <= 100_000 && n * d ** 1.5 <= 1.4 ? durbinCdf(n, d) : pelzGoodCdf(n, d);
  return clip01(1 - cdf);
}

/** P(D_n <= d) by Durbin's matrix, computed as Marsaglia, Tsang & Wang do (scaled powers). */
export function durbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H: Float64Array = new Float64Array(m * m);
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    v[j - 1] = 1 - h ** j;
    w[j - 1] = fac;
    fac /= j;
    v[j - 1]! *= fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1]!;
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;

  let power: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) power[i * m + i] = 1;
  let remaining = n;
  let exponent = 0;
  let hExponent = 0;
  while (remaining > 0) {
    if (remaining % 2) {
      power = matmul(power, H, m);
      exponent += hExponent;
    }
    H = matmul(H, H, m);
    hExponent *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > E128) {
      for (let i = 0; i < H.length; i++) H[i]! /= E128;
      hExponent += 128;
    }
    remaining = Math.floor(remaining / 2);
  }
  let p = power[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      exponent -= 128;
    }
  }
  if (exponent !== 0) p *= 2 ** exponent;
  return clip01(p);
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < m; l++) {
      const ail = a[i * m + l]!;
      if (ail === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j]! += ail * b[l * m + j]!;
    }
  }
  return out;
}

/** The row interval [j1, j2] of Pomeranz's recursion that can be non-zero. */
function pomeranzInterval(i: number, n: number, ll: number, ceilF: number, roundF: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilF - 1;
    j2 = ll + ceilF - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilF - 1;
        j2 = n + ll + ceilF - 1;
      } else {
        j1 = half - 1 - ll - roundF - 1;
        j2 = half + ll - 1 + ceilF - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundF - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** P(D_n <= d) by Pomeranz's recursion (two rows, scaled against underflow). */
export function pomeranzCdf(n: number, d: number): number {
  const t = n * d;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilF = f > 0 ? 1 : 0;
  const roundF = f > 0.5 ? 1 : 0;
  const size = 2 * (ll + 1);
  const gPower = new Float64Array(size);
  const twoGPower = new Float64Array(size);
  const oneMinusTwoGPower = new Float64Array(size);
  gPower[0] = twoGPower[0] = oneMinusTwoGPower[0] = 1;
  const gn = g / n;
  const twoGn = (2 * g) / n;
  const oneMinusTwoGn = (1 - 2 * g) / n;
  for (let m = 1; m < size; m++) {
    gPower[m] = (gPower[m - 1]! * gn) / m;
    twoGPower[m] = (twoGPower[m - 1]! * twoGn) / m;
    oneMinusTwoGPower[m] = (oneMinusTwoGPower[m - 1]! * oneMinusTwoGn) / m;
  }
  let V0 = new Float64Array(size);
  let V1 = new Float64Array(size);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let exponent = 0;
  let [j1, j2] = pomeranzInterval(0, n, ll, ceilF, roundF);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzInterval(i, n, ll, ceilF, roundF);
    const powers = i === 1 || i === 2 * n + 1 ? gPower : i % 2 ? twoGPower : oneMinusTwoGPower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // subarray() clamps like Python's slicing does.
      const a = V0.subarray(k1 - V0s, k1 - V0s + ln2);
      const b = powers.subarray(0, ln2);
      const start = j1 - k1;
      const length = j2 - j1 + 1;
      for (let out = 0; out < length; out++) {
        const index = start + out; // entry of the full convolution a * b
        let sum = 0;
        const lo = Math.max(0, index - b.length + 1);
        const hi = Math.min(index, a.length - 1);
        for (let x = lo; x <= hi; x++) sum += a[x]! * b[index - x]!;
        V1[out] = sum;
      }
      let max = -Infinity;
      for (let x = 0; x < V1.length; x++) if (V1[x]! > max) max = V1[x]!;
      if (max > 0 && max < EM128) {
        for (let x = 0; x < V1.length; x++) V1[x]! *= E128;
        exponent -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let answer = V1[n - V1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(answer) > E128) {
      answer *= EM128;
      exponent += 128;
    }
    answer *= m;
  }
  if (exponent !== 0) answer *= 2 ** exponent;
  return clip01(answer);
}

/** Pelz & Good's approximation of P(D_n <= d) (Li-Chien / Korolyuk series, theta-transformed). */
export function pelzGoodCdf(n: number, d: number): number {
  if (d <= 0) return 0;
  if (d >= 1) return 1;
  const z = Math.sqrt(n) * d;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxK = Math.ceil((16 * z) / Math.PI);
  for (let k = maxK; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qPower = q ** (8 * k);
    const coefficients = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = K[i]! * qPower + coefficients[i]!;
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT_2PI) / divisors[i]!;
  q = Math.exp(-PI2 / 2 / z2);
  const sqrt3z = Math.sqrt(3) * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxK; k > 0; k--) {
    const k2 = k * k;
    const qp = q ** k2;
    k2extra += k2 * qp;
    const kpi = Math.PI * k;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qp;
  }
  K[2]! += (k2extra * PI2 * SQRT_2PI) / (-36 * z3);
  K[3]! += (k3extra * PI2 * SQRT_2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i]! / n ** (i / 2);
  return sum;
}

/**
 * P(D_n+ >= d), the one-sided statistic: scipy.special.smirnov(n, d). Birnbaum & Tingey's
 * sum of positive terms, each in logarithms so that n up to 10^6 neither overflows nor
 * loses precision; beyond 10^6, the approximation exp(-(6nd+1)^2 / 18n) as SciPy uses it.
 */
export function smirnovSf(n: number, d: number): number {
  if (!(n > 0 && d >= 0 && d <= 1)) return Number.NaN;
  if (n === 1) return 1 - d;
  if (d === 0) return 1;
  if (d === 1) return 0;
  // n·d as an exact sum hi + lo, so floor(n·d) and its remainder are right at the edges.
  const [hi, lo] = twoProduct(n, d);
  let nxFloor = Math.floor(hi);
  if (hi === nxFloor && lo < 0) nxFloor -= 1;
  let alpha = hi - nxFloor + lo;
  if (alpha >= 1) {
    nxFloor += 1;
    alpha = 0;
  }
  if (nxFloor === 0 || (nxFloor === 1 && alpha === 0)) return clip01(1 - d * (1 + d) ** (n - 1));
  if (-2 * n * d * d < -745.1332191019412) return 0;
  if (nxFloor >= n - 1) return clip01((1 - d) ** n);
  if (n > 1_000_000) {
    const logp = -((6 * n * d + 1) ** 2) / 18 / n;
    return clip01(logp < -Math.LN2 ? Math.exp(logp) : 1 - -Math.expm1(logp));
  }
  // Terms v = 0 … last: A_v = C(n,v) (d + v/n)^(v-1) (1 - d - v/n)^(n-v); sf = d · Σ A_v.
  let last = n - nxFloor - (alpha === 0 ? 0 : 1);
  if (alpha === 0) last -= 1;
  const terms = last + 1;
  const middle = Math.floor(n / 2);
  const nx = hi + lo;
  const logN = Math.log(n);
  const stirlingN = stirlingError(n);
  let sum = 0;
  for (let v = 0; v < terms; v++) {
    const term = Math.exp(v === 0 ? n * Math.log1p(-d) - Math.log(d) : logTerm(v));
    if (Number.isFinite(term) && term !== 0) sum += term;
    if (term !== 0) {
      if (4 * (terms - v) * Math.abs(term) < EPSILON * sum && v !== terms - 1) break;
    } else if (v > middle) break;
  }
  return clip01(d * sum);

  /**
   * log A_v with the factorials by Stirling and every n·log n cancelled by hand, so no
   * intermediate is larger than about n·d (plain logarithms of C(n,v) lose 1e-9 at n = 10^6):
   *   log n − log(v + nd) + v·log1p(nd/v) + (n−v)·log(1 − nd/(n−v))
   *   + ½·log(n / (2π v (n−v))) + δ(n) − δ(v) − δ(n−v)
   */
  function logTerm(v: number): number {
    const rest = n - v;
    const shareLeft = nx / rest;
    // 1 − nd/(n−v) from the exact remainder when it is small (the last terms).
    const logDown = shareLeft < 0.5 ? Math.log1p(-shareLeft) : Math.log((rest - nxFloor - alpha) / rest);
    return (
      logN -
      Math.log(v + nx) +
      v * Math.log1p(nx / v) +
      rest * logDown +
      0.5 * Math.log(n / (2 * Math.PI * v * rest)) +
      stirlingN -
      stirlingError(v) -
      stirlingError(rest)
    );
  }
}

/** δ(k) = log k! − (k log k − k + ½ log 2πk), Stirling's remainder. */
function stirlingError(k: number): number {
  if (k < 16) {
    let logFactorial = 0;
    for (let i = 2; i <= k; i++) logFactorial += Math.log(i);
    return logFactorial - (k * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI * k));
  }
  const r = 1 / k;
  const r2 = r * r;
  return r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680 - r2 / 1188))));
}

/** a·b as hi + lo exactly (Dekker's product, no FMA needed). */
function twoProduct(a: number, b: number): [number, number] {
  const hi = a * b;
  const split = (x: number): [number, number] => {
    const c = 134217729 * x; // 2^27 + 1
    const high = c - (c - x);
    return [high, x - high];
  };
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const lo = ah * bh - hi + ah * bl + al * bh + al * bl;
  return [hi, lo];
}
