/**
 * The Parquet reader page by page: many row groups and pages, dictionary and plain pages,
 * nulls, compressed and not, columns read only when asked for (and from any row on), and a
 * clear error for a damaged file. Files are written by two other implementations of the
 * format: hyparquet-writer (v2 data pages) and DuckDB (v1 data pages, as pyarrow writes by
 * default), each with several codecs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, test } from 'vitest';
import { tempFiles } from '../testing/temp.js';
import { ColumnCursor, ParquetFile } from './parquet.js';
import { scanTable, TableError } from './table.js';

const N = 5000;
const labels = Array.from({ length: N }, (_, i) => (i * 7) % 3);
const scores = Array.from({ length: N }, (_, i) => ((i * 7919) % 1000) / 1000);
const groups = Array.from({ length: N }, (_, i) => ['north', 'south', 'east'][i % 3]!);
const notes = Array.from({ length: N }, (_, i) => (i % 11 === 0 ? null : `note ${i}`));

function writeTable(options: { rowGroupSize: number; pageSize: number; codec?: 'SNAPPY' | 'UNCOMPRESSED' }) {
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'label', data: labels.map(BigInt), type: 'INT64' },
      { name: 'score', data: scores, type: 'DOUBLE' },
      { name: 'group', data: groups, type: 'STRING' },
      { name: 'note', data: notes, type: 'STRING', nullable: true },
    ],
    rowGroupSize: options.rowGroupSize,
    pageSize: options.pageSize,
    codec: options.codec ?? 'SNAPPY',
  });
  const dir = tempFiles({});
  const path = join(dir, 't.parquet');
  writeFileSync(path, new Uint8Array(buffer));
  return path;
}

async function readAll(path: string, columns: (names: string[]) => number[]) {
  const out: unknown[][] = [];
  let wanted: number[] = [];
  await scanTable(path, {
    format: 'parquet',
    onHeader(names) {
      wanted = columns(names);
    },
    onRow(row) {
      out.push([
        row.where(),
        ...wanted.map((c) => (c === 1 ? row.number(c) : c === 0 ? row.integer(c) : row.text(c))),
      ]);
    },
  });
  return out;
}

describe('Parquet, page by page', () => {
  test.each([
    { rowGroupSize: N, pageSize: 1 << 20 },
    { rowGroupSize: 1000, pageSize: 512 },
    { rowGroupSize: 777, pageSize: 2048, codec: 'UNCOMPRESSED' as const },
  ])('every row and value, row groups of $rowGroupSize, pages of $pageSize bytes', async (options) => {
    const path = writeTable(options);
    const out = await readAll(path, () => [0, 1, 2, 3]);
    expect(out).toHaveLength(N);
    expect(out).toEqual(
      labels.map((label, i) => [`row ${i + 1}`, label, scores[i], groups[i], notes[i] ?? '']),
    );
  });

  test.each(['snappy', 'zstd', 'gzip', 'uncompressed'])(
    'v1 data pages as DuckDB writes them, %s: dictionaries, nulls, 64-bit integers',
    async (codec) => {
      const path = join(tempFiles({}), `duck-${codec}.parquet`);
      const duckdb = await DuckDBInstance.create(':memory:');
      const connection = await duckdb.connect();
      try {
        await connection.run(
          `COPY (SELECT i AS id, (i % 3)::INTEGER AS label,
                        CASE WHEN i % 7 = 0 THEN NULL ELSE i / 1000.0 END::DOUBLE AS score,
                        CASE WHEN i % 5 = 0 THEN NULL ELSE 'g' || (i % 4)::VARCHAR END AS grp,
                        i::BIGINT * 1000000007 AS big
                 FROM range(30000) t(i))
           TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 12000, COMPRESSION ${codec})`,
        );
      } finally {
        connection.closeSync();
        duckdb.closeSync();
      }
      const wrong: string[] = [];
      let n = 0;
      await scanTable(path, {
        format: 'parquet',
        onHeader(columns) {
          expect(columns).toEqual(['id', 'label', 'score', 'grp', 'big']);
        },
        onRow(row) {
          const i = n++;
          const got = [row.integer(0), row.integer(1), row.text(2), row.text(3), row.integer(4)];
          const want = [
            i,
            i % 3,
            i % 7 === 0 ? '' : String(i / 1000),
            i % 5 === 0 ? '' : `g${i % 4}`,
            i * 1000000007,
          ];
          if (JSON.stringify(got) !== JSON.stringify(want) && wrong.length < 5)
            wrong.push(`${row.where()}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
        },
      });
      expect(n).toBe(30000);
      expect(wrong).toEqual([]);
    },
  );

  test('small pages really are many pages, read one at a time', () => {
    const file = new ParquetFile(writeTable({ rowGroupSize: N, pageSize: 512 }));
    try {
      const cursor = file.column(0, 'score');
      const pages = new Set<unknown>();
      for (let r = 0; r < N; r++) {
        expect(cursor.at(r)).toBe(scores[r]);
        pages.add((cursor as unknown as { page: unknown }).page);
      }
      expect(pages.size).toBeGreaterThan(20);
    } finally {
      file.close();
    }
  });

  test('a column asked for from a later row skips the pages before it', () => {
    const file = new ParquetFile(writeTable({ rowGroupSize: N, pageSize: 512 }));
    try {
      const cursor: ColumnCursor = file.column(0, 'note');
      expect(cursor.at(4000)).toBe(notes[4000]);
      expect(cursor.at(4999)).toBe(notes[4999]);
      expect(file.column(0, 'label').at(N - 1)).toBe(BigInt(labels[N - 1]!));
    } finally {
      file.close();
    }
  });

  test('a column no row asks for is never read', async () => {
    const path = writeTable({ rowGroupSize: 1000, pageSize: 512 });
    const asked: string[] = [];
    const original = ParquetFile.prototype.column;
    ParquetFile.prototype.column = function (group, name) {
      asked.push(name);
      return original.call(this, group, name);
    };
    try {
      const out = await readAll(path, (names) => [names.indexOf('score')]);
      expect(out.map((r) => r[1])).toEqual(scores);
    } finally {
      ParquetFile.prototype.column = original;
    }
    expect(new Set(asked)).toEqual(new Set(['score']));
    expect(asked).toHaveLength(5); // once per row group
  });

  test('a damaged file is a TableError that says so', async () => {
    const good = writeTable({ rowGroupSize: 1000, pageSize: 512 });
    const dir = tempFiles({ 'not.parquet': 'label,score\n1,0.5\n' });
    await expect(readAll(join(dir, 'not.parquet'), () => [0])).rejects.toThrow(
      /not a readable Parquet file: no PAR1 footer/,
    );
    // Cut in the middle of the data: the footer is intact, a page is not.
    const bytes = new Uint8Array(readFileSync(good));
    const footer = bytes.subarray(bytes.length - 8);
    const metadataLength = new DataView(footer.buffer, footer.byteOffset).getUint32(0, true);
    const damaged = new Uint8Array(bytes);
    damaged.fill(0xff, 100, bytes.length - 8 - metadataLength - 100);
    writeFileSync(join(dir, 'damaged.parquet'), damaged);
    const failure = readAll(join(dir, 'damaged.parquet'), () => [1]);
    await expect(failure).rejects.toBeInstanceOf(TableError);
    await expect(failure).rejects.toThrow(/column "score"/);
  });
});
