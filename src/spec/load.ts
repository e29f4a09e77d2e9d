/**
 * Reads mlgate.yaml, validates it (structure, then each check's params), and resolves what
 * the runner needs. Every problem found is reported at once, each with file:line:column.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { loadSigners, type Signers } from '../attest/signers.js';
import type { CheckRegistry } from '../engine/registry.js';
import type { CheckDefinition } from '../engine/types.js';
import type { Severity } from '../domain/run-report.js';
import { canonicalJson, sha256OfText } from '../util/digest.js';
import { didYouMean } from '../util/suggest.js';
import { formatDuration, parseDuration } from '../util/units.js';
import { OutsideProjectError, resolveInProject } from '../util/project-path.js';
import { formatYamlPath, type Position, type YamlPath, YamlSource } from '../util/yaml-source.js';
import { SpecError, type SpecProblem } from './errors.js';
import { type ManualSpec, type Spec, type SpecItem, type SpecSection, SpecShape } from './schema.js';
import { explainIssue } from './zod-issues.js';

export const SPEC_FILE_NAMES = ['mlgate.yaml', 'mlgate.yml'];

/**
 * A command parses one spec, so each schema parses a value or a few: zod's compiled parsers
 * (generated with new Function on an object schema's first parse) cost more to build than
 * they save, some 10 ms of `mlgate validate`. The result and the issues are the same either way.
 */
const PARSE_ONCE = { jitless: true } as const;

export interface LoadedItem {
  id: string;
  title: string;
  description?: string;
  severity: SpecItem['severity'];
  /** The check kind, or "manual". */
  kind: string;
  check?: { definition: CheckDefinition; params: unknown };
  manual?: ManualSpec;
  remediation?: string;
  timeoutMs?: number;
  /** `allow_outside_project: true`: the check's paths may lead outside the project. */
  allowOutsideProject: boolean;
  needs: string[];
  /** Items this one runs after, whatever their outcome (a baseline reads their measured values). */
  after: string[];
  /** `when:` of each enclosing section and of the item; all must include the profile. */
  when: string[][];
  sectionPath: string[];
  sectionIds: Array<string | undefined>;
  /** Positions of the enclosing sections ("1.0"), unique even when titles repeat. */
  sectionKey: string;
  tags: string[];
  definitionDigest: string;
  position: Position;
  /** The item as written (before defaults). */
  raw: Record<string, unknown>;
}

export interface LoadedSection {
  id?: string;
  path: string[];
  key: string;
}

export interface LoadedSpec {
  file: string;
  /** Paths in the spec are relative to the spec file's folder. */
  root: string;
  sha256: string;
  spec: Spec;
  /** The spec as written (before defaults): what `export` carries so `import` gives it back. */
  raw: Record<string, unknown>;
  items: LoadedItem[];
  sections: LoadedSection[];
  defaultTimeoutMs?: number;
  /**
   * `signers:` with its public keys read: for these roles only signed sign-offs count.
   * Empty when the spec lists none.
   */
  signers: Signers;
  /** What is allowed but probably a mistake (a signer role no item uses), for validate to print. */
  warnings: string[];
}

/** The spec file for a project folder, or the file itself when given one. */
export function findSpecFile(dirOrFile: string): string {
  const target = resolve(dirOrFile);
  let isDirectory = false;
  try {
    isDirectory = statSync(target).isDirectory();
  } catch {
    return target;
  }
  if (!isDirectory) return target;
  for (const name of SPEC_FILE_NAMES) {
    const candidate = resolve(target, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // try the next name
    }
  }
  return resolve(target, SPEC_FILE_NAMES[0]!);
}

export function loadSpec(file: string, registry: CheckRegistry): LoadedSpec {
  const absolute = resolve(file);
  const shown = displayName(absolute);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `no spec at ${shown}. Write one (see the README's spec reference), or point to it with --config FILE.`
        : code === 'EISDIR'
          ? `${shown} is a folder; pass the folder as DIR or a file with --config`
          : `cannot read ${shown}: ${(error as Error).message}`;
    throw new SpecError([{ file: shown, path: [], message }], shown);
  }
  return parseSpec(text, absolute, registry);
}

