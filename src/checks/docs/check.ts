import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { runIn } from '../_shared/run-module.js';

const RequiredHeading = z.union([
  z.string().min(1),
  z.strictObject({
    text: z.string().min(1),
    level: z.number().int().min(1).max(6).optional().describe('Heading level (1 = #).'),
    non_empty: z.boolean().optional().describe('Overrides the check-wide non_empty.'),
  }),
]);

const DEFAULT_PLACEHOLDERS = ['TODO', 'TBD', 'FIXME', 'XXX', 'Lorem ipsum', 'Coming soon', 'N/A'];

/** Headings compare without case, emoji, punctuation or leading numbering ("## 1. ✅ Usage"). */
export function headingKey(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .replace(/^(\d+ )+/, '');
}

const params = z.strictObject({
  path: z.string().min(1).describe('The Markdown file, relative to the spec.'),
  headings: z.array(RequiredHeading).min(1).describe('Headings that must be present.'),
  non_empty: z.boolean().default(false).describe('Each required section must have content.'),
  placeholders: z
    .array(z.string())
    .default(DEFAULT_PLACEHOLDERS)
    .describe('Text that does not count as content.'),
});

export type DocsParams = z.output<typeof params>;

export default defineCheck({
  kind: 'docs',
  title: 'A Markdown document has the required headings (with content)',
  description: [
    'Parses a Markdown file (CommonMark, as a syntax tree: headings inside code blocks do not',
    'count) and requires each heading in `headings`. Matching ignores case, punctuation, emoji',
    'and leading numbering, so "## 2. ✅ Intended Use" satisfies "Intended use"; `level` pins the',
    'level. With `non_empty`, each section must have content up to the next heading of the same',
    'or a higher level, and content that is only placeholders (TODO, TBD, …) counts as empty.',
    'Evidence: the line of every heading found, and for a missing one the closest heading there is.',
  ].join(' '),
  params,
  examples: [
    {
      title: 'Model card sections',
      params: {
        path: 'MODEL_CARD.md',
        headings: ['Intended use', 'Training data', 'Evaluation', 'Limitations'],
        non_empty: true,
      },
    },
  ],
  run: runIn(() => import('./run.js')),
});
