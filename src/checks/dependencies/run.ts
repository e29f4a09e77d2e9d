/**
 * What the dependencies check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import { lazyRequire } from '../../util/lazy.js';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import { type Finding, parseInlineIgnores, ruleOutcome } from '../../rules/findings.js';
import { parse as parseYaml } from 'yaml';
import { walkFiles } from '../../util/walk.js';
import { inWorkspace, type NpmLock, npmLockDrift, workspaceGlobs } from './npm.js';
import {
  exactPinName,
  isDevRequirements,
  readRequirementsTree,
  REQUIREMENTS_FILE,
  unpinnedReason,
} from './requirements.js';
import { type DependenciesParams, RULES } from './check.js';

/** Loaded when a TOML file is read, not when the kind is imported (startup). */
const smolToml = lazyRequire<typeof import('smol-toml')>('smol-toml');

/** PEP 503 name normalisation: "Torch_Vision" and "torch-vision" are one package. */
const normalise = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

/** The package a requirement line installs: "torch>=2", "peft @ git+…", "git+…#egg=peft". */
function packageName(line: string): string | undefined {
  const egg = /[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line)?.[1];
  if (egg) return egg;
  if (/^(?:[a-z]+\+)?[a-z]+:\/\//i.test(line) || /^[./]/.test(line)) return undefined;
  return requirementName(line);
}

const MANIFEST = /(^|\/)(pyproject\.toml|Pipfile|package\.json)$/;

/** Dependency files mlgate does not read: listed as not judged, never silently passed over. */
const UNSUPPORTED = /(^|\/)(setup\.py|setup\.cfg|environment\.ya?ml|conda\.ya?ml)$/;

const NPM_LOCKS = ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml'];

type FileStatus =
  | 'judged'
  | 'unparseable'
  | 'not judged: development only'
  | 'not read: format not supported'
  | 'not read: too large'
  | 'not read: binary'
  | 'not read: unreadable';

function requirementName(spec: string): string | undefined {
  return /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(spec)?.[1];
}

export async function run(ctx: CheckContext, params: DependenciesParams): Promise<CheckOutcome> {
  const root = ctx.resolve(params.path);
  const prefix = params.path === '.' ? '' : `${ctx.display(root)}/`;
  const all = walkFiles(root, { gitignore: true }).filter(
    (file) => !/(^|\/)(node_modules|fixtures|testdata)\//.test(file),
  );
  const candidates =
    params.files ??
    all.filter((file) => REQUIREMENTS_FILE.test(file) || MANIFEST.test(file) || UNSUPPORTED.test(file));
  if (params.files) {
    const missing = candidates.filter((file) => !existsSync(`${root}/${file}`));
    if (missing.length > 0) return { status: 'error', summary: `${missing.join(', ')} not found` };
    const unknown = candidates.filter((file) => !REQUIREMENTS_FILE.test(file) && !MANIFEST.test(file));
    if (unknown.length > 0)
      return {
        status: 'error',
        summary: `${unknown.join(', ')}: not a dependency file mlgate reads (pip requirements files, pyproject.toml, Pipfile, package.json)`,
      };
  }
  if (candidates.length === 0) {
    return ruleOutcome({
      ruleset: RULES,
      only: params.rules,
      findings: [],
      inline: [],
      spec: params.ignore,
      levels: params.levels,
      judged: [],
      nothing: `no dependency files under ${ctx.display(root)}`,
    });
  }
  const findings: Finding[] = [];
  const inline: ReturnType<typeof parseInlineIgnores>['ignores'] = [];
  const rows: Array<Array<string | number>> = [];
  const statuses = new Map<string, FileStatus>();
  let dependencies = 0;
  /** "file:line" of requirement lines already judged (a file can be included twice). */
  const judgedLines = new Set<string>();
  const texts = new Map<string, ReturnType<typeof readText>>();
  const read = (file: string) => {
    let text = texts.get(file);
    if (text === undefined) {
      text = readText(`${root}/${file}`, params.max_file_size);
      texts.set(file, text);
    }
    return text;
  };
  const lineOf = (text: string, needle: RegExp | string) => {
    const lines = text.split(/\r?\n/);
    const index = lines.findIndex((line) =>
      typeof needle === 'string' ? line.includes(needle) : needle.test(line),
    );
    return index === -1 ? undefined : index + 1;
  };
  const add = (rule: string, file: string, message: string, line?: number) =>
    findings.push({
      rule: `dependencies/${rule}`,
      message,
      path: `${prefix}${file}`,
      ...(line ? { line } : {}),
    });
  const sibling = (file: string, name: string) =>
    file.includes('/') ? `${file.slice(0, file.lastIndexOf('/'))}/${name}` : name;
  const row = (file: string, kind: string, count: number | string, lock: string, status: FileStatus) => {
    statuses.set(file, status);
    const entry = [`${prefix}${file}`, kind, count, lock, status];
    // A development file that a runtime file includes is judged after all: one row.
    const at = rows.findIndex((existing) => existing[0] === entry[0]);
    if (at === -1) rows.push(entry);
    else rows[at] = entry;
  };

  for (const file of candidates) {
    const name = file.split('/').pop()!;
    if (!params.files && UNSUPPORTED.test(file)) {
      row(file, name, '—', '—', 'not read: format not supported');
      continue;
    }
    const isRequirements = REQUIREMENTS_FILE.test(file);
    if (isRequirements && !params.files && isDevRequirements(file)) {
      // Already judged: a runtime file includes it, so it is installed at run time.
      if (statuses.has(file)) continue;
      row(file, 'pip requirements', '—', '—', 'not judged: development only');
      continue;
    }
    const text = read(file);
    if (typeof text !== 'string') {
      row(file, isRequirements ? 'pip requirements' : name, '—', '—', `not read: ${text}`);
      continue;
    }
    inline.push(...parseInlineIgnores(`${prefix}${file}`, text.split(/\r?\n/), 'dependencies').ignores);
    if (isRequirements) {
      // The file with what it includes (-r) and the constraints it applies (-c).
      const tree = readRequirementsTree(file, (path) =>
        path === file ? text : existsSync(`${root}/${path}`) ? read(path) : 'missing',
      );
      // A version pinned exactly by a constraints file pins the requirement that installs it.
      const constrained = new Set(
        tree.lines.filter((entry) => entry.constraint).flatMap((entry) => exactPinName(entry.text) ?? []),
      );
      const counts = new Map<string, number>();
      for (const entry of tree.lines) {
        if (entry.constraint) {
          counts.set(entry.file, (counts.get(entry.file) ?? 0) + 1);
          continue;
        }
        counts.set(entry.file, (counts.get(entry.file) ?? 0) + 1);
        // A file included by several judged files is counted and judged once.
        const key = `${entry.file}:${entry.line}`;
        if (judgedLines.has(key)) continue;
        judgedLines.add(key);
        dependencies++;
        const reason = unpinnedReason(entry.text);
        const dep = requirementName(entry.text);
        if (reason && !(dep && constrained.has(normalise(dep)) && reason === 'not pinned with =='))
          add(
            'unpinned',
            entry.file,
            `${entry.text.split(/\s+--hash/)[0]}: ${reason}${entry.file === file ? '' : ` (included by ${prefix}${file})`}`,
            entry.line,
          );
      }
      for (const problem of tree.problems) {
        const key = `${problem.file}:${problem.line}`;
        if (judgedLines.has(key)) continue;
        judgedLines.add(key);
        add(problem.rule, problem.file, problem.message, problem.line);
      }
      // pip-compile: requirements.in beside requirements.txt lists what the compiled file
      // must contain; a name missing from it means the .txt is stale.
      const source = file.replace(/\.txt$/, '.in');
      let compiledFrom = '—';
      if (source !== file && existsSync(`${root}/${source}`)) {
        compiledFrom = `compiled from ${prefix}${source}`;
        const installed = new Set(
          tree.lines
            .filter((entry) => !entry.constraint)
            .flatMap((entry) => packageName(entry.text) ?? [])
            .map(normalise),
        );
        const wanted = readRequirementsTree(source, (path) =>
          existsSync(`${root}/${path}`) ? read(path) : 'missing',
        );
        for (const entry of wanted.lines) {
          const dep = packageName(entry.text);
          if (entry.constraint || !dep || installed.has(normalise(dep))) continue;
          add(
            'lock-drift',
            file,
            `${dep} is in ${prefix}${entry.file} (line ${entry.line}) but not in ${prefix}${file}: the compiled file is stale; run pip-compile ${source.split('/').pop()}`,
          );
        }
      }
      row(file, 'pip requirements', counts.get(file) ?? 0, compiledFrom, 'judged');
      for (const included of tree.files.slice(1)) {
        const status = statuses.get(included.file);
        if (status === 'judged' || status === 'unparseable') continue;
        // A runtime file found on its own is judged (and listed) as its own root.
        if (!status && candidates.includes(included.file) && !isDevRequirements(included.file)) continue;
        const kind = included.constraint
          ? `pip constraints (-c in ${prefix}${included.via})`
          : `pip requirements (-r in ${prefix}${included.via})`;
        row(included.file, kind, counts.get(included.file) ?? 0, '—', 'judged');
      }
      continue;
    }
    if (name === 'pyproject.toml' || name === 'Pipfile') {
      let data: Record<string, unknown>;
      try {
        data = smolToml().parse(text) as Record<string, unknown>;
      } catch (error) {
        const line = (error as { line?: number }).line;
        add('unparseable', file, `not valid TOML: ${(error as Error).message.split('\n')[0]}`, line);
        row(file, name, '—', '—', 'unparseable');
        continue;
      }
      const deps = new Map<string, string>();
      /** "torch (extra serve)" → the dependency of an extra of [project.optional-dependencies]. */
      const optional = new Map<string, { dep: string; spec: string }>();
      if (name === 'Pipfile') {
        for (const [dep, spec] of Object.entries((data.packages ?? {}) as Record<string, unknown>))
          deps.set(
            dep,
            typeof spec === 'string' ? spec : String((spec as { version?: string })?.version ?? '*'),
          );
      } else {
        const project = data.project as
          | { name?: string; dependencies?: string[]; 'optional-dependencies'?: Record<string, unknown> }
          | undefined;
        for (const spec of project?.dependencies ?? []) {
          const dep = requirementName(spec);
          if (dep) deps.set(dep, spec.slice(dep.length).trim());
        }
        // Extras (`pip install .[serve]`) are installed at run time too: judged alike.
        for (const [extra, list] of Object.entries(project?.['optional-dependencies'] ?? {})) {
          for (const spec of Array.isArray(list) ? list : []) {
            if (typeof spec !== 'string') continue;
            const dep = requirementName(spec);
            // `name[other-extra]` of the project itself installs nothing new.
            if (!dep || (project?.name && normalise(dep) === normalise(project.name))) continue;
            optional.set(`${dep} (extra ${extra})`, { dep, spec: spec.slice(dep.length).trim() });
          }
        }
        const poetry =
          (
            (data.tool as Record<string, unknown> | undefined)?.poetry as
              { dependencies?: Record<string, unknown> } | undefined
          )?.dependencies ?? {};
        for (const [dep, spec] of Object.entries(poetry)) {
          if (dep.toLowerCase() === 'python') continue;
          deps.set(
            dep,
            typeof spec === 'string' ? spec : String((spec as { version?: string })?.version ?? '*'),
          );
        }
      }
      const locks = name === 'Pipfile' ? ['Pipfile.lock'] : ['poetry.lock', 'uv.lock', 'pdm.lock'];
      const lock = locks.map((l) => sibling(file, l)).find((l) => existsSync(`${root}/${l}`));
      const kind = name === 'Pipfile' ? 'Pipfile' : 'pyproject.toml';
      dependencies += deps.size + optional.size;
      const count = optional.size
        ? `${deps.size + optional.size} (${optional.size} in extras: ${[...new Set([...optional.keys()].map((k) => /\(extra (.*)\)$/.exec(k)![1]))].join(', ')})`
        : deps.size;
      if (deps.size + optional.size === 0) {
        row(file, kind, 0, lock ? `${prefix}${lock}` : 'none', 'judged');
        continue;
      }
      if (!lock) {
        row(file, kind, count, 'none', 'judged');
        const all: Array<[string, string]> = [
          ...deps,
          ...[...optional].map(([key, entry]): [string, string] => [key, entry.spec]),
        ];
        const ranged = all.filter(
          ([, spec]) => !/^(==|===)\s*[^,*<>~!]+$/.test(spec.trim()) && !/^\d[\w.]*$/.test(spec.trim()),
        );
        if (ranged.length > 0)
          add(
            'no-lock',
            file,
            `${ranged.length} dependenc${ranged.length > 1 ? 'ies use' : 'y uses'} a version range (${ranged
              .slice(0, 4)
              .map(([d, s]) => (d.includes(' (extra ') ? d.replace(' (', `${s} (`) : `${d}${s}`))
              .join(', ')}${ranged.length > 4 ? ', …' : ''}) and there is no ${locks.join(' / ')}`,
            lineOf(text, optional.get(ranged[0]![0])?.dep ?? ranged[0]![0]),
          );
        continue;
      }
      const lockText = read(lock);
      if (typeof lockText !== 'string') {
        row(file, kind, count, `${prefix}${lock} (not read: ${lockText})`, 'unparseable');
        add(
          'unparseable',
          lock,
          `the lock file was not read (${lockText}): the manifest cannot be checked against it`,
        );
        continue;
      }
      let locked: Set<string>;
      try {
        locked = lock.endsWith('Pipfile.lock')
          ? new Set(
              Object.keys((JSON.parse(lockText) as { default?: Record<string, unknown> }).default ?? {}).map(
                normalise,
              ),
            )
          : new Set(
              ((smolToml().parse(lockText) as { package?: Array<{ name: string }> }).package ?? []).map((p) =>
                normalise(p.name),
              ),
            );
      } catch (error) {
        add('unparseable', lock, `cannot read the lock file: ${(error as Error).message.split('\n')[0]}`);
        row(file, kind, count, `${prefix}${lock}`, 'unparseable');
        continue;
      }
      row(file, kind, count, `${prefix}${lock}`, 'judged');
      for (const [shown, dep] of [
        ...[...deps.keys()].map((dep) => [dep, dep]),
        ...[...optional].map(([key, entry]) => [key, entry.dep]),
      ]) {
        if (!locked.has(normalise(dep!)))
          add(
            'lock-drift',
            lock,
            `${shown} is in ${prefix}${file} but not in the lock file: the lock is stale`,
            undefined,
          );
      }
      continue;
    }
    if (name === 'package.json') {
      let data: { dependencies?: Record<string, string>; workspaces?: unknown };
      try {
        data = JSON.parse(text) as typeof data;
      } catch (error) {
        add('unparseable', file, `not valid JSON: ${(error as Error).message}`);
        row(file, name, '—', '—', 'unparseable');
        continue;
      }
      const deps = Object.entries(data.dependencies ?? {});
      dependencies += deps.length;
      const found = npmLockFor(
        file,
        (path) => existsSync(`${root}/${path}`),
        (path) => read(path),
      );
      const lock = found?.lock;
      const lockShown = lock
        ? `${prefix}${lock}${found.workspace !== undefined ? ` (workspace ${found.workspace})` : ''}`
        : 'none';
      if (deps.length === 0) {
        row(file, 'package.json', 0, lockShown, 'judged');
        continue;
      }
      if (!lock) {
        row(file, 'package.json', deps.length, 'none', 'judged');
        const ranged = deps.filter(([, spec]) => !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec));
        for (const [dep, spec] of ranged)
          add(
            'unpinned',
            file,
            `"${dep}": "${spec}" is a range and there is no lock file`,
            lineOf(text, `"${dep}"`),
          );
        if (ranged.length > 0) add('no-lock', file, 'no package-lock.json, yarn.lock or pnpm-lock.yaml');
        continue;
      }
      const lockText = read(lock);
      if (typeof lockText !== 'string') {
        add(
          'unparseable',
          lock,
          `the lock file was not read (${lockText}): ${file} cannot be checked against it`,
        );
        row(file, 'package.json', deps.length, lockShown, 'unparseable');
        continue;
      }
      if (lock.endsWith('.json')) {
        let lockData: NpmLock;
        try {
          lockData = JSON.parse(lockText) as NpmLock;
        } catch (error) {
          add('unparseable', lock, `not valid JSON: ${(error as Error).message}`);
          row(file, 'package.json', deps.length, lockShown, 'unparseable');
          continue;
        }
        row(file, 'package.json', deps.length, lockShown, 'judged');
        for (const drift of npmLockDrift(lockData, found.workspace ?? '', deps, lock.split('/').pop()!))
          add('lock-drift', lock, drift.message);
      } else {
        row(file, 'package.json', deps.length, lockShown, 'judged');
        for (const [dep] of deps)
          if (!lockText.includes(dep))
            add('lock-drift', lock, `${dep} is in ${prefix}${file} but not in ${lock.split('/').pop()}`);
      }
    }
  }
  // An unparseable file was read and judged: its finding is the judgement.
  const judged = [...statuses]
    .filter(([, status]) => status === 'judged' || status === 'unparseable')
    .map(([file]) => `${prefix}${file}`);
  const notJudged = [...statuses].filter(([, status]) => status !== 'judged' && status !== 'unparseable');
  const unparseable = [...statuses].filter(([, status]) => status === 'unparseable').length;
  const table = {
    type: 'table' as const,
    title: 'dependency files',
    columns: ['file', 'kind', 'runtime dependencies', 'lock file', 'status'],
    rows,
  };
  const measured = {
    dependencies,
    files_not_judged: notJudged.length,
    files_unparseable: unparseable,
  };
  // Nothing judged is never a pass: only development files, or only formats not read.
  if (dependencies === 0 && findings.length === 0)
    return {
      status: 'error',
      summary: `no runtime dependency judged under ${ctx.display(root)}: ${rows.length} file${rows.length > 1 ? 's' : ''} found — ${summariseStatuses(statuses)}`,
      measured: { ...measured, files: judged.length },
      evidence: [table],
    };
  return ruleOutcome({
    ruleset: RULES,
    only: params.rules,
    findings,
    inline,
    spec: params.ignore,
    levels: params.levels,
    judged,
    measured,
    evidence: [table],
  });
}

function summariseStatuses(statuses: Map<string, FileStatus>): string {
  const counts = new Map<string, number>();
  for (const status of statuses.values()) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
}

/**
 * The lock a package.json is installed from: beside it, or, for a workspace package, at the
 * workspace root — the nearest folder above whose package.json `workspaces` (or
 * pnpm-workspace.yaml `packages`) include it.
 */
function npmLockFor(
  file: string,
  exists: (path: string) => boolean,
  read: (path: string) => string | 'too large' | 'binary' | 'unreadable',
): { lock: string; workspace?: string } | undefined {
  const folder = posix.dirname(file) === '.' ? '' : posix.dirname(file);
  const at = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
  const beside = NPM_LOCKS.map((name) => at(folder, name)).find(exists);
  if (beside) return { lock: beside };
  const parts = folder ? folder.split('/') : [];
  for (let depth = parts.length - 1; depth >= 0; depth--) {
    const dir = parts.slice(0, depth).join('/');
    const relative = parts.slice(depth).join('/');
    let globs: string[] = [];
    const manifest = at(dir, 'package.json');
    if (exists(manifest)) {
      const text = read(manifest);
      try {
        if (typeof text === 'string') globs = workspaceGlobs(JSON.parse(text));
      } catch {
        // An unparseable root manifest is reported when it is judged itself.
      }
    }
    const pnpm = at(dir, 'pnpm-workspace.yaml');
    if (globs.length === 0 && exists(pnpm)) {
      const text = read(pnpm);
      try {
        const packages =
          typeof text === 'string' ? (parseYaml(text) as { packages?: unknown })?.packages : [];
        if (Array.isArray(packages)) globs = packages.filter((p): p is string => typeof p === 'string');
      } catch {
        // Not valid YAML: not a workspace root we can read.
      }
    }
    if (globs.length === 0 || !inWorkspace(globs, relative)) continue;
    const lock = NPM_LOCKS.map((name) => at(dir, name)).find(exists);
    if (lock) return { lock, workspace: relative };
  }
  return undefined;
}

/** Sniffed as git does: a NUL byte in the first 8000 bytes means binary. */
function readText(path: string, maxSize: number): string | 'too large' | 'binary' | 'unreadable' {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 'unreadable';
  }
  try {
    const size = fstatSync(fd).size;
    if (size > maxSize) return 'too large';
    const buffer = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    if (buffer.subarray(0, Math.min(read, 8000)).includes(0)) return 'binary';
    return buffer.toString('utf8', 0, read);
  } catch {
    return 'unreadable';
  } finally {
    closeSync(fd);
  }
}
