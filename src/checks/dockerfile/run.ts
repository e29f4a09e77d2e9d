/**
 * What the dockerfile check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Instruction } from 'dockerfile-ast';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import { lazyRequire } from '../../util/lazy.js';
import {
  type Finding,
  isReference,
  mask,
  parseInlineIgnores,
  ruleOutcome,
  SECRET_NAME,
} from '../../rules/findings.js';
import {
  imageTagProblem,
  knownNonRootUser,
  nonRootImagesText,
  parseImage,
  registryMatches,
} from '../../rules/image.js';
import { downloadsRunAsCode, parseShell, program, type ShellCommand } from '../../rules/shell.js';
import { type DockerfileParams, RULES } from './check.js';

// Parsers load when a Dockerfile is read, not when the kind is imported (startup).
const dockerfileAst = lazyRequire<typeof import('dockerfile-ast')>('dockerfile-ast');

const loadIgnore = lazyRequire<typeof import('ignore')>('ignore');

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

/**
 * Whether USER names root: BuildKit strips quotes (`USER "root"`), and a numeric uid is read as
 * a number, so `00`, `0000` and `00:00` are uid 0 too.
 */
function isRootUser(value: string): boolean {
  const user = unquote(value).split(':')[0]!.trim();
  return user === 'root' || (/^\d+$/.test(user) && Number(user) === 0);
}

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
  '--root-user-action',
  '--python',
  '--config-settings',
  '-C',
  '--global-option',
  '--install-option',
  '--no-binary',
  '--only-binary',
  '--exists-action',
  '--log-file',
  '--cert',
  '--client-cert',
  '--use-feature',
  '--use-deprecated',
  '--keyring-provider',
]);

