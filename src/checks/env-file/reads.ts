/**
 * Where code and configuration read environment variables, by file type: Python, JavaScript
 * and TypeScript, shell, Dockerfiles and YAML/TOML/INI. Pattern-based on purpose (the kind reads
 * every file of a project, fast), with the scoping that keeps it honest: a shell script's own
 * variables (`for i in …`, `name=…`, `read -r line`) and a Dockerfile's build ARGs and ENVs are
 * not the service's environment, and Compose's `$$VAR` is a literal `$VAR`, not a variable.
 */

export interface Read {
  variable: string;
  /** Offset in the text as read (a notebook's unescaped). */
  index: number;
  /** 1-based line. */
  line: number;
}

type FileType = 'python' | 'javascript' | 'shell' | 'dockerfile' | 'compose' | 'config';

const NAME = '[A-Za-z_][A-Za-z0-9_]*';

export function fileType(path: string): FileType | undefined {
  const name = path.split('/').pop()!;
  // mlgate's own spec: its ${...} are mlgate's substitutions, not the service's environment.
  if (/^mlgate\.ya?ml$/.test(name)) return undefined;
  if (/\.(py|pyi|ipynb)$/.test(name)) return 'python';
  if (/\.(js|mjs|cjs|ts|mts|cts|jsx|tsx)$/.test(name)) return 'javascript';
  if (/\.(sh|bash)$/.test(name) || /^\.?(bashrc|profile)$/.test(name)) return 'shell';
  if (/^(Dockerfile|Containerfile)([._-].*)?$/i.test(name) || /\.(dockerfile|containerfile)$/i.test(name))
    return 'dockerfile';
  if (/^(docker-)?compose([.-][^/]*)?\.ya?ml$/.test(name)) return 'compose';
  if (/\.(ya?ml|toml|ini|cfg|conf)$/i.test(name)) return 'config';
  return undefined;
}

/** `${VAR}`, `${VAR:-default}`, `${VAR:?message}`, … — but not Compose's escaped `$${VAR}`. */
const BRACED = new RegExp(`(?<!\\$)\\$\\{(${NAME})(?::?[-?=+][^}]*)?\\}`, 'g');
/** `$VAR` without braces (not `$$VAR`, not `$(cmd)`, not `$1`). */
const BARE = new RegExp(`(?<!\\$)\\$(${NAME})`, 'g');

const PYTHON_OS = [
  // os.environ["X"], os.environ.get("X"), os.environ.setdefault("X", …), os.environ.pop("X")
  new RegExp(`\\bos\\.environ(?:\\.(?:get|setdefault|pop))?\\s*[[(]\\s*["'](${NAME})["']`, 'g'),
  new RegExp(`\\bos\\.getenv\\s*\\(\\s*["'](${NAME})["']`, 'g'),
];

const JAVASCRIPT = [
  new RegExp(`process\\.env\\.(${NAME})`, 'g'),
  new RegExp(`process\\.env\\s*\\[\\s*["'\`](${NAME})["'\`]\\s*\\]`, 'g'),
  new RegExp(`import\\.meta\\.env\\.(${NAME})`, 'g'),
];

/** Build arguments every Dockerfile has without declaring them. */
const DOCKER_PREDEFINED_ARGS = new Set([
  'TARGETPLATFORM',
  'TARGETOS',
  'TARGETARCH',
  'TARGETVARIANT',
  'BUILDPLATFORM',
  'BUILDOS',
  'BUILDARCH',
  'BUILDVARIANT',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'FTP_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'ftp_proxy',
  'no_proxy',
  'all_proxy',
]);

