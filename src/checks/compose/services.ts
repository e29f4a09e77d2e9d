/**
 * A compose service as Compose itself sees it: its own keys, then what `extends` brings in
 * (from the same file or another one), with YAML merge keys (`<<: *defaults`) already applied
 * by YamlSource. Every value remembers the file and path it was written at, so a finding on an
 * inherited `image: x:latest` points at the line that says it, not at the service that inherits.
 *
 * Merge rules follow the Compose specification's `extends` section: mappings merge key by key
 * (the extending service wins), sequences such as volumes and cap_add are combined.
 * https://github.com/compose-spec/compose-spec/blob/main/05-services.md#extends
 */
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { YamlSource, type YamlPath } from '../../util/yaml-source.js';

export type Obj = Record<string, unknown>;

/** One file's definition of a service, in the chain a service extends. */
export interface Layer {
  source: YamlSource;
  /** The file as evidence shows it. */
  shown: string;
  /** The file as the spec would write it (relative to the project root). */
  file: string;
  service: string;
  data: Obj;
}

export interface Located<T = unknown> {
  value: T;
  layer: Layer;
  path: Array<string | number>;
}

export interface ComposeFile {
  source: YamlSource;
  shown: string;
  file: string;
  services: Record<string, Obj>;
}

/** Loads compose files by path (relative to the project root), once each. */
export type LoadFile = (file: string) => ComposeFile | { problem: string };

export function loadComposeFile(
  file: string,
  absolute: string,
  shown: string,
): ComposeFile | { problem: string } {
  if (!existsSync(absolute)) return { problem: `${shown} not found` };
  const source = new YamlSource(shown, readFileSync(absolute, 'utf8'));
  const syntax = source.syntaxProblems[0];
  if (syntax)
    return { problem: `${shown}:${syntax.line}:${syntax.column}: not valid YAML: ${syntax.message}` };
  const data = source.toJS();
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data)))
    return { problem: `${shown} is not a compose file: its top level is not a mapping` };
  const services = (data as Obj | undefined)?.services;
  if (
    services !== undefined &&
    services !== null &&
    (typeof services !== 'object' || Array.isArray(services))
  )
    return { problem: `${shown}: services is not a mapping of service names` };
  return { source, shown, file, services: (services ?? {}) as Record<string, Obj> };
}

