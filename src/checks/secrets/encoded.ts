/**
 * Values that hide a secret in an encoding: base64 (a ConfigMap's or Secret's `data:`, a
 * `.dockerconfigjson`; padded or not, standard or URL-safe; twice; a gzip blob), %XX (a token in
 * a URL), `\uXXXX` / `\xXX` escapes (JSON, Python), numeric HTML references (`&#103;`), hex.
 * Each candidate is decoded, and kept only if what it decodes to is printable text: random
 * base64 or hex (digests, integrity hashes, weights) decodes to bytes, and is dropped. The
 * secrets scan then runs its detectors on the decoded text, so precision is theirs.
 */
import { gunzipSync } from 'node:zlib';

export interface Encoded {
  /** Offset and length of the encoded text. */
  index: number;
  length: number;
  decoded: string;
  encoding:
    | 'base64-encoded'
    | 'base64-encoded twice'
    | 'gzipped, base64-encoded'
    | 'URL-encoded'
    | 'escaped'
    | 'HTML-escaped'
    | 'hex-encoded'
    | 'split across lines';
}

/** A run of URL characters holding two %XX escapes or more. */
const PERCENT = /(?<![\w.~+/%-])[\w.~+/-]{0,64}(?:%[0-9A-Fa-f]{2}[\w.~+/-]{0,64}){2,256}/g;
/** A run of name characters holding \uXXXX or \xXX escapes. */
const ESCAPES = /(?<![\w\\-])[\w-]{0,64}(?:\\(?:u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2})[\w-]{0,64}){1,256}/g;
/** A run of value characters holding two numeric HTML character references or more (&#103; &#x67;). */
const ENTITIES = /(?:[\w.~+/=:-]{0,64}&#(?:[0-9]{1,7}|[xX][0-9A-Fa-f]{1,6});?){2,512}[\w.~+/=:-]{0,64}/g;
const ENTITY = /&#(?:([0-9]{1,7})|[xX]([0-9A-Fa-f]{1,6}));?/g;
/**
 * Hex is common (digests, ids): it is decoded only where it holds the hex of a token's prefix
 * (ghp_, gho_, github_pat_, glpat-, AKIA, ASIA, xox, sk-, hf_, eyJ, AIza, -----BEGIN).
 */
const HEX_PREFIXES = [
  '6768705f',
  '67686f5f',
  '6769746875625f7061745f',
  '676c7061742d',
  '414b4941',
  '41534941',
  '786f78',
  '736b2d',
  '68665f',
  '65794a',
  '41497a61',
  '2d2d2d2d2d424547494e',
];

/**
 * Where one string goes on in the next: `"ghp_abc"\n  "def"` (Python's implicit concatenation),
 * `"ghp_abc" +\n "def"` (JavaScript, Java), and a line break escaped with `\` (YAML double-quoted
 * scalars, shell). A YAML folded scalar (`>-`) is not joined: folding puts a blank between the
 * lines, so the value is not the token.
 */
const JOIN =
  /(["'])[ \t]{0,16}(?:\+[ \t]{0,16}(?:\r?\n[ \t]{0,64})?|\r?\n[ \t]{0,64}(?:\+[ \t]{0,16})?)\1|\\\r?\n[ \t]{0,64}/g;
/** Text around a join that a token split by it can span. */
const JOIN_CONTEXT = 256;

/** Printable ASCII text (tabs and line breaks allowed), at least 12 characters. */
function printableText(bytes: Buffer): string | undefined {
  if (bytes.length < 12) return undefined;
  for (const byte of bytes)
    if ((byte < 0x20 && byte !== 9 && byte !== 10 && byte !== 13) || byte > 0x7e) return undefined;
  return bytes.toString('latin1');
}

/** A gzip blob's bytes, up to 256 kB unpacked (a blob that unpacks past it is not a config). */
function gunzipBounded(bytes: Buffer): Buffer | undefined {
  try {
    return gunzipSync(bytes, { maxOutputLength: 256 << 10 });
  } catch {
    return undefined;
  }
}

function percentDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Character classes: 1 a base64 character, 2 a hex digit. */
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9+/]/.test(ch)) CLASS[c] = 1;
  if (/[0-9A-Fa-f]/.test(ch)) CLASS[c]! |= 2;
}
const MIN_BASE64 = 16;
const MIN_HEX = 32;
const MAX_RUN = 16384;

/**
 * Runs of base64 (1) and hex (2) characters long enough to hide a token. URL-safe base64 needs
 * no class of its own: its `-` and `_` stand for 62 and 63, which printable ASCII puts only in
 * the last character of a group of four, so the runs on either side of one start and end on a
 * group's boundary, and decode (unpadded) to the text around the token, the token whole.
 */
function findRuns(text: string): Array<[number, number, 1 | 2]> {
  // One pass over the characters for runs of base64 and of hex (a regex costs several times
  // more on megabytes of code, and every file is read).
  let b64 = 0;
  let hex = 0;
  const runs: Array<[number, number, 1 | 2]> = [];
  const n = text.length;
  for (let i = 0; i <= n; i++) {
    const code = i < n ? text.charCodeAt(i) : 0;
    const cls = code < 128 ? CLASS[code]! : 0;
    if (cls === 3) continue;
    if ((cls & 1) === 0) {
      if (i - b64 >= MIN_BASE64 && i - b64 <= MAX_RUN) runs.push([b64, i, 1]);
      b64 = i + 1;
    }
    if ((cls & 2) === 0) {
      if (i - hex >= MIN_HEX && i - hex <= MAX_RUN) runs.push([hex, i, 2]);
      hex = i + 1;
    }
  }
  return runs;
}

