/**
 * Parquet rows, one data page of each column at a time. A column is read only when a row asks
 * for it (so only the columns a check uses are ever read or decoded), and each column moves
 * forward through its chunk page by page: memory is one decoded page per column in use, not a
 * row group — a 10M-row group costs what a 100k-row one does. Page headers, decompression and
 * value decoding are hyparquet's; the walk over pages and the file reads are here, synchronous,
 * so a row's accessors stay plain function calls.
 *
 * Format: https://parquet.apache.org/docs/file-format/ (footer, column chunks, pages).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parquetMetadata, parquetSchema } from 'hyparquet';
import { parquetHeader, readPage } from 'hyparquet/src/column.js';
import { convert, convertWithDictionary, DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { getMaxDefinitionLevel, getTreePath, isFlatColumn } from 'hyparquet/src/schema.js';
import type {
  ColumnChunk,
  ColumnDecoder,
  DataReader,
  DecodedArray,
  FileMetaData,
  PageHeader,
} from 'hyparquet/src/types.js';
import { compressors } from 'hyparquet-compressors';

export class ParquetError extends Error {}

/** Bytes read ahead at a time: several pages of the usual sizes (64 kB to 1 MB). */
const WINDOW = 1 << 21;
/** A page header is a few dozen bytes; with statistics of long strings, more. */
const HEADER_BYTES = 64 << 10;

