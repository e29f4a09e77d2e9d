import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { IgnoreParam, LevelsParam, type RuleSet } from '../../rules/findings.js';
import { runIn } from '../_shared/run-module.js';
import { DETECTORS, type Detector } from './detectors.js';

export { type Detector, entropy } from './detectors.js';

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

const params = z.strictObject({
  path: z.string().default('.').describe('Folder to scan, relative to the spec.'),
  exclude: z
    .array(z.string())
    .default([])
    .describe(
      'Path globs not to scan, e.g. "tests/fixtures/**"; also how to accept a file that cannot be read (say why in a comment).',
    ),
  max_file_size: z
    .number()
    .int()
    .positive()
    .default(64_000_000)
    .describe(
      'Larger files (and archive members, unpacked) are not scanned: text and archives make the outcome an error unless excluded; binary ones (weights, images) are listed. Smaller ones are streamed, whatever their size.',
    ),
  gitignore: z
    .boolean()
    .default(true)
    .describe(
      'Leave out what .gitignore ignores and git does not track (counted and listed; its .env, key and config files are still read, their secrets reported as warnings).',
    ),
  ignore: IgnoreParam,
  levels: LevelsParam,
});

export type SecretsParams = z.output<typeof params>;

export default defineCheck({
  kind: 'secrets',
  title: 'No secrets in the code and configuration',
  description: [
    'Scans the project for private keys (also in YAML blocks, JSON and .env escapes, notebooks, and',
    'base64 as in a TLS Secret), cloud and SaaS tokens (AWS, GitHub, GitLab, Slack, Stripe, Google,',
    'OpenAI, Anthropic, Hugging Face), JWTs, connection strings with passwords, and high-entropy values',
    'assigned to secret-like names; also when encoded (base64 padded or not, standard or URL-safe, twice,',
    'or a gzip blob; %XX, \\uXXXX, hex and numeric HTML escapes) or split across lines (string',
    'concatenation, escaped line breaks). Documentation example keys, placeholders, references and',
    'templates are not secrets. Files are streamed (bounded memory) up to `max_file_size`; gzip, tar',
    '(.tar, .tar.gz) and zip members (.zip, .whl, .jar; and zip comments) are unpacked and scanned;',
    'UTF-16 and UTF-32 text is decoded; binary files (pickles, .pyc, small weights) are read for their',
    'printable strings. Files .gitignore excludes (matched with case, as git on Linux) are counted and',
    'listed; of them .env, key and config files are read anyway and their secrets reported as warnings',
    '(not committed, but a build context may ship them). In a git work tree, a file git tracks is scanned',
    'whatever .gitignore says: it is in every clone. A file that could not be judged (bzip2, xz, zstd,',
    '7z, rar, encrypted or zip64 members, archives inside archives, damaged files, and text or archives',
    'larger than `max_file_size`) makes the outcome an error, never a pass, unless `exclude` names it;',
    'binary files over `max_file_size` (weights, tensors, images) are listed. When nothing but',
    '.gitignore could be scanned the check is an error. Findings show file:line and a masked value —',
    'never the secret. Accept a finding with `# mlgate-ignore secrets/RULE: reason` on its line or the',
    'line above, or with `ignore` in the spec (by rule, path glob, line); `exclude` skips paths.',
    'Not decoded (deliberate obfuscation): reversed strings, custom ciphers, encodings nested deeper.',
  ].join(' '),
  defaultTimeout: '5m',
  params,
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
  run: runIn(() => import('./run.js')),
});
