/** The readers: float parsing, CSV edge cases, .npy variants, JSONL and Parquet. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, test } from 'vitest';
import { tempFiles } from '../testing/temp.js';
import { scanCsv } from './csv-stream.js';
import { parseFloatBytes, parseIntegerBytes } from './float.js';
import { encodeNpy, NpyError, openNpy, readNpyRows } from './npy.js';
import { scanTable, type TableFormat } from './table.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const parse = (text: string) => parseFloatBytes(bytes(text), 0, bytes(text).length);

describe('parseFloatBytes gives exactly the double Number() gives', () => {
  test('written forms', () => {
    for (const text of [
      '0',
      '-0',
      '1',
      '0.5',
      '321.0',
      '238.46942138671875',
      '4.6580398648546207e-07',
      '1e-7',
      '1E+3',
      '.25',
      '+2.5',
      '0.1000000000000000055511151231257827',
    ]) {
      expect(Object.is(parse(text), Number(text)), text).toBe(true);
    }
    expect(parse('nan')).toBeNaN();
    expect(parse('inf')).toBe(Number.POSITIVE_INFINITY);
    for (const text of ['', 'abc', '1.2.3', '1e', '0x10', '--1']) expect(parse(text), text).toBeNaN();
  });

  test('half a million random values in four notations', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    let mismatches = 0;
    for (let i = 0; i < 125_000; i++) {
      const x = random() * 10 ** (Math.floor(random() * 40) - 30);
      for (const text of [String(x), x.toExponential(17), x.toPrecision(7), String(-x * 1e5)]) {
        if (!Object.is(parse(text), Number(text))) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });

  test('every decade from 1e-320 to 1e308, tiny and huge numbers included', () => {
    // The double-double path loses bits where 10^e's low half is subnormal (1e-283 was read
    // as its neighbour, turning a strict order of scores into a tie); those go to Number().
    let seed = 777;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const wrong: string[] = [];
    for (let decade = -320; decade <= 307; decade++) {
      for (let i = 0; i < 60; i++) {
        const x = (1 + random() * 9) * 10 ** decade;
        if (!Number.isFinite(x) || x === 0) continue;
        const long =
          decade < 0 && decade > -330
            ? `0.${'0'.repeat(-decade - 1)}${x.toPrecision(17).replace('.', '').replace(/e.*$/, '')}`
            : undefined;
        for (const text of [String(x), x.toExponential(16), x.toPrecision(19), ...(long ? [long] : [])])
          if (!Object.is(parse(text), Number(text))) wrong.push(text);
      }
    }
    for (const text of ['3.173578135742139e-285', '3.406073633183e-288', '3.019666735200567e-283'])
      if (!Object.is(parse(text), Number(text))) wrong.push(text);
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  test('integers, including "3.0"', () => {
    const int = (text: string) => parseIntegerBytes(bytes(text), 0, bytes(text).length);
    expect([int('7'), int('-2'), int('3.0'), int('3.5'), int('x'), int('')]).toEqual([
      7,
      -2,
      3,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('CSV streaming', () => {
  const records = async (text: string, chunkBytes?: number) => {
    const dir = tempFiles({ 'f.csv': text });
    const out: Array<{ line: number; fields: string[] }> = [];
    await scanCsv(join(dir, 'f.csv'), {
      chunkBytes,
      onRecord(record) {
        out.push({
          line: record.line,
          fields: Array.from({ length: record.count }, (_, i) => record.text(i)),
        });
      },
    });
    return out;
  };

  test('quotes, doubled quotes, newlines inside quotes, CRLF, BOM, blank lines', async () => {
    const text = '\uFEFFa,b\r\n"x, y","say ""hi"""\r\n\r\n"multi\nline",2\n3,\n';
    const expected = [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 4, fields: ['multi\nline', '2'] },
      { line: 6, fields: ['3', ''] },
    ];
    expect(await records(text)).toEqual(expected);
    // The same with a buffer so small that every record straddles a read.
    expect(await records(text, 4)).toEqual(expected);
  });

  test('an unclosed quote is an error with its line', async () => {
    await expect(records('a,b\n1,"open\n')).rejects.toThrow('line 2: a quoted field is never closed');
  });
});

describe('.npy', () => {
  test('float32 and int64, v1.0, as numpy writes them', () => {
    const dir = tempFiles({
      'x.npy': encodeNpy([1.5, -2, 3, 4.25], [2, 2], '<f4'),
      'y.npy': encodeNpy([7, 8, 9], [3], '<i8'),
    });
    const x = openNpy(join(dir, 'x.npy'));
    expect(x).toMatchObject({ version: '1.0', descr: '<f4', shape: [2, 2], rows: 2, rowSize: 2 });
    expect(Array.from(readNpyRows(x, 0, 2))).toEqual([1.5, -2, 3, 4.25]);
    expect(Array.from(readNpyRows(openNpy(join(dir, 'y.npy')), 1, 2))).toEqual([8, 9]);
  });

  test('format 2.0 and big-endian float64', () => {
    const header = "{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }";
    const padded = header + ' '.repeat((64 - ((12 + header.length + 1) % 64)) % 64) + '\n';
    const prefix = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0, 0, 0, 0]);
    prefix.writeUInt32LE(padded.length, 8);
    const data = Buffer.alloc(24);
    [0.25, -1, 1e300].forEach((v, i) => data.writeDoubleBE(v, i * 8));
    const dir = tempFiles({ 'be.npy': Buffer.concat([prefix, Buffer.from(padded), data]) });
    const info = openNpy(join(dir, 'be.npy'));
    expect(info).toMatchObject({ version: '2.0', littleEndian: false });
    expect(Array.from(readNpyRows(info, 0, 3))).toEqual([0.25, -1, 1e300]);
  });

  test('clear errors: not npy, truncated, Fortran order, unsupported dtype', () => {
    const good = encodeNpy([1, 2, 3, 4], [2, 2], '<f8');
    const fortran = Buffer.from(
      good.toString('latin1').replace("'fortran_order': False", "'fortran_order': True "),
      'latin1',
    );
    const half = Buffer.from(good.toString('latin1').replace("'<f8'", "'<f2'"), 'latin1');
    const dir = tempFiles({
      'a.npy': 'hello',
      'b.npy': good.subarray(0, good.length - 8),
      'c.npy': fortran,
      'd.npy': half,
    });
    expect(() => openNpy(join(dir, 'a.npy'), 'a.npy')).toThrow(
      new NpyError('a.npy is not a NumPy .npy file (no \\x93NUMPY magic)'),
    );
    expect(() => openNpy(join(dir, 'b.npy'), 'b.npy')).toThrow(
      'b.npy is truncated: its header promises 32 bytes of data (shape [2,2], <f8), the file has 24',
    );
    expect(() => openNpy(join(dir, 'c.npy'), 'c.npy')).toThrow('is in Fortran order');
    expect(() => openNpy(join(dir, 'd.npy'), 'd.npy')).toThrow('dtype "<f2" is not supported');
  });
});

describe('tables: the same rows from CSV, JSONL and Parquet', () => {
  const rows = [
    { label: 1, pred: 1, score: 0.75, group: 'a' },
    { label: 0, pred: 1, score: 0.5, group: 'b' },
    { label: 0, pred: 0, score: 0.125, group: 'a' },
  ];
  const read = async (path: string, format: TableFormat) => {
    const out: unknown[][] = [];
    let header: string[] = [];
    await scanTable(path, {
      format,
      onHeader(columns) {
        header = columns;
      },
      onRow(row) {
        out.push([row.where(), row.integer(0), row.number(2), row.text(3)]);
      },
    });
    return { header, out };
  };

  test.each(['csv', 'jsonl', 'parquet'] as const)('%s', async (format) => {
    const dir = tempFiles({});
    const path = join(dir, `t.${format}`);
    if (format === 'csv')
      writeFileSync(
        path,
        `label,pred,score,group\n${rows.map((r) => Object.values(r).join(',')).join('\n')}\n`,
      );
    if (format === 'jsonl') writeFileSync(path, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    if (format === 'parquet') {
      const buffer = parquetWriteBuffer({
        columnData: [
          { name: 'label', data: rows.map((r) => BigInt(r.label)), type: 'INT64' },
          { name: 'pred', data: rows.map((r) => r.pred), type: 'INT32' },
          { name: 'score', data: rows.map((r) => r.score), type: 'DOUBLE' },
          { name: 'group', data: rows.map((r) => r.group), type: 'STRING' },
        ],
      });
      writeFileSync(path, new Uint8Array(buffer));
    }
    const { header, out } = await read(path, format);
    expect(header).toEqual(['label', 'pred', 'score', 'group']);
    const place = format === 'parquet' ? 'row' : 'line';
    const first = format === 'csv' ? 2 : 1;
    expect(out).toEqual(rows.map((r, i) => [`${place} ${first + i}`, r.label, r.score, r.group]));
  });
});
