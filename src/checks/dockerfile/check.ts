import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import ignore from 'ignore';
import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import {
  type Finding,
  IgnoreParam,
  isReference,
  LevelsParam,
  mask,
  parseInlineIgnores,
  type RuleSet,
  ruleOutcome,
  SECRET_NAME,
} from '../../rules/findings.js';
import { parseImage } from '../../rules/image.js';
import { program, splitShell } from '../../rules/shell.js';

export const RULES: RuleSet = {
  prefix: 'dockerfile',
  rules: [
    {
      id: 'dockerfile/non-root-user',
      title: 'The image runs as a non-root user',
      level: 'error',
      fix: 'Add a user and switch to it in the final stage: RUN useradd --uid 10001 app; USER 10001.',
      refs: ['hadolint DL3002 (we also flag a final stage that never sets USER: it runs as root)'],
    },
    {
      id: 'dockerfile/base-image-tag',
      title: 'Base images name a tag or digest',
      level: 'error',
      fix: 'Pin the base image: FROM python:3.11.9-slim (or @sha256:...).',
      refs: ['hadolint DL3006'],
    },
    {
      id: 'dockerfile/base-image-latest',
      title: 'Base images are not :latest',
      level: 'error',
      fix: 'Pin a release tag instead of latest.',
      refs: ['hadolint DL3007'],
    },
    {
      id: 'dockerfile/base-image-digest',
      title: 'Base images are pinned by digest',
      level: 'error',
      fix: 'FROM image:tag@sha256:<digest> (docker buildx imagetools inspect image:tag).',
      refs: [],
    },
    {
      id: 'dockerfile/trusted-registry',
      title: 'Base images come from trusted registries',
      level: 'error',
      fix: 'Use a base image from an allowed registry.',
      refs: ['hadolint DL3026'],
    },
    {
      id: 'dockerfile/multi-stage',
      title: 'A multi-stage build keeps build tools out of the image',
      level: 'warning',
      fix: 'Build in one stage (FROM ... AS build) and copy artifacts into a slim final stage.',
      refs: [],
    },
    {
      id: 'dockerfile/healthcheck',
      title: 'The image declares a HEALTHCHECK',
      level: 'error',
      fix: 'HEALTHCHECK --interval=30s CMD curl -fsS http://localhost:8080/health || exit 1',
      refs: ['hadolint DL3057 (we also flag HEALTHCHECK NONE, which hadolint accepts)'],
    },
    {
      id: 'dockerfile/copy-not-add',
      title: 'COPY, not ADD, for local files',
      level: 'error',
      fix: 'Use COPY; ADD only fetches URLs and unpacks archives.',
      refs: ['hadolint DL3020'],
    },
    {
      id: 'dockerfile/secret-in-env',
      title: 'No secrets in ENV or ARG',
      level: 'error',
      fix: 'Pass secrets at run time (environment, mounted files) or at build time with RUN --mount=type=secret.',
      refs: [],
    },
    {
      id: 'dockerfile/apt-pin',
      title: 'apt-get install pins package versions',
      level: 'warning',
      fix: 'apt-get install -y curl=7.88.1-10+deb12u5',
      refs: ['hadolint DL3008'],
    },
    {
      id: 'dockerfile/apt-cleanup',
      title: 'apt lists are removed in the same RUN',
      level: 'error',
      fix: 'End the RUN with && rm -rf /var/lib/apt/lists/*',
      refs: ['hadolint DL3009'],
    },
    {
      id: 'dockerfile/apt-no-recommends',
      title: 'apt-get install --no-install-recommends',
      level: 'warning',
      fix: 'apt-get install -y --no-install-recommends ...',
      refs: ['hadolint DL3015'],
    },
    {
      id: 'dockerfile/pip-pin',
      title: 'pip install pins exact versions',
      level: 'error',
      fix: 'pip install torch==2.1.0 (or -r requirements.txt with pinned versions).',
      refs: ['hadolint DL3013 (we accept == and === only; hadolint also accepts ~=)'],
    },
    {
      id: 'dockerfile/pip-no-cache',
      title: 'pip install --no-cache-dir',
      level: 'warning',
      fix: 'pip install --no-cache-dir ..., or ENV PIP_NO_CACHE_DIR=1',
      refs: ['hadolint DL3042'],
    },
    {
      id: 'dockerfile/expose-port',
      title: 'EXPOSE lists valid ports, including the service port',
      level: 'error',
      fix: 'EXPOSE the port the service listens on.',
      refs: ['hadolint DL3011 (valid ports); matching the service port is ours'],
    },
    {
      id: 'dockerfile/dockerignore',
      title: '.dockerignore keeps .git, .env, data and checkpoints out of the build context',
      level: 'error',
      fix: 'Add .git, .env, data/ and checkpoints/ to .dockerignore.',
      refs: [],
    },
  ],
};

