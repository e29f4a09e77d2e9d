/**
 * What the docs check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { readFile } from 'node:fs/promises';
import type { Heading, Root, RootContent } from 'mdast';
import { toString as mdToString } from 'mdast-util-to-string';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { closest } from '../../util/suggest.js';
import { type DocsParams, headingKey } from './check.js';

interface FoundHeading {
  depth: number;
  text: string;
  key: string;
  line: number;
  /** Everything under it up to the next heading of the same or a higher level. */
  content: string;
}

export async function run(ctx: CheckContext, params: DocsParams): Promise<CheckOutcome> {
  const absolute = ctx.resolve(params.path);
  const shown = ctx.display(absolute);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      status: 'error',
      summary: code === 'ENOENT' ? `${shown} not found` : `cannot read ${shown}: ${(error as Error).message}`,
    };
  }
  // The Markdown parser (micromark) loads when a document is read, not at startup.
  const { fromMarkdown } = await import('mdast-util-from-markdown');
  const found = collectHeadings(fromMarkdown(text));
  const placeholderPattern = placeholderRegex(params.placeholders);
  const evidence: Evidence[] = [];
  const missing: string[] = [];
  const empty: string[] = [];
  for (const wanted of params.headings) {
    const spec = typeof wanted === 'string' ? { text: wanted } : wanted;
    const key = headingKey(spec.text);
    const match = found.find((h) => h.key === key && (spec.level === undefined || h.depth === spec.level));
    const label = `${spec.level ? `${'#'.repeat(spec.level)} ` : ''}${spec.text}`;
    if (!match) {
      missing.push(label);
      const near = closest(
        key,
        found.map((h) => h.key),
      );
      const nearHeading = found.find((h) => h.key === near);
      evidence.push({
        type: 'location',
        path: shown,
        ...(nearHeading
          ? {
              line: nearHeading.line,
              excerpt: `${'#'.repeat(nearHeading.depth)} ${nearHeading.text}`,
            }
          : {}),
        note: `missing heading "${label}"${nearHeading ? `; closest is "${nearHeading.text}" (line ${nearHeading.line})` : ''}`,
      });
      continue;
    }
    const mustHaveContent = spec.non_empty ?? params.non_empty;
    const isEmpty =
      mustHaveContent && match.content.replace(placeholderPattern, '').replace(/[\s\p{P}]+/gu, '') === '';
    if (isEmpty) empty.push(label);
    evidence.push({
      type: 'location',
      path: shown,
      line: match.line,
      excerpt: `${'#'.repeat(match.depth)} ${match.text}`,
      note: isEmpty
        ? `"${label}" has no content${match.content.trim() ? ` (only "${match.content.trim().slice(0, 60)}")` : ''}`
        : `found "${label}"`,
    });
  }
  // Problems first: a reviewer should not scroll past what was found to see what was not.
  evidence.sort((a, b) => Number(isFound(a)) - Number(isFound(b)));
  const failures = [
    ...(missing.length
      ? [`missing heading${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}`]
      : []),
    ...(empty.length
      ? [`empty section${empty.length > 1 ? 's' : ''} ${empty.map((m) => `"${m}"`).join(', ')}`]
      : []),
  ];
  return {
    status: failures.length ? 'fail' : 'pass',
    summary: failures.length
      ? `${shown}: ${failures.join('; ')}`
      : `${shown}: all ${params.headings.length} required headings present${params.non_empty ? ' with content' : ''}`,
    measured: {
      headings_required: params.headings.length,
      headings_missing: missing.length,
      sections_empty: empty.length,
    },
    evidence,
  };
}

function isFound(entry: Evidence): boolean {
  return entry.type === 'location' && (entry.note?.startsWith('found ') ?? false);
}

function collectHeadings(tree: Root): FoundHeading[] {
  const headings: FoundHeading[] = [];
  const nodes = tree.children;
  nodes.forEach((node, index) => {
    if (node.type !== 'heading') return;
    const heading = node as Heading;
    const text = mdToString(heading).trim();
    const body: RootContent[] = [];
    for (const next of nodes.slice(index + 1)) {
      if (next.type === 'heading' && (next as Heading).depth <= heading.depth) break;
      if (next.type !== 'heading') body.push(next);
    }
    headings.push({
      depth: heading.depth,
      text,
      key: headingKey(text),
      line: heading.position?.start.line ?? 0,
      content: body.map((n) => (n.type === 'code' ? n.value : mdToString(n))).join('\n'),
    });
  });
  return headings;
}

function placeholderRegex(placeholders: string[]): RegExp {
  if (placeholders.length === 0) return /(?!)/g;
  const escaped = placeholders.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(${escaped.join('|')})`, 'gi');
}
