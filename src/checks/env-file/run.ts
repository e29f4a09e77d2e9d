/**
 * What the env-file check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import {
  type Finding,
  mask,
  parseInlineIgnores,
  pathMatches,
  ruleOutcome,
  SECRET_NAME,
} from '../../rules/findings.js';
import { walkFiles } from '../../util/walk.js';
import { type DynamicRead, fileType, findDynamicReads, findReads } from './reads.js';
import { type EnvFileParams, notRandomReason, RULES } from './check.js';

/** Set by every shell or CI system; not the project's configuration. */
const AMBIENT = new Set([
  'HOME',
  'PATH',
  'USER',
  'PWD',
  'SHELL',
  'HOSTNAME',
  'LANG',
  'LC_ALL',
  'TERM',
  'TZ',
  'TMPDIR',
  'CI',
  'PYTHONPATH',
  'PYTHONUNBUFFERED',
  'NODE_ENV',
  'GITHUB_ACTIONS',
  'UID',
  'GID',
]);

const PLACEHOLDER =
  /^(|x+|\*+|<[^>]*>|changeme|change[-_ ]?me.*|replace[-_ ]?me.*|your[-_ ].*|your[A-Z_].*|example.*|dummy.*|test.*|secret|password|todo.*|tbd|none|null|default)$/i;

function parseEnvFile(text: string): Map<string, { value: string; line: number }> {
  const out = new Map<string, { value: string; line: number }>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) return;
    let value = match[2]!.trim();
    if (/^["']/.test(value))
      value = value.slice(1, value.lastIndexOf(value[0]!) > 0 ? value.lastIndexOf(value[0]!) : undefined);
    else value = value.replace(/\s+#.*$/, '');
    out.set(match[1]!, { value, line: index + 1 });
  });
  return out;
}