export function parseSpec(text: string, absoluteFile: string, registry: CheckRegistry): LoadedSpec {
  const shown = displayName(absoluteFile);
  const source = new YamlSource(shown, text);
  const problems: SpecProblem[] = [];
  const report = (path: YamlPath, message: string, position?: Position, context?: string) => {
    const at = position ?? source.locate(path);
    problems.push({ file: shown, path, message, position: at, frame: source.frame(at), context });
  };

  // After one syntax error the parser reports every later token as unexpected; only the
  // first error is the one to fix.
  const [syntax, ...cascade] = source.syntaxProblems;
  if (syntax) {
    const more =
      cascade.length > 0
        ? ` (${cascade.length} more parse error${cascade.length === 1 ? '' : 's'} ${cascade.length === 1 ? 'follows' : 'follow'} from it; fix this one first)`
        : '';
    // `accuracy: >= 0.97` unquoted: YAML reads ">" as a block scalar and "<" or "=" oddly.
    const line = source.lines[syntax.line - 1] ?? '';
    const threshold = /:\s*((?:>=?|<=?|==|=>|=<|!=)\s*-?\d[^,}\]#]*)/.exec(line);
    const hint =
      threshold && /block scalar|cannot start with/i.test(syntax.message)
        ? `: a threshold must be quoted — write "${threshold[1]!.trim()}"`
        : '';
    problems.push({
      file: shown,
      path: [],
      message: `YAML syntax: ${syntax.message}${hint}${more}`,
      position: syntax,
      frame: source.frame(syntax),
    });
    throw new SpecError(problems, shown);
  }

  const data = source.toJS();
  if (data === undefined || data === null) {
    throw new SpecError(
      [
        {
          file: shown,
          path: [],
          message: 'the spec is empty: it needs version, project and sections',
        },
      ],
      shown,
    );
  }

  const itemContext = (path: YamlPath) => contextFor(data, path);
  const parsed = SpecShape.safeParse(data, PARSE_ONCE);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const explained of explainIssue(issue, SpecShape, data)) {
        const position = explained.atKey ? source.locateKey(explained.path) : undefined;
        report(explained.path, explained.message, position, itemContext(explained.path));
      }
    }
  }
  checkItemsHaveOneBody(data, report, itemContext);
  if (!parsed.success || problems.length > 0) throw new SpecError(sortProblems(problems), shown);

  const spec = parsed.data;
  checkPathsStayInProject(spec, dirname(absoluteFile), report);
  const artifactPaths = new Map(Object.entries(spec.artifacts).map(([name, a]) => [name, artifactPath(a)]));
  const profileNames = Object.keys(spec.profiles);
  // A verdict's level is MLGATE_<PROFILE>: "prod" and "PROD" would attest the same level.
  const byLevel = new Map<string, string>();
  for (const name of profileNames) {
    const level = name.toUpperCase();
    const earlier = byLevel.get(level);
    if (earlier)
      report(
        ['profiles', name],
        `profiles "${earlier}" and "${name}" differ only in case: a verdict attests the level MLGATE_${level} for both; rename one`,
      );
    else byLevel.set(level, name);
  }
  const items: LoadedItem[] = [];
  const sections: LoadedSection[] = [];
  const firstSeen = new Map<string, YamlPath>();
  const sectionIdsSeen = new Map<string, YamlPath>();

  const checkProfiles = (when: string | string[] | undefined, path: YamlPath) => {
    for (const name of toList(when)) {
      if (!profileNames.includes(name)) {
        report(
          path,
          profileNames.length === 0
            ? `profile "${name}" is used but the spec defines no profiles: add it under "profiles:"`
            : `unknown profile "${name}".${didYouMean(name, profileNames)} Defined profiles: ${profileNames.join(', ')}.`,
          undefined,
          itemContext(path),
        );
      }
    }
  };

  const walk = (
    list: SpecSection[],
    basePath: YamlPath,
    sectionPath: string[],
    sectionIds: Array<string | undefined>,
    whens: string[][],
    parentKey: string,
  ) => {
    list.forEach((section, sectionIndex) => {
      const path = [...basePath, sectionIndex];
      const key = parentKey === '' ? String(sectionIndex) : `${parentKey}.${sectionIndex}`;
      const titles = [...sectionPath, section.title];
      const ids = [...sectionIds, section.id];
      if (section.id !== undefined) {
        const earlier = sectionIdsSeen.get(section.id);
        if (earlier)
          report(
            [...path, 'id'],
            `duplicate section id "${section.id}" (first used at line ${source.locate(earlier).line})`,
          );
        else sectionIdsSeen.set(section.id, [...path, 'id']);
      }
      checkProfiles(section.when, [...path, 'when']);
      const sectionWhens = section.when === undefined ? whens : [...whens, toList(section.when)];
      sections.push({ id: section.id, path: titles, key });

      section.items.forEach((item, itemIndex) => {
        const itemPath = [...path, 'items', itemIndex];
        const earlier = firstSeen.get(item.id);
        if (earlier) {
          report(
            [...itemPath, 'id'],
            `duplicate item id "${item.id}" (first used at line ${source.locate(earlier).line}); ids must be unique across the spec`,
          );
        } else {
          firstSeen.set(item.id, [...itemPath, 'id']);
        }
        checkProfiles(item.when, [...itemPath, 'when']);
        if (typeof item.severity === 'object') {
          const keys = Object.keys(item.severity);
          if (!keys.includes('default')) {
            report(
              [...itemPath, 'severity'],
              'a per-profile severity needs a "default" entry for the other profiles',
              undefined,
              `item "${item.id}"`,
            );
          }
          checkProfiles(
            keys.filter((key) => key !== 'default'),
            [...itemPath, 'severity'],
          );
        }
        const rawItem = (valueAt(data, itemPath) ?? {}) as Record<string, unknown>;
        const loaded: LoadedItem = {
          id: item.id,
          title: item.title,
          description: item.description,
          severity: item.severity,
          kind: 'manual',
          manual: item.manual,
          remediation: item.remediation,
          timeoutMs: item.timeout === undefined ? undefined : parseDuration(item.timeout),
          allowOutsideProject: item.allow_outside_project,
          needs: item.needs,
          after: [],
          when: item.when === undefined ? sectionWhens : [...sectionWhens, toList(item.when)],
          sectionPath: titles,
          sectionIds: ids,
          sectionKey: key,
          tags: item.tags,
          definitionDigest: sha256OfText(canonicalJson(rawItem)),
          position: source.locate(itemPath),
          raw: rawItem,
        };
        if (item.check) {
          const checkPath = [...itemPath, 'check'];
          const { kind, ...rawParams } = item.check;
          const definition = registry.get(kind);
          if (!definition) {
            report(
              [...checkPath, 'kind'],
              `unknown check kind "${kind}".${didYouMean(kind, registry.kinds)} Known kinds: ${registry.kinds.join(', ')} (see \`mlgate list-checks\`).`,
              undefined,
              `item "${item.id}"`,
            );
          } else {
            const params = interpolateArtifacts(rawParams, artifactPaths, checkPath, (path, message) =>
              report(path, message, undefined, `item "${item.id}"`),
            );
            const result = (definition.params as z.ZodType).safeParse(params, PARSE_ONCE);
            if (result.success) {
              loaded.kind = kind;
              loaded.check = { definition, params: result.data };
              loaded.after = definition.after?.(result.data as never) ?? [];
            } else {
              for (const issue of result.error.issues) {
                for (const explained of explainIssue(issue, definition.params, params)) {
                  const fullPath = [...checkPath, ...explained.path];
                  const position = explained.atKey ? source.locateKey(fullPath) : undefined;
                  report(fullPath, explained.message, position, `item "${item.id}", check kind "${kind}"`);
                }
              }
            }
            loaded.kind = kind;
          }
        }
        items.push(loaded);
      });
      walk(section.sections, [...path, 'sections'], titles, ids, sectionWhens, key);
    });
  };
  walk(spec.sections, ['sections'], [], [], [], '');

  if (spec.default_profile !== undefined) checkProfiles(spec.default_profile, ['default_profile']);
  if (!spec.service) {
    for (const item of items) {
      if (item.check?.definition.service?.(item.check.params as never)) {
        const path = firstSeen.get(item.id)!.slice(0, -1);
        report(
          [...path, 'check', 'kind'],
          `check kind "${item.kind}" talks to the model's service, and the spec has no "service:" section: add service: {url: ...} or service: {start: {command: ...}}`,
          undefined,
          `item "${item.id}"`,
        );
      }
    }
  }
  // A check that runs for a set time (a load test) needs a timeout longer than that time.
  const defaultTimeoutMs =
    spec.defaults.timeout === undefined ? undefined : parseDuration(spec.defaults.timeout);
  for (const item of items) {
    const needed = item.check?.definition.minTimeoutMs?.(item.check.params as never);
    if (needed === undefined) continue;
    const kindDefault = parseDuration(item.check!.definition.defaultTimeout ?? '');
    const effective = item.timeoutMs ?? defaultTimeoutMs ?? kindDefault ?? 60_000;
    if (effective < needed) {
      const path = firstSeen.get(item.id)!.slice(0, -1);
      const from =
        item.timeoutMs !== undefined
          ? 'its timeout'
          : defaultTimeoutMs !== undefined
            ? 'defaults.timeout'
            : 'the default timeout';
      report(
        item.timeoutMs !== undefined ? [...path, 'timeout'] : [...path, 'check'],
        `${from} (${formatDuration(effective)}) is shorter than this check can take (${formatDuration(needed)}); set timeout: ${Math.ceil(needed / 1000)}s on the item, or shorten it`,
        undefined,
        `item "${item.id}"`,
      );
    }
  }
  checkNeeds(items, firstSeen, report);
  const { signers, problems: signerProblems } = loadSigners(dirname(absoluteFile), spec.signers);
  for (const problem of signerProblems) report(problem.path, problem.message);
  const warnings: string[] = [];
  const usedRoles = new Set(items.flatMap((item) => item.manual?.roles ?? []));
  for (const role of signers.keys()) {
    if (!usedRoles.has(role)) {
      warnings.push(
        `signers: no manual item has the role "${role}".${didYouMean(role, [...usedRoles])} Its keys sign nothing but waivers.`,
      );
    }
  }
  if (problems.length > 0) throw new SpecError(sortProblems(problems), shown);

  return {
    file: absoluteFile,
    root: dirname(absoluteFile),
    sha256: sha256OfText(text),
    spec,
    raw: data as Record<string, unknown>,
    items,
    sections,
    defaultTimeoutMs: spec.defaults.timeout === undefined ? undefined : parseDuration(spec.defaults.timeout),
    signers,
    warnings,
  };
}

