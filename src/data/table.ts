/**
 * Tables of predictions or features from CSV, JSONL or Parquet, read as a stream of rows with
 * the same accessors whatever the format. Columns are resolved to indexes once, from the
 * header; each row knows where it came from ("line 1043", "row 77") for error messages.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import type { CsvRecord } from './csv-stream.js';
import type { ColumnCursor, ParquetFile } from './parquet.js';
// The readers (csv-stream, float, parquet) load when a table is read: every check kind that
// can read a table imports this module, and `mlgate validate` imports every kind (startup).
type ParseFloatBytes = typeof import('./float.js').parseFloatBytes;

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
  const { CsvRecord, scanCsv } = await import('./csv-stream.js');
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

/** A row of decoded values (JSONL, Parquet): the same accessors over whatever a cell holds. */
abstract class DecodedRow implements TableRow {
  position = 0;
  fieldCount = 0;
  constructor(private readonly parseFloatBytes: ParseFloatBytes) {}
  abstract where(): string;
  protected abstract value(column: number): unknown;
  text(column: number): string {
    const value = this.value(column);
    return value === undefined || value === null ? '' : typeof value === 'string' ? value : String(value);
  }
  number(column: number): number {
    const value = this.value(column);
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (typeof value === 'string') {
      const bytes = encoder.encode(value.trim());
      return this.parseFloatBytes(bytes, 0, bytes.length);
    }
    return Number.NaN;
  }
  integer(column: number): number | undefined {
    const value = this.value(column);
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

class ValuesRow extends DecodedRow {
  values: unknown[] = [];
  where(): string {
    return `line ${this.position}`;
  }
  protected value(column: number): unknown {
    return this.values[column];
  }
}

const encoder = new TextEncoder();
const NO_HINTS: TableHints = { numeric() {} };

async function scanJsonl(path: string, options: ScanTableOptions): Promise<{ rows: number }> {
  const row = new ValuesRow((await import('./float.js')).parseFloatBytes);
  const fd = openSync(path, 'r');
  const chunk = Buffer.alloc(1 << 22);
  const decoder = new TextDecoder();
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

/**
 * Parquet, row group by row group and page by page: a column is read when a row first asks for
 * it, so only the columns in use are read, and memory stays one page per column whatever the
 * row-group size (src/data/parquet.ts).
 */
async function scanParquet(path: string, options: ScanTableOptions): Promise<{ rows: number }> {
  // hyparquet loads here, not when a check kind that may read Parquet is imported (startup).
  const { ParquetError, ParquetFile } = await import('./parquet.js');
  let file: ParquetFile;
  try {
    file = new ParquetFile(path);
  } catch (error) {
    if (error instanceof ParquetError) throw new TableError(`not a readable Parquet file: ${error.message}`);
    throw error;
  }
  try {
    const columns = file.columns;
    options.onHeader(columns, NO_HINTS);
    const row = new ParquetRow((await import('./float.js')).parseFloatBytes, file, columns);
    let rows = 0;
    let groupStart = 0;
    const groups = file.rowGroups;
    for (let group = 0; group < groups.length; group++) {
      row.startGroup(group, groupStart);
      const groupRows = groups[group]!;
      for (let r = 0; r < groupRows; r++) {
        row.index = r;
        rows++;
        if (options.onRow(row) === false) return { rows };
        if ((r & 0xffff) === 0xffff) {
          if (options.signal?.aborted) throw options.signal.reason;
          // Let timers and signals in between: a group may hold millions of rows.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
      groupStart += groupRows;
      if (options.signal?.aborted) throw options.signal.reason;
    }
    return { rows };
  } catch (error) {
    if (error instanceof ParquetError) throw new TableError(error.message);
    throw error;
  } finally {
    file.close();
  }
}

class ParquetRow extends DecodedRow {
  index = 0;
  private group = 0;
  private groupStart = 0;
  private cursors: Array<ColumnCursor | undefined> = [];
  /** The group before's cursors: a column's next cursor takes over its read buffer. */
  private previous: Array<ColumnCursor | undefined> = [];
  constructor(
    parseFloatBytes: ParseFloatBytes,
    private readonly file: ParquetFile,
    private readonly names: string[],
  ) {
    super(parseFloatBytes);
    this.fieldCount = names.length;
  }
  startGroup(group: number, groupStart: number): void {
    this.group = group;
    this.groupStart = groupStart;
    this.previous = this.cursors;
    this.cursors = new Array(this.names.length);
  }
  where(): string {
    return `row ${this.groupStart + this.index + 1}`;
  }
  protected value(column: number): unknown {
    const name = this.names[column];
    if (name === undefined) return undefined;
    const cursor = (this.cursors[column] ??= this.file.column(this.group, name, this.previous[column]));
    return cursor.at(this.index);
  }
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
