/**
 * Streams a CSV file record by record over a reused byte buffer: memory stays flat however
 * large the file, and no string is made for a field unless asked for. RFC 4180 quoting
 * (quoted fields, doubled quotes, newlines inside quotes), CRLF or LF, a BOM.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parseFloatBytes, parseFloatInto, parseIntegerBytes } from './float.js';

const QUOTE = 34;
const LF = 10;
const CR = 13;

export class CsvFormatError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** One record: field i spans bytes [starts[i], ends[i]) of buf. Valid only during the callback. */
export class CsvRecord {
  buf: Uint8Array = new Uint8Array(0);
  count = 0;
  /** 1-based line where the record starts. */
  line = 0;
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  /** 1 where a quoted field contains doubled quotes that text() must undo. */
  escaped = new Uint8Array(64);
  /** Columns the reader parses as numbers while scanning (one pass over their bytes). */
  numeric = new Uint8Array(0);
  /** values[i] holds field i's number when parsed[i] is 1. */
  values = new Float64Array(64);
  parsed = new Uint8Array(64);

  text(i: number): string {
    if (i >= this.count) return '';
    const raw = decoder.decode(this.buf.subarray(this.starts[i]!, this.ends[i]!));
    return this.escaped[i] ? raw.replace(/""/g, '"') : raw;
  }

  number(i: number): number {
    if (i >= this.count) return Number.NaN;
    if (this.parsed[i] === 1) return this.values[i]!;
    let start = this.starts[i]!;
    let end = this.ends[i]!;
    // Tolerate spaces around numbers (", 0.5"), as pandas and numpy do.
    while (start < end && this.buf[start] === 32) start++;
    while (end > start && this.buf[end - 1] === 32) end--;
    return parseFloatBytes(this.buf, start, end);
  }

  integer(i: number): number | undefined {
    if (i >= this.count) return undefined;
    return parseIntegerBytes(this.buf, this.starts[i]!, this.ends[i]!);
  }

  grow(): void {
    const size = this.starts.length * 2;
    const starts = new Int32Array(size);
    starts.set(this.starts);
    const ends = new Int32Array(size);
    ends.set(this.ends);
    const escaped = new Uint8Array(size);
    escaped.set(this.escaped);
    const values = new Float64Array(size);
    const parsed = new Uint8Array(size);
    this.starts = starts;
    this.ends = ends;
    this.escaped = escaped;
    this.values = values;
    this.parsed = parsed;
  }
}

const decoder = new TextDecoder();

export interface ScanCsvOptions {
  delimiter?: string;
  chunkBytes?: number;
  signal?: AbortSignal;
  /** Called for each record; return false to stop early. */
  onRecord(record: CsvRecord): boolean | void;
  /** The record object, so the caller can set `numeric` once it knows the header. */
  record?: CsvRecord;
}