export function getIn(value: unknown, path: YamlPath): unknown {
  let node = value;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

export class ServiceView {
  constructor(
    readonly name: string,
    /** The service itself first, then what it extends, in order. */
    readonly layers: Layer[],
  ) {}

  /** The value Compose uses at `path`: from the first layer that sets it. */
  get<T = unknown>(path: Array<string | number>): Located<T> | undefined {
    for (const layer of this.layers) {
      const value = getIn(layer.data, path);
      if (value !== undefined && value !== null) return { value: value as T, layer, path };
    }
    return undefined;
  }

  /** Every entry of a sequence, across the layers (combined, as Compose does). */
  entries(key: string): Array<Located> {
    const out: Located[] = [];
    for (const layer of this.layers) {
      const list = layer.data[key];
      if (Array.isArray(list)) list.forEach((value, index) => out.push({ value, layer, path: [key, index] }));
      else if (list !== undefined && list !== null) out.push({ value: list, layer, path: [key] });
    }
    return out;
  }

  /**
   * The service's environment as a map, list form (`- KEY=value`, `- KEY`) and map form alike;
   * the extending service's value of a key wins.
   */
  environment(): Map<string, Located<string>> {
    const out = new Map<string, Located<string>>();
    for (const layer of this.layers) {
      const environment = layer.data.environment;
      const pairs: Array<[string, string, Array<string | number>]> = Array.isArray(environment)
        ? environment.map((entry, index) => {
            const [key, ...rest] = String(entry).split('=');
            return [key!.trim(), rest.join('='), ['environment', index]];
          })
        : environment && typeof environment === 'object'
          ? Object.entries(environment as Obj).map(([key, value]) => [
              key,
              value === null || value === undefined ? '' : String(value),
              ['environment', key],
            ])
          : [];
      for (const [key, value, path] of pairs) if (!out.has(key)) out.set(key, { value, layer, path });
    }
    return out;
  }

  /** file:line of a located value, or of the service when the key is missing everywhere. */
  where(located?: { layer: Layer; path: YamlPath }): { path: string; line: number; excerpt?: string } {
    const layer = located?.layer ?? this.layers[0]!;
    const position = layer.source.locate(['services', layer.service, ...(located?.path ?? [])]);
    const excerpt = layer.source.lines[position.line - 1]?.trim();
    return { path: layer.shown, line: position.line, ...(excerpt ? { excerpt } : {}) };
  }
}

/**
 * The chain of definitions a service is made of, following `extends` (`extends: base`,
 * `extends: {service: base}`, `extends: {file: common.yaml, service: base}`). A base that
 * cannot be found is a problem, not a guess: its keys would be judged as missing.
 */
export function serviceView(
  compose: ComposeFile,
  name: string,
  load: LoadFile,
): ServiceView | { problem: string } {
  const layers: Layer[] = [];
  const seen = new Set<string>();
  let current = compose;
  let service = name;
  for (;;) {
    const key = `${current.file}#${service}`;
    if (seen.has(key))
      return { problem: `service "${name}": extends forms a cycle (${[...seen, key].join(' → ')})` };
    seen.add(key);
    const data = current.services[service];
    if (!data || typeof data !== 'object' || Array.isArray(data))
      return layers.length === 0
        ? { problem: `${current.shown} has no service ${service}` }
        : {
            problem: `service "${name}" extends "${service}", which ${current.shown} does not define (services: ${Object.keys(current.services).join(', ') || 'none'})`,
          };
    layers.push({ source: current.source, shown: current.shown, file: current.file, service, data });
    const extend = data.extends;
    if (extend === undefined || extend === null) break;
    const target =
      typeof extend === 'string'
        ? { service: extend }
        : typeof extend === 'object' && !Array.isArray(extend)
          ? (extend as { service?: unknown; file?: unknown })
          : {};
    if (typeof target.service !== 'string')
      return { problem: `service "${service}" in ${current.shown}: extends names no service` };
    if (typeof target.file === 'string') {
      const file = posix.normalize(posix.join(posix.dirname(current.file), target.file));
      const loaded = load(file);
      if ('problem' in loaded)
        return { problem: `service "${service}" extends ${target.file}: ${loaded.problem}` };
      current = loaded;
    }
    service = target.service;
  }
  return new ServiceView(name, layers);
}

/**
 * Services that run once and exit (migrations, model downloads): another service waits for
 * them with `condition: service_completed_successfully`. A restart policy or a health check
 * does not apply to them.
 */
export function oneShotServices(views: Iterable<ServiceView>, env: ComposeEnv = NO_ENV): Set<string> {
  const all = [...views];
  const byName = new Map(all.map((view) => [view.name, view]));
  const out = new Set<string>();
  for (const view of all) {
    const dependsOn = view.get<unknown>(['depends_on'])?.value;
    if (!dependsOn || typeof dependsOn !== 'object' || Array.isArray(dependsOn)) continue;
    for (const [dependency, spec] of Object.entries(dependsOn as Obj)) {
      if ((spec as Obj | null)?.condition !== 'service_completed_successfully') continue;
      // Another service's depends_on is not the exempted service's word: it must say itself
      // that it runs once (otherwise any service, the model included, could be exempted).
      const target = byName.get(dependency);
      if (target && saysOneShot(target, env)) out.add(dependency);
    }
  }
  return out;
}

/** A service that declares it runs once: restart "no" or on-failure, and serves no port. */
export function saysOneShot(view: ServiceView, env: ComposeEnv = NO_ENV): boolean {
  const read = (value: unknown) => (typeof value === 'string' ? interpolate(value, '\u0000', env) : value);
  const restart = read(view.get<unknown>(['restart'])?.value);
  const condition = read(view.get<unknown>(['deploy', 'restart_policy', 'condition'])?.value);
  const once =
    (typeof restart === 'string' && /^(no|on-failure(:\d+)?)$/.test(restart)) ||
    restart === false ||
    (typeof condition === 'string' && /^(none|on-failure)$/.test(condition));
  const serves = view.entries('ports').length > 0 || view.entries('expose').length > 0;
  return once && !serves;
}

/** Variables the project sets (its `.env`): read as `docker compose` reads them. */
export type ComposeEnv = ReadonlyMap<string, string>;
const NO_ENV: ComposeEnv = new Map();

/**
 * Compose interpolation, for judging values: a variable the project's `.env` sets takes that
 * value; otherwise `${VAR:-default}` and `${VAR-default}` become the default (nested defaults
 * too); a variable without one is unknown until deployment and becomes `unknown`.
 */
export function interpolate(text: string, unknown = '\u0000', env: ComposeEnv = NO_ENV): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '$' && text[i + 1] === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (c === '$' && text[i + 1] === '{') {
      let depth = 0;
      let end = -1;
      for (let j = i + 1; j < text.length; j++) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}' && --depth === 0) {
          end = j;
          break;
        }
      }
      // An unclosed ${ is a file Compose refuses: nothing safe can be assumed about it.
      if (end === -1) return out + unknown;
      out += substitute(text.slice(i + 2, end), unknown, env);
      i = end + 1;
      continue;
    }
    const bare = c === '$' ? /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1)) : null;
    if (bare) {
      out += env.get(bare[0]) ?? unknown;
      i += 1 + bare[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function substitute(inner: string, unknown: string, env: ComposeEnv): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(inner);
  if (!match) return unknown;
  const [, name, op, rest = ''] = match;
  const value = env.get(name!);
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  const alternative = () => interpolate(rest, unknown, env);
  switch (op) {
    case undefined:
      return set ? value : unknown;
    case ':-':
      return nonEmpty ? value : alternative();
    case '-':
      return set ? value : alternative();
    case ':?':
      return nonEmpty ? value : unknown;
    case '?':
      return set ? value : unknown;
    // ${VAR:+alt}: alt when set; unset at deployment is unknown.
    case ':+':
      return nonEmpty ? alternative() : set ? '' : unknown;
    default:
      return set ? alternative() : unknown;
  }
}

/**
 * A `.env` file as Compose reads it: `KEY=value` (optionally `export `), `# comments`, single
 * quotes literal, double quotes with escapes, `${VAR}` of earlier lines expanded in unquoted and
 * double-quoted values, an unquoted value's ` # comment` dropped.
 */
export function parseDotenv(text: string): Map<string, string> {
  const env = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(lines[index]!);
    if (!match) continue;
    const [, key, raw = ''] = match;
    let value: string;
    const quote = raw[0];
    if (quote === "'" || quote === '"') {
      // A quoted value may span lines.
      let body = raw.slice(1);
      while (!new RegExp(`(^|[^\\\\])${quote}`).test(body) && index + 1 < lines.length)
        body += `\n${lines[++index]}`;
      const close = quote === "'" ? body.indexOf("'") : /(^|[^\\])"/.exec(body);
      const end = typeof close === 'number' ? close : close ? close.index + close[1]!.length : -1;
      value = end === -1 ? body : body.slice(0, end);
      if (quote === '"')
        value = interpolate(
          value.replace(/\\([nrt"\\])/g, (_, e: string) =>
            e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e,
          ),
          '',
          env,
        );
    } else value = interpolate(raw.replace(/(^|\s)#.*$/, '').trim(), '', env);
    env.set(key!, value);
  }
  return env;
}

/**
 * A boolean as compose-go casts it: interpolated first, then y/yes/true/on (any case) are true
 * and n/no/false/off false. `unknown`: a variable set only at deployment; `invalid`: Compose
 * refuses the value.
 */
export function composeBool(value: unknown, env: ComposeEnv): boolean | 'unknown' | 'invalid' {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return 'invalid';
  const text = interpolate(value, '\u0000', env);
  if (text.includes('\u0000')) return 'unknown';
  const word = text.trim().toLowerCase();
  if (['y', 'yes', 'true', 'on'].includes(word)) return true;
  if (['n', 'no', 'false', 'off'].includes(word)) return false;
  return 'invalid';
}

/** A short-syntax volume, `SOURCE:TARGET[:MODE]`, split outside `${...}`. */
export function volumeParts(entry: unknown): { source?: string; target?: string; type?: string } {
  if (entry && typeof entry === 'object') {
    const long = entry as Obj;
    return {
      ...(typeof long.source === 'string' ? { source: long.source } : {}),
      ...(typeof long.target === 'string' ? { target: long.target } : {}),
      ...(typeof long.type === 'string' ? { type: long.type } : {}),
    };
  }
  if (typeof entry !== 'string') return {};
  const parts: string[] = [];
  let depth = 0;
  let part = '';
  for (let i = 0; i < entry.length; i++) {
    const c = entry[i]!;
    if (c === '$' && entry[i + 1] === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
    // A Windows drive letter ("C:\\data:/data") is not a separator.
    if (
      c === ':' &&
      depth === 0 &&
      !(parts.length === 0 && /^[A-Za-z]$/.test(part) && /[\\/]/.test(entry[i + 1] ?? ''))
    ) {
      parts.push(part);
      part = '';
    } else part += c;
  }
  parts.push(part);
  if (parts.length === 1) return { target: parts[0] };
  return { source: parts[0], target: parts[1] };
}
