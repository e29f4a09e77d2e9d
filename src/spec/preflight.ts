/**
 * What `mlgate validate` can tell from the disk without running a check: files the spec
 * names that are not there (with the closest name that is), and metrics of the positive
 * class (f1, precision, recall) on predictions that have more than two classes. Each is
 * a problem with its place in the spec and the fix, so it is caught before a long run.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { z } from 'zod';
import { openNpy } from '../data/npy.js';
import { resolveInProject } from '../util/project-path.js';
import { closest } from '../util/suggest.js';
import type { YamlPath } from '../util/yaml-source.js';
import { YamlSource } from '../util/yaml-source.js';
import type { SpecProblem } from './errors.js';
import { artifactPath, type LoadedItem, type LoadedSpec } from './load.js';

export interface Preflight {
  /** Wrong for sure: validate exits 2. */
  problems: SpecProblem[];
  /** Maybe fine (a file an earlier item writes): said, not failed. */
  warnings: string[];
}

export function preflight(loaded: LoadedSpec, text: string, shown: string): Preflight {
  // Parsed again only to place a problem: a spec with none (the usual case) is not re-parsed.
  let source: YamlSource | undefined;
  const problems: SpecProblem[] = [];
  const warnings: string[] = [];
  const problem = (path: YamlPath, message: string, context?: string) => {
    source ??= new YamlSource(shown, text);
    const position = source.locate(path);
    problems.push({ file: shown, path, message, position, frame: source.frame(position), context });
  };

  for (const [name, artifact] of Object.entries(loaded.spec.artifacts)) {
    const written = artifactPath(artifact);
    if (typeof artifact === 'object' && artifact.required === false) continue;
    if (!checkable(written) || existsSync(resolve(loaded.root, written))) continue;
    if (!inProject(loaded.root, written)) continue;
    problem(
      typeof artifact === 'string' ? ['artifacts', name] : ['artifacts', name, 'path'],
      `artifact "${name}": ${written} not found.${suggestion(loaded.root, written)} Fix the path, or declare it {path: ${written}, required: false} if it is written later`,
    );
  }

  const itemPaths = itemYamlPaths(loaded.raw);
  for (const item of loaded.items) {
    if (!item.check) continue;
    const params = item.check.params as Record<string, unknown>;
    // `exists: false` (the file kind) asks for a file NOT to be there.
    if (params.exists === false) continue;
    const checkPath = [...(itemPaths.get(item.id) ?? []), 'check'];
    for (const { path, value } of fileParams(item.check.definition.params, params)) {
      if (!checkable(value) || existsSync(resolve(loaded.root, value))) continue;
      if (!inProject(loaded.root, value)) continue;
      const hint = suggestion(loaded.root, value);
      const writtenBy = [...item.needs, ...item.after];
      if (writtenBy.length > 0) {
        // It may be what an item it needs writes (a test run's junit.xml): said, not failed.
        warnings.push(
          `item "${item.id}": ${value} (${path.join('.')}) is not there yet; fine if ${writtenBy.map((id) => `"${id}"`).join(' or ')} writes it.${hint}`,
        );
        continue;
      }
      problem(
        [...checkPath, ...path],
        `${value} not found (${path.join('.')} of check kind "${item.kind}").${hint} Fix the path (relative to the spec's folder)`,
        `item "${item.id}"`,
      );
    }
    const multiclass = classCount(item, loaded.root);
    if (multiclass) {
      const thresholds = (params.thresholds ?? {}) as Record<string, unknown>;
      for (const metric of ['f1', 'precision', 'recall']) {
        if (!(metric in thresholds)) continue;
        problem(
          [...checkPath, 'thresholds', metric],
          `"${metric}" is the ${metric} of one positive class, for two classes; ${multiclass}. Use "${metric}_macro" (every class counts the same) or "${metric}_weighted" (classes weighted by their rows)`,
          `item "${item.id}"`,
        );
      }
    }
  }
  return { problems, warnings };
}

