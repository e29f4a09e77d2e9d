/**
 * Reads the features of a table (CSV, TSV, JSONL, Parquet or NumPy .npy) in one streaming
 * pass into per-column samples: the finite numbers in chunked Float64Arrays (8 bytes a value —
 * exact KS and Wasserstein need every value), null counts, and category counts bounded by
 * max_categories. Whether a column is numeric or categorical is decided after both tables
 * are read (src/drift/analyze.ts).
 */
import { iterateNpy, NpyError, openNpy } from '../data/npy.js';
import { matchColumns, scanTable, TableError, type TableFormat, type TableRow } from '../data/table.js';
import { didYouMean } from '../util/suggest.js';

export type FeatureType = 'numeric' | 'categorical';
export type DriftFormat = TableFormat | 'npy';

/** A table that cannot be read or does not have what the spec asks for: an `error`. */
export class DriftInputError extends Error {}

/**
 * Cells that count as missing: empty, and the texts pandas.read_csv reads as NaN by default;
 * NaN numbers and JSON/Parquet nulls too.
 */
export const NULL_TOKENS: ReadonlySet<string> = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
]);

const CHUNK = 16_384;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Numbers appended in fixed chunks: no copy on growth, one copy when sorted at the end. */
export class NumberChunks {
  private chunks: Float64Array[] = [];
  private current = new Float64Array(CHUNK);
  private fill = 0;
  length = 0;

  push(value: number): void {
    if (this.fill === CHUNK) {
      this.chunks.push(this.current);
      this.current = new Float64Array(CHUNK);
      this.fill = 0;
    }
    this.current[this.fill++] = value;
    this.length++;
  }

  /** All values sorted ascending; the chunks are released. */
  takeSorted(): Float64Array {
    const out = new Float64Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    out.set(this.current.subarray(0, this.fill), offset);
    this.release();
    return sortFloat64(out);
  }

  release(): void {
    this.chunks = [];
    this.current = new Float64Array(0);
    this.fill = CHUNK;
  }
}

/**
 * Sorts ascending in place (no NaN): an LSD radix sort on the IEEE-754 bits, 16 bits a pass,
 * skipping passes where every value has the same digit. Several times faster than
 * TypedArray.prototype.sort on a million values; -0 sorts before +0, as numpy.sort puts them
 * (equal either way).
 */
export function sortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < 2048 || !LITTLE_ENDIAN) return values.sort();
  // Keys: the bits, flipped so that unsigned order is numeric order.
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]!;
    if (hi & 0x80000000) {
      words[2 * i] = ~words[2 * i]! >>> 0;
      words[2 * i + 1] = ~hi >>> 0;
    } else words[2 * i + 1] = (hi | 0x80000000) >>> 0;
  }
  let source: Uint32Array = words;
  let target: Uint32Array = new Uint32Array(n * 2);
  const counts = new Uint32Array(65_536);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1; // 0: low word, 1: high word
    const shift = (pass & 1) * 16;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(source[2 * i + word]! >>> shift) & 0xffff]!++;
    if (counts[(source[word]! >>> shift) & 0xffff] === n) continue; // one digit: nothing moves
    let sum = 0;
    for (let d = 0; d < 65_536; d++) {
      const count = counts[d]!;
      counts[d] = sum;
      sum += count;
    }
    for (let i = 0; i < n; i++) {
      const at = counts[(source[2 * i + word]! >>> shift) & 0xffff]!++;
      target[2 * at] = source[2 * i]!;
      target[2 * at + 1] = source[2 * i + 1]!;
    }
    [source, target] = [target, source];
  }
  if (source !== words) words.set(source);
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]!;
    if (hi & 0x80000000) words[2 * i + 1] = (hi & 0x7fffffff) >>> 0;
    else {
      words[2 * i] = ~words[2 * i]! >>> 0;
      words[2 * i + 1] = ~hi >>> 0;
    }
  }
  return values;
}

/** One column of one table. */
export class ColumnSample {
  nulls = 0;
  readonly numbers = new NumberChunks();
  /** Counts of the numbers, while there are at most max_categories distinct ones. */
  numberCounts: Map<number, number> | undefined = new Map();
  /** Counts of the non-numeric texts, while there are at most max_categories distinct ones. */
  textCounts: Map<string, number> | undefined = new Map();
  /** Non-null cells that are not numbers. */
  texts = 0;
  firstText?: { where: string; text: string };
  infinite = 0;
  firstInfinite?: string;
  /** Non-empty NaN spellings counted in `nulls`, by spelling. */
  private readonly nullTokens = new Map<string, number>();

  constructor(
    readonly name: string,
    /** Set by `types:`; undefined: inferred from the values. */
    readonly forced: FeatureType | undefined,
    private readonly maxCategories: number,
  ) {}