/** Reads the file and calls onRecord for every non-blank record, the header included. */
export async function scanCsv(
  path: string,
  options: ScanCsvOptions,
): Promise<{ records: number; bytes: number }> {
  const delimiter = (options.delimiter ?? ',').charCodeAt(0);
  let buffer = new Uint8Array(options.chunkBytes ?? 1 << 22);
  const fd = openSync(path, 'r');
  const record = options.record ?? new CsvRecord();
  let length = 0; // valid bytes in buffer
  let eof = false;
  let line = 1;
  let records = 0;
  let bytes = 0;
  let first = true;
  try {
    for (;;) {
      // Fill the buffer.
      if (!eof) {
        if (length === buffer.length) {
          const bigger = new Uint8Array(buffer.length * 2);
          bigger.set(buffer.subarray(0, length));
          buffer = bigger;
        }
        const read = readSync(fd, buffer, length, buffer.length - length, null);
        if (read === 0) eof = true;
        length += read;
        bytes += read;
      }
      let pos = 0;
      if (first && length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) pos = 3;
      first = false;
      record.buf = buffer;
      // Parse every complete record in the buffer.
      for (;;) {
        if (pos >= length) break;
        const recordStart = pos;
        const recordLine = line;
        let count = 0;
        let p = pos;
        let complete = false;
        for (;;) {
          if (count === record.starts.length) record.grow();
          if (p < length && buffer[p] === QUOTE) {
            // Quoted field.
            let q = p + 1;
            let escaped = 0;
            let closed = false;
            let newlines = 0;
            while (q < length) {
              const b = buffer[q]!;
              if (b === QUOTE) {
                if (q + 1 < length && buffer[q + 1] === QUOTE) {
                  escaped = 1;
                  q += 2;
                  continue;
                }
                if (q + 1 >= length && !eof) break; // cannot tell yet: a doubled quote may follow
                closed = true;
                break;
              }
              if (b === LF) newlines++;
              q++;
            }
            if (!closed) {
              if (eof) throw new CsvFormatError('a quoted field is never closed', recordLine);
              break; // incomplete: read more
            }
            record.starts[count] = p + 1;
            record.ends[count] = q;
            record.escaped[count] = escaped;
            record.parsed[count] = 0;
            count++;
            line += newlines;
            p = q + 1;
            if (p < length && buffer[p] !== delimiter && buffer[p] !== LF && buffer[p] !== CR) {
              throw new CsvFormatError('unexpected text after a closing quote', recordLine);
            }
          } else {
            // A numeric column: parse while scanning, when the number runs to the delimiter.
            let done = false;
            if (count < record.numeric.length && record.numeric[count] === 1) {
              const q = parseFloatInto(buffer, p, length, record.values, count);
              if (
                q > p &&
                (q < length ? buffer[q] === delimiter || buffer[q] === LF || buffer[q] === CR : eof)
              ) {
                record.starts[count] = p;
                record.ends[count] = q;
                record.escaped[count] = 0;
                record.parsed[count] = 1;
                count++;
                p = q;
                done = true;
              }
            }
            if (!done) {
              let q = p;
              while (q < length) {
                const b = buffer[q]!;
                if (b === delimiter || b === LF || b === CR) break;
                q++;
              }
              if (q >= length && !eof) break; // incomplete
              record.starts[count] = p;
              record.ends[count] = q;
              record.escaped[count] = 0;
              record.parsed[count] = 0;
              count++;
              p = q;
            }
          }
          if (p < length && buffer[p] === delimiter) {
            p++;
            if (p >= length && !eof) break; // the next field is not here yet
            if (p >= length) {
              // A trailing delimiter at end of file: one more empty field.
              if (count === record.starts.length) record.grow();
              record.starts[count] = p;
              record.ends[count] = p;
              record.escaped[count] = 0;
              record.parsed[count] = 0;
              count++;
              complete = true;
              break;
            }
            continue;
          }
          // End of record: CR, LF, CRLF or end of file.
          if (p < length && buffer[p] === CR) {
            if (p + 1 >= length && !eof) break; // could be CRLF split across reads
            p++;
            if (p < length && buffer[p] === LF) p++;
          } else if (p < length && buffer[p] === LF) p++;
          complete = true;
          break;
        }
        if (!complete) {
          // Keep the partial record for the next read.
          if (eof) throw new CsvFormatError('unexpected end of file', recordLine);
          pos = recordStart;
          line = recordLine;
          break;
        }
        pos = p;
        line++;
        const blank = count === 1 && record.starts[0] === record.ends[0] && buffer[recordStart] !== QUOTE;
        if (blank) continue;
        record.count = count;
        record.line = recordLine;
        records++;
        if (options.onRecord(record) === false) return { records, bytes };
      }
      if (eof && pos >= length) break;
      // Move the unparsed tail to the front.
      buffer.copyWithin(0, pos, length);
      length -= pos;
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      // Let timers and signals run between chunks.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    closeSync(fd);
  }
  return { records, bytes };
}
