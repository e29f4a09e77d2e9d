import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import {
  type Finding,
  IgnoreParam,
  type InlineIgnore,
  LevelsParam,
  mask,
  parseInlineIgnores,
  pathMatches,
  type RuleSet,
  ruleOutcome,
} from '../../rules/findings.js';
import { walkFiles } from '../../util/walk.js';

export interface Detector {
  id: string;
  /** What one finding is: "GitHub token". */
  label: string;
  title: string;
  /** Cheap literal prefilter: the regex runs only on files containing one of these. */
  keywords: string[];
  /** Case-insensitive keyword search. */
  foldCase?: boolean;
  regex: RegExp;
  /** The capture group holding the secret (0 = the whole match). */
  group?: number;
  /** Extra judgement on the captured value (entropy, placeholders). */
  accept?: (value: string) => boolean;
}

const PLACEHOLDER =
  /^(x+|\*+|\.+|-+|<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%\([a-z_]+\)s|\{\{.*\}\}|(change|replace|set|your|my|example|dummy|fake|sample|test|placeholder|default|secret|password|changeme|redacted|none|null|todo)[\w.-]*)$/i;

/** Shannon entropy in bits per character. */
export function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const DETECTORS: Detector[] = [
  {
    id: 'secrets/private-key',
    label: 'private key',
    title: 'Private keys',
    keywords: ['PRIVATE KEY'],
    regex:
      /-----BEGIN (?:RSA |DSA |EC |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----\r?\n?([A-Za-z0-9+/=\r\n:-]{16,})/g,
    group: 1,
  },
  {
    id: 'secrets/aws-access-key',
    label: 'AWS access key id',
    title: 'AWS access key ids',
    keywords: ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
    regex: /\b((?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})\b/g,
    group: 1,
  },
  {
    id: 'secrets/aws-secret-key',
    label: 'AWS secret access key',
    title: 'AWS secret access keys',
    keywords: ['aws'],
    foldCase: true,
    regex: /aws.{0,20}?(?:secret|sk).{0,20}?['"\s:=]+([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
    accept: (v) => entropy(v) > 4,
  },
  {
    id: 'secrets/github-token',
    label: 'GitHub token',
    title: 'GitHub tokens',
    keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    regex: /\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b/g,
    group: 1,
  },
  {
    id: 'secrets/gitlab-token',
    label: 'GitLab token',
    title: 'GitLab tokens',
    keywords: ['glpat-'],
    regex: /\b(glpat-[A-Za-z0-9_-]{20})\b/g,
    group: 1,
  },
  {
    id: 'secrets/slack-token',
    label: 'Slack token',
    title: 'Slack tokens and webhooks',
    keywords: ['xox', 'hooks.slack.com'],
    regex:
      /\b(xox[baprs]-[A-Za-z0-9-]{10,}|https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+)/g,
    group: 1,
  },
  {
    id: 'secrets/stripe-key',
    label: 'Stripe live key',
    title: 'Stripe live keys',
    keywords: ['_live_'],
    regex: /\b((?:sk|rk)_live_[0-9a-zA-Z]{24,})\b/g,
    group: 1,
  },
  {
    id: 'secrets/google-api-key',
    label: 'Google API key',
    title: 'Google API keys',
    keywords: ['AIza'],
    regex: /\b(AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/g,
    group: 1,
  },
  {
    id: 'secrets/openai-key',
    label: 'OpenAI API key',
    title: 'OpenAI API keys',
    keywords: ['sk-'],
    regex:
      /\b(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,})/g,
    group: 1,
  },
  {
    id: 'secrets/anthropic-key',
    label: 'Anthropic API key',
    title: 'Anthropic API keys',
    keywords: ['sk-ant-'],
    regex: /\b(sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,})/g,
    group: 1,
  },
  {
    id: 'secrets/huggingface-token',
    label: 'Hugging Face token',
    title: 'Hugging Face tokens',
    keywords: ['hf_'],
    regex: /\b(hf_[A-Za-z]{34})\b/g,
    group: 1,
  },
  {
    id: 'secrets/jwt',
    label: 'JSON Web Token',
    title: 'JSON Web Tokens',
    keywords: ['eyJ'],
    regex: /\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})/g,
    group: 1,
  },
  {
    id: 'secrets/connection-string',
    label: 'password in a connection string',
    title: 'Connection strings with passwords',
    keywords: ['://'],
    regex: /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:@/'"`]+:([^\s@/'"`]+)@[^\s/'"`]+/g,
    group: 1,
    accept: (v) => !PLACEHOLDER.test(decodeURIComponent(safe(v))) && !/^\$/.test(v) && v.length >= 4,
  },
  {
    id: 'secrets/generic-secret',
    label: 'high-entropy secret value',
    title: 'High-entropy values assigned to secret-like names',
    keywords: [
      'secret',
      'token',
      'passw',
      'api_key',
      'apikey',
      'api-key',
      'access_key',
      'private_key',
      'auth_key',
      'credential',
    ],
    foldCase: true,
    // The name starts at a name boundary and its runs are bounded: an unbounded run before the
    // keyword made a long line of name characters take minutes (quadratic backtracking).
    regex:
      /(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]{0,128}?(?:secret|token|passw(?:or)?d|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key|credential)[A-Za-z0-9_.-]{0,128})["']?\s{0,32}(?::|=|:=|=>)\s{0,32}["'`]?([^\s"'`,;)}\]]{12,})/gi,
    group: 2,
    accept: (v) =>
      !PLACEHOLDER.test(v) && !/[$({[]|\b(os\.|process\.|env\.|getenv|config\.)/.test(v) && entropy(v) >= 3.5,
  },
];

/** The detectors, read-only, for redacting evidence (src/redact) with the same rules. */
export const SECRET_DETECTORS: ReadonlyArray<Readonly<Detector>> = DETECTORS;

function safe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export const RULES: RuleSet = {
  prefix: 'secrets',
  rules: DETECTORS.map((detector) => ({
    id: detector.id,
    title: `No ${detector.title.toLowerCase()} in the project`,
    level: 'error' as const,
    fix: 'Remove it, rotate it (it is compromised once committed), and load it from the environment or a secret store.',
  })),
};

const BINARY_SAMPLE = 8192;

export default defineCheck({
  kind: 'secrets',
  title: 'No secrets in the code and configuration',
  description: [
    'Scans the project (honouring .gitignore; skipping binary files and files larger than',
    '`max_file_size`) for private keys, cloud and SaaS tokens (AWS, GitHub, GitLab, Slack, Stripe,',
    'Google, OpenAI, Anthropic, Hugging Face), JWTs, connection strings with passwords, and',
    'high-entropy values assigned to secret-like names. Findings show file:line and a masked value —',
    'never the secret. Accept a finding with `# mlgate-ignore secrets/RULE: reason` on its line or the',
    'line above, or with `ignore` in the spec (by rule, path glob, line); `exclude` skips paths.',
  ].join(' '),
  defaultTimeout: '5m',
  params: z.strictObject({
    path: z.string().default('.').describe('Folder to scan, relative to the spec.'),
    exclude: z.array(z.string()).default([]).describe('Path globs not to scan, e.g. "tests/fixtures/**".'),
    max_file_size: z
      .number()
      .int()
      .positive()
      .default(2_000_000)
      .describe('Larger files are skipped (and counted).'),
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
    if (files.length === 0) {
      return ruleOutcome({
        ruleset: RULES,
        findings: [],
        inline: [],
        spec: params.ignore,
        levels: params.levels,
        judged: [],
        nothing: `no files under ${ctx.display(root)}`,
      });
    }
    const prefix = params.path === '.' ? '' : `${ctx.display(root)}/`;
    const findings: Finding[] = [];
    const inline: InlineIgnore[] = [];
    let bytes = 0;
    let skippedLarge = 0;
    let skippedBinary = 0;
    let scanned = 0;
    const buffer = Buffer.alloc(params.max_file_size);
    for (let index = 0; index < files.length; index++) {
      if (index % 500 === 0) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const file = files[index]!;
      let size: number;
      let fd: number;
      try {
        fd = openSync(`${root}/${file}`, 'r');
      } catch {
        continue;
      }
      try {
        size = fstatSync(fd).size;
        if (size > params.max_file_size) {
          skippedLarge++;
          continue;
        }
        let read = 0;
        while (read < size) {
          const n = readSync(fd, buffer, read, size - read, read);
          if (n === 0) break;
          read += n;
        }
        size = read;
      } finally {
        closeSync(fd);
      }
      const head = buffer.subarray(0, Math.min(size, BINARY_SAMPLE));
      if (head.includes(0)) {
        skippedBinary++;
        continue;
      }
      scanned++;
      bytes += size;
      const text = buffer.toString('utf8', 0, size);
      const shown = `${prefix}${file}`;
      scanText(shown, text, findings, inline);
    }
    return ruleOutcome({
      ruleset: RULES,
      findings,
      inline,
      spec: params.ignore,
      levels: params.levels,
      judged: [`${scanned} files (${(bytes / 1e6).toFixed(1)} MB)`],
      measured: {
        files: scanned,
        bytes_scanned: bytes,
        skipped_large: skippedLarge,
        skipped_binary: skippedBinary,
      },
    });
  },
});

/** Finds secrets in one file's text; inline ignores are collected only where something matched. */
export function scanText(shown: string, text: string, findings: Finding[], inline: InlineIgnore[]): void {
  let lower: string | undefined;
  let lineStarts: number[] | undefined;
  const lineOf = (offset: number) => {
    lineStarts ??= computeLineStarts(text);
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  };
  let found = false;
  // Values a specific detector reported; the generic one (last) does not report them again.
  const reported: string[] = [];
  for (const detector of DETECTORS) {
    const haystack = detector.foldCase ? (lower ??= text.toLowerCase()) : text;
    if (
      !detector.keywords.some((keyword) =>
        haystack.includes(detector.foldCase ? keyword.toLowerCase() : keyword),
      )
    )
      continue;
    detector.regex.lastIndex = 0;
    for (let match = detector.regex.exec(text); match !== null; match = detector.regex.exec(text)) {
      const value = match[detector.group ?? 0] ?? match[0];
      if (detector.accept && !detector.accept(value)) continue;
      if (
        detector.id === 'secrets/generic-secret' &&
        reported.some((known) => value.includes(known) || known.includes(value))
      )
        continue;
      reported.push(value);
      // The line where the match starts: a key's BEGIN line, an assignment's name.
      const line = lineOf(match.index);
      findings.push({
        rule: detector.id,
        message: `${detector.label}: ${mask(value.replace(/\s+/g, ''))}`,
        path: shown,
        line,
      });
      found = true;
    }
  }
  // Inline ignores matter only in files with findings (and reading them costs a split).
  if (found || text.includes('mlgate-ignore')) {
    const { ignores, problems } = parseInlineIgnores(shown, text.split(/\r?\n/), 'secrets');
    inline.push(...ignores);
    findings.push(...problems);
  }
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}