/** Base64 (standard or URL-safe, padded or not) worth decoding: a word, a path or a number is not. */
function base64Candidate(run: string): boolean {
  // A length of 4n + 1 is not base64 (a run with a name glued to it, or none at all).
  return run.length % 4 !== 1 && /[0-9+/]/.test(run) && /[a-z]/.test(run) && /[A-Z]/.test(run);
}

export function* encodedValues(text: string): Generator<Encoded> {
  const runs = findRuns(text);
  for (const [start, end, kind] of runs) {
    if (kind === 2) {
      // Hex is common (digests, ids): decoded only where it holds the hex of a token's prefix.
      const folded = text.slice(start, end - ((end - start) % 2)).toLowerCase();
      if (!HEX_PREFIXES.some((prefix) => folded.includes(prefix))) continue;
      const decoded = printableText(Buffer.from(folded, 'hex'));
      if (decoded) yield { index: start, length: end - start, decoded, encoding: 'hex-encoded' };
      continue;
    }
    // With its padding, if any: base64 in URLs, JWT-like values and many encoders has none.
    let stop = end;
    while (stop < text.length && stop < end + 2 && text.charCodeAt(stop) === 61) stop++;
    const run = text.slice(start, stop);
    const body = text.slice(start, end);
    if (!base64Candidate(body)) continue;
    if (stop > end && run.length % 4 !== 0) continue;
    const bytes = Buffer.from(body, 'base64');
    const decoded = printableText(bytes);
    if (decoded) {
      yield { index: start, length: run.length, decoded, encoding: 'base64-encoded' };
      // Encoded twice (a base64 value put in a base64 field): once more, no deeper.
      const inner = decoded.trim();
      if (
        inner.length >= MIN_BASE64 &&
        /^[A-Za-z0-9+/_-]+={0,2}$/.test(inner) &&
        base64Candidate(inner.replace(/=+$/, ''))
      ) {
        const twice = printableText(Buffer.from(inner, 'base64'));
        if (twice)
          yield { index: start, length: run.length, decoded: twice, encoding: 'base64-encoded twice' };
      }
    } else if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      // gzip, then base64 (a compressed blob in a config or a notebook): unpacked, bounded.
      const unpacked = gunzipBounded(bytes);
      const text = unpacked && printableText(unpacked);
      if (text)
        yield { index: start, length: run.length, decoded: text, encoding: 'gzipped, base64-encoded' };
    }
  }
  if (text.includes('\n')) {
    JOIN.lastIndex = 0;
    let done = -1;
    for (let m = JOIN.exec(text); m !== null; m = JOIN.exec(text)) {
      // A chain of joins is read once, from its first.
      if (m.index < done) continue;
      const from = Math.max(0, m.index - JOIN_CONTEXT);
      let to = Math.min(text.length, m.index + m[0].length + JOIN_CONTEXT);
      // Later joins within reach extend the snippet, so a token in three pieces is whole.
      const rest = new RegExp(JOIN.source, 'g');
      rest.lastIndex = m.index + m[0].length;
      for (let next = rest.exec(text); next !== null && next.index < to; next = rest.exec(text))
        to = Math.min(text.length, next.index + next[0].length + JOIN_CONTEXT);
      done = to - JOIN_CONTEXT;
      const joined = text.slice(from, to).replace(new RegExp(JOIN.source, 'g'), '');
      yield { index: m.index, length: m[0].length, decoded: joined, encoding: 'split across lines' };
    }
  }
  if (text.includes('%')) {
    PERCENT.lastIndex = 0;
    for (let m = PERCENT.exec(text); m !== null; m = PERCENT.exec(text)) {
      const decoded = percentDecode(m[0]);
      if (decoded && decoded !== m[0])
        yield { index: m.index, length: m[0].length, decoded, encoding: 'URL-encoded' };
    }
  }
  if (text.includes('&#')) {
    ENTITIES.lastIndex = 0;
    for (let m = ENTITIES.exec(text); m !== null; m = ENTITIES.exec(text)) {
      const decoded = m[0].replace(ENTITY, (_, decimal: string, hex: string) => {
        const code = decimal ? parseInt(decimal, 10) : parseInt(hex, 16);
        return code <= 0x10ffff ? String.fromCodePoint(code) : '';
      });
      yield { index: m.index, length: m[0].length, decoded, encoding: 'HTML-escaped' };
    }
  }
  if (text.includes('\\u') || text.includes('\\x')) {
    ESCAPES.lastIndex = 0;
    for (let m = ESCAPES.exec(text); m !== null; m = ESCAPES.exec(text)) {
      const decoded = m[0].replace(/\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2}))/g, (_, u: string, x: string) =>
        String.fromCharCode(parseInt(u ?? x, 16)),
      );
      yield { index: m.index, length: m[0].length, decoded, encoding: 'escaped' };
    }
  }
}