  addNumber(value: number, where: () => string): void {
    if (value !== value) {
      this.nulls++;
      return;
    }
    if (value === Infinity || value === -Infinity) {
      this.infinite++;
      this.firstInfinite ??= where();
      return;
    }
    this.numbers.push(value);
    const counts = this.numberCounts;
    if (counts) {
      counts.set(value, (counts.get(value) ?? 0) + 1);
      if (counts.size > this.maxCategories) this.numberCounts = undefined;
    }
  }

  addText(raw: string, where: () => string): void {
    const text = raw.trim();
    // pandas' NaN spellings mean missing among numbers; among categories "NA" (North America)
    // or "None" may be a value, so there only the empty cell is missing.
    if (this.forced === 'categorical' ? text === '' : NULL_TOKENS.has(text)) {
      this.nulls++;
      // Kept apart: if the column turns out categorical they are values (nullTokensAsValues).
      if (text !== '') this.nullTokens.set(text, (this.nullTokens.get(text) ?? 0) + 1);
      return;
    }
    this.countText(text, where());
  }

  private countText(text: string, where: string, n = 1): void {
    this.texts += n;
    this.firstText ??= { where, text };
    const counts = this.textCounts;
    if (counts) {
      counts.set(text, (counts.get(text) ?? 0) + n);
      if (counts.size > this.maxCategories) this.textCounts = undefined;
    }
  }

  /** The NaN spellings ("NA", "None", …) counted as missing, made values again: for categories. */
  nullTokensAsValues(): void {
    for (const [text, n] of this.nullTokens) {
      this.nulls -= n;
      this.countText(text, 'a cell', n);
    }
    this.nullTokens.clear();
  }

  /** Non-null values. */
  get count(): number {
    return this.numbers.length + this.texts + this.infinite;
  }
}

export interface TableSample {
  shown: string;
  rows: number;
  /** Every column the file has, in order. */
  columns: string[];
  features: ColumnSample[];
}

export interface TableInput {
  path: string;
  shown: string;
  format: DriftFormat;
  /** Column names of a .npy file (default "0", "1", …). */
  names?: string[];
}

export interface Selection {
  /** Features to compare (names or globs); default every column. */
  columns?: string[];
  exclude?: string[];
  types: Readonly<Record<string, FeatureType>>;
  maxCategories: number;
}

/** The reference decides the features; the current table must have every one. */
export async function readBoth(
  reference: TableInput,
  current: TableInput,
  selection: Selection,
  signal?: AbortSignal,
): Promise<{ reference: TableSample; current: TableSample; features: string[] }> {
  let features: string[] | undefined;
  const ref = await readTable(
    reference,
    signal,
    (columns) => {
      features = selectFeatures(columns, selection, reference.shown);
      return features;
    },
    selection,
  );
  const cur = await readTable(
    current,
    signal,
    (columns) => {
      const missing = features!.filter((name) => !columns.includes(name));
      if (missing.length > 0) {
        const hint = missing.length === 1 ? didYouMean(missing[0]!, columns) : '';
        throw new DriftInputError(
          `${current.shown} lacks ${missing.length} feature${missing.length === 1 ? '' : 's'} of the reference: ${list(missing)}.${hint} It has: ${list(columns)}. (A feature the serving data dropped is drift too; list the ones to compare under columns:, or exclude the rest.)`,
        );
      }
      // A feature written twice in the serving data: which copy is "the" feature is a guess.
      const twice = features!.filter((name) => columns.indexOf(name) !== columns.lastIndexOf(name));
      if (twice.length > 0)
        throw new DriftInputError(
          `${current.shown} has more than one column named ${list([...new Set(twice)])}`,
        );
      return features!;
    },
    selection,
  );
  // Two .npy files are matched by position: a column more or less shifts every feature.
  if (reference.format === 'npy' && current.format === 'npy' && ref.columns.length !== cur.columns.length)
    throw new DriftInputError(
      `${reference.shown} has ${ref.columns.length} columns and ${current.shown} ${cur.columns.length}: NumPy columns are matched by position, so a column added or dropped shifts every feature after it. Compare tables with named columns, or arrays of the same width`,
    );
  return { reference: ref, current: cur, features: features! };
}

function list(names: string[], max = 12): string {
  return names.length > max
    ? `${names.slice(0, max).join(', ')}, … (${names.length} in all)`
    : names.join(', ');
}

function selectFeatures(columns: string[], selection: Selection, shown: string): string[] {
  let chosen: string[];
  if (selection.columns) {
    chosen = [];
    for (const pattern of selection.columns) {
      const matched = matchColumns(columns, pattern);
      if (matched.length === 0)
        throw new DriftInputError(
          `${shown} has no column matching "${pattern}" (columns:).${didYouMean(pattern, columns)} It has: ${list(columns)}.`,
        );
      for (const name of matched) if (!chosen.includes(name)) chosen.push(name);
    }
  } else chosen = [...columns];
  for (const pattern of selection.exclude ?? []) {
    const matched = matchColumns(chosen, pattern);
    chosen = chosen.filter((name) => !matched.includes(name));
  }
  for (const name of Object.keys(selection.types)) {
    if (!chosen.includes(name))
      throw new DriftInputError(
        `types: names "${name}", which is not a compared feature of ${shown}.${didYouMean(name, chosen)}`,
      );
  }
  const duplicates = chosen.filter((name) => columns.indexOf(name) !== columns.lastIndexOf(name));
  if (duplicates.length > 0)
    throw new DriftInputError(`${shown} has more than one column named ${list([...new Set(duplicates)])}`);
  return chosen;
}

