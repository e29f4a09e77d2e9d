/**
 * Batches from a .npy, read between runs or ahead of them: the same rows either way, the
 * last batch short, a batch intact while the next one is read, no read left in flight when
 * the consumer stops early, and a truncated file an error where the batch is awaited.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeNpy, openNpy } from '../data/npy.js';
import { tempFiles } from '../testing/temp.js';
import { npyBatches, spareCoreForReading } from './feed.js';

const ROWS = 37;
const ROW_SIZE = 5;
const values = Float32Array.from({ length: ROWS * ROW_SIZE }, (_, i) => i / 8);

function npy(descr: '<f4' | '<f8' = '<f4'): string {
  const dir = tempFiles({});
  const path = join(dir, 'x.npy');
  writeFileSync(path, encodeNpy(values, [ROWS, ROW_SIZE], descr));
  return path;
}

describe.each([false, true])('npyBatches, readAhead %s', (readAhead) => {
  test('every row once, in order, the last batch short', async () => {
    const seen: number[] = [];
    const starts: number[] = [];
    for await (const batch of npyBatches(openNpy(npy()), 8, { readAhead })) {
      expect(batch.values).toBeInstanceOf(Float32Array);
      expect(batch.values.length).toBe(batch.rows * ROW_SIZE);
      starts.push(batch.start);
      seen.push(...batch.values);
    }
    expect(starts).toEqual([0, 8, 16, 24, 32]);
    expect(seen).toEqual([...values]);
  });

  test('a batch stays intact while the next one is read', async () => {
    for await (const batch of npyBatches(openNpy(npy()), 4, { readAhead })) {
      const copy = Float32Array.from(batch.values);
      // What the model's run gives the reader time for: several turns of the event loop.
      for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      expect(batch.values).toEqual(copy);
    }
  });

  test('stopping early leaves no read in flight', async () => {
    let batches = 0;
    for await (const batch of npyBatches(openNpy(npy()), 4, { readAhead })) {
      expect(batch.start).toBe(0);
      batches++;
      break;
    }
    expect(batches).toBe(1);
  });

  test('a file cut short is an error', async () => {
    const path = npy();
    const info = openNpy(path);
    truncateSync(path, info.dataOffset + 10 * ROW_SIZE * 4);
    const read = async () => {
      for await (const batch of npyBatches(info, 4, { readAhead })) void batch;
    };
    await expect(read()).rejects.toThrow('unexpected end of data');
  });
});

test('other dtypes come as float64', async () => {
  const batches = [];
  for await (const batch of npyBatches(openNpy(npy('<f8')), 16, { readAhead: true })) batches.push(batch);
  expect(batches.map((b) => b.values.constructor)).toEqual([Float64Array, Float64Array, Float64Array]);
  expect(batches.flatMap((b) => [...b.values])).toEqual([...values]);
});

test('reads ahead only with a core beyond the model threads', () => {
  expect(spareCoreForReading(undefined)).toBe(false);
  expect(spareCoreForReading(1_000_000)).toBe(false);
  expect(spareCoreForReading(0)).toBe(true);
});
