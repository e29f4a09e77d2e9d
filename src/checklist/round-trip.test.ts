/**
 * export then import is a fixed point: the same spec comes back — kinds, params, project,
 * sections' ids, per-profile severities, descriptions that do not grow — on the imported
 * shared checklists and on the bundled examples' specs. The one intended difference: what
 * runs a program (a command check, the service's start command) comes back disabled with
 * `review: required`, as every command taken from a Markdown file does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { loadBuiltinChecks } from '../engine/registry.js';
import { parseSpec } from '../spec/load.js';
import { exportMarkdown } from './export.js';
import { parseChecklist } from './parse.js';
import { checklistToSpec } from './to-spec.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SHARED = join(HERE, '../../../shared/checklists');
const EXAMPLES = join(HERE, '../../examples');

async function cycle(yaml: string, file: string, name: string): Promise<string> {
  const loaded = parseSpec(yaml, file, await loadBuiltinChecks());
  const markdown = exportMarkdown(loaded);
  return checklistToSpec(parseChecklist(markdown), { name, source: 'CHECKLIST.md', trustComments: true })
    .yaml;
}

/** The data of a spec, without `review: required` (the intended difference) or empty item lists. */
function data(yaml: string): unknown {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.entries(value)
          // `items: []` and no items are the same section.
          .filter(
            ([key, v]) =>
              !(key === 'review' && v === 'required') &&
              !(key === 'items' && Array.isArray(v) && v.length === 0),
          )
          .map(([key, v]) => [key, strip(v)]),
      );
    return value;
  };
  return strip(parse(yaml));
}

describe('export ∘ import is a fixed point', () => {
  const CORPUS = join(HERE, 'fixtures/corpus');
  const checklists = [
    ...readdirSync(SHARED)
      .filter((f) => f.endsWith('.md'))
      .map((f) => join(SHARED, f)),
    ...readdirSync(CORPUS)
      .filter((f) => f.endsWith('.md') && f !== 'SOURCES.md')
      .map((f) => join(CORPUS, f)),
  ];
  test.each(checklists)('imported %s', async (path) => {
    const name = path.split('/').pop()!.replace(/\.md$/, '');
    const first = checklistToSpec(parseChecklist(readFileSync(path, 'utf8')), {
      name,
      source: 'CHECKLIST.md',
    }).yaml;
    const specFile = `/tmp/${name}/mlgate.yaml`;
    const second = await cycle(first, specFile, name);
    expect(data(second)).toEqual(data(first));
    expect(await cycle(second, specFile, name)).toBe(second);
  });

  test.each([
    join(EXAMPLES, 'digits-classifier', 'mlgate.yaml'),
    join(EXAMPLES, 'digits-classifier-blocked', 'mlgate.yaml'),
    // From an attacker pass: sibling sections with one title, markers and numbering in titles,
    // six levels of nesting, an empty section, descriptions that look like export's own lines.
    join(HERE, 'fixtures', 'round-trip-odd.yaml'),
  ])('the spec %s', async (file) => {
    const original = readFileSync(file, 'utf8');
    const name = (parse(original) as { project: { name: string } }).project.name;
    const once = await cycle(original, file, name);
    expect(data(once)).toEqual(data(original));
    expect(await cycle(once, file, name)).toBe(once);
  });
});