/**
 * The path in the project, for reading; undefined for one that leads outside it (`..`, a
 * symlink): validate reads nothing there — `check` refuses it with its own message.
 */
function inProject(root: string, path: string): string | undefined {
  try {
    return resolveInProject(root, path);
  } catch {
    return undefined;
  }
}

/** A path validate can look for: not a glob, a template, a URL path or an absolute path. */
function checkable(path: string): boolean {
  return (
    path !== '' && path !== '.' && !/[*?[{$]/.test(path) && !path.startsWith('/') && !/^\w+:\/\//.test(path)
  );
}

/** Descriptions that say a string param is a file or folder on disk. */
const FILE_WORDS =
  /\bfile\b|\bfolder\b|\.npy\b|\.onnx\b|\bDockerfile\b|coverage report|relative to the spec/i;
/** ...and those that say it is something else (a URL path, a glob, a column, a place in a container). */
const NOT_FILE_WORDS =
  /glob|spec's service|container path|JSONPath|JSON pointer|env file|build context|column|rule id/i;

type Schema = z.ZodType & { _zod: { def: Record<string, unknown> & { type: string } } };

/** The string params that name files, found from each kind's params schema and its descriptions. */
export function fileParams(schema: z.ZodType, value: unknown): Array<{ path: YamlPath; value: string }> {
  const found: Array<{ path: YamlPath; value: string }> = [];
  const visit = (
    node: Schema,
    data: unknown,
    path: Array<string | number>,
    key: string,
    description?: string,
  ) => {
    if (data === undefined || data === null) return;
    const about = description ?? node.description;
    const def = node._zod.def;
    switch (def.type) {
      case 'optional':
      case 'default':
      case 'prefault':
      case 'nullable':
      case 'readonly':
      case 'catch':
        return visit(def.innerType as Schema, data, path, key, about);
      case 'pipe':
        return visit(def.in as Schema, data, path, key, about);
      case 'object':
        if (typeof data !== 'object' || Array.isArray(data)) return;
        for (const [name, child] of Object.entries(def.shape as Record<string, Schema>))
          visit(child, (data as Record<string, unknown>)[name], [...path, name], name);
        return;
      case 'array':
        if (!Array.isArray(data)) return;
        data.forEach((entry, index) => visit(def.element as Schema, entry, [...path, index], key, about));
        return;
      case 'union':
        for (const option of def.options as Schema[]) {
          const type = option._zod.def.type;
          const fits =
            (typeof data === 'string' && type === 'string') ||
            (Array.isArray(data) && type === 'array') ||
            (typeof data === 'object' && !Array.isArray(data) && type === 'object');
          // The union's description speaks of all its forms (a size or a file): not passed on.
          if (fits) return visit(option, data, path, key);
        }
        return;
      case 'string':
        if (typeof data !== 'string') return;
        if ((key === 'file' || FILE_WORDS.test(about ?? '')) && !NOT_FILE_WORDS.test(about ?? ''))
          found.push({ path, value: data });
        return;
      default:
        return;
    }
  };
  visit(schema as Schema, value, [], '');
  return found;
}

/** ' Did you mean "data/predictions_test.csv"?' for the closest name that is there, or ''. */
export function suggestion(root: string, written: string): string {
  const parts = written.split(/[\\/]/).filter((part) => part !== '' && part !== '.');
  let base = root;
  let index = 0;
  // The deepest folder of the path that is there; the next part is the one mistyped.
  while (index < parts.length - 1 && existsSync(join(base, parts[index]!)))
    base = join(base, parts[index++]!);
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return '';
  }
  const match = closest(parts[index]!, names);
  if (!match) return '';
  const candidate = join(base, match, ...parts.slice(index + 1));
  const shown = existsSync(candidate)
    ? candidate
    : index === parts.length - 1
      ? join(base, match)
      : undefined;
  if (!shown) return '';
  return ` Did you mean "${relative(root, shown).split(sep).join('/')}"?`;
}

/** Where each item is in the YAML, by id (sections nest). */
function itemYamlPaths(raw: Record<string, unknown>): Map<string, YamlPath> {
  const paths = new Map<string, YamlPath>();
  const walk = (sections: unknown, base: YamlPath) => {
    if (!Array.isArray(sections)) return;
    sections.forEach((section: { items?: unknown; sections?: unknown }, index) => {
      const at = [...base, index];
      if (Array.isArray(section?.items))
        section.items.forEach((item: { id?: unknown }, itemIndex) => {
          if (typeof item?.id === 'string' && !paths.has(item.id))
            paths.set(item.id, [...at, 'items', itemIndex]);
        });
      walk(section?.sections, [...at, 'sections']);
    });
  };
  walk(raw.sections, ['sections']);
  return paths;
}

const LABEL_NAMES = ['label', 'y_true', 'target', 'true', 'y', 'truth', 'ground_truth'];

/**
 * "the predictions have 10 classes (…)" when the item's data or params show more than two
 * classes for sure; undefined when they do not (binary, regression, or cannot tell).
 */
function classCount(item: LoadedItem, root: string): string | undefined {
  if (item.kind !== 'predictions' && item.kind !== 'onnx-model') return undefined;
  const params = item.check!.params as Record<string, any>;
  if (params.task === 'regression') return undefined;
  if (item.kind === 'onnx-model') {
    const shape = params.signature?.outputs?.[0]?.shape;
    const width = Array.isArray(shape) ? shape[shape.length - 1] : undefined;
    return typeof width === 'number' && width > 2
      ? `the model's output "${params.signature.outputs[0].name}" has ${width} classes`
      : undefined;
  }
  if (Array.isArray(params.probs) && params.probs.length > 2)
    return `the predictions have ${params.probs.length} probability columns (probs)`;
  if (typeof params.arrays?.probs === 'string') {
    try {
      const path = inProject(root, params.arrays.probs);
      if (!path) return undefined;
      const info = openNpy(path);
      if (info.shape.length === 2 && info.rowSize > 2)
        return `${params.arrays.probs} holds probabilities of ${info.rowSize} classes`;
    } catch {
      return undefined;
    }
  }
  if (typeof params.file !== 'string' || !/\.(csv|tsv)$/i.test(params.file)) return undefined;
  const path = inProject(root, params.file);
  const head = path === undefined ? undefined : readHead(path);
  if (!head) return undefined;
  const delimiter = /\.tsv$/i.test(params.file) ? '\t' : ',';
  const lines = head.split(/\r?\n/);
  // The last line may be cut short; lines with quotes are skipped rather than parsed half-way.
  lines.pop();
  const header = lines[0]?.split(delimiter).map((name) => name.trim()) ?? [];
  const glob = typeof params.probs === 'string' ? params.probs : 'prob_*';
  const globRegex = new RegExp(`^${glob.split('*').map(escapeRegex).join('.+')}$`);
  const probColumns = header.filter((name) => globRegex.test(name));
  if (probColumns.length > 2)
    return `${params.file} has ${probColumns.length} probability columns (${probColumns[0]} … ${probColumns[probColumns.length - 1]})`;
  const label =
    typeof params.label === 'string' ? params.label : LABEL_NAMES.find((name) => header.includes(name));
  const column = label === undefined ? -1 : header.indexOf(label);
  if (column === -1) return undefined;
  const seen = new Set<string>();
  for (const line of lines.slice(1)) {
    if (line.includes('"')) continue;
    const value = line.split(delimiter)[column]?.trim();
    if (value) seen.add(value);
  }
  return seen.size > 2
    ? `${params.file} has ${seen.size} different labels in its first rows (${[...seen].slice(0, 4).join(', ')}${seen.size > 4 ? ', …' : ''})`
    : undefined;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The first 64 kB of a file, or undefined when it cannot be read. */
function readHead(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(64 * 1024);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
