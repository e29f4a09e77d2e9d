/**
 * Seeded bootstrap confidence intervals.
 *
 * Confusion-matrix metrics: resampling n rows with replacement gives confusion counts that
 * are Multinomial(n, observed cell shares), so each replicate draws the k² cells directly —
 * the same distribution as resampling rows, at O(k²) per replicate whatever n is.
 * Regression metrics resample rows (indices), which needs the rows kept.
 * Intervals are percentile intervals (numpy's linear interpolation).
 */

/** xoshiro128** (Blackman & Vigna), seeded through splitmix32: small, fast, reproducible. */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let state = seed >>> 0;
    const splitmix = () => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = splitmix();
    this.s1 = splitmix();
    this.s2 = splitmix();
    this.s3 = splitmix();
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67_108_864 + low) / 9_007_199_254_740_992;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// Stirling-series corrections fc(k) = ln k! - (k + 1/2) ln(k + 1) + (k + 1) - ln(2π)/2.
const FC = [
  0.08106146679532726, 0.04134069595540929, 0.02767792568499834, 0.02079067210376509, 0.01664469118982119,
  0.01387612882307075, 0.01189670994589177, 0.01041126526197209, 0.009255462182712733, 0.008330563433362871,
];
function stirlingCorrection(k: number): number {
  if (k < 10) return FC[k]!;
  const rk = 1 / (k + 1);
  const rk2 = rk * rk;
  return (1 / 12 - (1 / 360 - rk2 / 1260) * rk2) * rk;
}

/**
 * Binomial(n, p). Inversion when n·p is small; otherwise BTRD, the transformed rejection
 * method of W. Hörmann, "The generation of binomial random variates" (1993).
 */
export function binomial(random: Random, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(random, n, 1 - p);
  const q = 1 - p;
  if (n * p < 10) {
    // Inversion (BINV): walk the cumulative distribution from 0.
    const s = p / q;
    const a = (n + 1) * s;
    for (;;) {
      let r = q ** n;
      let u = random.next();
      let x = 0;
      while (u > r) {
        u -= r;
        x++;
        if (x > n) break;
        r *= a / x - s;
      }
      if (x <= n) return x;
    }
  }
  const m = Math.floor((n + 1) * p);
  const r = p / q;
  const nr = (n + 1) * r;
  const npq = n * p * q;
  const spq = Math.sqrt(npq);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const alpha = (2.83 + 5.1 / b) * spq;
  const vr = 0.92 - 4.2 / b;
  const urvr = 0.86 * vr;
  for (;;) {
    let v = random.next();
    let u: number;
    if (v <= urvr) {
      u = v / vr - 0.43;
      return Math.floor(((2 * a) / (0.5 - Math.abs(u)) + b) * u + c);
    }
    if (v >= vr) {
      u = random.next() - 0.5;
    } else {
      u = v / vr - 0.93;
      u = Math.sign(u) * 0.5 - u;
      v = random.next() * vr;
    }
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    v = (v * alpha) / (a / (us * us) + b);
    const km = Math.abs(k - m);
    if (km <= 15) {
      // Recursive evaluation of f(k) / f(m).
      let f = 1;
      if (m < k) {
        for (let i = m + 1; i <= k; i++) f *= nr / i - r;
      } else if (m > k) {
        for (let i = k + 1; i <= m; i++) v *= nr / i - r;
      }
      if (v <= f) return k;
      continue;
    }
    // Squeeze, then the final acceptance test with Stirling's approximation.
    v = Math.log(v);
    const rho = (km / npq) * (((km / 3 + 0.625) * km + 1 / 6) / npq + 0.5);
    const t = (-km * km) / (2 * npq);
    if (v < t - rho) return k;
    if (v > t + rho) continue;
    const nm = n - m + 1;
    const h = (m + 0.5) * Math.log((m + 1) / (r * nm)) + stirlingCorrection(m) + stirlingCorrection(n - m);
    const nk = n - k + 1;
    if (
      v <=
      h +
        (n + 1) * Math.log(nm / nk) +
        (k + 0.5) * Math.log((nk * r) / (k + 1)) -
        stirlingCorrection(k) -
        stirlingCorrection(n - k)
    ) {
      return k;
    }
  }
}

