/**
 * Text that came from outside (a command's output, a service's log, an approver's name) made
 * safe to print in a terminal: no escape sequences that recolour, move the cursor, retitle the
 * window or hide text, no control characters, no bidirectional overrides that reorder what a
 * reader sees. Printable text, tabs and newlines are kept.
 */

/**
 * ANSI/ECMA-48 escape sequences, 7-bit and 8-bit: CSI (ESC [ or U+009B), OSC (ESC ] or U+009D,
 * to BEL or ST), DCS/SOS/PM/APC strings, and two-character ESC sequences. Linear: each
 * alternative starts at an ESC or C1 code, and no quantified part can match the next one.
 */
const ESCAPE_SEQUENCE =
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?|(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|(?:\u001b[PX^_]|[\u0090\u0098\u009e\u009f])[^\u001b\u009c]*(?:\u001b\\|\u009c)?|\u001b[ -/]*[0-~]?/g;

/**
 * C0 controls but tab and newline, DEL, C1 controls, the bidirectional formatting characters,
 * the line and paragraph separators (U+2028/9, which some terminals and pages break lines on),
 * and invisible characters that make one name look like another (zero-width space, word joiner,
 * soft hyphen, Hangul fillers, byte-order mark; not the joiners U+200C/D, which emoji and
 * Persian or Indic text need).
 */
const CONTROL =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\u3164\ufeff\uffa0]/g;

/** Anything to clean at all: the common case is a fast test and the same string back. */
const ANY =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\u3164\ufeff\uffa0]/;

/**
 * The text without escape sequences and control characters; CRLF and a lone CR become a
 * newline (a bare CR would let later text overwrite earlier text on the same line).
 */
export function cleanText(text: string): string {
  if (!ANY.test(text)) return text;
  return text
    .replace(ESCAPE_SEQUENCE, '')
    .replace(/\r\n?|[\u2028\u2029]/g, '\n')
    .replace(CONTROL, '');
}

/**
 * The text for one line of a terminal table or sentence: cleaned, tabs as spaces, and each
 * newline shown as a visible "\n" so a value cannot start a line of its own (a forged
 * "Verdict: PASS" under a name).
 */
export function inlineText(text: string): string {
  return cleanText(text).replace(/\t/g, ' ').replace(/\n/g, '\\n');
}

/** Whether the text has anything cleanText removes or inlineText changes: for refusing input. */
export function hasControlCharacters(text: string, allowNewlines = false): boolean {
  return allowNewlines ? ANY.test(text.replace(/\r?\n|\t/g, '')) : /[\t\n]/.test(text) || ANY.test(text);
}

/** Every string in a JSON-like value cleaned (objects and arrays copied, the rest as is). */
export function cleanDeep<T>(value: T): T {
  return mapStrings(value, cleanText);
}

export function mapStrings<T>(value: T, map: (text: string) => string): T {
  if (typeof value === 'string') return map(value) as T;
  if (Array.isArray(value)) return value.map((entry) => mapStrings(entry, map)) as T;
  if (value !== null && typeof value === 'object' && isPlain(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) copy[key] = mapStrings(entry, map);
    return copy as T;
  }
  return value;
}

function isPlain(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The text with every control character written out ("\n", "\u001b"): for messages about bad input. */
export function showControls(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\u3164\ufeff\uffa0]/g,
    (char) =>
      char === '\n'
        ? '\\n'
        : char === '\t'
          ? '\\t'
          : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
