/**
 * One redaction layer for everything a run writes down. Every result passes through it before
 * it is printed, rendered or stored, so a secret the run handled (a service's environment, a
 * token a check sent, a key a command printed) is never in a report, the terminal or the store.
 *
 * What is redacted, as "[REDACTED:<what>]":
 * - values registered with `add` (the spec's env values, `${random}`, `${env.NAME}` values,
 *   credential header values), wherever they appear, also JSON- and URL-encoded;
 * - values of credential headers (Authorization, Cookie, Set-Cookie, X-Api-Key, ...) in
 *   `headers` records and in free text ("Authorization: Bearer ...", `"cookie":"..."`);
 * - whatever the `secrets` check's rules find (AWS keys, GitHub tokens, private keys, JWTs,
 *   passwords in connection strings, high-entropy values assigned to secret-like names).
 *
 * Short and trivial values are never registered: they would blank out innocent text all over
 * a report (see `isTrivialValue`).
 */
import { type Detector, SECRET_DETECTORS } from '../checks/secrets/check.js';

/** Shorter values are not redacted: "on", "1234", "prod" would hide innocent text everywhere. */
export const MIN_SECRET_LENGTH = 8;

/**
 * Values that are not secrets whatever their length: numbers, booleans, addresses. Only
 * values at least MIN_SECRET_LENGTH long are ever redacted.
 */
export function isTrivialValue(value: string): boolean {
  const text = value.trim();
  return (
    text.length < MIN_SECRET_LENGTH ||
    /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i.test(text) ||
    /^(?:true|false|yes|no|on|off|null|none|nil|undefined|enabled|disabled)$/i.test(text) ||
    /^(?:\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9a-f:]*\])(?::\d{1,5})?$/i.test(text) ||
    /^[0-9a-f]*:[0-9a-f]*:[0-9a-f:]*$/i.test(text) ||
    /^\[REDACTED:[^\]]*\]$/.test(text)
  );
}

/** Header names whose values are credentials. */
export const CREDENTIAL_HEADER =
  /^(?:(?:proxy-)?authorization|(?:set-)?cookie|x-api-key|api-key|apikey|x-auth-token|x-access-token|x-csrf-token|x-xsrf-token|x-amz-security-token|x-goog-api-key|x-session-token|[\w-]*(?:token|secret|password|api[-_]?key)[\w-]*)$/i;

/** An authentication scheme kept in front of a redacted credential: "Bearer [REDACTED:...]". */
const SCHEME = /^((?:Bearer|Basic|Token|Digest|Negotiate|AWS4-HMAC-SHA256|ApiKey)\s+)/i;

/** Values checks already masked ("***", "Bearer ***"): nothing left to redact. */
const ALREADY_MASKED = /^(?:\S+\s+)?(?:\*{3,}|\[REDACTED:[^\]]*\])$/;

interface Rule {
  /** What the marker says: "aws-access-key". */
  label: string;
  keywords: string[];
  foldCase: boolean;
  regex: RegExp;
  group: number;
  accept?: (value: string) => boolean;
  /** Judges the whole match (the header rules: is this text a header at all?). */
  acceptMatch?: (match: RegExpExecArray) => boolean;
  /** The group naming the header, for the marker. */
  nameGroup?: number;
}

/** A run of name characters, as the generic rule writes it (unbounded). */
const NAME_RUN = '[A-Za-z0-9_.-]*';

/**
 * The secrets check's detectors, bounded for evidence that can be megabytes of one line. As
 * written, the generic rule tries every position inside a long run of name characters and
 * scans the run from each: quadratic. Here a name starts where a run starts (a lookbehind, one
 * step elsewhere) and is at most 128 characters; other `*` are at most 128 long too. `d` gives
 * the captured group's position.
 */
function boundedRule(detector: Readonly<Detector>): Rule {
  let source = detector.regex.source;
  if (source.startsWith(`(${NAME_RUN}`))
    source = `(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]{0,128}${source.slice(NAME_RUN.length + 1)}`;
  source = source.replace(/(\]|\\s)\*(?!\?)/g, '$1{0,128}');
  return {
    label: detector.id.replace(/^secrets\//, ''),
    keywords: detector.keywords,
    foldCase: detector.foldCase ?? false,
    regex: new RegExp(source, `${detector.regex.flags.replace(/[dgy]/g, '')}gd`),
    group: detector.group ?? 0,
    ...(detector.accept ? { accept: detector.accept } : {}),
  };
}

/**
 * Credential headers written out in text: logs, echoed JSON, request dumps. Only where the
 * text reads as a header — the name quoted (`"authorization": ...`), at the start of a line
 * (`> Authorization: ...`), or the value with its scheme (`authorization: Bearer ...`) — so
 * prose ("without authorization: accepted it") is left alone. A token ends at white space, a
 * quote or a separator; a cookie header's value runs to the end of the line.
 */
