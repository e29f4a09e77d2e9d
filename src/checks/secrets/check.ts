import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import type { Evidence } from '../../report/schema.js';
import {
  type Finding,
  IgnoreParam,
  type InlineIgnore,
  LevelsParam,
  pathMatches,
  type RuleSet,
  ruleOutcome,
} from '../../rules/findings.js';
import { walkFiles } from '../../util/walk.js';
import { DETECTORS, type Detector } from './detectors.js';
import { formatSize, type ReadTotals, type SkipReason, scanFile } from './read.js';

export { type Detector, entropy } from './detectors.js';
export { scanText } from './scanner.js';

/** The detectors, read-only, for redacting evidence (src/redact) with the same rules. */
export const SECRET_DETECTORS: ReadonlyArray<Readonly<Detector>> = DETECTORS;

export const RULES: RuleSet = {
  prefix: 'secrets',
  // Two detectors (plain and base64-encoded PEM) report one rule.
  rules: DETECTORS.filter(
    (detector, index) => DETECTORS.findIndex((d) => d.id === detector.id) === index,
  ).map((detector) => ({
    id: detector.id,
    title: `No ${detector.title.toLowerCase()} in the project`,
    level: 'error' as const,
    fix: 'Remove it, rotate it (it is compromised once committed), and load it from the environment or a secret store.',
  })),
};

const REASONS: SkipReason[] = ['too large', 'compressed', 'binary', 'unreadable'];
/** Skipped files listed by name in the evidence, at most. */
const LISTED = 50;

export default defineCheck({
  kind: 'secrets',
  title: 'No secrets in the code and configuration',
  description: [
    'Scans the project (honouring .gitignore) for private keys (also in YAML blocks, JSON and .env',
    'escapes, notebooks, and base64 as in a TLS Secret), cloud and SaaS tokens (AWS, GitHub, GitLab,',
    'Slack, Stripe, Google, OpenAI, Anthropic, Hugging Face), JWTs, connection strings with passwords,',
    'and high-entropy values assigned to secret-like names; documentation example keys, placeholders,',
    'references and templates are not secrets. Large files are streamed (bounded memory, up to',
    '`max_file_size`); gzip files and zip members (.zip, .whl, .jar) are unpacked and scanned. Every',
    'file not scanned is counted and listed by reason (too large, binary, compressed in a form not',
    'read, unreadable); when no file could be scanned the check is an error, never a pass. Findings',
    'show file:line and a masked value — never the secret. Accept a finding with',
    '`# mlgate-ignore secrets/RULE: reason` on its line or the line above, or with `ignore` in the',
    'spec (by rule, path glob, line); `exclude` skips paths.',
  ].join(' '),
  defaultTimeout: '5m',
  params: z.strictObject({
    path: z.string().default('.').describe('Folder to scan, relative to the spec.'),
    exclude: z.array(z.string()).default([]).describe('Path globs not to scan, e.g. "tests/fixtures/**".'),
    max_file_size: z
      .number()
      .int()
      .positive()
      .default(64_000_000)
      .describe(
        'Larger files (and archive members, unpacked) are not scanned: they are counted and listed. Smaller ones are streamed, whatever their size.',
      ),
    gitignore: z.boolean().default(true).describe('Skip what .gitignore ignores.'),
    ignore: IgnoreParam,
    levels: LevelsParam,
  }),
  examples: [
    { title: 'The whole repository', params: { path: '.' } },
    {
      title: 'Accept the documented test key',
      params: {
        path: '.',
        ignore: [
          {
            rule: 'secrets/private-key',
            path: 'tests/fixtures/**',
            reason: 'throwaway key generated for the TLS tests',
          },
        ],
      },
    },
  ],
  async run(ctx, params) {
    const root = ctx.resolve(params.path);
    const files = walkFiles(root, { gitignore: params.gitignore }).filter(
      (file) => !params.exclude.some((glob) => pathMatches(glob, file)),
    );
    // Nothing judged is never a pass: with no file to read, nothing can be said (issue 12).
    if (files.length === 0)
      return {
        status: 'error',
        summary: `nothing to judge: no files under ${ctx.display(root)}${params.exclude.length ? ' (after exclude)' : ''}`,
        measured: { files: 0, skipped: 0 },
      };
    const prefix = params.path === '.' ? '' : `${ctx.display(root)}/`;
    const findings: Finding[] = [];
    const inline: InlineIgnore[] = [];
    const totals: ReadTotals = { scanned: 0, unpacked: 0, bytes: 0, skipped: [] };
    const options = { maxFileSize: params.max_file_size, findings, inline, totals, signal: ctx.signal };
    for (let index = 0; index < files.length; index++) {
      if (index % 500 === 0) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const file = files[index]!;
      await scanFile(`${root}/${file}`, `${prefix}${file}`, options);
    }
    const counts = new Map<SkipReason, number>();
    for (const skipped of totals.skipped) counts.set(skipped.reason, (counts.get(skipped.reason) ?? 0) + 1);
    const limit = `max_file_size ${formatSize(params.max_file_size)}`;
    const breakdown = REASONS.filter((reason) => counts.has(reason))
      .map((reason) => `${counts.get(reason)} ${reason}${reason === 'too large' ? ` (${limit})` : ''}`)
      .join(', ');
    const measured = {
      files: totals.scanned,
      bytes_scanned: totals.bytes,
      unpacked: totals.unpacked,
      skipped: totals.skipped.length,
      skipped_large: counts.get('too large') ?? 0,
      skipped_binary: counts.get('binary') ?? 0,
      skipped_compressed: counts.get('compressed') ?? 0,
      skipped_unreadable: counts.get('unreadable') ?? 0,
    };
    const evidence: Evidence[] = [
      {
        type: 'table',
        title: 'Files scanned and not scanned',
        columns: ['files', 'count', 'note'],
        rows: [
          [
            'scanned',
            totals.scanned,
            `${formatSize(totals.bytes)}${totals.unpacked ? `, ${totals.unpacked} unpacked from gzip or zip` : ''}`,
          ],
          ...REASONS.map((reason) => [
            `not scanned: ${reason}`,
            counts.get(reason) ?? 0,
            reason === 'too large' ? limit : '',
          ]),
        ],
      },
    ];
    if (totals.skipped.length > 0)
      evidence.push({
        type: 'table',
        title: `Not scanned${totals.skipped.length > LISTED ? ` (the first ${LISTED} of ${totals.skipped.length})` : ''}`,
        columns: ['path', 'reason', 'note'],
        // Binary files (images, weights) are many and expected: the other reasons first.
        rows: [...totals.skipped]
          .sort((a, b) => REASONS.indexOf(a.reason) - REASONS.indexOf(b.reason))
          .slice(0, LISTED)
          .map((skipped) => [skipped.path, skipped.reason, skipped.note ?? '']),
      });
    // Fail closed: files were there and none was read, so nothing can be said about them.
    if (totals.scanned === 0)
      return {
        status: 'error',
        summary: `nothing scanned under ${ctx.display(root)}: every file was skipped: ${breakdown}`,
        measured,
        evidence,
      };
    const skippedNote = totals.skipped.length ? `; ${totals.skipped.length} not scanned: ${breakdown}` : '';
    return ruleOutcome({
      ruleset: RULES,
      findings,
      inline,
      spec: params.ignore,
      levels: params.levels,
      judged: [
        `${totals.scanned} file${totals.scanned === 1 ? '' : 's'} (${formatSize(totals.bytes)}${skippedNote})`,
      ],
      measured,
      evidence,
    });
  },
});
