/**
 * The import measured on real checklists: public ones copied into fixtures/corpus (see
 * SOURCES.md) and the three in ../shared/checklists, each with a hand-judged expected
 * mapping (fixtures/corpus/NAME.expected.tsv). Every checkbox must become an item, and no
 * item may get a check the judge says is wrong: a wrong check gives a confident wrong verdict.
 * An item left manual that a kind could check is "missed": reported, never a failure.
 * Prints, per checklist, the automated share and how many automated items are right.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHARED } from '../testing/reference.js';
import { parseChecklist } from './parse.js';
import { checklistToSpec, type ImportedItem } from './to-spec.js';

const CORPUS = new URL('./fixtures/corpus/', import.meta.url).pathname;

/** `ml`: an ML deployment checklist, where the goal is >= 25% of items automated. */
const CHECKLISTS: Array<{ name: string; ml: boolean }> = [
  { name: 'geo6d-lite-deployment-checklist', ml: true },
  { name: 'production-readiness-gate', ml: true },
  { name: 'radikal-backend-deployment-checklist', ml: true },
  { name: 'modzy-model-deployment-checklist', ml: true },
  { name: 'azilen-mlops-model-deployment', ml: true },
  { name: 'benuh-ml-model-deployment-checklist', ml: true },
  { name: 'neontowel-kubernetes-best-practices', ml: false },
  { name: 'shieldfy-api-security-checklist', ml: false },
  { name: 'kgoralski-microservice-production-readiness', ml: false },
  { name: 'mlflow-pull-request-template', ml: false },
];

interface Expected {
  line: number;
  kinds: string[];
  /** Acceptable rule lists; undefined: not judged; [[]]: the whole set (no `rules:`). */
  rules?: string[][];
  params?: Record<string, unknown>;
  why: string;
}

function source(name: string): string {
  const local = join(CORPUS, `${name}.md`);
  return existsSync(local) ? local : join(SHARED, 'checklists', `${name}.md`);
}

function readExpected(name: string): Map<number, Expected> {
  const rows = new Map<number, Expected>();
  const text = readFileSync(join(CORPUS, `${name}.expected.tsv`), 'utf8');
  for (const [index, raw] of text.split('\n').entries()) {
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const [line, kinds, rules, params, why] = raw.split('\t');
    if (!line || !kinds || rules === undefined || params === undefined || why === undefined)
      throw new Error(`${name}.expected.tsv:${index + 1}: five tab-separated columns expected`);
    rows.set(Number(line), {
      line: Number(line),
      kinds: kinds.split('|'),
      rules:
        rules === '-'
          ? undefined
          : rules === 'all'
            ? [[]]
            : rules.split(';').map((alt) => alt.trim().split(/\s+/).sort()),
      params: params === '-' ? undefined : (JSON.parse(params) as Record<string, unknown>),
      why,
    });
  }
  return rows;
}

/** Checkboxes counted the plain way, independently of the Markdown parser. */
function countCheckboxes(text: string): number {
  let inFence = false;
  let count = 0;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    else if (!inFence && /^[\s>]*(?:[-*+]\s+)?\[[ xX]\]\s/.test(line)) count++;
  }
  return count;
}

/** Every key of `want` is in `got` with that value ("*": any value). */
function hasParams(got: unknown, want: unknown): boolean {
  if (want === '*') return got !== undefined;
  if (Array.isArray(want))
    return Array.isArray(got) && got.length === want.length && want.every((w, i) => hasParams(got[i], w));
  if (want !== null && typeof want === 'object')
    return (
      got !== null &&
      typeof got === 'object' &&
      Object.entries(want).every(([k, w]) => hasParams((got as Record<string, unknown>)[k], w))
    );
  return got === want;
}

function rulesOf(item: ImportedItem): string[] {
  const params = 'params' in item.mapping ? item.mapping.params : {};
  const rules = Array.isArray(params.rules) ? (params.rules as string[]) : [];
  return rules.map((r) => (r.includes('/') ? r : `${item.kind}/${r}`)).sort();
}

/** Why the item's mapping disagrees with the judge, or undefined when it agrees. */
function disagreement(item: ImportedItem, want: Expected): string | undefined {
  if (!want.kinds.includes(item.kind)) return `is ${item.kind}, should be ${want.kinds.join(' or ')}`;
  if (item.kind === 'manual') return undefined;
  const rules = rulesOf(item);
  if (want.rules && !want.rules.some((alt) => alt.join(' ') === rules.join(' ')))
    return `rules [${rules.join(' ')}], should be ${want.rules.map((a) => `[${a.join(' ')}]`).join(' or ')}`;
  const params = 'params' in item.mapping ? item.mapping.params : {};
  if (want.params && !hasParams(params, want.params))
    return `params ${JSON.stringify(params)}, should have ${JSON.stringify(want.params)}`;
  return undefined;
}

function judge(name: string) {
  const text = readFileSync(source(name), 'utf8');
  const result = checklistToSpec(parseChecklist(text), { name, source: `${name}.md` });
  const expected = readExpected(name);
  const automated = result.items.filter((i) => i.kind !== 'manual');
  const wrong: string[] = [];
  const missed: string[] = [];
  for (const item of result.items) {
    const want = expected.get(item.line);
    if (!want) continue;
    const why = disagreement(item, want);
    if (why && item.kind !== 'manual')
      wrong.push(`${name}.md:${item.line} "${item.title}" ${why} (${want.why})`);
    else if (why)
      missed.push(`${name}.md:${item.line} "${item.title}" -> ${want.kinds.join('|')}: ${want.why}`);
  }
  return { text, result, expected, automated, wrong, missed };
}

const pct = (n: number, d: number) => (d === 0 ? '-' : `${Math.round((100 * n) / d)}%`);
const totals = { ml: { items: 0, automated: 0, right: 0 }, all: { items: 0, automated: 0, right: 0 } };

describe.each(CHECKLISTS)('checklist corpus: $name', ({ name, ml }) => {
  it('keeps every checkbox as an item, and the expected table judges every item', () => {
    const { text, result, expected } = judge(name);
    expect(result.items).toHaveLength(countCheckboxes(text));
    expect([...expected.keys()].sort((a, b) => a - b)).toEqual(
      result.items.map((i) => i.line).sort((a, b) => a - b),
    );
  });

  it('maps no item to a wrong kind, rule set or threshold', () => {
    const { result, automated, wrong, missed } = judge(name);
    const right = automated.length - wrong.length;
    for (const t of ml ? [totals.ml, totals.all] : [totals.all]) {
      t.items += result.items.length;
      t.automated += automated.length;
      t.right += right;
    }
    const lines = [
      `checklist-corpus: ${name} items ${result.items.length}, automated ${automated.length} (${pct(automated.length, result.items.length)}), right ${right}/${automated.length} (${pct(right, automated.length)})`,
      ...wrong.map((w) => `  WRONG ${w}`),
      ...missed.map((m) => `  missed ${m}`),
    ];
    console.log(lines.join('\n'));
    expect(wrong).toEqual([]);
  });
});

afterAll(() => {
  for (const [label, t] of Object.entries(totals))
    console.log(
      `checklist-corpus: ${label === 'ml' ? 'ML deployment checklists' : 'all checklists'} items ${t.items}, automated ${t.automated} (${pct(t.automated, t.items)}), right ${t.right}/${t.automated} (${pct(t.right, t.automated)})`,
    );
});
