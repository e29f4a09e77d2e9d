/**
 * Tables of predictions or features from CSV, JSONL or Parquet, read as a stream of rows with
 * the same accessors whatever the format. Columns are resolved to indexes once, from the
 * header; each row knows where it came from ("line 1043", "row 77") for error messages.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { CsvRecord, scanCsv } from './csv-stream.js';
import { parseFloatBytes } from './float.js';

export const TABLE_FORMATS = ['csv', 'tsv', 'jsonl', 'parquet'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

export class TableError extends Error {}

export function tableFormatOf(path: string): TableFormat | undefined {
  switch (extname(path).toLowerCase()) {
    case '.csv':
      return 'csv';
    case '.tsv':
      return 'tsv';
    case '.jsonl':
    case '.ndjson':
      return 'jsonl';
    case '.parquet':
    case '.pq':
      return 'parquet';
    default:
      return undefined;
  }
}

export interface TableRow {
  /** "line 12" (CSV, JSONL) or "row 12" (Parquet), for messages. */
  where(): string;
  /** Fields in this row (CSV), or the header's length where rows have no own width. */
  readonly fieldCount: number;
  text(column: number): string;
  /** NaN when missing or not a number. */
  number(column: number): number;
  /** An integer value (also "3.0"), else undefined. */
  integer(column: number): number | undefined;
}

/** What a reader may tell the scanner once it knows the header. */
export interface TableHints {
  /** These columns hold numbers: a CSV scanner parses them in the same pass as it scans. */
  numeric(columns: number[]): void;
}

export interface ScanTableOptions {
  format: TableFormat;
  signal?: AbortSignal;
  /** Receives the column names; may throw a TableError (unknown column). */
  onHeader(columns: string[], hints: TableHints): void;
  /** Return false to stop. */
  onRow(row: TableRow): boolean | void;
}

export async function scanTable(path: string, options: ScanTableOptions): Promise<{ rows: number }> {
  switch (options.format) {
    case 'csv':
    case 'tsv':
      return scanCsvTable(path, options);
    case 'jsonl':
      return scanJsonl(path, options);
    case 'parquet':
      return scanParquet(path, options);
  }
}

class CsvRow implements TableRow {
  record!: CsvRecord;
  width = 0;
  get fieldCount(): number {
    return this.record.count;
  }
  where(): string {
    return `line ${this.record.line}`;
  }
  text(column: number): string {
    return this.record.text(column);
  }
  number(column: number): number {
    return this.record.number(column);
  }
  integer(column: number): number | undefined {
    return this.record.integer(column);
  }
}

async function scanCsvTable(path: string, options: ScanTableOptions): Promise<{ rows: number }> {
  let header = true;
  let rows = 0;
  const row = new CsvRow();
  const shared = new CsvRecord();
  const hints: TableHints = {
    numeric(columns) {
      const mask = new Uint8Array(Math.max(0, ...columns) + 1);
      for (const column of columns) mask[column] = 1;
      shared.numeric = mask;
    },
  };
  await scanCsv(path, {
    delimiter: options.format === 'tsv' ? '\t' : ',',
    signal: options.signal,
    record: shared,
    onRecord(record) {
      if (header) {
        header = false;
        const names = Array.from({ length: record.count }, (_, i) => record.text(i).trim());
        row.width = names.length;
        options.onHeader(names, hints);
        return true;
      }
      rows++;
      row.record = record;
      return options.onRow(row);
    },
  });
  if (header) throw new TableError('the file is empty: no header row');
  return { rows };
}

