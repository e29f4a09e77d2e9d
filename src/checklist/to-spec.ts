/**
 * A parsed checklist as an mlgate.yaml: every item kept, in its section, with its severity;
 * the ones a check kind can verify get that check (placeholders marked TODO in a comment),
 * the rest become manual sign-offs. The YAML says where each item came from.
 */
import { Document, isMap, isScalar, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import type { Severity } from '../domain/run-report.js';
import { SPEC_VERSION } from '../spec/schema.js';
import { type ManualMapping, type Mapping, mapItem } from './mapping.js';
import type { Checklist, ChecklistItem } from './parse.js';
import { carriedKind, vetCarriedItem, vetCarriedSpec } from './carried.js';
import { slugify } from './slug.js';

export interface ImportedItem {
  line: number;
  id: string;
  sectionPath: string[];
  title: string;
  severity: Severity;
  kind: string;
  mapping: Mapping | ManualMapping;
}

export interface ImportResult {
  yaml: string;
  items: ImportedItem[];
  automated: number;
  manual: number;
  byKind: Record<string, number>;
  /** Commands written disabled (`review: required`): they run once a person allows them. */
  needsReview: number;
  /** Items whose check came back from an mlgate comment (an exported checklist). */
  restored: number;
  /** What was not taken from mlgate comments, and why: for the import summary. */
  notes: string[];
}

interface SectionNode {
  title: string;
  items: Array<{ item: ChecklistItem; imported: ImportedItem }>;
  sections: SectionNode[];
  /** The section's own fields from its mlgate-section comment (an exported checklist). */
  fields?: Record<string, unknown>;
}

/**
 * An exported checklist's section tree, rebuilt from the keys its mlgate-section comments
 * carry ("0.1.2"), when every item sits under one: the same tree, titles and empty sections.
 */
function keyedSections(checklist: Checklist): Map<string, SectionNode> | undefined {
  const list = checklist.carried?.sectionList ?? [];
  if (list.length === 0 || !checklist.carried?.spec) return undefined;
  if (!checklist.items.every((item) => typeof item.sectionCarried?.key === 'string')) return undefined;
  const nodes = new Map<string, SectionNode>();
  for (const data of list) {
    const key = data.key;
    if (typeof key !== 'string' || !/^\d+(\.\d+)*$/.test(key) || nodes.has(key)) return undefined;
    const parent = key.includes('.') ? nodes.get(key.slice(0, key.lastIndexOf('.'))) : undefined;
    if (key.includes('.') && !parent) return undefined;
    const { key: _key, title, ...fields } = data;
    const node: SectionNode = {
      title: typeof title === 'string' && title ? title : `Section ${key}`,
      items: [],
      sections: [],
      fields,
    };
    nodes.set(key, node);
    parent?.sections.push(node);
  }
  return nodes;
}

/** Kinds that talk to the service (alerts: its /metrics, for the cross-check of every alert's metric). */
const SERVICE_KINDS = new Set(['http', 'http-contract', 'load', 'service-log', 'service-shutdown', 'alerts']);

/**
 * Kinds that run what the checklist wrote. A checklist may come from anyone, so its shell is
 * written disabled: `mlgate check` refuses it until a person reads it and deletes the line.
 */
const RUNS_CHECKLIST_CODE = new Set(['command']);

export function checklistToSpec(
  checklist: Checklist,
  options: {
    name: string;
    source: string;
    /**
     * Restore checks from `mlgate:` comments (a checklist written by `mlgate export`). Off by
     * default: a comment is invisible where a checklist is read, so only the person who knows the
     * file is their own export turns it on (`mlgate import --trust-comments`).
     */
    trustComments?: boolean;
  },
): ImportResult {
  const used = new Set<string>();
  const uniqueId = (wanted: string) => {
    let id = wanted;
    for (let n = 2; used.has(id); n++) id = `${wanted}-${n}`;
    used.add(id);
    return id;
  };
  // Ids the checklist carries (from mlgate export) first, so they never get a suffix.
  for (const item of checklist.items) if (item.id) used.add(item.id);

  const root: SectionNode = { title: '', items: [], sections: [] };
  const comments =
    (checklist.carried?.spec ? 1 : 0) +
    (checklist.carried?.sectionList.length ?? 0) +
    checklist.items.filter((item) => item.carried).length;
  if (!options.trustComments && comments > 0) {
    checklist = {
      ...checklist,
      items: checklist.items.map(({ carried: _c, sectionCarried: _s, ...item }) => item),
      carried: { sections: {}, sectionList: [] },
    };
  }
  const keyed = keyedSections(checklist);
  if (keyed) for (const [key, node] of keyed) if (!key.includes('.')) root.sections.push(node);
  const fallback = checklist.title ?? 'Checklist';
  const imported: ImportedItem[] = [];
  const notes: string[] = [];
  if (!options.trustComments && comments > 0)
    notes.push(
      `${comments} mlgate comment${comments === 1 ? '' : 's'} ignored: the checks come from the words. If this file is your own \`mlgate export\`, import it with --trust-comments to restore each check exactly`,
    );
  let restored = 0;
  const carriedSpecVetted = checklist.carried?.spec ? vetCarriedSpec(checklist.carried.spec) : undefined;
  notes.push(...(carriedSpecVetted?.notes ?? []));
  for (const parsed of checklist.items) {
    const vetted = vetCarriedItem(parsed);
    notes.push(...vetted.notes);
    if (vetted.value) restored++;
    const item: ChecklistItem = { ...parsed, carried: vetted.value };
    const path = item.sectionPath.length > 0 ? item.sectionPath : [fallback];
    let node = root;
    const keyedNode = keyed?.get(item.sectionCarried?.key as string);
    if (keyedNode) node = keyedNode;
    else
      for (const title of path) {
        // A section that comes back later in the file gathers its items where it first was.
        let next = node.sections.find((s) => s.title === title);
        if (!next) {
          next = { title, items: [], sections: [] };
          node.sections.push(next);
        }
        node = next;
      }
    const mapping: Mapping | ManualMapping = item.carried
      ? carriedKind(item.carried) === 'manual'
        ? { kind: 'manual', roles: [], reason: 'as exported by mlgate' }
        : { kind: carriedKind(item.carried), params: {}, reason: 'as exported by mlgate' }
      : mapItem(item);
    const entry: ImportedItem = {
      line: item.line,
      id: item.id ?? uniqueId(slugify(item.title)),
      sectionPath: path,
      title: item.title,
      severity: item.severity,
      kind: mapping.kind,
      mapping,
    };
    imported.push(entry);
    node.items.push({ item, imported: entry });
  }

  const byKind: Record<string, number> = {};
  for (const entry of imported) byKind[entry.kind] = (byKind[entry.kind] ?? 0) + 1;
  const manual = byKind.manual ?? 0;
  const needsService = imported.some((entry) => SERVICE_KINDS.has(entry.kind));
  const carriedStart = Boolean((checklist.carried?.spec?.service as { start?: unknown } | undefined)?.start);
  // Commands, and a carried service start command: each disabled until a person reads it.
  const needsReview =
    imported.filter((entry) => RUNS_CHECKLIST_CODE.has(entry.kind)).length + (carriedStart ? 1 : 0);

  const carriedSpec = carriedSpecVetted?.value;
  const sectionFields = checklist.carried?.sections ?? {};
  const sections = root.sections.map((section) => sectionObject(section, [], sectionFields));
  const spec: Record<string, unknown> = carriedSpec
    ? {
        ...carriedSpec,
        project: { ...(carriedSpec.project as Record<string, unknown>), name: options.name },
        sections,
      }
    : {
        version: SPEC_VERSION,
        project: {
          name: options.name,
          ...(checklist.meta?.description ? { description: checklist.meta.description } : {}),
          ...(checklist.meta?.owner ? { owner: checklist.meta.owner } : {}),
        },
        ...(needsService ? { service: { url: 'http://127.0.0.1:8000' } } : {}),
        sections,
      };
  const doc = new Document(spec);
  doc.commentBefore = [
    ` mlgate spec imported from ${options.source} by \`mlgate import\`.`,
    ` ${imported.length} items: ${imported.length - manual} checked by mlgate, ${manual} manual sign-offs.`,
    ' Look for TODO: placeholders to point at your files. Then: mlgate validate && mlgate check',
    ...(needsReview > 0
      ? [
          ` ${needsReview} command${needsReview === 1 ? '' : 's'} from the checklist ${needsReview === 1 ? 'is' : 'are'} disabled (review: required):`,
          ' mlgate check refuses each until you read it and delete its review line.',
        ]
      : []),
  ].join('\n');
  if (carriedStart) {
    const start = doc.getIn(['service', 'start'], true);
    const review = isMap(start)
      ? start.items.find((pair) => isScalar(pair.key) && pair.key.value === 'review')
      : undefined;
    if (review && isScalar(review.key))
      review.key.commentBefore = ` imported from ${options.source}: read the start command, then delete this line to allow it`;
  }
  if (needsService && !carriedSpec) {
    const service = doc.get('service', true) as YAMLMap;
    service.commentBefore =
      ' TODO: the service the http, load and alerts checks talk to: its url, or start: {command: ...}';
  }
  annotate(doc, root.sections, options.source);
  return {
    yaml: doc.toString({ lineWidth: 100, blockQuote: 'literal' }),
    items: imported,
    automated: imported.length - manual,
    manual,
    byKind,
    needsReview,
    restored,
    notes,
  };
}

function sectionObject(
  section: SectionNode,
  parents: string[],
  fields: Record<string, Record<string, unknown>>,
): Record<string, unknown> {
  const path = [...parents, section.title];
  const {
    title: _title,
    items: _items,
    sections: _sections,
    key: _key,
    ...carried
  } = section.fields ?? fields[path.join('\u0000')] ?? {};
  return {
    ...('id' in carried ? { id: carried.id } : {}),
    title: section.title,
    ...Object.fromEntries(Object.entries(carried).filter(([key]) => key !== 'id')),
    ...(section.items.length > 0
      ? { items: section.items.map(({ item, imported }) => itemObject(item, imported)) }
      : {}),
    ...(section.sections.length > 0
      ? { sections: section.sections.map((child) => sectionObject(child, path, fields)) }
      : {}),
  };
}

function itemObject(item: ChecklistItem, imported: ImportedItem): Record<string, unknown> {
  if (item.carried) return carriedItemObject(item, imported);
  const description = [
    ...item.description,
    ...item.blocks
      .filter((b) => !(imported.mapping.kind === 'command' && b.role !== 'expected'))
      .map((b) => `${b.role === 'expected' ? 'Expected' : 'The checklist verifies it with'}:\n${b.value}`),
    ...(item.severityMarker && item.severityMarker.toLowerCase().includes('if')
      ? [`The checklist marks it ${item.severityMarker}.`]
      : []),
  ]
    .filter(Boolean)
    .join('\n');
  const mapping = imported.mapping;
  return {
    id: imported.id,
    title: item.title,
    ...(description ? { description } : {}),
    ...(item.severity !== 'required' ? { severity: item.severity } : {}),
    ...(mapping.kind === 'manual'
      ? {
          manual:
            (mapping as ManualMapping).roles.length > 0 ? { roles: (mapping as ManualMapping).roles } : {},
        }
      : {
          check: {
            kind: mapping.kind,
            ...(RUNS_CHECKLIST_CODE.has(mapping.kind) ? { review: 'required' } : {}),
            ...(mapping as Mapping).params,
          },
        }),
    ...(item.remediation.length > 0 ? { remediation: item.remediation.join('\n') } : {}),
  };
}

/**
 * An item `mlgate export` wrote: its comment carries the check exactly; the Markdown gives
 * the id, title, severity marker, description bullets and "If unchecked:" (edits there win).
 * What runs code stays disabled until a person reads it, as for any imported command.
 */
function carriedItemObject(item: ChecklistItem, imported: ImportedItem): Record<string, unknown> {
  const carried = sanitizeCarried(withEditedScript(item));
  // Drop only the line export wrote for people ("Checked by mlgate (file)"), once.
  const kind = carriedKind(carried);
  const note = item.description.findIndex((line) =>
    kind === 'manual' ? /^Sign-off\b/.test(line) : line === `Checked by mlgate (${kind})`,
  );
  const bullets = item.description.filter((_, index) => index !== note);
  // The title as exported: "Retries enabled (optional)" keeps its words, and its severity is
  // the carried one, not the marker read from them.
  const exact = typeof carried.title === 'string' ? carried.title : item.title;
  const out: Record<string, unknown> = { id: imported.id, title: exact };
  if (typeof carried.description === 'string') out.description = carried.description;
  else if (bullets.length > 0) out.description = bullets.join('\n');
  const markerInTitle = exact !== item.title;
  if (carried.severity !== undefined && typeof carried.severity === 'object') out.severity = carried.severity;
  else if (typeof carried.severity === 'string') out.severity = carried.severity;
  // The item's own marker; a heading's "(recommended)" is the section's words, not the item's.
  else if (!markerInTitle && item.ownSeverity && item.ownSeverity !== 'required')
    out.severity = item.ownSeverity;
  for (const [key, value] of Object.entries(carried)) {
    if (key === 'title' || key === 'description' || key === 'severity' || key === 'remediation') continue;
    out[key] = value;
  }
  if (typeof carried.remediation === 'string') out.remediation = carried.remediation;
  else if (item.remediation.length > 0) out.remediation = item.remediation.join('\n');
  return out;
}

/** A command's Verification block edited in the Markdown wins over the carried script. */
function withEditedScript(item: ChecklistItem): Record<string, unknown> {
  const carried = item.carried!;
  const check = carried.check as Record<string, unknown> | undefined;
  const block = item.blocks.find((b) => b.role === 'verification' || b.role === 'in-item');
  if (!check || check.kind !== 'command' || typeof check.run !== 'string' || !block) return carried;
  if (block.value.trimEnd() === check.run.trimEnd()) return carried;
  return { ...carried, check: { ...check, run: `${block.value.trimEnd()}\n` } };
}

/** The kinds whose params run a program; a carried one gets `review: required`. */
function sanitizeCarried(carried: Record<string, unknown>): Record<string, unknown> {
  const check = carried.check as Record<string, unknown> | undefined;
  if (check && typeof check === 'object' && RUNS_CHECKLIST_CODE.has(String(check.kind)))
    return { ...carried, check: { kind: check.kind, review: 'required', ...check } };
  return carried;
}

/**
 * A comment on each item: the line it came from, and for a check why and what to fill in;
 * above a `review: required`, what to do before the command may run.
 */
function annotate(
  doc: Document,
  sections: SectionNode[],
  source: string,
  path: Array<string | number> = ['sections'],
): void {
  sections.forEach((section, s) => {
    const sectionPath = [...path, s];
    const items = doc.getIn([...sectionPath, 'items'], true);
    if (isSeq(items)) {
      section.items.forEach(({ imported }, i) => {
        const node = (items as YAMLSeq).items[i];
        if (!isMap(node)) return;
        const mapping = imported.mapping;
        const lines = [` line ${imported.line}: ${mapping.kind} — ${mapping.reason}`];
        if (mapping.kind !== 'manual' && (mapping as Mapping).todo)
          lines.push(` TODO: ${(mapping as Mapping).todo}`);
        node.commentBefore = lines.join('\n');
        const check = node.get('check', true);
        const review = isMap(check)
          ? check.items.find((pair) => isScalar(pair.key) && pair.key.value === 'review')
          : undefined;
        if (review && isScalar(review.key))
          review.key.commentBefore = ` imported from ${source}: read the command, then delete this line to allow it`;
      });
    }
    annotate(doc, section.sections, source, [...sectionPath, 'sections']);
  });
}
