/**
 * The verify step for check kinds (the habit ESLint keeps for rules): every kind has its
 * docs, valid examples, fixtures of both outcomes, a test file, and an up-to-date reference
 * page in docs/checks/. Adding a kind without them fails here, not in review.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CATALOG_START, checkDocs, GENERATED_MARK, writeCheckDocs } from '../cli/commands/list-checks.js';
import { CHECKS_DIR, loadBuiltinChecks } from '../engine/registry.js';
import { paramDocs } from '../spec/json-schema.js';
import { REPO_ROOT } from '../testing/cli.js';
import { fixtureFolders } from '../testing/fixtures.js';
import { tempFiles } from '../testing/temp.js';

const registry = await loadBuiltinChecks();
const DOCS_DIR = join(REPO_ROOT, 'docs', 'checks');

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

describe('the reference pages in docs/checks/ are generated from the definitions (run `npm run docs`)', () => {
  const pages = checkDocs(registry.all());

  test.each([...pages.keys()])('%s is up to date', (name) => {
    const file = join(DOCS_DIR, name);
    expect(existsSync(file), `${name} is missing: run \`npm run docs\``).toBe(true);
    expect(readFileSync(file, 'utf8'), `${name} is stale: run \`npm run docs\``).toBe(pages.get(name));
  });

  test('every kind has a page, and no page is left of a kind that is gone', () => {
    for (const kind of registry.kinds) expect(pages.has(`${kind}.md`), kind).toBe(true);
    const onDisk = readdirSync(DOCS_DIR).filter((name) => name.endsWith('.md'));
    expect(onDisk.filter((name) => !pages.has(name))).toEqual([]);
  });

  test('`list-checks --docs DIR` writes what changed and removes pages of kinds that are gone', () => {
    const dir = tempFiles({
      'gone.md': `${GENERATED_MARK}\n\n# \`gone\`\n`,
      'notes.md': '# written by hand: kept\n',
    });
    const first = writeCheckDocs(dir, registry.all());
    expect(first.written).toHaveLength(pages.size);
    expect(first.removed).toEqual(['gone.md']);
    expect(existsSync(join(dir, 'notes.md'))).toBe(true);
    expect(writeCheckDocs(dir, registry.all())).toEqual({ written: [], removed: [] });
  });

  test('the README points a newcomer to them, and no longer carries the reference itself', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('(docs/checks/README.md)');
    expect(readme).not.toContain(CATALOG_START);
    for (const page of ['spec.md', 'signoffs.md', 'reports.md', 'import.md'])
      expect(existsSync(join(REPO_ROOT, 'docs', page)), page).toBe(true);
  });
});