type Report = (path: YamlPath, message: string, position?: Position, context?: string) => void;

/**
 * Paths the spec declares outside any check (artifacts, the service's folder) stay in the
 * project unless they opt out; a check's own paths are judged when it runs (ctx.resolve).
 */
function checkPathsStayInProject(spec: Spec, root: string, report: Report) {
  const refuse = (path: YamlPath, written: string, allowOutside: boolean, hint: string) => {
    try {
      resolveInProject(root, written, { allowOutside, hint });
    } catch (error) {
      if (!(error instanceof OutsideProjectError)) throw error;
      report(path, error.message);
    }
  };
  for (const [name, artifact] of Object.entries(spec.artifacts)) {
    if (typeof artifact === 'string')
      refuse(
        ['artifacts', name],
        artifact,
        false,
        `write it as {path: ${artifact}, allow_outside_project: true} to allow it`,
      );
    else
      refuse(
        ['artifacts', name, 'path'],
        artifact.path,
        artifact.allow_outside_project,
        'set allow_outside_project: true on this artifact to allow it',
      );
  }
  const start = spec.service?.start;
  if (start)
    refuse(
      ['service', 'start', 'cwd'],
      start.cwd,
      start.allow_outside_project,
      'set allow_outside_project: true under service.start to allow it',
    );
}

