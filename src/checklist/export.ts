/**
 * The spec written back as a clean Markdown checklist, for people who read checklists, for
 * wikis and for pull requests. `mlgate import` reads it back to the same items, sections and
 * severities: ids ride along as a trailing {#id}, severities as "(recommended)" / "(optional)",
 * command checks as their Verification block, fixes as "If unchecked:".
 */
import type { LoadedSpec } from '../spec/load.js';
import type { SpecItem } from '../spec/schema.js';

import { commonPrefix } from '../report/format.js';
import { escapeMarkdown as escape } from '../report/markdown.js';

function defaultSeverity(severity: SpecItem['severity']): string {
  return typeof severity === 'string' ? severity : (severity.default ?? 'required');
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
    `<!-- Written by mlgate export from ${loaded.file.split('/').at(-1)} (sha256 ${loaded.sha256.slice(0, 12)}). mlgate import reads it back; {#id} keeps each item's id. -->`,
  );
  let previous: string[] = [];
  for (const item of loaded.items) {
    const common = commonPrefix(previous, item.sectionPath);
    for (let depth = common; depth < item.sectionPath.length; depth++) {
      out.push('', `${'#'.repeat(Math.min(6, depth + 2))} ${escape(item.sectionPath[depth]!)}`, '');
    }
    if (common === item.sectionPath.length && previous.length > 0 && out.at(-1) === '') out.pop();
    previous = item.sectionPath;
    const severity = defaultSeverity(item.severity);
    const marker = severity === 'required' ? '' : ` (${severity})`;
    out.push(`- [ ] ${escape(item.title)}${marker} {#${item.id}}`);
    for (const line of item.description?.split('\n').filter((l) => l.trim()) ?? [])
      out.push(`  - ${escape(line)}`);
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
    if (item.remediation) out.push('', `  If unchecked: ${escape(item.remediation.trim())}`);
    out.push('');
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
