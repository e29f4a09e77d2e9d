/**
 * The spec written back as a clean Markdown checklist, for people who read checklists, for
 * wikis and for pull requests. `mlgate import` reads it back to the same items, sections and
 * severities: ids ride along as a trailing {#id}, severities as "(recommended)" / "(optional)",
 * command checks as their Verification block, fixes as "If unchecked:".
 */
import type { LoadedSpec } from '../spec/load.js';
import type { LoadedItem } from '../spec/load.js';
import { severityMarker } from './parse.js';
import type { SpecItem } from '../spec/schema.js';

import { escapeMarkdown as escape } from '../report/markdown.js';

function defaultSeverity(severity: SpecItem['severity']): string {
  return typeof severity === 'string' ? severity : (severity.default ?? 'required');
}

/**
 * `<!-- mlgate: {...} -->`: what the Markdown cannot say (the check's kind and params, needs,
 * timeouts, per-profile severities), so `import` gives back the same spec. JSON on one line,
 * readable; "--" is written \u002d so the comment cannot be closed from inside.
 */
export function carry(
  tag: 'mlgate' | 'mlgate-spec' | 'mlgate-section',
  value: Record<string, unknown>,
): string {
  return `<!-- ${tag}: ${JSON.stringify(value).replace(/--/g, '-\\u002d')} -->`;
}

/** The item's fields the Markdown does not already carry. */
function carriedItem(item: LoadedItem): Record<string, unknown> {
  // The title rides along: import honours the comment only for the title it was written for.
  const { id: _id, ...rest } = item.raw;
  const kept: Record<string, unknown> = { ...rest };
  // A one-line remediation is the "If unchecked:" paragraph; anything else needs the comment.
  if (
    typeof kept.remediation === 'string' &&
    !kept.remediation.includes('\n') &&
    kept.remediation === kept.remediation.trim()
  )
    delete kept.remediation;
  // A plain severity is the "(recommended)" marker; a per-profile one needs the comment.
  // (A title with marker-like words, "Retries enabled (optional)", keeps it in the comment.)
  if (typeof kept.severity === 'string' && !severityMarker(item.title)) delete kept.severity;
  // A description the bullets give back exactly stays in the bullets.
  if (typeof kept.description === 'string' && bulletsKeep(kept.description)) delete kept.description;
  return kept;
}

/** Lines that read back as the same text when each is written as a "  - " bullet. */
function bulletsKeep(description: string): boolean {
  const lines = description.split('\n');
  return lines.every(
    (line) =>
      line.trim() !== '' &&
      line === line.trim() &&
      !/^([-*+>#|]|\d+[.)]|```|~~~|\[[ xX]\])/.test(line) &&
      // Lines export writes for people are dropped on import: such a description rides in the comment.
      !/^(Checked by mlgate \(|Sign-off\b)/.test(line),
  );
}

function descriptionLines(description: string): string[] {
  return description.split('\n').filter((l) => l.trim());
}

/** The section's fields besides its title and contents (id, when, description). */
function carriedSection(raw: Record<string, unknown>, key: string): Record<string, unknown> {
  let sections = raw.sections as Array<Record<string, unknown>> | undefined;
  let section: Record<string, unknown> | undefined;
  for (const index of key.split('.')) {
    section = sections?.[Number(index)];
    sections = section?.sections as Array<Record<string, unknown>> | undefined;
  }
  const { title: _title, items: _items, sections: _sections, ...rest } = section ?? {};
  return rest;
}

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(longest + 1);
}

export function exportMarkdown(loaded: LoadedSpec): string {
  const { spec } = loaded;
  const out: string[] = [`# ${escape(spec.project.name)} — deployment checklist`, ''];
  if (spec.project.description) out.push(escape(spec.project.description), '');
  out.push(
    `<!-- Written by mlgate export from ${loaded.file.split('/').at(-1)} (sha256 ${loaded.sha256.slice(0, 12)}). mlgate import reads it back; {#id} keeps each item's id, the mlgate comments each check. -->`,
  );
  const { sections: _sections, ...specRest } = loaded.raw;
  out.push(carry('mlgate-spec', specRest));
  // Every section in spec order (empty ones too), each with its key and exact title, so import
  // rebuilds the same tree: sibling sections with one title, titles with "(optional)" or "1.",
  // nesting deeper than Markdown's six heading levels.
  const itemsBySection = new Map<string, LoadedItem[]>();
  for (const item of loaded.items) {
    const list = itemsBySection.get(item.sectionKey) ?? [];
    list.push(item);
    itemsBySection.set(item.sectionKey, list);
  }
  for (const section of loaded.sections) {
    const depth = section.key.split('.').length - 1;
    out.push('', `${'#'.repeat(Math.min(6, depth + 2))} ${escape(section.path.at(-1)!)}`, '');
    out.push(
      carry('mlgate-section', {
        key: section.key,
        title: section.path.at(-1)!,
        ...carriedSection(loaded.raw, section.key),
      }),
      '',
    );
    for (const item of itemsBySection.get(section.key) ?? []) exportItem(item, out);
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

function exportItem(item: LoadedItem, out: string[]): void {
  const severity = defaultSeverity(item.severity);
  const marker = severity === 'required' ? '' : ` (${severity})`;
  out.push(`- [ ] ${escape(item.title)}${marker} {#${item.id}}`);
  for (const line of descriptionLines(item.description ?? '')) out.push(`  - ${escape(line)}`);
  const params = item.check?.params as Record<string, unknown> | undefined;
  if (item.kind === 'command' && typeof params?.run === 'string') {
    const script = params.run.trimEnd();
    const ticks = fence(script);
    out.push(
      '',
      '  Verification:',
      '',
      `  ${ticks}bash`,
      ...script.split('\n').map((l) => `  ${l}`),
      `  ${ticks}`,
    );
  } else if (item.kind === 'manual') {
    const roles = item.manual?.roles ?? [];
    out.push(
      `  - Sign-off${roles.length > 0 ? ` by ${roles.join(', ')}` : ''}${item.manual?.instructions ? `: ${escape(item.manual.instructions)}` : ''}`,
    );
  } else {
    out.push(`  - Checked by mlgate (${item.kind})`);
  }
  const carried = carriedItem(item);
  if (Object.keys(carried).length > 0) out.push('', `  ${carry('mlgate', carried)}`);
  if (item.remediation) out.push('', `  If unchecked: ${escape(item.remediation.trim())}`);
  out.push('');
}