/** An item is either automated or a sign-off; say so before anything else about it. */
function checkItemsHaveOneBody(
  data: unknown,
  report: Report,
  context: (path: YamlPath) => string | undefined,
) {
  const visit = (sections: unknown, base: YamlPath) => {
    if (!Array.isArray(sections)) return;
    sections.forEach((section, index) => {
      if (!section || typeof section !== 'object') return;
      const path = [...base, index];
      const items = (section as { items?: unknown }).items;
      if (Array.isArray(items)) {
        items.forEach((item, itemIndex) => {
          if (!item || typeof item !== 'object') return;
          const itemPath = [...path, 'items', itemIndex];
          const hasCheck = 'check' in item;
          const hasManual = 'manual' in item;
          if (!hasCheck && !hasManual) {
            report(
              itemPath,
              'an item needs either "check" (automated) or "manual" (a sign-off)',
              undefined,
              context(itemPath),
            );
          } else if (hasCheck && hasManual) {
            report(
              itemPath,
              'an item has either "check" or "manual", not both: split it into two items',
              undefined,
              context(itemPath),
            );
          }
        });
      }
      visit((section as { sections?: unknown }).sections, [...path, 'sections']);
    });
  };
  visit((data as { sections?: unknown } | null)?.sections, ['sections']);
}

