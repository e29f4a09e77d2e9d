/**
 * Decimal text to float64 straight from bytes, without making a string per field: the
 * metrics pipeline parses tens of millions of numbers and V8's Number(string) costs ~200 ns
 * each with the slice. Results are the correctly rounded doubles Number() gives:
 *
 * - up to 15 significant digits and |exponent| <= 22: one IEEE multiply or divide of two
 *   exact doubles (Clinger's fast path) is correctly rounded;
 * - 16 to 19 digits, or more than 22 decimal places, down to 10^-250 and up to 10^250:
 *   mantissa and 10^e as double-doubles (~106 bits), one rounding at the end. Wrong only if the true value lies within ~2^-100 of a halfway
 *   point between two doubles; the tests compare with Number() on millions of strings;
 * - more digits, exponents past ±250, "inf"/"nan" spellings: Number() on the text.
 */

const SPLIT = 134_217_729; // 2^27 + 1, Dekker's splitter
/**
 * Decimal exponents the double-double path is exact for. Past them the low halves of 10^e
 * and of the products fall into subnormals (or 10^e itself does), the ~106 bits shrink to 53
 * and results are off by an ulp (1e-283 read as its neighbour): such numbers go to Number().
 */
const SCALED_MIN = -250;
const SCALED_MAX = 250;
const POW10_SMALL = [1, 10, 100, 1000, 10_000];
/** 10^0 .. 10^22, every one exactly representable. */
const EXACT_POWERS = Array.from({ length: 23 }, (_, k) => 10 ** k);
const OFFSET = 350;
const POW_HI = new Float64Array(2 * OFFSET);
const POW_LO = new Float64Array(2 * OFFSET);

/** 10^e as hi + lo, computed exactly with BigInt once at start-up. */
function initPowers(): void {
  const view = new DataView(new ArrayBuffer(8));
  const exactBits = (x: number): { mantissa: bigint; exponent: number } => {
    view.setFloat64(0, x);
    const high = view.getUint32(0);
    const low = view.getUint32(4);
    const biased = (high >>> 20) & 0x7ff;
    let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
    if (biased !== 0) mantissa |= 1n << 52n;
    return { mantissa, exponent: (biased === 0 ? 1 : biased) - 1075 };
  };
  // value = numerator / 2^scale, with scale large enough that the remainder keeps 106 bits.
  const toDouble = (numerator: bigint, scale: number): number => {
    if (numerator === 0n) return 0;
    const negative = numerator < 0n;
    const magnitude = negative ? -numerator : numerator;
    const bits = magnitude.toString(2).length;
    const drop = Math.max(0, bits - 64);
    const value = Number(magnitude >> BigInt(drop)) * 2 ** (drop - scale);
    return negative ? -value : value;
  };
  const SCALE = 1200;
  for (let e = -OFFSET; e < OFFSET; e++) {
    const scaled = e >= 0 ? (10n ** BigInt(e)) << BigInt(SCALE) : (1n << BigInt(SCALE)) / 10n ** BigInt(-e);
    const hi = toDouble(scaled, SCALE);
    let lo = 0;
    if (Number.isFinite(hi) && hi !== 0) {
      const { mantissa, exponent } = exactBits(hi);
      const shift = exponent + SCALE;
      const hiScaled = shift >= 0 ? mantissa << BigInt(shift) : mantissa >> BigInt(-shift);
      lo = toDouble(scaled - hiScaled, SCALE);
    }
    POW_HI[e + OFFSET] = hi;
    POW_LO[e + OFFSET] = lo;
  }
}
initPowers();

/** Where the last parseFloatPrefix call stopped (module state: no object per number). */
export let parsedEnd = 0;

/** The number in bytes [start, end), or NaN when the text is not a decimal number. */
export function parseFloatBytes(buf: Uint8Array, start: number, end: number): number {
  const value = parseFloatPrefix(buf, start, end);
  if (parsedEnd !== end || Number.isNaN(value)) return slowParse(buf, start, end);
  return value;
}

/**
 * Parses the longest decimal number at buf[start..limit) and sets parsedEnd to the byte after
 * it. NaN (with parsedEnd = start) when no number starts there, or when it needs the slow
 * path (very long mantissas, extreme exponents): the caller then parses the field as text.
 */
export function parseFloatPrefix(buf: Uint8Array, start: number, limit: number): number {
  parsedEnd = parseFloatInto(buf, start, limit, SCRATCH, 0);
  return SCRATCH[0]!;
}

