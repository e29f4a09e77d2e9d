/**
 * Scans text for secrets in windows, so a file of any size is read with bounded memory: text is
 * pushed in pieces, and each window (the tail of the last one, then new text) is scanned once.
 * A match belongs to the window in which it ends, at least MARGIN before the window's end (where
 * a longer match could still continue); the next window starts OVERLAP before that limit, so a
 * secret across a boundary is whole in the window that reports it. Line numbers count from the
 * file's start. A file smaller than a window is one window: the whole text at once.
 */
import { type Finding, type InlineIgnore, mask, parseInlineIgnores } from '../../rules/findings.js';
import { DETECTORS, type Detector, looksFake } from './detectors.js';
import { encodedValues } from './encoded.js';

export interface WindowOptions {
  /** Characters scanned at once (the last window may be up to this plus what one push adds). */
  window: number;
  /** Characters of the last window a new one starts with; a longer match may be cut. */
  overlap: number;
  /** Matches ending this close to a window's end wait for the next window. */
  margin: number;
}

export const DEFAULT_WINDOW: WindowOptions = { window: 4 << 20, overlap: 64 << 10, margin: 8 << 10 };

export class TextScanner {
  private pending = '';
  /** Absolute offset and line number of pending[0]. */
  private base = 0;
  private baseLine = 1;
  /** Matches ending at or before this absolute offset were judged by an earlier window. */
  private done = 0;
  /** Lines starting before this absolute offset had their ignores read. */
  private linesDone = 0;
  private readonly ignoreLines = new Set<number>();

  constructor(
    private readonly shown: string,
    private readonly findings: Finding[],
    private readonly inline: InlineIgnore[],
    private readonly options: WindowOptions = DEFAULT_WINDOW,
  ) {}

  push(text: string): void {
    this.pending = this.pending === '' ? text : this.pending + text;
    while (this.pending.length >= this.options.window) this.flush(false);
  }

  end(): void {
    if (this.pending !== '' || this.base === 0) this.flush(true);
    this.pending = '';
  }

  private flush(final: boolean): void {
    const text = this.pending;
    const { overlap, margin } = this.options;
    const limit = final ? text.length : Math.max(text.length - margin, this.done - this.base + 1);
    const from = this.done - this.base;
    this.scanWindow(text, from, limit, final);
    this.done = this.base + limit;
    this.linesDone = this.done;
    if (final) return;
    const cut = Math.max(0, limit - overlap);
    for (let i = text.indexOf('\n'); i !== -1 && i < cut; i = text.indexOf('\n', i + 1)) this.baseLine++;
    this.base += cut;
    this.pending = text.slice(cut);
  }

  private scanWindow(text: string, from: number, limit: number, final: boolean): void {
    let lineStarts: number[] | undefined;
    const lineOf = (offset: number) => {
      lineStarts ??= computeLineStarts(text);
      let low = 0;
      let high = lineStarts.length - 1;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if (lineStarts[middle]! <= offset) low = middle;
        else high = middle - 1;
      }
      return low + this.baseLine;
    };
    const owned = (start: number, end: number) => end > from && (final || end <= limit) && start >= 0;
    // Values found as written: the decoded pass (a joined snippet holds them too) skips them.
    const reportedDecoded = new Set<string>();
    for (const { match, value, detector } of detect(text, this.shown)) {
      reportedDecoded.add(`${detector.id} ${value}`);
      if (!owned(match.index, match.index + match[0].length)) continue;
      // The line where the match starts: a key's BEGIN line, an assignment's name.
      this.findings.push({
        rule: detector.id,
        message: `${detector.label}: ${mask(value.replace(/\\+[nr]|[\s"',]+/g, ''))}`,
        path: this.shown,
        line: lineOf(match.index),
      });
    }
    // Encoded values (base64, %XX, \uXXXX, hex): decoded, then scanned with the same detectors.
    for (const encoded of encodedValues(text)) {
      if (!owned(encoded.index, encoded.index + encoded.length)) continue;
      const line = lineOf(encoded.index);
      for (const { value, detector } of detect(encoded.decoded, this.shown)) {
        // Joined pieces are judged by the token formats only: a name and a value joined are not.
        if (encoded.encoding === 'split across lines' && detector.id === 'secrets/generic-secret') continue;
        if (reportedDecoded.has(`${detector.id} ${value}`)) continue;
        reportedDecoded.add(`${detector.id} ${value}`);
        // Once a line: a base64 PEM has its own detector, which already reported it.
        if (this.findings.some((f) => f.rule === detector.id && f.line === line && f.path === this.shown))
          continue;
        this.findings.push({
          rule: detector.id,
          message: `${detector.label} (${encoded.encoding}): ${mask(value.replace(/\\+[nr]|[\s"',]+/g, ''))}`,
          path: this.shown,
          line,
        });
      }
    }
    // Reading inline ignores costs a split: only where there is one.
    if (!text.includes('mlgate-ignore')) return;
    const { ignores, problems } = parseInlineIgnores(this.shown, text.split(/\r?\n/), 'secrets');
    lineStarts ??= computeLineStarts(text);
    const starts = lineStarts;
    // Each line's ignores are read in the window where the line starts (before its limit).
    const mine = (line: number) => {
      const start = starts[line - 1]!;
      return this.base + start >= this.linesDone && (final || start < limit);
    };
    for (const ignore of ignores) {
      if (!mine(ignore.line)) continue;
      const shift = this.baseLine - 1;
      const line = ignore.line + shift;
      if (this.ignoreLines.has(line)) continue;
      this.ignoreLines.add(line);
      this.inline.push({ ...ignore, line, covers: ignore.covers.map((covered) => covered + shift) });
    }
    for (const problem of problems) {
      if (!mine(problem.line!)) continue;
      const line = problem.line! + this.baseLine - 1;
      if (this.ignoreLines.has(line)) continue;
      this.ignoreLines.add(line);
      this.findings.push({ ...problem, line });
    }
  }
}

/** Finds secrets in one file's text; inline ignores are collected only where something matched. */
export function scanText(shown: string, text: string, findings: Finding[], inline: InlineIgnore[]): void {
  const scanner = new TextScanner(shown, findings, inline, {
    ...DEFAULT_WINDOW,
    window: Math.max(DEFAULT_WINDOW.window, text.length + 1),
  });
  scanner.push(text);
  scanner.end();
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** Every detector's matches in `text`, judged (placeholders, examples, the generic rule's repeats). */
export function* detect(
  text: string,
  path: string,
): Generator<{ match: RegExpExecArray; value: string; detector: Detector }> {
  let lower: string | undefined;
  // Values a specific detector reported; the generic one (last) does not report them again.
  const reported: string[] = [];
  for (const detector of DETECTORS) {
    const haystack = detector.foldCase ? (lower ??= text.toLowerCase()) : text;
    if (!detector.keywords.some((keyword) => haystack.includes(keyword))) continue;
    detector.regex.lastIndex = 0;
    for (let match = detector.regex.exec(text); match !== null; match = detector.regex.exec(text)) {
      const value = match[detector.group ?? 0] ?? match[0];
      if (detector.accept && !detector.accept(value)) continue;
      if (looksFake(value)) continue;
      if (detector.judge && !detector.judge(match, value, path)) continue;
      if (
        detector.id === 'secrets/generic-secret' &&
        reported.some((known) => value.includes(known) || known.includes(value))
      )
        continue;
      reported.push(value);
      yield { match, value, detector };
    }
  }
}
