import { createReadStream } from 'node:fs';
import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';

const Strings = z
  .union([z.string().min(1), z.array(z.string().min(1))])
  .transform((v) => (Array.isArray(v) ? v : [v]));
const Regexes = Strings.superRefine((patterns, ctx) => {
  for (const pattern of patterns) {
    try {
      new RegExp(pattern);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `not a regular expression: ${(error as Error).message}`,
      });
    }
  }
});

interface Rule {
  label: string;
  test: (line: string) => boolean;
  present: boolean;
  hits: Array<{ line: number; text: string }>;
  count: number;
}

export default defineCheck({
  kind: 'log',
  title: 'A log file contains (or does not contain) lines',
  description: [
    'Reads a log line by line (streamed, so large logs are fine) and requires each `contains`',
    'text or `matches` regex to appear on some line ("Training complete"), and no line to',
    'contain a `not_contains` text or match a `not_matches` regex ("nan loss", "Traceback").',
    'Evidence is the file and line of each required line found, and of the forbidden lines',
    'found (up to `max_excerpts`, with the total count). A missing log is an `error`.',
  ].join(' '),
  params: z
    .strictObject({
      path: z.string().min(1).describe('The log file, relative to the spec.'),
      contains: Strings.optional().describe('Text(s) some line must contain.'),
      matches: Regexes.optional().describe('Regex(es) some line must match.'),
      not_contains: Strings.optional().describe('Text(s) no line may contain.'),
      not_matches: Regexes.optional().describe('Regex(es) no line may match.'),
      ignore_case: z.boolean().default(false).describe('Match without regard to case.'),
      max_excerpts: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(5)
        .describe('Forbidden lines shown per pattern.'),
    })
    .superRefine((params, ctx) => {
      if (!params.contains && !params.matches && !params.not_contains && !params.not_matches) {
        ctx.addIssue({
          code: 'custom',
          message: 'give at least one of contains, matches, not_contains, not_matches',
        });
      }
    }),
  examples: [
    {
      title: 'Training finished without NaN losses',
      params: {
        path: 'logs/train.log',
        contains: 'Training complete',
        not_contains: ['nan loss'],
        ignore_case: true,
      },
    },
  ],
  async run(ctx, params) {
    const absolute = ctx.resolve(params.path);
    const shown = ctx.display(absolute);
    const flags = params.ignore_case ? 'i' : '';
    const literal = (text: string) => {
      const needle = params.ignore_case ? text.toLowerCase() : text;
      return params.ignore_case
        ? (line: string) => line.toLowerCase().includes(needle)
        : (line: string) => line.includes(needle);
    };
    const regex = (pattern: string) => {
      const compiled = new RegExp(pattern, flags);
      return (line: string) => compiled.test(line);
    };
    const rules: Rule[] = [
      ...(params.contains ?? []).map((t) => ({ label: `"${t}"`, test: literal(t), present: true })),
      ...(params.matches ?? []).map((p) => ({
        label: `/${p}/${flags}`,
        test: regex(p),
        present: true,
      })),
      ...(params.not_contains ?? []).map((t) => ({
        label: `"${t}"`,
        test: literal(t),
        present: false,
      })),
      ...(params.not_matches ?? []).map((p) => ({
        label: `/${p}/${flags}`,
        test: regex(p),
        present: false,
      })),
    ].map((rule) => ({ ...rule, hits: [], count: 0 }));

    let lines = 0;
    // The last lines, shown when a required line is missing: how did the log end instead?
    const lastLines: Array<{ line: number; text: string }> = [];
    try {
      await forEachLine(absolute, ctx.signal, (text, number) => {
        lines = number;
        lastLines.push({ line: number, text: text.slice(0, 300) });
        if (lastLines.length > 5) lastLines.shift();
        for (const rule of rules) {
          if (rule.present && rule.count > 0) continue;
          if (rule.test(text)) {
            rule.count++;
            if (rule.hits.length < params.max_excerpts)
              rule.hits.push({ line: number, text: text.slice(0, 300) });
          }
        }
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return {
        status: 'error',
        summary:
          code === 'ENOENT' ? `${shown} not found` : `cannot read ${shown}: ${(error as Error).message}`,
      };
    }

    const evidence: Evidence[] = [];
    const failures: string[] = [];
    for (const rule of rules) {
      if (rule.present) {
        if (rule.count === 0) failures.push(`no line contains ${rule.label}`);
        else
          evidence.push({
            type: 'location',
            path: shown,
            line: rule.hits[0]!.line,
            excerpt: rule.hits[0]!.text,
            note: `found ${rule.label}`,
          });
      } else if (rule.count > 0) {
        failures.push(
          `${rule.count} line${rule.count > 1 ? 's' : ''} contain${rule.count > 1 ? '' : 's'} ${rule.label} (first at line ${rule.hits[0]!.line})`,
        );
        for (const hit of rule.hits) {
          evidence.push({
            type: 'location',
            path: shown,
            line: hit.line,
            excerpt: hit.text,
            note: `forbidden ${rule.label}`,
          });
        }
      }
    }
    if (rules.some((rule) => rule.present && rule.count === 0)) {
      evidence.push({
        type: 'text',
        title: lastLines.length
          ? `${shown} ends with (lines ${lastLines[0]!.line}-${lines})`
          : `${shown} is empty`,
        text: lastLines.map((l) => l.text).join('\n'),
      });
    }
    const measured = Object.fromEntries(
      rules.map((rule) => [`${rule.present ? 'found' : 'forbidden'} ${rule.label}`, rule.count]),
    );
    return {
      status: failures.length ? 'fail' : 'pass',
      summary: failures.length
        ? `${shown}: ${failures.join('; ')}`
        : `${shown}: all ${rules.length} pattern${rules.length > 1 ? 's' : ''} hold over ${lines} lines`,
      measured: { lines, ...measured },
      evidence,
    };
  },
});

/** Calls back for each line (1-based), without holding the whole file. */
async function forEachLine(
  path: string,
  signal: AbortSignal,
  onLine: (text: string, number: number) => void,
): Promise<void> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20, signal });
  let rest = '';
  let number = 0;
  for await (const chunk of stream) {
    const text = rest + (chunk as string);
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      number++;
      onLine(text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end), number);
      start = end + 1;
    }
    rest = text.slice(start);
  }
  if (rest !== '') onLine(rest, number + 1);
}