export async function run(ctx: CheckContext, params: DockerfileParams): Promise<CheckOutcome> {
  const absolute = ctx.resolve(params.path);
  const shown = ctx.display(absolute);
  if (!existsSync(absolute)) {
    // nothing judged is never a pass
    return { status: 'error', summary: `${shown} not found: no Dockerfile to judge` };
  }
  const text = readFileSync(absolute, 'utf8');
  const lines = text.split(/\r?\n/);
  const dockerfile = dockerfileAst().DockerfileParser.parse(text);
  const findings: Finding[] = [];
  const unreadable: string[] = [];
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

  // Variables: global ARGs (before the first FROM) are seen by FROM lines, and inside a stage
  // only where the stage declares them again (`ARG NAME`); a stage's ARG and ENV values are
  // seen by the instructions after them, ENV also by stages built on it. Defaults may use
  // earlier variables (`ARG IMG=python:${TAG}`): they are expanded where they are declared.
  const instructions = dockerfile.getInstructions();
  if (instructions.length === 0) {
    return {
      status: 'error',
      summary: `${shown} has no instructions: nothing to judge (is it empty, or not a Dockerfile?)`,
    };
  }
  const globalArgs = new Map<string, string | undefined>();
  for (const instruction of instructions) {
    if (instruction.getKeyword() === 'FROM') break;
    if (instruction.getKeyword() === 'ARG') declareArg(instruction, globalArgs, globalArgs, new Map());
  }
  const fromGlobals = (value: string) => expand(value, (name) => globalArgs.get(name));

  // Stages.
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.getKeyword() === 'FROM') {
      const words = (instruction.getArgumentsContent() ?? '')
        .split(/\s+/)
        .filter((w) => w && !w.startsWith('--'));
      const base = fromGlobals(words[0] ?? '');
      const name = words[1]?.toLowerCase() === 'as' ? words[2]?.toLowerCase() : undefined;
      const parent = stages.find((stage) => stage.name === base.toLowerCase());
      stages.push({ index: stages.length, name, base, parent, from: instruction, instructions: [] });
    } else stages[stages.length - 1]?.instructions.push(instruction);
  }
  if (stages.length === 0) {
    return {
      status: 'error',
      summary: `${shown}: no FROM instruction, so no image to judge (${instructions.length} instruction${instructions.length > 1 ? 's' : ''} before any FROM; is it a Dockerfile?)`,
    };
  }
  const final = stages[stages.length - 1]!;
  const chain = (stage: Stage): Stage[] => (stage.parent ? [...chain(stage.parent), stage] : [stage]);
  const finalChain = chain(final);
  const shipped = new Set(finalChain);
  const stageNames = new Set(stages.flatMap((stage) => (stage.name ? [stage.name] : [])));

  // Base images, and images a build pulls (COPY --from=IMAGE, RUN --mount=from=IMAGE).
  const trusted = (image: string, instruction: Instruction, what: string) => {
    if (!params.trusted_registries || image.toLowerCase() === 'scratch' || image.includes('$')) return;
    if (params.trusted_registries.some((pattern) => registryMatches(image, pattern))) return;
    const reference = parseImage(image);
    add(
      'trusted-registry',
      instruction,
      `${what} "${image}" (${reference.registry}/${reference.repository}) is not from a trusted registry (${params.trusted_registries.join(', ')})`,
    );
  };
  // An image a COPY --from or RUN --mount from= pulls: the same tag, latest and digest rules.
  const pulled = (image: string, instruction: Instruction, what: string) => {
    if (image.includes('$') || image.toLowerCase() === 'scratch') return;
    const problem = imageTagProblem(image);
    const named = ' (if it is a named build context, --build-context, ignore it with that reason)';
    if (problem === 'no tag')
      add(
        'base-image-tag',
        instruction,
        `${what} "${image}" has no tag: it is whatever latest is at build time${/[:/.]/.test(image) ? '' : named}`,
      );
    if (problem === 'latest') add('base-image-latest', instruction, `${what} "${image}" uses :latest`);
    if (params.require_digest && !parseImage(image).digest && !parseImage(image).ko)
      add('base-image-digest', instruction, `${what} "${image}" is not pinned by digest`);
    trusted(image, instruction, what);
  };
  for (const stage of stages) {
    if (stage.parent || stage.base.toLowerCase() === 'scratch') continue;
    if (stage.base.includes('$')) continue; // an ARG without a default: judged where it is set
    const reference = parseImage(stage.base);
    const problem = imageTagProblem(stage.base);
    if (problem === 'no tag')
      add(
        'base-image-tag',
        stage.from,
        `base image "${stage.base}" has no tag: it is whatever latest is at build time`,
      );
    if (problem === 'latest') add('base-image-latest', stage.from, `base image "${stage.base}" uses :latest`);
    if (params.require_digest && !reference.digest && !reference.ko)
      add('base-image-digest', stage.from, `base image "${stage.base}" is not pinned by digest`);
    trusted(stage.base, stage.from, 'base image');
  }

  // Instructions, in order, with the variables each one sees.
  const envOf = new Map<Stage, Map<string, string | undefined>>();
  const users = new Map<Stage, { instruction: Instruction; user: string }>();
  const aptState = new Map<Stage, { dockerCleanRemoved: boolean }>();
  // RUN under SHELL ["powershell", ...] or ["cmd", "/S", "/C"] is not POSIX shell: not read as such.
  const posixShell = new Map<Stage, boolean>();
  // Accounts RUN creates (useradd -u, usermod -u, lines added to /etc/passwd): USER name is
  // judged by the uid the name has in the image, not by the name.
  const accountsOf = new Map<Stage, Accounts>();
  for (const stage of stages) {
    posixShell.set(stage, stage.parent ? posixShell.get(stage.parent)! : true);
    const accounts: Accounts = new Map(stage.parent ? accountsOf.get(stage.parent) : undefined);
    accountsOf.set(stage, accounts);
    const env = new Map(stage.parent ? envOf.get(stage.parent) : undefined);
    const vars = new Map(env);
    const state = {
      dockerCleanRemoved: stage.parent ? aptState.get(stage.parent)!.dockerCleanRemoved : false,
    };
    aptState.set(stage, state);
    envOf.set(stage, env);
    const lookup = (name: string) => vars.get(name);
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      const content = instruction.getArgumentsContent() ?? '';
      if (keyword === 'ARG') declareArg(instruction, vars, globalArgs, env);
      if (keyword === 'SHELL') {
        const shell = (jsonOrWords(content)[0] ?? '').split(/[\\/]/).pop()!.toLowerCase();
        posixShell.set(stage, !/^(powershell|pwsh|cmd)(\.exe)?$/.test(shell));
      }
      if (keyword === 'USER') users.set(stage, { instruction, user: expand(content.trim(), lookup) });
      if (keyword === 'ADD') {
        const words = jsonOrWords(content);
        const checksum = flagsOf(instruction).some(([name]) => name === 'checksum');
        for (const source of words.slice(0, -1)) {
          const remote = /^(https?|git|ssh):\/\//i.test(source) || /^git@/.test(source);
          if (remote) {
            const gitCommit = /\.git(#|@)[0-9a-f]{40}\b/i.test(source) || /#[0-9a-f]{40}$/i.test(source);
            if (!checksum && !gitCommit)
              add(
                'add-url',
                instruction,
                `ADD ${source} without --checksum: whatever the server returns at build time goes into the image`,
              );
          } else if (!ARCHIVE.test(source))
            add('copy-not-add', instruction, `ADD ${source}: use COPY for local files`);
        }
      }
      if (keyword === 'COPY' || keyword === 'ADD') {
        for (const [name, value] of flagsOf(instruction))
          if (name === 'from' && value && !/^\d+$/.test(value) && !stageNames.has(value.toLowerCase()))
            pulled(expand(value, lookup), instruction, `${keyword} --from image`);
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
          if (keyword === 'ENV') {
            const expanded = expand(unquote(value ?? ''), lookup);
            env.set(name, expanded);
            vars.set(name, expanded);
          }
          if (!SECRET_NAME.test(name)) continue;
          if (value !== undefined && !isReference(unquote(value))) {
            add(
              'secret-in-env',
              instruction,
              `${keyword} ${name} sets a secret-like value (${mask(unquote(value))}): it is stored in the image`,
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
          const port = expand(word, lookup).split('/')[0]!;
          for (const part of port.split('-')) {
            if (part.includes('$')) continue;
            const number = Number(part);
            if (!Number.isInteger(number) || number < 0 || number > 65535)
              add('expose-port', instruction, `EXPOSE ${word}: not a valid port (0-65535)`);
          }
        }
      }
      if (keyword === 'RUN' && posixShell.get(stage)) {
        const flags = flagsOf(instruction);
        for (const [name, value] of flags) {
          const from = name === 'mount' ? /(?:^|,)from=([^,]+)/.exec(value ?? '')?.[1] : undefined;
          if (from && !/^\d+$/.test(from) && !stageNames.has(from.toLowerCase()))
            pulled(expand(from, lookup), instruction, 'RUN --mount image');
        }
        const script = runScript(instruction, lines, dockerfile.getEscapeCharacter());
        const problems = inspectRun(
          instruction,
          script,
          flags,
          shipped.has(stage),
          vars,
          state,
          add,
          accounts,
        );
        if (problems.length > 0)
          unreadable.push(`line ${instruction.getRange().start.line + 1}: ${problems.join(', ')}`);
      }
    }
  }

  // The user the final image runs as: the last USER along the final chain, else its base image's.
  let lastUser: { instruction: Instruction; user: string } | undefined;
  for (const stage of finalChain) lastUser = users.get(stage) ?? lastUser;
  const base = finalChain[0]!.base;
  const baseUser = lastUser ? undefined : knownNonRootUser(base);
  if (!lastUser && !baseUser) {
    add(
      'non-root-user',
      final.from,
      base.toLowerCase() === 'scratch' || base.includes('$')
        ? 'the final stage never sets USER, so the image runs as root'
        : `the final stage never sets USER, so the image runs as root unless "${base}" sets a non-root user, and it is not one mlgate recognises`,
      `Add USER with a non-root uid to the final stage (RUN useradd --uid 10001 app, then USER 10001). If "${base}" already runs as non-root, say so: USER <its uid>, or "# mlgate-ignore dockerfile/non-root-user: ${base} runs as uid N" above FROM. Recognised: ${nonRootImagesText()}.`,
    );
  } else if (lastUser && isRootUser(lastUser.user)) {
    add(
      'non-root-user',
      lastUser.instruction,
      `the image runs as "${lastUser.user}": the last USER of the final stage is root`,
    );
  } else if (lastUser && rootAccount(lastUser.user, accountsOf.get(final)!)) {
    const account = rootAccount(lastUser.user, accountsOf.get(final)!)!;
    add(
      'non-root-user',
      lastUser.instruction,
      account.uid === '0'
        ? `the image runs as "${lastUser.user}", and line ${account.line} gives that account uid 0: it is root`
        : `cannot tell the user: line ${account.line} gives "${lastUser.user}" uid ${account.uid}, which has no default value`,
    );
  } else if (lastUser && lastUser.user.includes('$')) {
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

  if (unreadable.length > 0) {
    return {
      status: 'error',
      summary: `${shown}: cannot read RUN as shell, so its rules cannot be judged — ${unreadable.join('; ')}`,
    };
  }

  if (params.service_port !== undefined) {
    const exposed = finalChain
      .flatMap((stage) => stage.instructions.filter((i) => i.getKeyword() === 'EXPOSE'))
      .flatMap((i) =>
        (i.getArgumentsContent() ?? '')
          .split(/\s+/)
          .map(
            (w) => expand(w, (name) => envOf.get(final)?.get(name) ?? globalArgs.get(name)).split('/')[0]!,
          ),
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
    const matcher = loadIgnore()().add(readFileSync(dockerignorePath, 'utf8'));
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
    only: params.rules,
    findings: [...findings, ...problems],
    inline: ignores,
    spec: params.ignore,
    levels: params.levels,
    judged: [shown],
    measured: {
      stages: stages.length,
      user: lastUser?.user ?? (baseUser ? `${baseUser.user}, from ${base}` : 'root (never set)'),
    },
  });
}

type Add = (rule: string, instruction: Instruction | undefined, message: string, fix?: string) => void;
type Vars = Map<string, string | undefined>;

/** `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`, `${NAME+word}`; unknown names stay. */
export function expand(value: string, lookup: (name: string) => string | undefined): string {
  return value.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (
      whole,
      braced: string | undefined,
      op: string | undefined,
      word: string | undefined,
      bare: string | undefined,
    ) => {
      const known = lookup((braced ?? bare)!);
      if (op === ':-') return known ? known : word !== undefined ? expand(word, lookup) : whole;
      if (op === '-') return known !== undefined ? known : expand(word ?? '', lookup);
      if (op === ':+') return known ? expand(word ?? '', lookup) : known === '' ? '' : whole;
      if (op === '+') return known !== undefined ? expand(word ?? '', lookup) : whole;
      return known ?? whole;
    },
  );
}

