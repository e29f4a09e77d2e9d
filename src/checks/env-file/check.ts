import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import {
  type Finding,
  IgnoreParam,
  levelsParam,
  mask,
  parseInlineIgnores,
  pathMatches,
  type RuleSet,
  ruleOutcome,
  rulesParam,
  SECRET_NAME,
} from '../../rules/findings.js';
import { walkFiles } from '../../util/walk.js';
import { type DynamicRead, fileType, findDynamicReads, findReads } from './reads.js';

export const RULES: RuleSet = {
  prefix: 'env-file',
  rules: [
    {
      id: 'env-file/undocumented',
      title: 'Every variable the code reads is in the example file',
      level: 'error',
      fix: 'Add it to .env.example with a placeholder and a comment saying what it is.',
    },
    {
      id: 'env-file/unused',
      title: 'Every documented variable is read somewhere',
      level: 'warning',
      fix: 'Remove it from .env.example, or check why nothing reads it.',
    },
    {
      id: 'env-file/secret-missing',
      title: 'Secrets are set in the environment being checked',
      level: 'error',
      fix: 'Set it in the deployment environment (secret store, CI secret).',
    },
    {
      id: 'env-file/secret-placeholder',
      title: 'Secrets are not placeholders',
      level: 'error',
      fix: 'Generate a real value: openssl rand -base64 48',
    },
    {
      id: 'env-file/secret-too-short',
      title: 'Secrets are long enough',
      level: 'error',
      fix: 'Use a longer random value: openssl rand -base64 48',
    },
  ],
};

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

/** Below this a value is not a generated secret: 32 random hex digits have ~3.6 bits per character, base64 ~4.5. */
const MIN_ENTROPY_BITS = 2.5;

/**
 * Why a value cannot be a generated secret although it is long enough, or undefined: one
 * character repeated, a short pattern repeated, a run of consecutive characters
 * (0123…, abcd…), or too few different characters (Shannon entropy per character).
 */
export function notRandomReason(value: string): string | undefined {
  if (value.length < 8) return undefined;
  const distinct = new Set(value).size;
  if (distinct === 1) return `one character repeated ${value.length} times`;
  for (let period = 1; period <= value.length / 2; period++) {
    let repeats = true;
    for (let i = period; i < value.length && repeats; i++) repeats = value[i] === value[i - period];
    if (repeats) return `a ${period}-character pattern repeated ("${value.slice(0, Math.min(period, 4))}…")`;
  }
  // Entropy and runs say little about short values (too-short judges those).
  if (value.length < 20) return undefined;
  let steps = 0;
  for (let i = 1; i < value.length; i++)
    if (Math.abs(value.charCodeAt(i) - value.charCodeAt(i - 1)) === 1) steps++;
  if (steps / (value.length - 1) >= 0.5) return 'mostly a run of consecutive characters (0123…, abcd…)';
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let entropy = 0;
  for (const n of counts.values()) entropy -= (n / value.length) * Math.log2(n / value.length);
  // Digits alone carry at most log2(10) ≈ 3.3 bits each: a random number sits near 3.
  const least = /^\d+$/.test(value) ? 2 : MIN_ENTROPY_BITS;
  if (entropy < least)
    return `${distinct} different characters, ${entropy.toFixed(1)} bits of entropy per character (a random value has ${least} or more)`;
  return undefined;
}

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

export default defineCheck({
  kind: 'env-file',
  rules: RULES.rules,
  title: 'Every environment variable is documented, and secrets are real and long enough',
  description: [
    'Finds every environment variable the code and configuration read — Python (os.environ[...],',
    '.get, .setdefault, os.getenv, through `from os import environ, getenv` and `import os as o`, and',
    'the fields of pydantic `BaseSettings` classes with their `env_prefix` or alias; notebooks too),',
    'JavaScript process.env and import.meta.env (also through aliases, destructuring and',
    '`const { env } = process`), `${VAR}` and `$VAR` in',
    'shell scripts, Dockerfiles and compose files, `${VAR}` in other YAML, TOML and INI — and requires',
    'each to be in `.env.example` (ambient ones such as HOME and PATH excepted; more with `ignore_vars`);',
    'documented variables nothing reads are warned about. Not counted as the service environment: a',
    "script's own variables (`for i in …`, `name=…`, `read -r line`, `local x`), a Dockerfile's ARG",
    "and ENV names (substituted at build time), Compose's escaped `$$VAR`, single-quoted shell text",
    'and comments. Reads whose name is computed (`os.environ[key]`, `dict(os.environ)`,',
    '`process.env[name]`) cannot be checked: they are listed in the evidence as seen and not counted.',
    'Files larger than `max_file_size` or binary are not read: they are counted and',
    'listed, and when no file at all could be read the check is an `error`. With `environment`',
    '(`process` for the environment mlgate runs in, or a file such as .env.production), secret-like',
    "variables (JWT_SECRET, API_TOKEN, ...) must be set there, must not be placeholders or the example's",
    'value, must be at least `secret_min_length` characters, and must look generated (not one character',
    'or a short pattern repeated, not a run such as 0123…, not under 2.5 bits of entropy per character).',
    'Values are never shown unmasked.',
  ].join(' '),
  params: z.strictObject({
    example: z.string().default('.env.example').describe('The documented variables.'),
    scan: z.string().default('.').describe('Folder whose code and configuration are read.'),
    exclude: z.array(z.string()).default([]).describe('Path globs not to read.'),
    ignore_vars: z.array(z.string()).default([]).describe('Variables that need no documentation.'),
    environment: z
      .string()
      .optional()
      .describe('"process", or an env file: where secret values are checked.'),
    secret_min_length: z.number().int().min(1).default(32).describe('Shortest acceptable secret.'),
    max_file_size: z
      .number()
      .int()
      .positive()
      .default(2_000_000)
      .describe(
        'Larger files are not read; they are counted and listed, and if nothing could be read the check is an error.',
      ),
    ignore: IgnoreParam,
    levels: levelsParam(RULES),
    rules: rulesParam(RULES),
  }),
  examples: [
    { title: 'Documentation complete', params: { example: '.env.example', scan: '.' } },
    {
      title: 'Production secrets are real (run in the deploy job)',
      params: { example: '.env.example', environment: 'process', secret_min_length: 32 },
    },
  ],
  async run(ctx, params) {
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
  },
});

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
