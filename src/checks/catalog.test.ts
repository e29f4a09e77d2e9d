/**
 * The verify step for check kinds (the habit ESLint keeps for rules): every kind has its
 * docs, valid examples, fixtures of both outcomes, a test file, and an up-to-date entry in
 * the README catalog. Adding a kind without them fails here, not in review.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CATALOG_END, CATALOG_START, catalogMarkdown } from '../cli/commands/list-checks.js';
import { CHECKS_DIR, loadBuiltinChecks } from '../engine/registry.js';
import { paramDocs } from '../spec/json-schema.js';
import { REPO_ROOT } from '../testing/cli.js';
import { fixtureFolders } from '../testing/fixtures.js';

const registry = await loadBuiltinChecks();

describe.each(registry.all().map((d) => [d.kind, d] as const))('check kind %s', (kind, definition) => {
  test('has a title, a description and documented params', () => {
    expect(definition.title.length).toBeGreaterThan(10);
    expect(definition.description.length).toBeGreaterThan(80);
    for (const param of paramDocs(definition)) {
      expect(param.description, `param "${param.name}" needs .describe()`).not.toBe('');
    }
  });

  test('every example is valid params', () => {
    for (const example of definition.examples) {
      const result = definition.params.safeParse(example.params);
      expect(result.success, `${example.title}: ${result.error?.message}`).toBe(true);
    }
  });

  test('has a fixture-driven test with ok and ng fixtures', () => {
    expect(existsSync(join(CHECKS_DIR, kind, 'check.test.ts'))).toBe(true);
    const names = fixtureFolders(join(CHECKS_DIR, kind)).map((folder) => folder.split('/').pop()!);
    expect(names.filter((n) => n.startsWith('ok.')).length).toBeGreaterThan(0);
    expect(names.filter((n) => n.startsWith('ng.')).length).toBeGreaterThan(0);
  });
});

test('the README catalog is generated from the definitions (run `npm run docs`)', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(CATALOG_START);
  const end = readme.indexOf(CATALOG_END);
  expect(start).toBeGreaterThan(-1);
  expect(readme.slice(start + CATALOG_START.length, end)).toBe(`\n${catalogMarkdown(registry.all())}`);
});