/** Variables the shell itself sets; never the service's configuration. */
const SHELL_SPECIAL = new Set([
  'BASH',
  'BASHPID',
  'BASH_LINENO',
  'BASH_REMATCH',
  'BASH_SOURCE',
  'BASH_VERSION',
  'COLUMNS',
  'DIRSTACK',
  'EPOCHREALTIME',
  'EPOCHSECONDS',
  'EUID',
  'FUNCNAME',
  'GROUPS',
  'HOSTTYPE',
  'IFS',
  'LINENO',
  'LINES',
  'MACHTYPE',
  'OLDPWD',
  'OPTARG',
  'OPTIND',
  'OSTYPE',
  'PIPESTATUS',
  'PPID',
  'PS1',
  'PS4',
  'RANDOM',
  'REPLY',
  'SECONDS',
  'SHLVL',
  'SRANDOM',
]);

/** Every place the text reads an environment variable. */
export function findReads(path: string, raw: string): Read[] {
  const type = fileType(path);
  if (!type) return [];
  // A notebook is JSON: its code's quotes are escaped (`os.environ[\"X\"]`). Unescaping keeps
  // every line where it was.
  let text = /\.ipynb$/.test(path) ? raw.replace(/\\(["'])/g, '$1') : raw;
  const out: Read[] = [];
  let lineStarts: number[] | undefined;
  const lineOf = (offset: number) => {
    lineStarts ??= [0, ...[...text.matchAll(/\n/g)].map((m) => m.index! + 1)];
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  };
  const collect = (pattern: RegExp) => {
    pattern.lastIndex = 0;
    for (const match of text.matchAll(pattern))
      out.push({ variable: match[1]!, index: match.index!, line: lineOf(match.index!) });
  };
  switch (type) {
    case 'python':
      PYTHON_OS.forEach(collect);
      pythonImported(text).forEach(collect);
      for (const field of pythonSettings(text)) out.push({ ...field, line: lineOf(field.index) });
      break;
    case 'javascript':
      JAVASCRIPT.forEach(collect);
      javascriptAliases(text).forEach(collect);
      break;
    case 'shell': {
      text = maskShell(text);
      collect(BRACED);
      collect(BARE);
      const locals = shellAssignments(text);
      return out.filter((read) => !SHELL_SPECIAL.has(read.variable) && !isLocal(locals, read));
    }
    case 'dockerfile': {
      text = maskShell(text);
      collect(BRACED);
      collect(BARE);
      // Substitution in a Dockerfile happens at build time, from ARG and ENV (and RUN's own
      // shell variables); none of it is the running service's environment.
      const declared = dockerfileDeclared(text);
      const locals = shellAssignments(text);
      return out.filter(
        (read) =>
          !declared.has(read.variable) &&
          !DOCKER_PREDEFINED_ARGS.has(read.variable) &&
          !SHELL_SPECIAL.has(read.variable) &&
          !isLocal(locals, read),
      );
    }
    case 'compose':
      collect(BRACED);
      collect(BARE);
      return out.filter((read) => !isLocal(forLoopVariables(text), read));
    case 'config':
      collect(BRACED);
      // A shell loop in a YAML `command:`/`run:` block names its own variable.
      return out.filter((read) => !isLocal(forLoopVariables(text), read));
  }
  return out;
}

/**
 * Python reads through names imported or aliased: `from os import environ, getenv`,
 * `environ = os.environ`, `env = os.environ`. A bare `environ[...]` without such an import is
 * someone else's (a WSGI request's `environ["HTTP_HOST"]`).
 */
function pythonImported(text: string): RegExp[] {
  const patterns: RegExp[] = [];
  const access = (alias: string) =>
    new RegExp(`(?<![\\w.])${alias}(?:\\.(?:get|setdefault|pop))?\\s*[[(]\\s*["'](${NAME})["']`, 'g');
  for (const match of text.matchAll(/^\s*from\s+os\s+import\s+\(?([^)\n]+)\)?/gm)) {
    for (const item of match[1]!.split(',')) {
      const [name, alias] = item.trim().split(/\s+as\s+/);
      const local = (alias ?? name)!.trim();
      if (!/^\w+$/.test(local)) continue;
      if (name!.trim() === 'environ') patterns.push(access(local));
      if (name!.trim() === 'getenv')
        patterns.push(new RegExp(`(?<![\\w.])${local}\\s*\\(\\s*["'](${NAME})["']`, 'g'));
    }
  }
  for (const match of text.matchAll(/^\s*([A-Za-z_]\w*)\s*(?::\s*[^=\n]+)?=\s*os\.environ\s*$/gm))
    patterns.push(access(match[1]!));
  // `import os as o`: o.environ[...], o.getenv(...).
  for (const local of osAliases(text)) {
    patterns.push(access(`${local}\\.environ`));
    patterns.push(new RegExp(`(?<![\\w.])${local}\\.getenv\\s*\\(\\s*["'](${NAME})["']`, 'g'));
  }
  return patterns;
}

/** Local names of the os module other than `os`: `import os as o`, `import sys, os as o`. */
function osAliases(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(/^\s*import\s+([^\n#]+)/gm))
    for (const item of match[1]!.split(/[,;]/)) {
      const alias = /^\s*os\s+as\s+([A-Za-z_]\w*)\s*$/.exec(item)?.[1];
      if (alias && alias !== 'os') out.push(alias);
    }
  return out;
}

/**
 * Fields of pydantic settings classes (`class S(BaseSettings)`, and classes deriving from one
 * in the same file): each field is read from the environment as its name upper-cased with the
 * class's `env_prefix` (pydantic matches case-insensitively unless `case_sensitive=True`), or
 * as its `alias` / `validation_alias` / `env=` name when it has one.
 */
function pythonSettings(text: string): Array<{ variable: string; index: number }> {
  if (!/BaseSettings/.test(text)) return [];
  const lines = text.split('\n');
  const offsets: number[] = [];
  let at = 0;
  for (const line of lines) {
    offsets.push(at);
    at += line.length + 1;
  }
  interface Klass {
    name: string;
    bases: string[];
    start: number;
    end: number;
    indent: number;
  }
  const classes: Klass[] = [];
  lines.forEach((line, index) => {
    const match = /^(\s*)class\s+([A-Za-z_]\w*)\s*\(([^)]*)\)\s*:/.exec(line);
    if (!match) return;
    const indent = match[1]!.length;
    let end = index + 1;
    while (end < lines.length) {
      const next = lines[end]!;
      if (next.trim() !== '' && !next.trim().startsWith('#') && /^\s*/.exec(next)![0].length <= indent) break;
      end++;
    }
    const bases = match[3]!
      .split(',')
      .map((base) => base.trim().split('.').pop()!)
      .filter((base) => base && !base.includes('='));
    classes.push({ name: match[2]!, bases, start: index, end, indent });
  });
  const settings = new Set<string>(['BaseSettings']);
  for (let changed = true; changed;) {
    changed = false;
    for (const klass of classes)
      if (!settings.has(klass.name) && klass.bases.some((base) => settings.has(base))) {
        settings.add(klass.name);
        changed = true;
      }
  }
  const prefixes = new Map<string, { prefix: string; sensitive: boolean }>();
  const configOf = (klass: Klass): { prefix: string; sensitive: boolean } => {
    const known = prefixes.get(klass.name);
    if (known) return known;
    const body = lines.slice(klass.start + 1, klass.end).join('\n');
    const prefix = /\benv_prefix\s*=\s*[rbuf]?["']([^"']*)["']/.exec(body)?.[1];
    const sensitive = /\bcase_sensitive\s*=\s*True\b/.exec(body) !== null;
    // Not set here: inherited from a settings base in this file.
    const parent = classes.find((other) => klass.bases.includes(other.name) && settings.has(other.name));
    const inherited = parent && parent !== klass ? configOf(parent) : { prefix: '', sensitive: false };
    const config = {
      prefix: prefix ?? inherited.prefix,
      sensitive: sensitive || inherited.sensitive,
    };
    prefixes.set(klass.name, config);
    return config;
  };
  const out: Array<{ variable: string; index: number }> = [];
  for (const klass of classes) {
    if (!settings.has(klass.name)) continue;
    const { prefix, sensitive } = configOf(klass);
    let bodyIndent: number | undefined;
    for (let index = klass.start + 1; index < klass.end; index++) {
      const line = lines[index]!;
      if (line.trim() === '' || line.trim().startsWith('#')) continue;
      const indent = /^\s*/.exec(line)![0].length;
      bodyIndent ??= indent;
      // Only the class's own fields, not nested classes' or methods' lines.
      if (indent !== bodyIndent) continue;
      const field = /^\s*([A-Za-z_]\w*)\s*:\s*([^=]+?)\s*(?:=\s*(.*))?$/.exec(line);
      if (!field) continue;
      const [, name, type, value] = field;
      if (name!.startsWith('_') || name === 'model_config' || /\bClassVar\b/.test(type!)) continue;
      const alias = /\b(?:validation_alias|alias|env)\s*=\s*[rbu]?["']([A-Za-z_][A-Za-z0-9_]*)["']/.exec(
        value ?? '',
      )?.[1];
      const variable = alias ?? `${prefix}${name}`;
      out.push({
        variable: sensitive || alias ? variable : variable.toUpperCase(),
        index: offsets[index]! + line.indexOf(name!),
      });
    }
  }
  return out;
}

/**
 * Reads through an alias: `const env = process.env; env.PORT`, `const { PORT } = process.env`.
 * Destructured names are found at the destructuring.
 */
function javascriptAliases(text: string): RegExp[] {
  const patterns: RegExp[] = [];
  for (const match of text.matchAll(
    /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*process\.env\b(?!\s*[.[])/g,
  )) {
    const alias = match[1]!.replace(/\$/g, '\\$');
    patterns.push(new RegExp(`(?<![\\w$.])${alias}\\.(${NAME})`, 'g'));
    patterns.push(new RegExp(`(?<![\\w$.])${alias}\\s*\\[\\s*["'\`](${NAME})["'\`]\\s*\\]`, 'g'));
  }
  // `const { env } = process`, `const { env: e } = process`: env is process.env.
  for (const match of text.matchAll(/\b(?:const|let|var)\s*\{([^}]*)\}\s*=\s*process\b(?!\s*[.[])/g)) {
    const entry = /(?:^|,)\s*env\s*(?::\s*([A-Za-z_$][\w$]*))?\s*(?:,|$)/.exec(match[1]!);
    if (!entry) continue;
    const alias = (entry[1] ?? 'env').replace(/\$/g, '\\$');
    patterns.push(new RegExp(`(?<![\\w$.])${alias}\\.(${NAME})`, 'g'));
    patterns.push(new RegExp(`(?<![\\w$.])${alias}\\s*\\[\\s*["'\`](${NAME})["'\`]\\s*\\]`, 'g'));
  }
  if (/\b(?:const|let|var)\s*\{[^}]*\}\s*=\s*process\.env\b/.test(text)) {
    patterns.push(
      /(?<=\b(?:const|let|var)\s*\{(?:[^}]*,)?\s*)([A-Za-z_][A-Za-z0-9_]*)(?=\s*[,}:=])(?=[^}]*\}\s*=\s*process\.env\b)/g,
    );
  }
  return patterns;
}

/** Where a script sets a variable itself: name → the offsets from which it is the script's. */
type Assignments = Map<string, number[]>;

function isLocal(assignments: Assignments, read: Read): boolean {
  return (assignments.get(read.variable) ?? []).some((from) => from <= read.index);
}

function addAssignment(out: Assignments, name: string, from: number): void {
  const list = out.get(name) ?? [];
  list.push(from);
  out.set(name, list);
}

/**
 * A shell script's own variables: `for NAME in`, `NAME=value`, `local|declare|readonly|export
 * NAME=…`, `read [-r] NAME…`, `getopts … NAME`. Each is the script's from the end of the
 * value that sets it, so `PORT=${PORT:-8080}` still reads PORT from the environment first.
 * Reads before the first assignment are environment reads.
 */
function shellAssignments(text: string): Assignments {
  const out: Assignments = new Map();
  // An assignment takes effect after its value: `PORT=${PORT:-8080}` reads PORT first.
  const VALUE = /(?:"(?:[^"\\]|\\.)*"|'[^']*'|\$\{[^}]*\}|\$\([^)]*\)|\\.|[^\s;&|)])*/y;
  const endOfValue = (from: number) => {
    VALUE.lastIndex = from;
    VALUE.exec(text);
    return VALUE.lastIndex;
  };
  const start = `(?<=^|[\\s;&|({])`;
  for (const match of text.matchAll(new RegExp(`${start}for\\s+(${NAME})\\s+in\\b`, 'gm')))
    addAssignment(out, match[1]!, match.index!);
  for (const match of text.matchAll(
    new RegExp(
      `${start}(?:(?:local|declare|typeset|readonly|export)(?:\\s+-\\w+)*\\s+)?(${NAME})(?:\\[[^\\]]*\\])?\\+?=`,
      'gm',
    ),
  ))
    addAssignment(out, match[1]!, endOfValue(match.index! + match[0].length));
  for (const match of text.matchAll(
    new RegExp(`${start}(?:local|declare|typeset)(?:\\s+-\\w+)*((?:\\s+${NAME})+)\\s*$`, 'gm'),
  ))
    for (const name of match[1]!.trim().split(/\s+/)) addAssignment(out, name, match.index!);
  for (const match of text.matchAll(
    new RegExp(`${start}read(?:\\s+-(?:[rse]+|[a-zA-Z]*[pdunNta]\\s*[^\\s;]+))*((?:\\s+${NAME})+)`, 'gm'),
  ))
    for (const name of match[1]!.trim().split(/\s+/)) addAssignment(out, name, match.index!);
  for (const match of text.matchAll(new RegExp(`${start}getopts\\s+\\S+\\s+(${NAME})`, 'gm')))
    addAssignment(out, match[1]!, match.index!);
  return out;
}