function checkNeeds(items: LoadedItem[], idPaths: Map<string, YamlPath>, report: Report) {
  const ids = items.map((item) => item.id);
  const byId = new Map(items.map((item) => [item.id, item]));
  for (const item of items) {
    const base = idPaths.get(item.id)!.slice(0, -1);
    for (const other of item.after) {
      if (other === item.id) report([...base, 'check'], `item "${item.id}" cannot compare against itself`);
      else if (!byId.has(other)) {
        report(
          [...base, 'check'],
          `refers to unknown item "${other}".${didYouMean(other, ids)}`,
          undefined,
          `item "${item.id}"`,
        );
      }
    }
    item.needs.forEach((need, index) => {
      if (need === item.id) report([...base, 'needs', index], `item "${item.id}" cannot need itself`);
      else if (!byId.has(need))
        report(
          [...base, 'needs', index],
          `needs unknown item "${need}".${didYouMean(need, ids)}`,
          undefined,
          `item "${item.id}"`,
        );
    });
  }
  // Cycles: depth-first search with colours.
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    const item = byId.get(id);
    for (const need of [...(item?.needs ?? []), ...(item?.after ?? [])]) {
      if (!byId.has(need) || need === id) continue;
      if (state.get(need) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(need)), need];
        report([...idPaths.get(id)!.slice(0, -1), 'needs'], `"needs" forms a cycle: ${cycle.join(' -> ')}`);
      } else if (!state.has(need)) visit(need);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of ids) if (!state.has(id)) visit(id);
}

const ARTIFACT_REFERENCE = /\$\{artifacts\.([^}]*)\}/g;

/** Replaces ${artifacts.NAME} in every string of a check's params with the artifact's path. */
function interpolateArtifacts(
  value: unknown,
  artifacts: ReadonlyMap<string, string>,
  path: YamlPath,
  report: (path: YamlPath, message: string) => void,
): unknown {
  if (typeof value === 'string') {
    return value.replace(ARTIFACT_REFERENCE, (whole, name: string) => {
      const artifact = artifacts.get(name);
      if (artifact !== undefined) return artifact;
      const names = [...artifacts.keys()];
      report(
        path,
        `unknown artifact "${name}" in ${whole}.${didYouMean(name, names)}${names.length ? ` Artifacts: ${names.join(', ')}.` : ' The spec declares no artifacts.'}`,
      );
      return whole;
    });
  }
  if (Array.isArray(value)) {
    return value.map((entry, index) => interpolateArtifacts(entry, artifacts, [...path, index], report));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, entry]) => [
        key,
        interpolateArtifacts(entry, artifacts, [...path, key], report),
      ]),
    );
  }
  return value;
}

export function artifactPath(artifact: Spec['artifacts'][string]): string {
  return typeof artifact === 'string' ? artifact : artifact.path;
}

function toList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function valueAt(data: unknown, path: YamlPath): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** 'item "test-accuracy"' for a path inside an item, so errors name what people recognise. */
function contextFor(data: unknown, path: YamlPath): string | undefined {
  for (let length = path.length; length >= 2; length--) {
    if (path[length - 2] === 'items' && typeof path[length - 1] === 'number') {
      const item = valueAt(data, path.slice(0, length)) as { id?: unknown } | undefined;
      if (item && typeof item.id === 'string') return `item "${item.id}"`;
      return `${formatYamlPath(path.slice(0, length))}`;
    }
  }
  return undefined;
}

function sortProblems(problems: SpecProblem[]): SpecProblem[] {
  return [...problems].sort(
    (a, b) =>
      (a.position?.line ?? 0) - (b.position?.line ?? 0) ||
      (a.position?.column ?? 0) - (b.position?.column ?? 0),
  );
}

function displayName(absolute: string): string {
  const relative = absolute.startsWith(`${process.cwd()}/`)
    ? absolute.slice(process.cwd().length + 1)
    : absolute;
  return relative || basename(absolute);
}

export type { Severity };