export class ParquetFile {
  readonly metadata: FileMetaData;
  /** Top-level column names, in schema order. */
  readonly columns: string[];
  private readonly fd: number;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
    try {
      const size = fstatSync(this.fd).size;
      if (size < 12) throw new ParquetError('the file is too short to be Parquet');
      const tail = this.read(size - 8, 8);
      if (tail.toString('latin1', 4) !== 'PAR1') throw new ParquetError('no PAR1 footer: not a Parquet file');
      const metadataLength = tail.readUInt32LE(0);
      if (metadataLength > size - 12)
        throw new ParquetError(`its footer claims ${metadataLength} bytes of metadata`);
      this.metadata = parquetMetadata(this.read(size - 8 - metadataLength, metadataLength + 8));
      this.columns = parquetSchema(this.metadata).children.map((child) => child.element.name);
    } catch (error) {
      closeSync(this.fd);
      if (error instanceof ParquetError) throw error;
      throw new ParquetError((error as Error).message);
    }
  }

  /** Rows in each row group. */
  get rowGroups(): number[] {
    return this.metadata.row_groups.map((group) => Number(group.num_rows));
  }

  /**
   * A reader of one top-level column within one row group; `previous` (the same column's
   * cursor in the group before, done with) hands over its read buffer.
   */
  column(group: number, name: string, previous?: ColumnCursor): ColumnCursor {
    const tree = parquetSchema(this.metadata);
    const chunk = this.metadata.row_groups[group]!.columns.find(
      (candidate) => candidate.meta_data?.path_in_schema[0] === name,
    );
    const schemaPath = getTreePath(tree, [name]);
    if (!chunk?.meta_data || !isFlatColumn(schemaPath))
      throw new ParquetError(
        `column "${name}" is nested (a list, map or struct): mlgate reads flat columns of numbers and text`,
      );
    return new ColumnCursor(this, chunk, schemaPath, previous?.releaseWindow());
  }

  /** The bytes at `position`, into `buffer` (grown when too small). */
  read(position: number, length: number, buffer?: Buffer): Buffer {
    const target =
      buffer && buffer.length >= length ? buffer.subarray(0, length) : Buffer.allocUnsafeSlow(length);
    let done = 0;
    while (done < length) {
      const read = readSync(this.fd, target, done, length - done, position + done);
      if (read === 0)
        throw new ParquetError(`the file ends at byte ${position + done}; ${length - done} more expected`);
      done += read;
    }
    return target;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * One column chunk read forward, page by page. `at(row)` returns the value of a row of the
 * group; rows must not go backwards (they never do: a scan reads rows in order).
 */
export class ColumnCursor {
  private readonly decoder: ColumnDecoder;
  private offset: number;
  private readonly end: number;
  private dictionary: DecodedArray | undefined;
  private page: DecodedArray = [];
  /** Row in the page → index in `page`, -1 for a null; absent when the page has no nulls. */
  private valueIndex: Int32Array | undefined;
  private readonly maxDefinitionLevel: number;
  /** Row (within the group) of page[0], and the row after the page's last. */
  private first = 0;
  private next = 0;
  /** File bytes read ahead: window[0] is at windowStart in the file. */
  private window: Buffer | undefined;
  private windowStart = 0;
  private windowLength = 0;

  constructor(
    private readonly file: ParquetFile,
    chunk: ColumnChunk,
    schemaPath: ColumnDecoder['schemaPath'],
    window?: Buffer,
  ) {
    this.window = window;
    const meta = chunk.meta_data!;
    this.decoder = {
      pathInSchema: meta.path_in_schema,
      type: meta.type,
      element: schemaPath[schemaPath.length - 1]!.element,
      schemaPath,
      codec: meta.codec,
      parsers: DEFAULT_PARSERS,
      compressors,
    };
    this.maxDefinitionLevel = getMaxDefinitionLevel(schemaPath);
    // Some writers omit dictionary_page_offset; the chunk then starts at its first data page.
    this.offset = Number(meta.dictionary_page_offset || meta.data_page_offset);
    this.end = this.offset + Number(meta.total_compressed_size);
  }

  at(row: number): unknown {
    if (row >= this.next) {
      try {
        while (row >= this.next) this.readPage(row - this.next);
      } catch (error) {
        if (error instanceof ParquetError) throw error;
        throw new ParquetError(
          `cannot read column "${this.decoder.pathInSchema.join('.')}" near row ${row + 1} of its row group: ${(error as Error).message}`,
        );
      }
    }
    if (this.valueIndex === undefined) return this.page[row - this.first];
    const index = this.valueIndex[row - this.first]!;
    return index < 0 ? null : this.page[index];
  }

  /**
   * Reads the next page; skips its decoding when the wanted row lies beyond it. Pages come out
   * of a window of the file read ahead (WINDOW bytes, reused), so small pages cost no read each;
   * a page whose values could be views of the window (uncompressed) is copied out first.
   */
  private readPage(rowsToSkip: number): void {
    if (this.offset >= this.end)
      throw new ParquetError(
        `column "${this.decoder.pathInSchema.join('.')}" ends before its row group does (a damaged file)`,
      );
    let reader: DataReader = {
      view: viewOf(this.slice(this.offset, Math.min(HEADER_BYTES, this.end - this.offset))),
      offset: 0,
    };
    let header: PageHeader;
    try {
      header = parquetHeader(reader);
    } catch (error) {
      // A header larger than guessed (huge statistics): try with the rest of the chunk.
      if (reader.view.byteLength === this.end - this.offset) throw error;
      reader = { view: viewOf(this.slice(this.offset, this.end - this.offset)), offset: 0 };
      header = parquetHeader(reader);
    }
    const start = this.offset + reader.offset;
    const size = header.compressed_page_size;
    if (start + size > this.end)
      throw new ParquetError(`a page of column "${this.decoder.pathInSchema.join('.')}" runs past its chunk`);
    this.offset = start + size;
    if (header.type === 'DICTIONARY_PAGE') {
      // The dictionary lives as long as the chunk: its own copy of the bytes.
      const own = this.slice(start, size).slice();
      const { data } = readPage(
        { view: viewOf(own), offset: 0 },
        header,
        this.decoder,
        undefined,
        undefined,
        0,
      );
      if (data) this.dictionary = convert(data, this.decoder);
      return;
    }
    if (header.type !== 'DATA_PAGE' && header.type !== 'DATA_PAGE_V2') return; // index pages
    this.first = this.next;
    this.valueIndex = undefined;
    const rows =
      header.type === 'DATA_PAGE'
        ? header.data_page_header!.num_values
        : header.data_page_header_v2!.num_rows;
    this.next += rows;
    if (rowsToSkip > rows) {
      // The wanted row is further on: count the page, decode nothing.
      this.page = [];
      return;
    }
    const stored =
      this.decoder.codec === 'UNCOMPRESSED' || header.data_page_header_v2?.is_compressed === false;
    // Decoded values may be views of stored bytes: those must not be the reused window.
    const bytes = stored ? this.slice(start, size).slice() : this.slice(start, size);
    this.decodePage(bytes, header, rows);
  }

  /** The read buffer, for the next cursor of this column; this cursor reads no more. */
  releaseWindow(): Buffer | undefined {
    const window = this.window;
    this.window = undefined;
    this.windowLength = 0;
    this.offset = this.end;
    return window;
  }

  /** File bytes [position, position + length), from the window, refilled when it lacks them. */
  private slice(position: number, length: number): Uint8Array {
    const offset = position - this.windowStart;
    if (offset < 0 || offset + length > this.windowLength) {
      const size = Math.min(Math.max(length, WINDOW), this.end - position);
      const bytes = this.file.read(position, size, this.window);
      // Keep the whole buffer (a read into it returns a view of its first `size` bytes).
      if (bytes.buffer !== this.window?.buffer) this.window = bytes;
      this.windowStart = position;
      this.windowLength = size;
      return bytes.subarray(0, length);
    }
    return this.window!.subarray(offset, offset + length);
  }

  /**
   * A flat column's page, decoded as hyparquet's readPage does but without assembling rows
   * into a new JS array: the values stay as decoded (a typed array for numbers), and nulls are
   * found through the definition levels.
   */
  private decodePage(compressed: Uint8Array, header: PageHeader, rows: number): void {
    const decoded =
      header.type === 'DATA_PAGE'
        ? readDataPage(
            decompressPage(
              compressed,
              header.uncompressed_page_size,
              this.decoder.codec,
              this.decoder.compressors,
            ),
            header.data_page_header!,
            this.decoder,
          )
        : readDataPageV2(compressed, header, this.decoder);
    const encoding = (header.data_page_header ?? header.data_page_header_v2)!.encoding;
    this.page = convertWithDictionary(decoded.dataPage, this.dictionary, encoding, this.decoder);
    const levels = decoded.definitionLevels ?? [];
    if (this.page.length === rows) return; // no nulls: row i is value i
    if (levels.length !== rows)
      throw new ParquetError(`a page has ${this.page.length} values for ${rows} rows and no null markers`);
    const index = new Int32Array(rows);
    for (let row = 0, value = 0; row < rows; row++)
      index[row] = levels[row] === this.maxDefinitionLevel ? value++ : -1;
    this.valueIndex = index;
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