async function readTable(
  input: TableInput,
  signal: AbortSignal | undefined,
  choose: (columns: string[]) => string[],
  selection: Selection,
): Promise<TableSample> {
  const sample: TableSample = { shown: input.shown, rows: 0, columns: [], features: [] };
  const make = (names: string[]) =>
    names.map((name) => new ColumnSample(name, selection.types[name], selection.maxCategories));
  try {
    if (input.format === 'npy') await readNpy(input, sample, choose, make, signal);
    else {
      let indexes: number[] = [];
      let samples: ColumnSample[] = [];
      let row: TableRow;
      const where = () => row.where();
      const { rows } = await scanTable(input.path, {
        format: input.format,
        signal,
        onHeader(columns, hints) {
          sample.columns = columns;
          const names = choose(columns);
          indexes = names.map((name) => columns.indexOf(name));
          samples = make(names);
          sample.features = samples;
          // Parse the numbers while scanning; text columns fall back by themselves.
          hints.numeric(indexes.filter((_, k) => samples[k]!.forced !== 'categorical'));
        },
        onRow(current) {
          row = current;
          for (let k = 0; k < indexes.length; k++) {
            const column = indexes[k]!;
            const feature = samples[k]!;
            if (feature.forced === 'categorical') {
              feature.addText(current.text(column), where);
              continue;
            }
            if (feature.texts > 0) {
              // A column with text already: skip the (slow) failed number parse of more text.
              const text = current.text(column);
              if (!looksNumeric(text)) {
                feature.addText(text, where);
                continue;
              }
            }
            const value = current.number(column);
            if (value === value) feature.addNumber(value, where);
            else feature.addText(current.text(column), where);
          }
        },
      });
      sample.rows = rows;
    }
  } catch (error) {
    if (error instanceof DriftInputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DriftInputError(`${input.shown} not found`);
    if (code === 'EISDIR') throw new DriftInputError(`${input.shown} is a folder, not a table`);
    if (
      error instanceof TableError ||
      error instanceof NpyError ||
      (error as Error).name === 'CsvFormatError'
    )
      throw new DriftInputError(`${input.shown}: ${(error as Error).message}`);
    if (code) throw new DriftInputError(`cannot read ${input.shown}: ${(error as Error).message}`);
    throw error;
  }
  if (sample.rows === 0)
    throw new DriftInputError(`${input.shown} has no data rows: there is nothing to compare`);
  return sample;
}

/** Whether a cell could be a number (then it is parsed); "k3", "red" cannot. */
function looksNumeric(text: string): boolean {
  const c = text.trimStart().charCodeAt(0);
  // digits, + - . and i/I/n/N (inf, nan)
  return (
    (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || c === 105 || c === 73 || c === 110 || c === 78
  );
}

async function readNpy(
  input: TableInput,
  sample: TableSample,
  choose: (columns: string[]) => string[],
  make: (names: string[]) => ColumnSample[],
  signal: AbortSignal | undefined,
): Promise<void> {
  const info = openNpy(input.path, input.shown);
  if (info.shape.length > 2)
    throw new DriftInputError(
      `${input.shown} has shape ${JSON.stringify(info.shape)}: drift compares a table (N rows × K features); reshape it to 2 dimensions`,
    );
  const width = info.rowSize;
  if (input.names && input.names.length !== width)
    throw new DriftInputError(
      `names: lists ${input.names.length} columns, ${input.shown} has ${width} (shape ${JSON.stringify(info.shape)})`,
    );
  const columns = input.names ?? Array.from({ length: width }, (_, i) => String(i));
  sample.columns = columns;
  const names = choose(columns);
  const indexes = names.map((name) => columns.indexOf(name));
  const samples = make(names);
  sample.features = samples;
  for await (const chunk of iterateNpy(info)) {
    for (let r = 0; r < chunk.rows; r++) {
      const base = r * width;
      const where = () => `row ${chunk.start + r + 1}`;
      for (let k = 0; k < indexes.length; k++) {
        const value = chunk.values[base + indexes[k]!]!;
        const feature = samples[k]!;
        if (feature.forced === 'categorical') {
          if (value !== value) feature.nulls++;
          else feature.addText(String(value), where);
        } else feature.addNumber(value, where);
      }
    }
    if (signal?.aborted) throw signal.reason;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  sample.rows = info.rows;
}