function forLoopVariables(text: string): Assignments {
  const out: Assignments = new Map();
  for (const match of text.matchAll(new RegExp(`(?<=^|[\\s;&|('"])for\\s+(${NAME})\\s+in\\b`, 'gm')))
    addAssignment(out, match[1]!, match.index!);
  return out;
}

/**
 * Names a Dockerfile declares with ARG or ENV (both forms: `ENV A=1 B=2` and `ENV A 1`), and
 * build secrets mounted as variables.
 */
function dockerfileDeclared(text: string): Set<string> {
  const out = new Set<string>();
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const match of joined.matchAll(/^\s*ARG\s+(.+)$/gim))
    for (const part of match[1]!.trim().split(/\s+/)) {
      const name = /^([A-Za-z_][A-Za-z0-9_]*)/.exec(part)?.[1];
      if (name) out.add(name);
    }
  // A build secret exposed as a variable: RUN --mount=type=secret,id=x,env=NAME.
  for (const match of joined.matchAll(/--mount=\S*\benv=([A-Za-z_][A-Za-z0-9_]*)/g)) out.add(match[1]!);
  for (const match of joined.matchAll(/^\s*ENV\s+(.+)$/gim)) {
    const body = match[1]!.trim();
    if (/^[A-Za-z_][A-Za-z0-9_]*\s+[^=\s]/.test(body) && !/^\S+=/.test(body)) {
      out.add(body.split(/\s+/)[0]!);
      continue;
    }
    for (const pair of body.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)) out.add(pair[1]!);
  }
  return out;
}

