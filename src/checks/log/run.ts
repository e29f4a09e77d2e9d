/**
 * What the log check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { createReadStream } from 'node:fs';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import type { LogParams } from './check.js';

interface Rule {
  label: string;
  test: (line: string) => boolean;
  present: boolean;
  hits: Array<{ line: number; text: string }>;
  count: number;
}

export async function run(ctx: CheckContext, params: LogParams): Promise<CheckOutcome> {
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
      summary: code === 'ENOENT' ? `${shown} not found` : `cannot read ${shown}: ${(error as Error).message}`,
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
}

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