const SCRATCH = new Float64Array(1);

/**
 * parseFloatPrefix for the row loop: the number goes into target[index] (NaN when none starts
 * there) and the return value is where it ends (start when no number starts there). A double
 * returned from a function V8 does not inline is boxed, one heap allocation per field; a
 * typed-array store is not. The common forms ("0.123456", "-12.5") here, 16 to 19 digits
 * (a float64 written in full has 17) out of line, every other form in the full parser.
 */
export function parseFloatInto(
  buf: Uint8Array,
  start: number,
  limit: number,
  target: Float64Array,
  index: number,
): number {
  let i = start;
  let negative = false;
  if (i < limit && buf[i] === 45) {
    negative = true;
    i++;
  }
  let hi = 0;
  let digits = 0;
  let c = 0;
  const first = i;
  while (i < limit && buf[i] === 48) i++;
  while (i < limit && (c = buf[i]! - 48) >>> 0 <= 9 && digits < 15) {
    hi = hi * 10 + c;
    digits++;
    i++;
  }
  let exponent = 0;
  if (i < limit && buf[i] === 46) {
    const fraction = ++i;
    if (digits === 0) while (i < limit && buf[i] === 48) i++;
    while (i < limit && (c = buf[i]! - 48) >>> 0 <= 9 && digits < 15) {
      hi = hi * 10 + c;
      digits++;
      i++;
    }
    if (digits === 15 && i < limit && (buf[i]! - 48) >>> 0 <= 9)
      return parseLongFractionInto(buf, start, i, limit, hi, fraction, negative, target, index);
    exponent = fraction - i;
  }
  // More integer digits, an exponent, a lone sign or dot, a scale past 10^-22: the full parser.
  if (
    (i < limit && ((c = buf[i]! - 48) >>> 0 <= 9 || buf[i] === 101 || buf[i] === 69)) ||
    i === first ||
    (i === first + 1 && buf[first] === 46) ||
    exponent < -22
  ) {
    target[index] = parseFloatFull(buf, start, limit);
    return parsedEnd;
  }
  const value = hi / EXACT_POWERS[-exponent]!;
  target[index] = negative ? -value : value;
  return i;
}

/** parseFloatInto past the 15th significant digit of a fraction: up to 4 more in lo. */
function parseLongFractionInto(
  buf: Uint8Array,
  start: number,
  i: number,
  limit: number,
  hi: number,
  fraction: number,
  negative: boolean,
  target: Float64Array,
  index: number,
): number {
  let lo = 0;
  let loDigits = 0;
  let c = 0;
  while (i < limit && (c = buf[i]! - 48) >>> 0 <= 9 && loDigits < 4) {
    lo = lo * 10 + c;
    loDigits++;
    i++;
  }
  const exponent = fraction - i;
  if (
    (i < limit && ((c = buf[i]! - 48) >>> 0 <= 9 || buf[i] === 101 || buf[i] === 69)) ||
    exponent < SCALED_MIN
  ) {
    target[index] = parseFloatFull(buf, start, limit);
    return parsedEnd;
  }
  const value = scaleDecimal(hi, lo, loDigits, exponent);
  target[index] = negative ? -value : value;
  return i;
}