/** Multinomial(n, shares): counts per cell, drawn as a chain of binomials. */
export function multinomial(
  random: Random,
  n: number,
  shares: ArrayLike<number>,
  out: Float64Array,
): Float64Array {
  let remaining = n;
  let mass = 1;
  for (let i = 0; i < shares.length; i++) {
    if (remaining === 0 || mass <= 0) {
      out[i] = 0;
      continue;
    }
    const share = shares[i]!;
    const count =
      i === shares.length - 1
        ? remaining
        : binomial(random, remaining, Math.min(1, Math.max(0, share / mass)));
    out[i] = count;
    remaining -= count;
    mass -= share;
  }
  return out;
}

/** numpy.percentile(values, q) with linear interpolation; values are sorted in place. */
export function percentile(values: Float64Array, q: number): number {
  values.sort();
  const finite = values.filter((v) => !Number.isNaN(v));
  if (finite.length === 0) return Number.NaN;
  const position = (q / 100) * (finite.length - 1);
  const low = Math.floor(position);
  const high = Math.min(finite.length - 1, low + 1);
  return finite[low]! + (finite[high]! - finite[low]!) * (position - low);
}

export interface Interval {
  low: number;
  high: number;
  confidence: number;
  samples: number;
  seed: number;
}

/** Percentile intervals for metrics computed from resampled confusion matrices. */
export function bootstrapConfusion(
  confusion: number[][],
  metricsOf: (confusion: number[][]) => Record<string, number>,
  names: string[],
  options: { samples: number; seed: number; confidence: number },
): Record<string, Interval> {
  const k = confusion.length;
  const n = confusion.flat().reduce((a, b) => a + b, 0);
  const shares = new Float64Array(k * k);
  confusion.flat().forEach((count, i) => {
    shares[i] = count / n;
  });
  const random = new Random(options.seed);
  const draws = new Map(names.map((name) => [name, new Float64Array(options.samples)]));
  const cells = new Float64Array(k * k);
  for (let s = 0; s < options.samples; s++) {
    multinomial(random, n, shares, cells);
    const resampled = Array.from({ length: k }, (_, t) => Array.from(cells.subarray(t * k, t * k + k)));
    const values = metricsOf(resampled);
    for (const name of names) draws.get(name)![s] = values[name] ?? Number.NaN;
  }
  return intervals(draws, options);
}

/** Percentile intervals for metrics recomputed on rows resampled with replacement. */
export function bootstrapRows(
  rows: number,
  metricsOf: (indices: Int32Array) => Record<string, number>,
  names: string[],
  options: { samples: number; seed: number; confidence: number },
): Record<string, Interval> {
  const random = new Random(options.seed);
  const draws = new Map(names.map((name) => [name, new Float64Array(options.samples)]));
  const indices = new Int32Array(rows);
  for (let s = 0; s < options.samples; s++) {
    for (let i = 0; i < rows; i++) indices[i] = random.below(rows);
    const values = metricsOf(indices);
    for (const name of names) draws.get(name)![s] = values[name] ?? Number.NaN;
  }
  return intervals(draws, options);
}

function intervals(
  draws: Map<string, Float64Array>,
  options: { samples: number; seed: number; confidence: number },
): Record<string, Interval> {
  const tail = ((1 - options.confidence) / 2) * 100;
  const out: Record<string, Interval> = {};
  for (const [name, values] of draws) {
    out[name] = {
      low: percentile(values, tail),
      high: percentile(values, 100 - tail),
      confidence: options.confidence,
      samples: options.samples,
      seed: options.seed,
    };
  }
  return out;
}