const HEADER_TEXT: Rule = {
  label: 'header',
  keywords: ['authorization', 'api-key', 'api_key', 'apikey', 'token'],
  foldCase: true,
  regex:
    /(^[ \t>]*|["']|)\b((?:proxy-)?authorization|x-api-key|api-key|x-auth-token|x-access-token)["']?[ \t]{0,8}[:=][ \t]{0,8}["']?(?:(Bearer|Basic|Token|Digest|ApiKey)[ \t]{1,8})?([^\s"',;}\]]{1,4096})/dgim,
  group: 4,
  nameGroup: 2,
  acceptMatch: (match) =>
    (readsAsHeader(match) || match[3] !== undefined) &&
    !isTrivialValue(match[4]!) &&
    !ALREADY_MASKED.test(match[4]!),
};

/** The header name is quoted, or starts its line (after blanks or a dump's ">"). */
function readsAsHeader(match: RegExpExecArray): boolean {
  if (match[1] !== '') return true;
  const before = match.input[match.index - 1];
  return before === undefined || before === '\n' || before === '\r';
}

const COOKIE_TEXT: Rule = {
  label: 'header',
  keywords: ['cookie'],
  foldCase: true,
  regex: /(^[ \t>]*|["']|)\b((?:set-)?cookie)["']?[ \t]{0,8}[:=][ \t]{0,8}["']?([^"'\r\n]{1,4096})/dgim,
  group: 3,
  nameGroup: 2,
  acceptMatch: (match) =>
    readsAsHeader(match) && !isTrivialValue(match[3]!.trim()) && !ALREADY_MASKED.test(match[3]!.trim()),
};

// The header rules first: where one and a secrets rule find the same value, its label is clearer.
const RULES: Rule[] = [HEADER_TEXT, COOKIE_TEXT, ...SECRET_DETECTORS.map(boundedRule)];

interface Span {
  start: number;
  end: number;
  label: string;
}

/**
 * A secret as it appears when a program writes it back: JSON strings (JavaScript's escaping,
 * `\/` as PHP and some Java libraries write it, non-ASCII as `\u00e9` as Python's json.dumps
 * does, `<>&` as `\u003c` as Go's encoding/json does), URL components (upper- and lower-case
 * hex, `/` kept as Python's quote() keeps it, form encoding with `+` for a space, encoded
 * twice), base64, base64url and hex. Other transformations (reversed, split, hashed) are not
 * recognised.
 */
function encodings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const unicodeEscape = (pattern: RegExp) => (text: string) =>
    text.replace(pattern, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const asciiJson = unicodeEscape(/[^\x00-\x7f]/g)(json);
  const component = encodeURIComponent(value);
  const bytes = Buffer.from(value, 'utf8');
  return [
    json,
    json.replace(/\//g, '\\/'),
    asciiJson,
    asciiJson.replace(/\//g, '\\/'),
    unicodeEscape(/[<>&]/g)(json),
    unicodeEscape(/[<>&]/g)(asciiJson),
    component,
    component.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
    component.replace(/%2F/g, '/'),
    encodeURI(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    encodeURIComponent(component),
    bytes.toString('base64'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    bytes.toString('hex'),
  ];
}

export class Redactor {
  /** Value → what it is, longest first when matching. */
  private readonly values = new Map<string, string>();
  private ordered: Array<[string, string]> | undefined;

  /**
   * Redacts `value` wherever it appears, marked with `label` ("service.start.env.API_TOKEN").
   * Trivial values are ignored (false is returned); the first label given for a value stays.
   */
  add(value: string | undefined, label: string): boolean {
    if (value === undefined || isTrivialValue(value)) return false;
    const variants = new Set([value, value.trim()]);
    // The same secret as services write it back: JSON-escaped the ways common libraries do,
    // URL- and form-encoded, base64 and hex.
    for (const variant of [...variants]) for (const encoded of encodings(variant)) variants.add(encoded);
    for (const variant of variants) {
      if (variant.length >= MIN_SECRET_LENGTH && !this.values.has(variant)) this.values.set(variant, label);
    }
    this.ordered = undefined;
    return true;
  }

  /** A credential header value: the whole value, and the credential after its scheme. */
  addHeader(name: string, value: string, label = `header.${name.toLowerCase()}`): void {
    this.add(value, label);
    const scheme = SCHEME.exec(value);
    if (scheme) this.add(value.slice(scheme[0].length), label);
  }

  get size(): number {
    return this.values.size;
  }

  /** The text with every secret replaced by a marker. Linear in the text for each value and rule. */
  redactText(text: string): string {
    if (text.length < MIN_SECRET_LENGTH) return text;
    const spans: Span[] = [];
    this.ordered ??= [...this.values].sort((a, b) => b[0].length - a[0].length);
    const cuts = cutPoints(text);
    for (const [value, label] of this.ordered) {
      for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + value.length))
        spans.push({ start: at, end: at + value.length, label });
      partialSpans(text, value, label, cuts, spans);
    }
    let lower: string | undefined;
    for (const rule of RULES) {
      const haystack = rule.foldCase ? (lower ??= text.toLowerCase()) : text;
      if (!rule.keywords.some((keyword) => haystack.includes(keyword))) continue;
      rule.regex.lastIndex = 0;
      for (let match = rule.regex.exec(text); match !== null; match = rule.regex.exec(text)) {
        const where = match.indices?.[rule.group];
        const value = match[rule.group];
        if (!where || value === undefined || (rule.accept && !rule.accept(value))) continue;
        if (rule.acceptMatch && !rule.acceptMatch(match)) continue;
        const label =
          rule.nameGroup !== undefined ? `header.${match[rule.nameGroup]!.toLowerCase()}` : rule.label;
        spans.push({ start: where[0], end: where[1], label });
      }
    }
    return spans.length === 0 ? text : replaceSpans(text, spans);
  }

  /**
   * Every string in a JSON-like value redacted (objects and arrays are copied; the input is
   * not changed). In a `headers` record, credential headers lose their whole value.
   */
  redact<T>(value: T): T {
    return this.walk(value, undefined);
  }

  private walk<T>(value: T, key: string | undefined): T {
    if (typeof value === 'string') return this.redactText(value) as T;
    if (Array.isArray(value)) return value.map((entry) => this.walk(entry, undefined)) as T;
    if (value === null || typeof value !== 'object' || !isPlain(value)) return value;
    const copy: Record<string, unknown> = {};
    const headers = key !== undefined && /^headers$/i.test(key);
    for (const [name, entry] of Object.entries(value)) {
      const credential = headers && CREDENTIAL_HEADER.test(name);
      copy[name] =
        credential && typeof entry === 'string'
          ? redactHeaderValue(name, entry)
          : credential && Array.isArray(entry)
            ? entry.map((one) =>
                typeof one === 'string' ? redactHeaderValue(name, one) : this.walk(one, undefined),
              )
            : this.walk(entry, name);
    }
    return copy as T;
  }
}

/** A credential header's value as reports show it: its scheme, then the marker. */
export function redactHeaderValue(name: string, value: string): string {
  if (value.trim() === '' || ALREADY_MASKED.test(value.trim())) return value;
  const scheme = SCHEME.exec(value)?.[1] ?? '';
  return `${scheme}[REDACTED:header.${name.toLowerCase()}]`;
}

/** Shorter pieces of a cut secret are left: they are no longer enough to use it. */
const MIN_PIECE = 6;
const CUT_MARKER = /…|\.\.\./g;

/**
 * Where a check may have cut the text short (its ends, "…" and "..."): a secret cut there
 * shows only its beginning before the cut or its end after it, which full matching misses.
 */
function cutPoints(text: string): { ends: number[]; starts: number[] } {
  const ends = [text.length];
  const starts = [0];
  if (text.includes('…') || text.includes('...')) {
    CUT_MARKER.lastIndex = 0;
    for (let match = CUT_MARKER.exec(text); match && ends.length < 100; match = CUT_MARKER.exec(text)) {
      ends.push(match.index);
      starts.push(match.index + match[0].length);
    }
  }
  return { ends, starts };
}

/** Characters of one run in a token (base64 and URL-safe alphabets). */
const TOKEN_CHAR = /[A-Za-z0-9_+/=-]/;

/**
 * The beginning of `value` just before a cut, and its end just after one — only where the cut
 * splits a run of token characters: "postgres" at the end of a sentence is not a cut
 * "postgres://app:pw@db" (the next character, ":", ends the run anyway).
 */
function partialSpans(
  text: string,
  value: string,
  label: string,
  cuts: { ends: number[]; starts: number[] },
  spans: Span[],
): void {
  if (value.length <= MIN_PIECE) return;
  const head = value.slice(0, MIN_PIECE);
  for (const end of cuts.ends) {
    const from = Math.max(0, end - value.length + 1);
    for (
      let at = text.indexOf(head, from);
      at !== -1 && at + MIN_PIECE <= end;
      at = text.indexOf(head, at + 1)
    ) {
      const piece = text.slice(at, end);
      if (value.startsWith(piece) && splitsRun(piece.at(-1)!, value[piece.length]!)) {
        spans.push({ start: at, end, label });
        break;
      }
    }
  }
  for (const start of cuts.starts) {
    const probe = text.slice(start, start + MIN_PIECE);
    if (probe.length < MIN_PIECE) continue;
    for (let at = value.indexOf(probe, 1); at !== -1; at = value.indexOf(probe, at + 1)) {
      const rest = value.slice(at);
      if (text.startsWith(rest, start) && splitsRun(value[at - 1]!, rest[0]!)) {
        spans.push({ start, end: start + rest.length, label });
        break;
      }
    }
  }
}

function splitsRun(before: string, after: string): boolean {
  return TOKEN_CHAR.test(before) && TOKEN_CHAR.test(after);
}

function replaceSpans(text: string, spans: Span[]): string {
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  let current: Span | undefined;
  for (const span of spans) {
    if (current && span.start < current.end) {
      current.end = Math.max(current.end, span.end);
      continue;
    }
    if (current) {
      out += `[REDACTED:${current.label}]`;
      at = current.end;
    }
    out += text.slice(at, span.start);
    current = { ...span };
  }
  out += `[REDACTED:${current!.label}]${text.slice(current!.end)}`;
  return out;
}

function isPlain(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