/** Every form parseFloatPrefix reads: a sign, up to 19 digits, an exponent. */
function parseFloatFull(buf: Uint8Array, start: number, limit: number): number {
  let i = start;
  let negative = false;
  parsedEnd = start;
  if (i < limit && buf[i] === 45) {
    negative = true;
    i++;
  } else if (i < limit && buf[i] === 43) i++;
  let hi = 0; // first 15 significant digits
  let lo = 0; // the next up to 4
  let digits = 0; // significant digits in hi
  let loDigits = 0;
  let exponent = 0;
  let c = 0;
  const first = i;
  // Integer part: leading zeros, then up to 15 significant digits.
  while (i < limit && buf[i] === 48) i++;
  while (i < limit && (c = buf[i]! - 48) >>> 0 <= 9 && digits < 15) {
    hi = hi * 10 + c;
    digits++;
    i++;
  }
  // Digits past the fifteenth go to lo; past the nineteenth, the slow path.
  for (; i < limit && (c = buf[i]! - 48) >>> 0 <= 9; i++) {
    if (loDigits === 4) return Number.NaN;
    lo = lo * 10 + c;
    loDigits++;
  }
  let seen = i > first;
  if (i < limit && buf[i] === 46) {
    i++;
    const fraction = i;
    if (digits === 0) while (i < limit && buf[i] === 48) i++; // leading zeros: scale only
    while (i < limit && (c = buf[i]! - 48) >>> 0 <= 9 && digits < 15) {
      hi = hi * 10 + c;
      digits++;
      i++;
    }
    for (; i < limit && (c = buf[i]! - 48) >>> 0 <= 9; i++) {
      if (loDigits === 4) return Number.NaN;
      lo = lo * 10 + c;
      loDigits++;
    }
    exponent = fraction - i;
    if (i > fraction) seen = true;
  }
  if (!seen) return Number.NaN;
  if (i < limit && (buf[i] === 101 || buf[i] === 69)) {
    i++;
    let expNegative = false;
    if (i < limit && buf[i] === 45) {
      expNegative = true;
      i++;
    } else if (i < limit && buf[i] === 43) i++;
    let value = 0;
    let expSeen = false;
    for (; i < limit; i++) {
      c = buf[i]! - 48;
      if (c >>> 0 > 9) break;
      if (value < 100_000) value = value * 10 + c;
      expSeen = true;
    }
    if (!expSeen) return Number.NaN;
    exponent += expNegative ? -value : value;
  }
  if (digits === 0) {
    parsedEnd = i;
    return negative ? -0 : 0;
  }
  if (exponent < SCALED_MIN || exponent > SCALED_MAX) return Number.NaN;
  parsedEnd = i;
  const value =
    loDigits === 0 && exponent >= -22 && exponent <= 22
      ? exponent < 0
        ? hi / EXACT_POWERS[-exponent]!
        : hi * EXACT_POWERS[exponent]!
      : scaleDecimal(hi, lo, loDigits, exponent);
  return negative ? -value : value;
}

/**
 * (hi × 10^loDigits + lo) × 10^exponent, correctly rounded but for values within ~2^-100 of a
 * halfway point: mantissa and power as double-doubles, one rounding at the end.
 */
function scaleDecimal(hi: number, lo: number, loDigits: number, exponent: number): number {
  // mantissa = hi * 10^loDigits + lo, as a double-double (mh, ml)
  const b = POW10_SMALL[loDigits]!;
  const p = hi * b;
  let t = SPLIT * hi;
  const ah = t - (t - hi);
  const al = hi - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const pe = ah * bh - p + ah * bl + al * bh + al * bl;
  let mh = p + lo;
  let ml = pe + (lo - (mh - p));
  const s = mh + ml;
  ml -= s - mh;
  mh = s;
  // times 10^exponent (double-double), rounded once
  const ph = POW_HI[exponent + OFFSET]!;
  const pl = POW_LO[exponent + OFFSET]!;
  const q = mh * ph;
  t = SPLIT * mh;
  const ch = t - (t - mh);
  const cl = mh - ch;
  t = SPLIT * ph;
  const dh = t - (t - ph);
  const dl = ph - dh;
  const qe = ch * dh - q + ch * dl + cl * dh + cl * dl;
  return q + (qe + mh * pl + ml * ph);
}

const decoder = new TextDecoder();
function slowParse(buf: Uint8Array, start: number, end: number): number {
  const text = decoder.decode(buf.subarray(start, end)).trim();
  if (text === '') return Number.NaN;
  const lower = text.toLowerCase();
  if (lower === 'nan' || lower === '-nan') return Number.NaN;
  if (lower === 'inf' || lower === 'infinity' || lower === '+inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  // Number('') and Number('0x10') accept what a CSV number is not.
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? value : Number.NaN;
}

/** An integer field ("7", "-2", "3.0"), or undefined when the text is not one. */
export function parseIntegerBytes(buf: Uint8Array, start: number, end: number): number | undefined {
  let i = start;
  let negative = false;
  if (i < end && buf[i] === 45) {
    negative = true;
    i++;
  }
  if (i === end) return undefined;
  let value = 0;
  for (; i < end; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) break;
    value = value * 10 + c;
  }
  if (i < end) {
    // Accept "3.0" and "3.00" (floats written for integer labels), nothing else.
    if (buf[i] !== 46) return undefined;
    i++;
    if (i === end) return undefined;
    for (; i < end; i++) if (buf[i] !== 48) return undefined;
  }
  if (value > Number.MAX_SAFE_INTEGER) return undefined;
  return negative ? -value : value;
}
