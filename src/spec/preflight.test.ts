/**
 * Which params validate looks for on disk, found from each kind's params schema: every
 * file a kind's examples name, and nothing that is a URL path, a column, a rule id or a
 * size. A false "not found" would fail a good spec, so the negatives matter most.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadBuiltinChecks } from '../engine/registry.js';
import { parseSpec } from './load.js';
import { fileParams, preflight, suggestion } from './preflight.js';

async function foundInExamples(): Promise<Set<string>> {
  const registry = await loadBuiltinChecks();
  const found = new Set<string>();
  for (const kind of registry.kinds) {
    const definition = registry.get(kind)!;
    for (const example of definition.examples) {
      const parsed = definition.params.safeParse(example.params);
      if (!parsed.success) continue;
      for (const { path } of fileParams(definition.params, parsed.data))
        found.add(`${kind}:${path.filter((part) => typeof part === 'string').join('.')}`);
    }
  }
  return found;
}

describe('file params, from the kinds’ schemas', () => {
  test('the files the examples name are found', async () => {
    const found = await foundInExamples();
    for (const expected of [
      'metric:file',
      'predictions:file',
      'predictions:reported.file',
      'predictions:arrays.labels',
      'onnx-model:model',
      'onnx-model:data.features',
      'onnx-model:parity.reference',
      'dockerfile:path',
      'docs:path',
      'log:path',
      'coverage:path',
      'file:path',
    ])
      expect(found, expected).toContain(expected);
  });

  test('URL paths, columns, rule ids, keys and sizes are not files', async () => {
    const found = await foundInExamples();
    for (const wrong of [
      'http:path',
      'load:path',
      'http-contract:path',
      'metric:key',
      'predictions:label',
      'predictions:pred',
      'predictions:probs',
      'onnx-model:signature.max_size',
      'onnx-model:data.label',
      'secrets:ignore.rule',
      'dockerfile:ignore.rule',
      'compose:model_mount',
    ])
      expect(found, wrong).not.toContain(wrong);
  });
});

describe('did you mean, for a path', () => {
  const root = mkdtempSync(join(tmpdir(), 'mlgate-suggest-'));
  mkdirSync(join(root, 'data'));
  writeFileSync(join(root, 'data', 'predictions_test.csv'), '');
  mkdirSync(join(root, 'model'));
  writeFileSync(join(root, 'model', 'model.onnx'), '');

  test('a misspelt file name, a misspelt folder, and nothing close', () => {
    expect(suggestion(root, 'data/predictions-test.csv')).toBe(' Did you mean "data/predictions_test.csv"?');
    expect(suggestion(root, 'modle/model.onnx')).toBe(' Did you mean "model/model.onnx"?');
    expect(suggestion(root, 'data/something-else.parquet')).toBe('');
  });
});

describe('nothing outside the project is read', () => {
  test('a predictions file under ../ is neither looked for nor read (check refuses it at run time)', async () => {
    const top = mkdtempSync(join(tmpdir(), 'mlgate-outside-'));
    mkdirSync(join(top, 'project'));
    writeFileSync(join(top, 'outside.csv'), 'label,pred\n0,0\n1,1\n2,2\n3,3\n');
    const text = [
      'version: 1',
      'project: {name: x}',
      'sections:',
      '  - title: S',
      '    items:',
      '      - id: q',
      '        title: Q',
      '        check: {kind: predictions, file: ../outside.csv, thresholds: {f1: ">= 0.9"}}',
      '      - id: m',
      '        title: M',
      '        check: {kind: metric, file: ../missing.json, key: a, expect: ">= 1"}',
      '',
    ].join('\n');
    const file = join(top, 'project', 'mlgate.yaml');
    const loaded = parseSpec(text, file, await loadBuiltinChecks());
    expect(preflight(loaded, text, 'mlgate.yaml')).toEqual({ problems: [], warnings: [] });
  });
});