interface Stage {
  index: number;
  name?: string;
  /** The base image as written, ARG defaults substituted. */
  base: string;
  /** The stage this one builds on, when its base is an earlier stage. */
  parent?: Stage;
  from: Instruction;
  instructions: Instruction[];
}

const ROOT_USERS = /^(root|0)(:.*)?$/;
const ARCHIVE = /\.(tar|tgz|tar\.(gz|bz2|xz|zst)|gz|bz2|xz|txz|tbz2?)$/i;
const PIP_OPTIONS_WITH_VALUE = new Set([
  '-r',
  '--requirement',
  '-c',
  '--constraint',
  '-i',
  '--index-url',
  '--extra-index-url',
  '-t',
  '--target',
  '--prefix',
  '--root',
  '--build',
  '--trusted-host',
  '-f',
  '--find-links',
  '--platform',
  '--python-version',
  '--implementation',
  '--abi',
  '--cache-dir',
  '--src',
  '--log',
  '--proxy',
  '--timeout',
  '--retries',
  '-e',
  '--editable',
  '--upgrade-strategy',
  '--progress-bar',
  '--report',
]);

export default defineCheck({
  kind: 'dockerfile',
  title: 'The Dockerfile builds a small, pinned image that runs as non-root with a health check',
  description: [
    'Parses the Dockerfile (dockerfile-ast) and applies rules, each with an id, file:line and a fix:',
    'the final image runs as a non-root user (a final stage that never sets USER runs as root —',
    'the case hadolint misses); base images name a tag, not latest (optionally a digest, optionally',
    'only from trusted registries); a multi-stage build; a HEALTHCHECK; COPY over ADD; no secrets in',
    'ENV or ARG; apt pinned, with --no-install-recommends and lists removed; pip pinned with',
    '--no-cache-dir; EXPOSE valid and including the service port; a .dockerignore excluding .git,',
    ".env, data and checkpoints. Each rule maps to hadolint's where one exists (see `refs`).",
    'Ignore one place with `# mlgate-ignore dockerfile/RULE: reason` on the line above, or in the',
    'spec; ignores without a reason are not honoured, unused ones are reported.',
  ].join(' '),
  params: z.strictObject({
    path: z.string().default('Dockerfile').describe('The Dockerfile.'),
    context: z
      .string()
      .optional()
      .describe("Build context (for .dockerignore); default: the Dockerfile's folder."),
    service_port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe('The port the service listens on: EXPOSE must list it.'),
    trusted_registries: z
      .array(z.string())
      .optional()
      .describe('Allowed registries/prefixes: ["docker.io/library", "nvcr.io"].'),
    require_digest: z.boolean().default(false).describe('Base images must be pinned by @sha256 digest.'),
    dockerignore_excludes: z
      .array(z.string())
      .default(['.git', '.env', 'data', 'checkpoints'])
      .describe('Paths .dockerignore must exclude.'),
    ignore: IgnoreParam,
    levels: LevelsParam,
  }),
  examples: [
    {
      title: 'Production Dockerfile of the model service',
      params: { path: 'Dockerfile', service_port: 8080 },
    },
    {
      title: 'Base images only from trusted registries, pinned by digest',
      params: {
        path: 'docker/Dockerfile',
        trusted_registries: ['docker.io/library', 'nvcr.io/nvidia'],
        require_digest: true,
      },
    },
  ],
  async run(ctx, params) {
    const absolute = ctx.resolve(params.path);
    const shown = ctx.display(absolute);
    if (!existsSync(absolute)) {
      return ruleOutcome({
        ruleset: RULES,
        findings: [],
        inline: [],
        spec: params.ignore,
        levels: params.levels,
        judged: [],
        nothing: `${shown} not found`,
      });
    }
    const text = readFileSync(absolute, 'utf8');
    const lines = text.split(/\r?\n/);
    const dockerfile = DockerfileParser.parse(text);
    const findings: Finding[] = [];
    const at = (instruction: Instruction) => ({
      path: shown,
      line: instruction.getRange().start.line + 1,
      excerpt: lines[instruction.getRange().start.line]?.trim(),
    });
    const add = (rule: string, instruction: Instruction | undefined, message: string, fix?: string) =>
      findings.push({
        rule: `dockerfile/${rule}`,
        message,
        ...(instruction ? at(instruction) : { path: shown }),
        ...(fix ? { fix } : {}),
      });

    // Global ARG defaults (before the first FROM) can appear in FROM lines.
    const globalArgs = new Map<string, string>();
    const instructions = dockerfile.getInstructions();
    for (const instruction of instructions) {
      if (instruction.getKeyword() === 'FROM') break;
      if (instruction.getKeyword() === 'ARG') {
        const [name, ...value] = (instruction.getArgumentsContent() ?? '').split('=');
        if (name)
          globalArgs.set(
            name.trim(),
            value
              .join('=')
              .trim()
              .replace(/^["']|["']$/g, ''),
          );
      }
    }
    const substitute = (value: string) =>
      value.replace(
        /\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}?/g,
        (whole, name: string, fallback?: string) => globalArgs.get(name) || fallback || whole,
      );

    // Stages.
    const stages: Stage[] = [];
    for (const instruction of instructions) {
      if (instruction.getKeyword() === 'FROM') {
        const words = (instruction.getArgumentsContent() ?? '')
          .split(/\s+/)
          .filter((w) => !w.startsWith('--'));
        const base = substitute(words[0] ?? '');
        const name = words[1]?.toLowerCase() === 'as' ? words[2]?.toLowerCase() : undefined;
        const parent = stages.find((stage) => stage.name === base.toLowerCase());
        stages.push({ index: stages.length, name, base, parent, from: instruction, instructions: [] });
      } else stages[stages.length - 1]?.instructions.push(instruction);
    }
    if (stages.length === 0) {
      add('base-image-tag', undefined, 'no FROM instruction: this is not a Dockerfile');
      return ruleOutcome({
        ruleset: RULES,
        findings,
        inline: [],
        spec: params.ignore,
        levels: { ...params.levels },
        judged: [shown],
      });
    }
    const final = stages[stages.length - 1]!;
    const chain = (stage: Stage): Stage[] => (stage.parent ? [...chain(stage.parent), stage] : [stage]);
    const finalChain = chain(final);
    const shipped = new Set(finalChain);

    // Base images.
    for (const stage of stages) {
      if (stage.parent || stage.base.toLowerCase() === 'scratch') continue;
      if (stage.base.includes('$')) continue; // an ARG without a default: judged where it is set
      const reference = parseImage(stage.base);
      if (!reference.tag && !reference.digest)
        add(
          'base-image-tag',
          stage.from,
          `base image "${stage.base}" has no tag: it is whatever latest is at build time`,
        );
      if (reference.tag === 'latest' && !reference.digest)
        add('base-image-latest', stage.from, `base image "${stage.base}" uses :latest`);
      if (params.require_digest && !reference.digest)
        add('base-image-digest', stage.from, `base image "${stage.base}" is not pinned by digest`);
      if (params.trusted_registries) {
        const full = `${reference.registry}/${reference.repository}`;
        if (
          !params.trusted_registries.some(
            (prefix) => full === prefix || full.startsWith(`${prefix.replace(/\/$/, '')}/`),
          )
        ) {
          add(
            'trusted-registry',
            stage.from,
            `base image "${stage.base}" (${full}) is not from a trusted registry (${params.trusted_registries.join(', ')})`,
          );
        }
      }
    }

    // The user the final image runs as.
    let lastUser: { instruction: Instruction; user: string } | undefined;
    for (const stage of finalChain) {
      for (const instruction of stage.instructions) {
        if (instruction.getKeyword() === 'USER')
          lastUser = { instruction, user: substitute((instruction.getArgumentsContent() ?? '').trim()) };
      }
    }
    if (!lastUser) {
      add(
        'non-root-user',
        final.from,
        `the final stage never sets USER, so the image runs as root (unless "${final.base}" itself sets a non-root user: then ignore this with that reason)`,
      );
    } else if (ROOT_USERS.test(lastUser.user)) {
      add(
        'non-root-user',
        lastUser.instruction,
        `the image runs as "${lastUser.user}": the last USER of the final stage is root`,
      );
    } else if (lastUser.user.includes('$')) {
      add(
        'non-root-user',
        lastUser.instruction,
        `cannot tell the user: "${lastUser.user}" has no default value`,
      );
    }

    if (stages.length < 2)
      add('multi-stage', final.from, 'single-stage build: compilers and build tools ship in the image');

    // HEALTHCHECK (inherited along the final chain).
    let health: Instruction | undefined;
    for (const stage of finalChain)
      for (const instruction of stage.instructions)
        if (instruction.getKeyword() === 'HEALTHCHECK') health = instruction;
    if (!health)
      add(
        'healthcheck',
        final.from,
        'no HEALTHCHECK: the container runtime cannot tell a hung service from a healthy one',
      );
    else if (/^NONE\b/i.test((health.getArgumentsContent() ?? '').trim()))
      add('healthcheck', health, 'HEALTHCHECK NONE disables health checking');

    // Instructions.
    const pipNoCacheEnv = new Map<Stage, boolean>();
    for (const stage of stages) {
      const inherited = stage.parent ? (pipNoCacheEnv.get(stage.parent) ?? false) : false;
      pipNoCacheEnv.set(stage, inherited);
      for (const instruction of stage.instructions) {
        const keyword = instruction.getKeyword();
        const content = instruction.getArgumentsContent() ?? '';
        if (keyword === 'ADD') {
          const sources = jsonOrWords(content)
            .filter((w) => !w.startsWith('--'))
            .slice(0, -1);
          for (const source of sources) {
            if (!/^https?:\/\//i.test(source) && !ARCHIVE.test(source))
              add('copy-not-add', instruction, `ADD ${source}: use COPY for local files`);
          }
        }
        if (keyword === 'ENV' || keyword === 'ARG') {
          const pairs: Array<[string, string | undefined]> =
            keyword === 'ENV'
              ? (
                  instruction as unknown as {
                    getProperties(): Array<{ getName(): string; getValue(): string | null }>;
                  }
                )
                  .getProperties()
                  .map((p) => [p.getName(), p.getValue() ?? ''])
              : [
                  [
                    content.split('=')[0]!.trim(),
                    content.includes('=') ? content.slice(content.indexOf('=') + 1).trim() : undefined,
                  ],
                ];
          for (const [name, value] of pairs) {
            if (keyword === 'ENV' && name === 'PIP_NO_CACHE_DIR')
              pipNoCacheEnv.set(stage, truthy(value ?? ''));
            if (!SECRET_NAME.test(name)) continue;
            if (value !== undefined && !isReference(value.replace(/^["']|["']$/g, ''))) {
              add(
                'secret-in-env',
                instruction,
                `${keyword} ${name} sets a secret-like value (${mask(value.replace(/^["']|["']$/g, ''))}): it is stored in the image`,
              );
            } else if (keyword === 'ARG') {
              add(
                'secret-in-env',
                instruction,
                `ARG ${name}: build arguments are visible in the image history (docker history)`,
              );
            }
          }
        }
        if (keyword === 'EXPOSE') {
          for (const word of content.split(/\s+/).filter(Boolean)) {
            const port = substitute(word).split('/')[0]!;
            for (const part of port.split('-')) {
              if (part.includes('$')) continue;
              const number = Number(part);
              if (!Number.isInteger(number) || number < 1 || number > 65535)
                add('expose-port', instruction, `EXPOSE ${word}: not a valid port (1-65535)`);
            }
          }
        }
        // The raw text: the parser keeps RUN flags (--mount=...) out of the arguments.
        if (keyword === 'RUN')
          inspectRun(
            instruction,
            instruction.getTextContent().replace(/^\s*RUN\s*/i, ''),
            stage,
            shipped.has(stage),
            pipNoCacheEnv.get(stage)!,
            add,
          );
      }
    }

    if (params.service_port !== undefined) {
      const exposed = finalChain
        .flatMap((stage) => stage.instructions.filter((i) => i.getKeyword() === 'EXPOSE'))
        .flatMap((i) =>
          (i.getArgumentsContent() ?? '').split(/\s+/).map((w) => substitute(w).split('/')[0]!),
        );
      const matches = exposed.some((entry) => {
        const [low, high] = entry.split('-').map(Number);
        return (
          low === params.service_port ||
          (high !== undefined && low! <= params.service_port! && params.service_port! <= high)
        );
      });
      if (!matches) {
        add(
          'expose-port',
          final.from,
          exposed.length
            ? `EXPOSE ${exposed.join(' ')} does not include the service port ${params.service_port}`
            : `no EXPOSE of the service port ${params.service_port}`,
        );
      }
    }

    // .dockerignore
    const context = params.context ? ctx.resolve(params.context) : dirname(absolute);
    const dockerignorePath = join(context, '.dockerignore');
    if (!existsSync(dockerignorePath)) {
      findings.push({
        rule: 'dockerfile/dockerignore',
        message: `no .dockerignore in the build context ${ctx.display(context)}: everything, .git and .env included, is sent to the build`,
        path: ctx.display(dockerignorePath),
      });
    } else {
      const matcher = ignore().add(readFileSync(dockerignorePath, 'utf8'));
      const missing = params.dockerignore_excludes.filter((entry) => {
        const clean = entry.replace(/^\/+|\/+$/g, '');
        return !matcher.ignores(clean) && !matcher.ignores(`${clean}/x`);
      });
      if (missing.length > 0) {
        findings.push({
          rule: 'dockerfile/dockerignore',
          message: `.dockerignore does not exclude ${missing.join(', ')}`,
          path: ctx.display(dockerignorePath),
          line: 1,
        });
      }
    }

    const { ignores, problems } = parseInlineIgnores(shown, lines, 'dockerfile');
    return ruleOutcome({
      ruleset: RULES,
      findings: [...findings, ...problems],
      inline: ignores,
      spec: params.ignore,
      levels: params.levels,
      judged: [shown],
      measured: { stages: stages.length, user: lastUser?.user ?? 'root (never set)' },
    });
  },
});

type Add = (rule: string, instruction: Instruction | undefined, message: string, fix?: string) => void;

function inspectRun(
  instruction: Instruction,
  content: string,
  stage: Stage,
  shipped: boolean,
  pipNoCacheEnv: boolean,
  add: Add,
): void {
  const flags = content.match(/^(\s*--\S+)+/)?.[0] ?? '';
  const script = content.slice(flags.length).trim();
  const commands = script.startsWith('[')
    ? [{ assignments: [], words: jsonOrWords(script) }]
    : splitShell(script);
  const cacheMount = (target: string) =>
    new RegExp(`--mount=[^\\s]*type=(cache|tmpfs)[^\\s]*target=${target}`).test(flags);
  let aptInstall = false;
  let cleaned = false;
  let exportedNoCache: boolean | undefined;
  for (const command of commands) {
    const cmd = program(command);
    if (!cmd) continue;
    if (cmd.name === 'export') {
      for (const word of cmd.args)
        if (word.startsWith('PIP_NO_CACHE_DIR=')) exportedNoCache = truthy(word.split('=')[1] ?? '');
    }
    if (cmd.name === 'rm' && cmd.args.some((arg) => arg.startsWith('/var/lib/apt/lists'))) cleaned = true;
    if (cmd.name === 'apt-get' || cmd.name === 'apt') {
      const sub = cmd.args.find((arg) => !arg.startsWith('-'));
      if (sub === 'update' || sub === 'install') aptInstall = true;
      if (sub === 'install') {
        const packages = packagesAfter(cmd.args, 'install', new Set(['-o', '-t', '--target-release', '-c']));
        const unpinned = packages.filter(
          (name) =>
            !name.includes('=') && !name.endsWith('.deb') && !name.startsWith('/') && !name.startsWith('./'),
        );
        if (unpinned.length > 0)
          add('apt-pin', instruction, `apt-get install without versions: ${unpinned.join(', ')}`);
        if (!cmd.args.includes('--no-install-recommends'))
          add('apt-no-recommends', instruction, 'apt-get install without --no-install-recommends');
      }
    }
    if (['pip', 'pip2', 'pip3'].includes(cmd.name) || /^pip\d\.\d+$/.test(cmd.name)) {
      if (cmd.args.find((arg) => !arg.startsWith('-')) !== 'install') continue;
      const packages = packagesAfter(cmd.args, 'install', PIP_OPTIONS_WITH_VALUE);
      const unpinned = packages.filter((spec) => {
        if (
          spec === '.' ||
          spec.startsWith('./') ||
          spec.startsWith('/') ||
          /\.(whl|tar\.gz|zip)$/.test(spec)
        )
          return false;
        if (/^(git\+|hg\+|svn\+|bzr\+)/.test(spec)) return !/@[^/]+$/.test(spec.replace(/#.*$/, ''));
        return !/(===?)[^=<>~!]+$/.test(spec.replace(/\[.*\]/, ''));
      });
      if (unpinned.length > 0)
        add('pip-pin', instruction, `pip install without exact versions: ${unpinned.join(', ')}`);
      const assigned = command.assignments.find(([name]) => name === 'PIP_NO_CACHE_DIR');
      const noCache =
        cmd.args.includes('--no-cache-dir') ||
        (assigned ? truthy(assigned[1]) : (exportedNoCache ?? pipNoCacheEnv)) ||
        cacheMount('/root/\\.cache/pip');
      if (!noCache)
        add(
          'pip-no-cache',
          instruction,
          'pip install without --no-cache-dir keeps the download cache in the image',
        );
    }
  }
  const aptCache = cacheMount('/var/lib/apt');
  if (aptInstall && !cleaned && !aptCache && shipped)
    add(
      'apt-cleanup',
      instruction,
      'apt lists are left in the image: remove /var/lib/apt/lists/* in the same RUN',
    );
  void stage;
}

function packagesAfter(args: string[], subcommand: string, withValue: Set<string>): string[] {
  const start = args.indexOf(subcommand);
  const out: string[] = [];
  for (let i = start + 1; i < args.length; i++) {
    const arg = args[i]!;
    if (withValue.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    out.push(arg);
  }
  return out;
}

function truthy(value: string): boolean {
  return /^(1|on|yes|true)$/i.test(value.trim());
}

function jsonOrWords(content: string): string[] {
  const trimmed = content.trim();
  if (trimmed.startsWith('[')) {
    try {
      return (JSON.parse(trimmed) as unknown[]).map(String);
    } catch {
      // not JSON: fall through to words
    }
  }
  return trimmed.split(/\s+/).map((w) => w.replace(/^["']|["']$/g, ''));
}
