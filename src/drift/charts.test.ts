/** The drift check's `drift-distributions` evidence, drawn by the HTML report's charts. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { loadBuiltinChecks } from '../engine/registry.js';
import { chartsFor } from '../report/charts.js';
import { driftDistributions } from '../report/charts-drift.js';
import { runFixture } from '../testing/fixtures.js';

const FIXTURES = fileURLToPath(new URL('../checks/drift/fixtures/', import.meta.url));

test('the most drifted features are drawn, reference beside current on the same bins', async () => {
  const drift = (await loadBuiltinChecks()).get('drift')!;
  const outcome = await runFixture(drift, join(FIXTURES, 'ng.new-category'));
  const entry = outcome.evidence!.find((e) => e.type === 'data' && e.name === 'drift-distributions');
  expect(entry).toBeDefined();
  const data = (entry as { data: Array<{ feature: string; labels: string[] }> }).data;
  // The drifted feature comes first.
  expect(data[0]!.feature).toBe('color');
  expect(data[0]!.labels).toContain('purple (new)');
  const svgs = chartsFor('drift-distributions', data);
  expect(svgs).toHaveLength(data.length);
  const first = svgs[0]!;
  expect(first).toMatch(/^<svg[^>]*role="img"/);
  expect(first).toContain('color (categorical) — PSI');
  expect(first).toContain('drifted');
  // two bars a bin
  expect(first.match(/<rect x=/g)).toHaveLength(2 * data[0]!.labels.length);
  expect(first).toContain('purple (new): reference 0%');
});

test('data of another shape draws nothing, and names are escaped', () => {
  expect(driftDistributions({})).toBeUndefined();
  expect(driftDistributions([{ feature: 'x', labels: ['a'], reference: [1], current: [] }])).toBeUndefined();
  const [svg] = driftDistributions([
    {
      feature: '<b>',
      type: 'numeric',
      drifted: false,
      psi: 0.01,
      labels: ['≤ 1', '> 1'],
      reference: [0.5, 0.5],
      current: [0.4, 0.6],
    },
  ])!;
  expect(svg).not.toContain('<b>');
  expect(svg).toContain('&#60;b&#62;');
});