export async function run(ctx: CheckContext, params: EnvFileParams): Promise<CheckOutcome> {
  const examplePath = ctx.resolve(params.example);
  const exampleShown = ctx.display(examplePath);
  const documented = existsSync(examplePath) ? parseEnvFile(readFileSync(examplePath, 'utf8')) : undefined;
  const root = ctx.resolve(params.scan);
  const files = walkFiles(root, { gitignore: true }).filter(
    (file) =>
      !params.exclude.some((glob) => pathMatches(glob, file)) &&
      !/(^|\/)\.env(\.|$)/.test(file) &&
      !/(^|\/)(fixtures|testdata)\//.test(file),
  );
  const reads = new Map<string, Array<{ path: string; line: number }>>();
  const findings: Finding[] = [];
  const inline: ReturnType<typeof parseInlineIgnores>['ignores'] = [];
  const prefix = params.scan === '.' ? '' : `${ctx.display(root)}/`;
  const skipped: Skipped[] = [];
  /** Reads whose name is computed: listed, not counted. */
  const dynamic: Array<DynamicRead & { path: string }> = [];
  let scanned = 0;
  const buffer = Buffer.alloc(Math.min(params.max_file_size, 64 * 1024 * 1024));
  for (const file of files) {
    if (!fileType(file)) continue;
    const shown = `${prefix}${file}`;
    const text = readText(`${root}/${file}`, params.max_file_size, buffer);
    if (typeof text !== 'string') {
      skipped.push({ path: shown, ...text });
      continue;
    }
    scanned++;
    for (const read of findReads(file, text)) {
      if (AMBIENT.has(read.variable) || params.ignore_vars.includes(read.variable)) continue;
      const list = reads.get(read.variable) ?? [];
      list.push({ path: shown, line: read.line });
      reads.set(read.variable, list);
    }
    for (const read of findDynamicReads(file, text)) dynamic.push({ path: shown, ...read });
    if (text.includes('mlgate-ignore'))
      inline.push(...parseInlineIgnores(shown, text.split(/\r?\n/), 'env-file').ignores);
  }
  const skippedSummary = summariseSkipped(skipped, params.max_file_size);
  const skippedEvidence = skipped.length
    ? [
        {
          type: 'table' as const,
          title: `files not read (${skippedSummary})`,
          columns: ['file', 'why'],
          rows: skipped
            .slice(0, 50)
            .map((entry) => [
              entry.path,
              entry.reason === 'too large'
                ? `too large: ${entry.size} bytes > max_file_size ${params.max_file_size}`
                : entry.reason,
            ]),
        },
      ]
    : [];
  // Fail closed: a variable read only in a file that was not read would go unnoticed.
  if (scanned === 0)
    return {
      status: 'error',
      summary:
        skipped.length > 0
          ? `nothing scanned under ${ctx.display(root)}: every file was skipped (${skippedSummary})`
          : `nothing scanned: no code or configuration under ${ctx.display(root)} (Python, JavaScript/TypeScript, shell, Dockerfiles, YAML, TOML, INI)${documented ? '' : `, and no ${exampleShown}`}`,
      measured: { files_scanned: 0, files_skipped: skipped.length },
      evidence: skippedEvidence,
    };
  for (const [variable, places] of [...reads].sort(([a], [b]) => a.localeCompare(b))) {
    if (documented?.has(variable)) continue;
    const first = places[0]!;
    findings.push({
      rule: 'env-file/undocumented',
      message: `${variable} is read here${places.length > 1 ? ` and in ${places.length - 1} more place${places.length > 2 ? 's' : ''}` : ''} but is not in ${exampleShown}${documented ? '' : ' (the file does not exist)'}`,
      path: first.path,
      line: first.line,
    });
  }
  for (const [variable, entry] of documented ?? []) {
    if (!reads.has(variable))
      findings.push({
        rule: 'env-file/unused',
        message: `${variable} is documented but nothing reads it`,
        path: exampleShown,
        line: entry.line,
      });
  }
  let environmentShown: string | undefined;
  if (params.environment) {
    let values: Map<string, { value: string; line?: number }>;
    if (params.environment === 'process') {
      environmentShown = 'the process environment';
      values = new Map(Object.entries(process.env).map(([key, value]) => [key, { value: value ?? '' }]));
    } else {
      const path = ctx.resolve(params.environment);
      environmentShown = ctx.display(path);
      if (!existsSync(path))
        return { status: 'error', summary: `environment file ${environmentShown} not found` };
      values = parseEnvFile(readFileSync(path, 'utf8'));
    }
    const secrets = [...new Set([...(documented?.keys() ?? []), ...reads.keys()])]
      .filter((name) => SECRET_NAME.test(name))
      .sort();
    for (const name of secrets) {
      const actual = values.get(name);
      const where =
        params.environment === 'process'
          ? { path: exampleShown, line: documented?.get(name)?.line }
          : { path: environmentShown, line: actual?.line };
      if (!actual || actual.value === '') {
        findings.push({
          rule: 'env-file/secret-missing',
          message: `${name} is not set in ${environmentShown}`,
          ...where,
        });
      } else if (PLACEHOLDER.test(actual.value) || actual.value === documented?.get(name)?.value) {
        findings.push({
          rule: 'env-file/secret-placeholder',
          message: `${name} in ${environmentShown} is a placeholder (${mask(actual.value)})`,
          ...where,
        });
      } else if (actual.value.length < params.secret_min_length) {
        findings.push({
          rule: 'env-file/secret-too-short',
          message: `${name} in ${environmentShown} has ${actual.value.length} characters, fewer than ${params.secret_min_length}`,
          ...where,
        });
      } else if (notRandomReason(actual.value)) {
        findings.push({
          rule: 'env-file/secret-placeholder',
          message: `${name} in ${environmentShown} is not a generated secret: ${notRandomReason(actual.value)} (${mask(actual.value)})`,
          ...where,
        });
      }
    }
  }
  return ruleOutcome({
    ruleset: RULES,
    only: params.rules,
    findings,
    inline,
    spec: params.ignore,
    levels: params.levels,
    judged: [exampleShown],
    measured: {
      variables_read: reads.size,
      variables_documented: documented?.size ?? 0,
      files_scanned: scanned,
      files_skipped: skipped.length,
      dynamic_reads: dynamic.length,
    },
    evidence: [
      {
        type: 'table',
        title: 'variables',
        columns: ['variable', 'read at', `in ${exampleShown}`],
        rows: [...new Set([...reads.keys(), ...(documented?.keys() ?? [])])].sort().map((name) => [
          name,
          reads
            .get(name)
            ?.map((r) => `${r.path}:${r.line}`)
            .slice(0, 3)
            .join(', ') ?? '—',
          documented?.has(name) ? 'yes' : 'no',
        ]),
      },
      ...(dynamic.length
        ? [
            {
              type: 'table' as const,
              title: `dynamic reads seen and not counted (${dynamic.length}): the variable name is computed, so it cannot be checked against ${exampleShown}`,
              columns: ['read at', 'code'],
              rows: dynamic.slice(0, 50).map((entry) => [`${entry.path}:${entry.line}`, entry.excerpt]),
            },
          ]
        : []),
      ...skippedEvidence,
    ],
  });
}

interface Skipped {
  path: string;
  reason: 'too large' | 'binary' | 'unreadable';
  size?: number;
}

/** Sniffed as git does: a NUL byte in the first 8000 bytes means binary. */
const BINARY_SAMPLE = 8000;

function readText(path: string, maxSize: number, buffer: Buffer): string | Omit<Skipped, 'path'> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { reason: 'unreadable' };
  }
  try {
    const size = fstatSync(fd).size;
    if (size > maxSize || size > buffer.length) return { reason: 'too large', size };
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    if (buffer.subarray(0, Math.min(read, BINARY_SAMPLE)).includes(0)) return { reason: 'binary' };
    return buffer.toString('utf8', 0, read);
  } catch {
    return { reason: 'unreadable' };
  } finally {
    closeSync(fd);
  }
}

function summariseSkipped(skipped: Skipped[], maxSize: number): string {
  const count = (reason: Skipped['reason']) => skipped.filter((entry) => entry.reason === reason).length;
  return [
    count('too large') ? `${count('too large')} too large (max_file_size ${maxSize} bytes)` : '',
    count('binary') ? `${count('binary')} binary` : '',
    count('unreadable') ? `${count('unreadable')} unreadable` : '',
  ]
    .filter(Boolean)
    .join(', ');
}
