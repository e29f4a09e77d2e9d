import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import {
  type Finding,
  IgnoreParam,
  LevelsParam,
  mask,
  parseInlineIgnores,
  pathMatches,
  type RuleSet,
  ruleOutcome,
  SECRET_NAME,
} from '../../rules/findings.js';
import { walkFiles } from '../../util/walk.js';

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

/** How code reads environment variables, by file type. Group 1 is the name. */
const READS: Array<{ extensions: RegExp; patterns: RegExp[] }> = [
  {
    extensions: /\.(py|pyi|ipynb)$/,
    patterns: [
      /os\.environ(?:\.get)?\s*[[(]\s*["']([A-Za-z_][A-Za-z0-9_]*)["']/g,
      /(?:os\.)?getenv\s*\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']/g,
      /\benviron\s*\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']/g,
    ],
  },
  {
    extensions: /\.(js|mjs|cjs|ts|mts|cts|jsx|tsx)$/,
    patterns: [
      /process\.env\.([A-Za-z_][A-Za-z0-9_]*)/g,
      /process\.env\s*\[\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]\s*\]/g,
      /import\.meta\.env\.([A-Za-z_][A-Za-z0-9_]*)/g,
    ],
  },
  {
    extensions: /(\.(sh|bash|ya?ml|toml|ini|cfg|conf)|^Dockerfile.*|\.dockerfile)$/i,
    patterns: [/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?=+][^}]*)?\}/g],
  },
];

/**
 * Reads through an alias: `const env = process.env; env.PORT`, `const { PORT } = process.env`,
 * `environ = os.environ; environ["PORT"]`. Returns extra patterns for this file (group 1 is the
 * name; destructured names are found directly at the destructuring).
 */
function aliasPatterns(text: string, name: string): RegExp[] {
  const patterns: RegExp[] = [];
  const escape = (alias: string) => alias.replace(/\$/g, '\\$');
  if (/\.(js|mjs|cjs|ts|mts|cts|jsx|tsx)$/.test(name)) {
    for (const match of text.matchAll(
      /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*process\.env\b(?!\s*[.[])/g,
    )) {
      const alias = escape(match[1]!);
      patterns.push(new RegExp(`(?<![\\w$.])${alias}\\.([A-Za-z_][A-Za-z0-9_]*)`, 'g'));
      patterns.push(
        new RegExp(`(?<![\\w$.])${alias}\\s*\\[\\s*["'\`]([A-Za-z_][A-Za-z0-9_]*)["'\`]\\s*\\]`, 'g'),
      );
    }
    if (/\b(?:const|let|var)\s*\{[^}]*\}\s*=\s*process\.env\b/.test(text)) {
      // Each destructured name: `{ PORT, HOST: host = '0.0.0.0' } = process.env`.
      patterns.push(
        /(?<=\b(?:const|let|var)\s*\{(?:[^}]*,)?\s*)([A-Za-z_][A-Za-z0-9_]*)(?=\s*[,}:=])(?=[^}]*\}\s*=\s*process\.env\b)/g,
      );
    }
  } else if (/\.(py|pyi)$/.test(name)) {
    for (const match of text.matchAll(/^\s*([A-Za-z_]\w*)\s*=\s*os\.environ\s*$/gm)) {
      const alias = match[1]!;
      patterns.push(new RegExp(`\\b${alias}(?:\\.get)?\\s*[[(]\\s*["']([A-Za-z_][A-Za-z0-9_]*)["']`, 'g'));
    }
  }
  return patterns;
}

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

export default defineCheck({
  kind: 'env-file',
  title: 'Every environment variable is documented, and secrets are real and long enough',
  description: [
    'Finds every environment variable the code and configuration read (Python os.environ/getenv,',
    'JavaScript process.env and import.meta.env, ${VAR} in shell, YAML, TOML and Dockerfiles) and',
    'requires each to be in `.env.example` (ambient ones such as HOME and PATH excepted; more with',
    '`ignore_vars`); documented variables nothing reads are warned about. With `environment` (`process`',
    'for the environment mlgate runs in, or a file such as .env.production), secret-like variables',
    "(JWT_SECRET, API_TOKEN, ...) must be set there, must not be placeholders or the example's value,",
    'and must be at least `secret_min_length` characters. Values are never shown unmasked.',
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
    ignore: IgnoreParam,
    levels: LevelsParam,
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
    for (const file of files) {
      const name = file.split('/').pop()!;
      const kinds = READS.filter((kind) => kind.extensions.test(name) || kind.extensions.test(extname(name)));
      if (kinds.length === 0) continue;
      const text = readFileSync(`${root}/${file}`, 'utf8');
      let lineStarts: number[] | undefined;
      for (const patterns of [...kinds.map((kind) => kind.patterns), aliasPatterns(text, name)]) {
        for (const pattern of patterns) {
          pattern.lastIndex = 0;
          for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
            const variable = match[1]!;
            if (AMBIENT.has(variable) || params.ignore_vars.includes(variable)) continue;
            lineStarts ??= [0, ...[...text.matchAll(/\n/g)].map((m) => m.index! + 1)];
            const line = lineStarts.filter((start) => start <= match!.index).length;
            const list = reads.get(variable) ?? [];
            list.push({ path: `${prefix}${file}`, line });
            reads.set(variable, list);
          }
        }
      }
      if (text.includes('mlgate-ignore'))
        inline.push(...parseInlineIgnores(`${prefix}${file}`, text.split(/\r?\n/), 'env-file').ignores);
    }
    if (!documented && reads.size === 0) {
      return ruleOutcome({
        ruleset: RULES,
        findings: [],
        inline: [],
        spec: params.ignore,
        levels: params.levels,
        judged: [],
        nothing: `no ${exampleShown} and no variable reads under ${ctx.display(root)}`,
      });
    }
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
        }
      }
    }
    return ruleOutcome({
      ruleset: RULES,
      findings,
      inline,
      spec: params.ignore,
      levels: params.levels,
      judged: [exampleShown],
      measured: { variables_read: reads.size, variables_documented: documented?.size ?? 0 },
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
      ],
    });
  },
});
