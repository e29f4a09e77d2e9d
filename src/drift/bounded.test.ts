/**
 * Many features: every one is counted, the evidence stays bounded (the worst rows of the
 * table, six pictures, a short summary), and the most drifted come first.
 */
import { expect, test } from 'vitest';
import { executeCheck } from '../engine/execute.js';
import { loadBuiltinChecks } from '../engine/registry.js';
import { csv, tempFiles } from '../testing/temp.js';

const FEATURES = 300;
const ROWS = 80;

function table(seed: number, drifted: Set<number>): string {
  let state = seed;
  const random = () => (state = (state * 48271) % 2147483647) / 2147483647;
  const header = Array.from({ length: FEATURES }, (_, f) => `f${f}`);
  const rows = Array.from({ length: ROWS }, () =>
    header.map((_, f) => (random() + (drifted.has(f) ? 0.8 : 0)).toFixed(4)),
  );
  return csv(header, rows);
}

test(`${FEATURES} features: all counted, evidence bounded, the drifted first`, async () => {
  const shifted = new Set([7, 123, 250]);
  const root = tempFiles({ 'ref.csv': table(1, new Set()), 'cur.csv': table(2, shifted) });
  const drift = (await loadBuiltinChecks()).get('drift')!;
  const outcome = await executeCheck(
    drift,
    drift.params.parse({
      reference: 'ref.csv',
      current: 'cur.csv',
      thresholds: { ks_pvalue: '> 0.0001' },
      drifted_share: '<= 5%',
    }),
    { root, projectRoot: root, itemId: 'drift', profile: null, artifacts: new Map() },
    60_000,
  );
  expect(outcome.status, outcome.summary).toBe('pass');
  expect(outcome.measured).toMatchObject({ features: FEATURES, judged: FEATURES, drifted: 3 });
  expect(outcome.summary.length).toBeLessThan(400);
  const table_ = outcome.evidence!.find((e) => e.type === 'table')!;
  expect(table_.type === 'table' && table_.rows.length).toBe(20);
  expect(table_.type === 'table' && table_.title).toContain(`the worst 20 of ${FEATURES} shown; 3 drifted`);
  expect(table_.type === 'table' && table_.rows.slice(0, 3).map((row) => row[0])).toEqual(
    expect.arrayContaining(['f7', 'f123', 'f250']),
  );
  const pictures = outcome.evidence!.find((e) => e.type === 'data')!;
  expect(pictures.type === 'data' && (pictures.data as unknown[]).length).toBe(6);
});