function unquote(value: string): string {
  return value.trim().replace(/^(["'])(.*)\1$/s, '$2');
}

/** ARG NAME[=default]: the default expanded with what is known; without one, the global's. */
function declareArg(instruction: Instruction, vars: Vars, globals: Vars, env: Vars): void {
  const content = (instruction.getArgumentsContent() ?? '').trim();
  for (const part of content.split(/\s+(?=[A-Za-z_][A-Za-z0-9_]*(=|\s|$))/)) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
    // ENV wins over ARG of the same name
    if (env.has(name)) continue;
    if (eq === -1) vars.set(name, globals.get(name));
    else
      vars.set(
        name,
        expand(unquote(part.slice(eq + 1)), (n) => vars.get(n)),
      );
  }
}

/**
 * The shell a RUN hands to /bin/sh, as Docker builds it: continuation lines joined, comment and
 * empty lines inside them dropped (a comment line between `-y \` and `curl` does not split the
 * command), the RUN keyword and its --flags left out. Here-documents are kept as written.
 */
function runScript(instruction: Instruction, lines: readonly string[], escape: string): string {
  const content = instruction.getArgumentsContent() ?? '';
  if (content.includes('\n') && /<<-?\s*["']?[A-Za-z_]/.test(content)) return content;
  const range = instruction.getRange();
  const continued = new RegExp(`${escape.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}\\s*$`);
  const joined = lines
    .slice(range.start.line, range.end.line + 1)
    .filter((line, index) => index === 0 || !/^\s*(#.*)?$/.test(line))
    .map((line) => line.replace(continued, ' '))
    .join(' ');
  let rest = joined.replace(/^\s*RUN\b\s*/i, '');
  for (let flag = /^--\S+\s*/.exec(rest); flag; flag = /^--\S+\s*/.exec(rest))
    rest = rest.slice(flag[0].length);
  return rest;
}

/** An instruction's --flags as [name, value]: continuation lines included. */
function flagsOf(instruction: Instruction): Array<[string, string | undefined]> {
  const withFlags = instruction as unknown as {
    getFlags?(): Array<{ getName(): string; getValue(): string | null }>;
  };
  return (withFlags.getFlags?.() ?? []).map((flag) => [flag.getName(), flag.getValue() ?? undefined]);
}

const APT_OPTIONS_WITH_VALUE = new Set(['-o', '--option', '-c', '--config-file', '-t', '--target-release']);
const PIPX_OPTIONS_WITH_VALUE = new Set([
  '--python',
  '--index-url',
  '-i',
  '--pip-args',
  '--suffix',
  '--spec',
  '--preinstall',
]);
const SHELL_NAMES = /^(sh|bash|dash|ash|zsh|ksh)$/;

function inspectRun(
  instruction: Instruction,
  content: string,
  flags: Array<[string, string | undefined]>,
  shipped: boolean,
  vars: Vars,
  state: { dockerCleanRemoved: boolean },
  add: Add,
  accounts: Accounts,
): string[] {
  let commands: ShellCommand[];
  let problems: string[] = [];
  const script = content.trim();
  if (script.startsWith('[')) {
    // exec form: no shell unless it runs one (["/bin/sh", "-c", "..."])
    const words = jsonOrWords(script);
    const head: ShellCommand = { assignments: [], words };
    const shell = SHELL_NAMES.test(words[0]?.split('/').pop() ?? '') ? words.indexOf('-c') : -1;
    const parsed = shell !== -1 && words[shell + 1] ? parseShell(words[shell + 1]!) : undefined;
    commands = parsed ? parsed.commands : [head];
    problems = parsed?.problems ?? [];
  } else {
    const parsed = parseShell(script);
    commands = parsed.commands;
    problems = parsed.problems;
  }
  trackAccounts(commands, vars, accounts, instruction.getRange().start.line + 1);
  const mounts = flags.filter(([name]) => name === 'mount').map(([, value]) => value ?? '');
  const cacheMount = (target: RegExp) =>
    mounts.some(
      (m) =>
        /(^|,)type=(cache|tmpfs)(,|$)/.test(m) &&
        target.test(/(?:^|,)(?:target|dst|destination)=([^,]+)/.exec(m)?.[1] ?? ''),
    );
  let aptInstall = false;
  let cleaned = false;
  let aptClean = false;
  let exportedNoCache: boolean | undefined;
  const sudo = commands.find((command) => /^sudo$/.test(command.words[0]?.split('/').pop() ?? ''));
  if (sudo)
    add(
      'sudo',
      instruction,
      `sudo ${sudo.words.slice(1).join(' ')}: RUN already runs as the build's USER; sudo in an image is a way back to root`,
    );
  for (const { download, runner } of downloadsRunAsCode(commands)) {
    add(
      'pipe-to-shell',
      instruction,
      `${download.words.join(' ')} runs what it downloads (${program(runner)!.name}): nothing checks what the server sent`,
    );
  }
  for (const command of commands) {
    const cmd = program(command);
    if (!cmd) continue;
    if (cmd.name === 'export') {
      for (const word of cmd.args)
        if (word.startsWith('PIP_NO_CACHE_DIR=')) exportedNoCache = truthy(word.split('=')[1] ?? '');
    }
    if (cmd.name === 'rm' && cmd.args.some((arg) => arg.startsWith('/var/lib/apt/lists'))) cleaned = true;
    if (cmd.name === 'rm' && cmd.args.includes('/etc/apt/apt.conf.d/docker-clean'))
      state.dockerCleanRemoved = true;
    const apt = cmd.name === 'apt-get' || cmd.name === 'apt' || cmd.name === 'aptitude';
    if (apt) {
      const sub = operands(cmd.args, APT_OPTIONS_WITH_VALUE)[0];
      if (sub === 'clean' || sub === 'autoclean') aptClean = true;
      if (sub === 'update' || sub === 'install') aptInstall = true;
      if (sub === 'install') {
        const packages = operands(cmd.args, APT_OPTIONS_WITH_VALUE).slice(1);
        const unpinned = packages.filter(
          (name) =>
            !name.includes('=') && !name.endsWith('.deb') && !name.startsWith('/') && !name.startsWith('./'),
        );
        if (unpinned.length > 0)
          add('apt-pin', instruction, `${cmd.name} install without versions: ${unpinned.join(', ')}`);
        const options = cmd.args.map((arg, i) => (cmd.args[i - 1] === '-o' ? `-o${arg}` : arg));
        const noRecommends =
          options.includes('--no-install-recommends') ||
          options.some((o) => /^(-o|--option=?)APT::Install-Recommends=(false|0|no)$/i.test(o)) ||
          (cmd.name === 'aptitude' && (options.includes('--without-recommends') || options.includes('-R')));
        if (!noRecommends)
          add(
            'apt-no-recommends',
            instruction,
            `${cmd.name} install without ${cmd.name === 'aptitude' ? '--without-recommends' : '--no-install-recommends'}`,
            cmd.name === 'aptitude' ? 'aptitude install -y --without-recommends ...' : undefined,
          );
      }
    }
    const pipx = cmd.name === 'pipx';
    if (pipx || ['pip', 'pip2', 'pip3'].includes(cmd.name) || /^pip\d\.\d+$/.test(cmd.name)) {
      const words = operands(cmd.args, pipx ? PIPX_OPTIONS_WITH_VALUE : PIP_OPTIONS_WITH_VALUE);
      if (words[0] !== 'install' && !(pipx && words[0] === 'inject')) continue;
      const packages = words.slice(pipx && words[0] === 'inject' ? 2 : 1);
      const constrained =
        !pipx && cmd.args.some((arg) => /^(-c|--constraint)(=|$)/.test(arg) || /^-c./.test(arg));
      const unpinned = constrained ? [] : packages.filter((spec) => !pipSpecPinned(spec));
      const redirected = (command.redirects ?? [])
        .filter((r) => r.op === '>' || r.op === '<')
        .map((r) => r.target);
      if (unpinned.length > 0)
        add(
          'pip-pin',
          instruction,
          `${pipx ? 'pipx' : 'pip'} install without exact versions: ${unpinned.join(', ')}${
            redirected.some((t) => /^=?[\d.*]/.test(t))
              ? ' (an unquoted > or < in a requirement is a shell redirection: quote it)'
              : ''
          }`,
          pipx ? `pipx install ${unpinned[0]}==<version> (pipx install "black==24.4.2")` : undefined,
        );
      if (pipx) continue;
      const assigned = command.assignments.find(([name]) => name === 'PIP_NO_CACHE_DIR');
      const fromVars = vars.get('PIP_NO_CACHE_DIR');
      const noCache =
        cmd.args.includes('--no-cache-dir') ||
        (assigned
          ? truthy(assigned[1])
          : (exportedNoCache ?? (fromVars !== undefined && truthy(fromVars)))) ||
        cacheMount(/^\/root\/\.cache\/pip\/?$|^\/root\/\.cache\/?$/);
      if (!noCache)
        add(
          'pip-no-cache',
          instruction,
          'pip install without --no-cache-dir keeps the download cache in the image',
        );
    }
  }
  // Lists in a cache/tmpfs mount never reach the image; once docker-clean is removed, the
  // downloaded .debs in /var/cache/apt stay too unless that is a mount or apt-get clean runs.
  const listsOut = cleaned || cacheMount(/^\/var\/lib\/apt(\/lists)?\/?$/);
  const archivesOut = !state.dockerCleanRemoved || aptClean || cacheMount(/^\/var\/cache\/apt\/?$/);
  if (aptInstall && (!listsOut || !archivesOut) && shipped)
    add(
      'apt-cleanup',
      instruction,
      listsOut
        ? 'downloaded .deb files stay in the image: /etc/apt/apt.conf.d/docker-clean was removed and /var/cache/apt is not a cache mount'
        : 'apt lists are left in the image: remove /var/lib/apt/lists/* in the same RUN',
    );
  return problems;
}

/**
 * Whether a pip argument pins what it installs, as the dependencies kind reads requirements:
 * `name==1.2.3` (no wildcard: `==2.*` is a range); a VCS URL only at a 40-hex commit (a branch
 * or tag can move); a URL with a #sha256= fragment or to a file whose name carries a version
 * (torch-2.4.1-cp311-...whl, lib-1.0.tar.gz); a path in the build context.
 */
export function pipSpecPinned(spec: string): boolean {
  const url =
    /^(?:[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\s*@\s*)?((?:git|hg|svn|bzr)\+\S+|[a-z]+:\/\/\S+)$/i.exec(
      spec.trim(),
    )?.[1];
  if (url) {
    const clean = url.replace(/[;\s].*$/, '');
    if (/^(git|hg|svn|bzr)\+/i.test(clean)) {
      const path = clean.replace(/#.*$/, '').replace(/^[a-z+]+:\/\//i, '');
      const rest = path.slice(path.indexOf('/') + 1);
      const at = rest.lastIndexOf('@');
      return at !== -1 && /^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(rest.slice(at + 1));
    }
    if (/#(sha256|sha384|sha512)=[0-9a-f]{32,}/i.test(clean)) return true;
    let file =
      clean
        .replace(/[#?].*$/, '')
        .split('/')
        .pop() ?? '';
    try {
      file = decodeURIComponent(file);
    } catch {
      // a malformed escape: judged as written
    }
    // wheel: name-version(-build)?-python-abi-platform.whl; sdist: name-version.tar.gz
    if (/^[A-Za-z0-9_.]+-\d[^-]*(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$/.test(file)) return true;
    if (/^[A-Za-z0-9_.-]+-\d[\w.+!]*\.(tar\.gz|zip|tar\.bz2)$/.test(file)) return true;
    // GitHub/GitLab archive of a commit
    return /\/archive\/(?:[^/]*\/)*[0-9a-f]{40}\.(tar\.gz|zip)$/i.test(clean.replace(/[#?].*$/, ''));
  }
  if (
    spec === '.' ||
    spec === '..' ||
    spec.startsWith('./') ||
    spec.startsWith('../') ||
    spec.startsWith('/')
  )
    return true;
  if (/\.(whl|tar\.gz|zip)$/.test(spec)) return true; // a file in the build context
  if (/^[^=<>~!@\s]*\//.test(spec)) return true; // a local directory
  return /^[^=<>~!]*===?\s*[^\s,;<>=!~*]+\s*(;.*)?$/.test(spec.replace(/\[[^\]]*\]/, ''));
}

/** Arguments that are not options nor the values of options that take one. */
function operands(args: string[], withValue: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.push(...args.slice(i + 1));
      break;
    }
    if (withValue.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    out.push(arg);
  }
  return out;
}

/** Account name → the uid RUN gave it (as written, variables expanded) and the line that did. */
type Accounts = Map<string, { uid: string; line: number }>;

/** The account `USER name[:group]` names, when RUN gave it uid 0 or a uid that cannot be told. */
function rootAccount(user: string, accounts: Accounts): { uid: string; line: number } | undefined {
  const name = unquote(user).split(':')[0]!.trim();
  const account = accounts.get(name);
  if (!account) return undefined;
  if (/^\d+$/.test(account.uid)) return Number(account.uid) === 0 ? { ...account, uid: '0' } : undefined;
  return account;
}

/** Short options that take a value, per account tool (useradd, usermod, BusyBox adduser). */
const ACCOUNT_SHORT_VALUES: Record<string, string> = {
  useradd: 'bcdefgGKkpsuRPZ',
  usermod: 'cdefgGlpsuRPZ',
  adduser: 'hgsGuk',
};
const ACCOUNT_LONG_VALUES = new Set([
  'base-dir',
  'comment',
  'home-dir',
  'home',
  'expiredate',
  'inactive',
  'gid',
  'groups',
  'key',
  'skel',
  'password',
  'shell',
  'uid',
  'root',
  'prefix',
  'selinux-user',
  'selinux-range',
  'gecos',
  'ingroup',
  'conf',
  'firstuid',
  'lastuid',
  'firstgid',
  'lastgid',
  'login',
  'add-subuids',
  'del-subuids',
  'add-subgids',
  'del-subgids',
]);
/** name:password:uid: — an /etc/passwd entry (also the replacement of a sed s/// on it). */
const PASSWD_ENTRY = /(?:^|[\s/'"^|>])([A-Za-z_][A-Za-z0-9_.-]*\$?):[^:\s/]*:([0-9]+|\$\{?[A-Za-z_]\w*\}?):/g;

/**
 * Records the uids RUN gives accounts: `useradd -o -u 0 app`, `adduser --uid 0 app`,
 * `usermod -u 0 app` (`-l new` renames), and /etc/passwd lines written by echo/printf/tee/cat
 * or edited by sed.
 */
function trackAccounts(commands: readonly ShellCommand[], vars: Vars, accounts: Accounts, line: number) {
  const lookup = (name: string) => vars.get(name);
  commands.forEach((command, index) => {
    const cmd = program(command);
    if (!cmd) return;
    const shortValues = ACCOUNT_SHORT_VALUES[cmd.name];
    if (shortValues !== undefined) {
      const options = new Map<string, string>();
      const positional: string[] = [];
      for (let i = 0; i < cmd.args.length; i++) {
        const arg = cmd.args[i]!;
        if (arg.startsWith('--')) {
          const [name, value] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
          if (value !== undefined) options.set(name, value);
          else if (ACCOUNT_LONG_VALUES.has(name)) options.set(name, cmd.args[++i] ?? '');
        } else if (arg.startsWith('-') && arg.length > 1) {
          // Bundled short options: -ou 0, -ou0.
          for (let j = 1; j < arg.length; j++) {
            const flag = arg[j]!;
            if (!shortValues.includes(flag)) continue;
            options.set(flag, j + 1 < arg.length ? arg.slice(j + 1) : (cmd.args[++i] ?? ''));
            break;
          }
        } else positional.push(arg);
      }
      const name = positional[0];
      if (!name) return;
      const uid = options.get('u') ?? options.get('uid');
      const renamed = cmd.name === 'usermod' ? (options.get('l') ?? options.get('login')) : undefined;
      const before = accounts.get(name);
      const after = uid !== undefined ? { uid: expand(uid, lookup).trim(), line } : before;
      if (renamed) accounts.delete(name);
      if (after) accounts.set(renamed ?? name, after);
      return;
    }
    // Writes to /etc/passwd: a redirection, tee, or sed -i on it.
    const writes =
      (command.redirects ?? []).some((r) => /^>>?$/.test(r.op) && r.target === '/etc/passwd') ||
      ((cmd.name === 'tee' || cmd.name === 'sed' || cmd.name === 'perl') && cmd.args.includes('/etc/passwd'));
    if (!writes) return;
    const texts = [...command.words, command.heredoc ?? ''];
    // `echo ... | tee -a /etc/passwd`: what is written comes from the commands before the pipe.
    for (let i = index; i > 0 && commands[i]!.joinedBy === '|'; i--) texts.push(...commands[i - 1]!.words);
    for (const text of texts)
      for (const match of text.replace(/\\n/g, '\n').matchAll(PASSWD_ENTRY))
        accounts.set(match[1]!, { uid: expand(match[2]!, lookup), line });
  });
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
