/**
 * Decimal text to float64 straight from bytes, without making a string per field: the
 * metrics pipeline parses tens of millions of numbers and V8's Number(string) costs ~200 ns
 * each with the slice. Results are the correctly rounded doubles Number() gives:
 *
 * - up to 15 significant digits and |exponent| <= 22: one IEEE multiply or divide of two
 *   exact doubles (Clinger's fast path) is correctly rounded;
 * - 16 to 19 digits, any exponent: mantissa and 10^e as double-doubles (~106 bits), one
 *   rounding at the end. Wrong only if the true value lies within ~2^-100 of a halfway
 *   point between two doubles; the tests compare with Number() on millions of strings;
 * - more digits, subnormal or huge exponents, "inf"/"nan" spellings: Number() on the text.
 */

const SPLIT = 134_217_729; // 2^27 + 1, Dekker's splitter
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

// Four ASCII digits at once (SWAR): the little-endian 32-bit word at i, when all four bytes
// are digits, gives their value with a few integer operations instead of four loop trips.
let viewOf: Uint8Array | undefined;
let view: DataView | undefined;
function fourDigits(buf: Uint8Array, i: number): number {
  if (buf !== viewOf) {
    viewOf = buf;
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  const word = view!.getUint32(i, true);
  const d = (word - 0x30303030) >>> 0;
  // Each byte must be 0..9: no borrow from the subtraction, and adding 6 must not carry past 9.
  if ((word & 0xf0f0f0f0) >>> 0 !== 0x30303030 || ((d + 0x06060606) & 0xf0f0f0f0) >>> 0 !== 0) return -1;
  const pairs = (d * 10 + (d >>> 8)) & 0x00ff00ff; // [d0d1, d2d3] in 16-bit lanes
  return (pairs & 0xffff) * 100 + (pairs >>> 16);
}

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
  let i = start;
  let negative = false;
  parsedEnd = start;
  if (i < limit && buf[i] === 45) {
    negative = true;
    i++;
  } else if (i < limit && buf[i] === 43) i++;
  let hi = 0; // first 15 significant digits
  let lo = 0; // the next up to 4
  let digits = 0;
  let loDigits = 0;
  let exponent = 0;
  let seen = false;
  let c = 0;
  // Integer part: leading zeros, then significant digits.
  while (i < limit && buf[i] === 48) {
    i++;
    seen = true;
  }
  while (digits <= 11 && i + 4 <= limit) {
    const four = fourDigits(buf, i);
    if (four < 0) break;
    hi = hi * 10_000 + four;
    digits += 4;
    i += 4;
    seen = true;
  }
  for (; i < limit; i++) {
    c = buf[i]! - 48;
    if (c >>> 0 > 9) break;
    seen = true;
    if (digits < 15) hi = hi * 10 + c;
    else if (digits < 19) {
      lo = lo * 10 + c;
      loDigits++;
    } else return Number.NaN; // beyond 19 digits: the slow path
    digits++;
  }
  if (i < limit && buf[i] === 46) {
    i++;
    if (digits === 0) {
      while (i < limit && buf[i] === 48) {
        i++;
        exponent--;
        seen = true;
      }
    }
    while (digits <= 11 && i + 4 <= limit) {
      const four = fourDigits(buf, i);
      if (four < 0) break;
      hi = hi * 10_000 + four;
      digits += 4;
      exponent -= 4;
      i += 4;
      seen = true;
    }
    for (; i < limit; i++) {
      c = buf[i]! - 48;
      if (c >>> 0 > 9) break;
      seen = true;
      if (digits < 15) hi = hi * 10 + c;
      else if (digits < 19) {
        lo = lo * 10 + c;
        loDigits++;
      } else return Number.NaN;
      digits++;
      exponent--;
    }
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
  if (exponent < -300 || exponent > 290) return Number.NaN;
  parsedEnd = i;
  let value: number;
  if (loDigits === 0 && exponent >= -22 && exponent <= 22) {
    value = exponent < 0 ? hi / EXACT_POWERS[-exponent]! : hi * EXACT_POWERS[exponent]!;
  } else {
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
    value = q + (qe + mh * pl + ml * ph);
  }
  return negative ? -value : value;
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
