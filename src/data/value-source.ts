/**
 * Reading one value out of a metrics file a training run wrote: JSON, YAML, CSV (a column of
 * the last row or of a named row) or JSONL (the last record), with the line it sits on.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseCsv } from '../util/csv.js';
import type { PathSegment } from '../util/expr.js';
import { didYouMean } from '../util/suggest.js';
import { YamlSource } from '../util/yaml-source.js';

export const FORMATS = ['json', 'yaml', 'csv', 'jsonl'] as const;
export type Format = (typeof FORMATS)[number];

export type RowSelector = 'first' | 'last' | number | Record<string, string | number>;

export interface ReadValue {
  value: number;
  line?: number;
  excerpt?: string;
  note?: string;
}

/** A value could not be read: the message says which file, which key, and what is there. */
export class LookupError extends Error {}

export function formatFromPath(path: string): Format | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  if (extension === '.csv' || extension === '.tsv') return 'csv';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  return undefined;
}

/** "test.accuracy" or a JSON pointer "/test/accuracy". */
export function parseKey(key: string): PathSegment[] {
  if (key.startsWith('/')) {
    return key
      .slice(1)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  return key.split('.');
}

export class MetricSource {
  private constructor(
    readonly shown: string,
    private readonly data: unknown,
    private readonly lines: string[],
    private readonly lineOf: (segments: PathSegment[]) => number | undefined,
    private readonly scope: string,
  ) {}

  static async open(
    absolute: string,
    shown: string,
    format: Format,
    row: RowSelector,
  ): Promise<MetricSource> {
    let text: string;
    try {
      text = await readFile(absolute, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new LookupError(
        code === 'ENOENT' ? `${shown} not found` : `cannot read ${shown}: ${(error as Error).message}`,
      );
    }
    const lines = text.split(/\r?\n/);
    switch (format) {
      case 'json': {
        let data: unknown;
        try {
          data = JSON.parse(text);
        } catch (error) {
          throw new LookupError(`${shown} is not valid JSON: ${(error as Error).message}`);
        }
        // JSON is YAML, and the YAML parser keeps positions: use it only to find lines.
        const located = new YamlSource(shown, text);
        return new MetricSource(shown, data, lines, (segments) => lineAt(located, segments), shown);
      }
      case 'yaml': {
        const located = new YamlSource(shown, text);
        const problem = located.syntaxProblems[0];
        if (problem)
          throw new LookupError(
            `${shown}:${problem.line}:${problem.column}: YAML syntax: ${problem.message}`,
          );
        return new MetricSource(shown, located.toJS(), lines, (segments) => lineAt(located, segments), shown);
      }
      case 'csv': {
        const delimiter = extname(absolute).toLowerCase() === '.tsv' ? '\t' : ',';
        let records: ReturnType<typeof parseCsv>;
        try {
          records = parseCsv(text, delimiter);
        } catch (error) {
          throw new LookupError(`${shown}: ${(error as Error).message}`);
        }
        const [header, ...rows] = records;
        if (!header) throw new LookupError(`${shown} is empty`);
        const objects = rows.map((record) => ({
          line: record.line,
          value: Object.fromEntries(header.fields.map((name, i) => [name.trim(), record.fields[i]])),
        }));
        const chosen = pickRow(
          objects,
          row,
          shown,
          header.fields.map((f) => f.trim()),
        );
        return new MetricSource(
          shown,
          chosen.value,
          lines,
          () => chosen.line,
          `${shown} row at line ${chosen.line}`,
        );
      }
      case 'jsonl': {
        const records: Array<{ line: number; value: unknown }> = [];
        lines.forEach((content, index) => {
          if (content.trim() === '') return;
          try {
            records.push({ line: index + 1, value: JSON.parse(content) });
          } catch (error) {
            throw new LookupError(`${shown}:${index + 1}: not valid JSON: ${(error as Error).message}`);
          }
        });
        const chosen = pickRow(records, row, shown);
        return new MetricSource(
          shown,
          chosen.value,
          lines,
          () => chosen.line,
          `${shown} record at line ${chosen.line}`,
        );
      }
    }
  }

  /** The number at a path; errors name the missing key and what keys exist there. */
  read(segments: PathSegment[], text: string): ReadValue {
    let current: unknown = this.data;
    const walked: PathSegment[] = [];
    for (const segment of segments) {
      const where = walked.length === 0 ? this.scope : `"${walked.join('.')}" in ${this.scope}`;
      if (Array.isArray(current)) {
        const index =
          typeof segment === 'number' ? segment : /^\d+$/.test(segment) ? Number(segment) : Number.NaN;
        if (!Number.isInteger(index) || index >= current.length) {
          throw new LookupError(
            `"${text}" not found: ${where} is a list of ${current.length}; "${segment}" is not an index in it`,
          );
        }
        current = current[index];
      } else if (current !== null && typeof current === 'object') {
        const keys = Object.keys(current);
        if (!Object.hasOwn(current, String(segment))) {
          const shownKeys = keys.length > 12 ? `${keys.slice(0, 12).join(', ')}, …` : keys.join(', ');
          throw new LookupError(
            `"${text}" not found: ${where} has no key "${segment}".${didYouMean(String(segment), keys)}${keys.length ? ` Keys there: ${shownKeys}.` : ''}`,
          );
        }
        current = (current as Record<string, unknown>)[String(segment)];
      } else {
        throw new LookupError(`"${text}" not found: ${where} is a value, not a mapping`);
      }
      walked.push(segment);
    }
    const line = this.lineOf(segments);
    const excerpt = line !== undefined ? this.lines[line - 1]?.trim() : undefined;
    if (typeof current === 'number') {
      if (!Number.isFinite(current))
        throw new LookupError(`"${text}" in ${this.scope} is ${current}, not a finite number`);
      return { value: current, line, excerpt };
    }
    if (typeof current === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(current)) {
      return { value: Number(current), line, excerpt };
    }
    const found =
      current === undefined || current === null
        ? 'empty'
        : typeof current === 'string'
          ? `the text "${current}"`
          : Array.isArray(current)
            ? 'a list'
            : typeof current === 'object'
              ? 'a mapping'
              : String(current);
    throw new LookupError(
      `"${text}" in ${this.scope}${line ? ` (line ${line})` : ''} is ${found}, not a number`,
    );
  }
}

function lineAt(source: YamlSource, segments: PathSegment[]): number | undefined {
  const node = source.nodeAt(segments);
  return node?.range ? source.positionOf(node.range[0]).line : undefined;
}

function pickRow<T extends { line: number; value: unknown }>(
  rows: T[],
  selector: RowSelector,
  shown: string,
  columns?: string[],
): T {
  if (rows.length === 0) throw new LookupError(`${shown} has no data rows`);
  if (selector === 'last') return rows[rows.length - 1]!;
  if (selector === 'first') return rows[0]!;
  if (typeof selector === 'number') {
    const index = selector < 0 ? rows.length + selector : selector;
    const row = rows[index];
    if (!row) throw new LookupError(`${shown} has ${rows.length} rows; row ${selector} does not exist`);
    return row;
  }
  const wanted = Object.entries(selector);
  for (const [column] of wanted) {
    if (columns && !columns.includes(column)) {
      throw new LookupError(
        `${shown} has no column "${column}".${didYouMean(column, columns)} Columns: ${columns.join(', ')}.`,
      );
    }
  }
  const matches = rows.filter((row) =>
    wanted.every(([column, expected]) => {
      const actual = (row.value as Record<string, unknown> | null)?.[column];
      return actual !== undefined && String(actual).trim() === String(expected);
    }),
  );
  const description = wanted.map(([k, v]) => `${k} = ${v}`).join(', ');
  if (matches.length === 0) throw new LookupError(`${shown} has no row where ${description}`);
  // The last matching row: logs append, and the latest entry is the one that counts.
  return matches[matches.length - 1]!;
}

export function isFormat(value: string): value is Format {
  return (FORMATS as readonly string[]).includes(value);
}