/**
 * The shell text with what the shell never expands blanked out (same length, newlines kept):
 * comments, single-quoted strings (`awk '{print $NF}'`), and quoted heredocs (`<<'EOF'`).
 */
export function maskShell(text: string): string {
  const out = text.split('');
  const blank = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (out[i] !== '\n') out[i] = ' ';
  };
  let double = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '"') double = !double;
    else if (double) continue;
    else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      const stop = end === -1 ? text.length : end + 1;
      blank(i, stop);
      i = stop - 1;
    } else if (c === '#' && (i === 0 || /[\s;&|(]/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      blank(i, stop);
      i = stop - 1;
    } else if (c === '<' && text.startsWith('<<', i)) {
      const heredoc = /^<<-?\s*(['"])([A-Za-z_][\w-]*)\1/.exec(text.slice(i, i + 80));
      if (!heredoc) continue;
      const bodyStart = text.indexOf('\n', i);
      if (bodyStart === -1) continue;
      const close = new RegExp(`^\\s*${heredoc[2]}\\s*$`, 'm');
      close.lastIndex = 0;
      const rest = text.slice(bodyStart + 1);
      const found = close.exec(rest);
      const stop = found ? bodyStart + 1 + found.index : text.length;
      blank(bodyStart + 1, stop);
      i = stop - 1;
    }
  }
  return out.join('');
}

export interface DynamicRead {
  line: number;
  /** The code, trimmed and cut short. */
  excerpt: string;
}

/**
 * Reads whose variable name is not written in the code: `os.environ[key]`, `os.getenv(f"…")`,
 * `getattr(os, "environ")`, `dict(os.environ)`, `{**os.environ}`, `process.env[name]`,
 * `{...process.env}`. They cannot be checked against the example file, so they are listed
 * (never counted as documented or undocumented).
 */
/** After `[` or `(`: anything but a plain string literal name (`"X"`), or nothing at all. */
const NOT_LITERAL = `(?!\\s*(?:["'][A-Za-z_][A-Za-z0-9_]*["']\\s*[,)\\]]|[)\\]]))`;

export function findDynamicReads(path: string, raw: string): DynamicRead[] {
  const type = fileType(path);
  if (type !== 'python' && type !== 'javascript') return [];
  const text = /\.ipynb$/.test(path) ? raw.replace(/\\(["'])/g, '$1') : raw;
  const patterns: RegExp[] = [];
  if (type === 'python') {
    const modules = ['os', ...osAliases(text)].join('|');
    const environ = `(?<![\\w.])(?:${modules})\\.environ`;
    patterns.push(
      // os.environ[k], os.environ.get(name), os.getenv(f"API_{x}"): a key that is not a plain string.
      new RegExp(`${environ}(?:\\.(?:get|setdefault|pop))?\\s*[[(]${NOT_LITERAL}`, 'g'),
      new RegExp(`(?<![\\w.])(?:${modules})\\.getenv\\s*\\(${NOT_LITERAL}`, 'g'),
      // The whole environment at once: copied, iterated, spread, or reached through getattr.
      new RegExp(
        `(?:dict\\s*\\(\\s*|\\*\\*\\s*)${environ}\\b|${environ}\\.(?:copy|items|keys|values)\\s*\\(`,
        'g',
      ),
      new RegExp(`getattr\\s*\\(\\s*(?:${modules})\\s*,\\s*["'](?:environ|getenv)["']`, 'g'),
    );
  } else {
    patterns.push(
      /process\.env\s*\[(?!\s*["'`][A-Za-z_][A-Za-z0-9_]*["'`]\s*\])/g,
      /\.\.\.\s*process\.env\b(?!\s*[.[])/g,
      /Object\.(?:entries|keys|values|assign)\s*\(\s*(?:\{\}\s*,\s*)?process\.env\s*[,)]/g,
    );
  }
  const out: DynamicRead[] = [];
  const lines = text.split('\n');
  let starts: number[] | undefined;
  for (const pattern of patterns)
    for (const match of text.matchAll(pattern)) {
      starts ??= [0, ...[...text.matchAll(/\n/g)].map((m) => m.index! + 1)];
      let line = 0;
      while (line + 1 < starts.length && starts[line + 1]! <= match.index!) line++;
      if (out.some((entry) => entry.line === line + 1)) continue;
      const code = lines[line]!.trim();
      out.push({ line: line + 1, excerpt: code.length > 80 ? `${code.slice(0, 77)}…` : code });
    }
  return out.sort((a, b) => a.line - b.line);
}
