import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { IgnoreParam, levelsParam, type RuleSet, rulesParam } from '../../rules/findings.js';
import { runIn } from '../_shared/run-module.js';

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

const params = z.strictObject({
  example: z.string().default('.env.example').describe('The documented variables.'),
  scan: z.string().default('.').describe('Folder whose code and configuration are read.'),
  exclude: z.array(z.string()).default([]).describe('Path globs not to read.'),
  ignore_vars: z.array(z.string()).default([]).describe('Variables that need no documentation.'),
  environment: z.string().optional().describe('"process", or an env file: where secret values are checked.'),
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
});

export type EnvFileParams = z.output<typeof params>;

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
  params,
  examples: [
    { title: 'Documentation complete', params: { example: '.env.example', scan: '.' } },
    {
      title: 'Production secrets are real (run in the deploy job)',
      params: { example: '.env.example', environment: 'process', secret_min_length: 32 },
    },
  ],
  run: runIn(() => import('./run.js')),
});