class ValuesRow implements TableRow {
  values: unknown[] = [];
  position = 0;
  label: 'line' | 'row' = 'line';
  fieldCount = 0;
  where(): string {
    return `${this.label} ${this.position}`;
  }
  text(column: number): string {
    const value = this.values[column];
    return value === undefined || value === null ? '' : typeof value === 'string' ? value : String(value);
  }
  number(column: number): number {
    const value = this.values[column];
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (typeof value === 'string') {
      const bytes = encoder.encode(value.trim());
      return parseFloatBytes(bytes, 0, bytes.length);
    }
    return Number.NaN;
  }
  integer(column: number): number | undefined {
    const value = this.values[column];
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'boolean') return value ? 1 : 0;
    const number =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^-?\d+(\.0+)?$/.test(value.trim())
          ? Number(value)
          : Number.NaN;
    return Number.isInteger(number) ? number : undefined;
  }
}
const encoder = new TextEncoder();
const NO_HINTS: TableHints = { numeric() {} };

async function scanJsonl(path: string, options: ScanTableOptions): Promise<{ rows: number }> {
  const fd = openSync(path, 'r');
  const chunk = Buffer.alloc(1 << 22);
  const decoder = new TextDecoder();
  const row = new ValuesRow();
  let columns: string[] | undefined;
  let rest = '';
  let line = 0;
  let rows = 0;
  const handle = (text: string): boolean => {
    line++;
    if (text.trim() === '') return true;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (error) {
      throw new TableError(`line ${line} is not valid JSON: ${(error as Error).message}`);
    }
    if (!record || typeof record !== 'object' || Array.isArray(record))
      throw new TableError(`line ${line} is not a JSON object`);
    if (!columns) {
      columns = Object.keys(record);
      options.onHeader(columns, NO_HINTS);
    }
    rows++;
    row.values = columns.map((name) => (record as Record<string, unknown>)[name]);
    row.fieldCount = columns.length;
    row.position = line;
    return options.onRow(row) !== false;
  };
  try {
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      const text = rest + decoder.decode(chunk.subarray(0, read), { stream: true });
      const lines = text.split('\n');
      rest = lines.pop()!;
      for (const next of lines) if (!handle(next.replace(/\r$/, ''))) return { rows };
      if (options.signal?.aborted) throw options.signal.reason;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (rest !== '') handle(rest.replace(/\r$/, ''));
  } finally {
    closeSync(fd);
  }
  if (!columns) throw new TableError('the file has no records');
  return { rows };
}

async function scanParquet(path: string, options: ScanTableOptions): Promise<{ rows: number }> {
  const file = await asyncBufferFromFile(path);
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new TableError(`not a readable Parquet file: ${(error as Error).message}`);
  }
  const columns = parquetSchema(metadata).children.map((child) => child.element.name);
  options.onHeader(columns, NO_HINTS);
  const row = new ValuesRow();
  row.label = 'row';
  row.fieldCount = columns.length;
  let rowStart = 0;
  let rows = 0;
  // One row group at a time keeps memory to the largest group, not the file.
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const data = new Map<string, ArrayLike<unknown>>();
    await parquetRead({
      file,
      metadata,
      rowStart,
      rowEnd,
      compressors,
      onChunk(chunk) {
        // Chunks may cover more than the requested range; keep our rows only.
        const from = rowStart - chunk.rowStart;
        const values = chunk.columnData as ArrayLike<unknown> & {
          slice?: (a: number, b: number) => ArrayLike<unknown>;
        };
        const kept = values.slice
          ? values.slice(from, from + (rowEnd - rowStart))
          : Array.from(values).slice(from, from + (rowEnd - rowStart));
        data.set(chunk.columnName, kept);
      },
    });
    const arrays = columns.map((name) => data.get(name) ?? []);
    for (let r = 0; r < rowEnd - rowStart; r++) {
      row.values = arrays.map((array) => array[r]);
      row.position = rowStart + r + 1;
      rows++;
      if (options.onRow(row) === false) return { rows };
    }
    rowStart = rowEnd;
    if (options.signal?.aborted) throw options.signal.reason;
  }
  return { rows };
}

/** Column names matching a glob ("prob_*"), in header order. */
export function matchColumns(columns: string[], pattern: string): string[] {
  if (!pattern.includes('*') && !pattern.includes('?')) return columns.includes(pattern) ? [pattern] : [];
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return columns.filter((name) => regex.test(name));
}
