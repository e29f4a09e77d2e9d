/**
 * A parsed YAML (or JSON) file that remembers where every value came from, so errors and
 * evidence can name file:line:column and show the line.
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  parseDocument,
  type YAMLMap,
} from 'yaml';

function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  return typeof key.value === 'symbol' || key.value === '<<';
}

export type YamlPath = ReadonlyArray<string | number>;

export interface Position {
  line: number;
  column: number;
}

export interface YamlSyntaxProblem extends Position {
  message: string;
}

/** Parse options a caller may add: `version: '1.1'` reads yes/no/on/off as booleans, as kubectl does. */
export interface YamlSourceOptions {
  version?: '1.1' | '1.2';
}

export class YamlSource {
  readonly lineCounter: LineCounter;
  readonly document: Document.Parsed;
  readonly lines: string[];

  constructor(
    readonly file: string,
    readonly text: string,
    parsed?: { document: Document.Parsed; lineCounter: LineCounter; lines: string[] },
    options: YamlSourceOptions = {},
  ) {
    this.lineCounter = parsed?.lineCounter ?? new LineCounter();
    this.document =
      parsed?.document ??
      parseDocument(text, {
        lineCounter: this.lineCounter,
        prettyErrors: false,
        uniqueKeys: true,
        keepSourceTokens: false,
        // YAML 1.1 merge keys (`<<: *defaults`) are how compose files and Helm-rendered
        // manifests share settings; without them a merged `image: x:latest` is never seen.
        merge: true,
        ...(options.version ? { version: options.version } : {}),
      });
    this.lines = parsed?.lines ?? text.split(/\r?\n/);
  }

  /** Every document of a multi-document file ("---" separated), sharing positions. */
  static all(file: string, text: string, options: YamlSourceOptions = {}): YamlSource[] {
    const lineCounter = new LineCounter();
    const lines = text.split(/\r?\n/);
    return parseAllDocuments(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      merge: true,
      ...(options.version ? { version: options.version } : {}),
    }).map(
      (document) => new YamlSource(file, text, { document: document as Document.Parsed, lineCounter, lines }),
    );
  }

  get syntaxProblems(): YamlSyntaxProblem[] {
    return [...this.document.errors, ...this.document.warnings].map((error) => {
      const position = this.positionOf(error.pos[0]);
      // The library's messages end with the position again; keep the first sentence.
      const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return { ...position, message };
    });
  }

  /** The plain data, or undefined for an empty document. */
  toJS(): unknown {
    return this.document.toJS({ maxAliasCount: 1000 }) ?? undefined;
  }

  positionOf(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  /** The node at a path, or undefined. */
  nodeAt(path: YamlPath): Node | undefined {
    let node: unknown = this.document.contents;
    for (const segment of path) {
      if (isMap(node)) {
        node = this.mapValue(node, String(segment));
        if (node === undefined || node === null) return undefined;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else {
        return undefined;
      }
    }
    return (node as Node | undefined) ?? undefined;
  }

  /** A map's value for `key`: its own entry first, then what its merge keys (`<<`) bring in. */
  private mapValue(map: YAMLMap, key: string, seen = new Set<Node>()): unknown {
    if (seen.has(map)) return undefined;
    seen.add(map);
    const own = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    if (own) return own.value ?? undefined;
    for (const pair of map.items) {
      if (!isMergeKey(pair.key)) continue;
      const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
      for (const source of sources) {
        const target = isAlias(source) ? source.resolve(this.document) : source;
        if (!isMap(target)) continue;
        const found = this.mapValue(target, key, seen);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }

  /**
   * Where the value at `path` is written; for a path that does not exist (a missing key),
   * where its nearest existing ancestor is.
   */
  locate(path: YamlPath): Position & { exact: boolean } {
    for (let length = path.length; length >= 0; length--) {
      const prefix = path.slice(0, length);
      const node = length === 0 ? this.document.contents : this.nodeAt(prefix);
      if (node?.range) {
        // For a missing key, point at the parent's key rather than the whole parent value.
        if (length < path.length && length > 0) {
          const key = this.keyNode(prefix);
          if (key?.range) return { ...this.positionOf(key.range[0]), exact: false };
        }
        return { ...this.positionOf(node.range[0]), exact: length === path.length };
      }
    }
    return { line: 1, column: 1, exact: false };
  }

  /** Where the key of the entry at `path` is written (for "unknown key" errors). */
  locateKey(path: YamlPath): Position | undefined {
    const key = this.keyNode(path);
    return key?.range ? this.positionOf(key.range[0]) : undefined;
  }

  private keyNode(path: YamlPath): Node | undefined {
    if (path.length === 0) return undefined;
    const parent = path.length === 1 ? this.document.contents : this.nodeAt(path.slice(0, -1));
    const last = path[path.length - 1];
    if (!isMap(parent)) return undefined;
    const pair = parent.items.find(
      (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(last),
    );
    return (pair?.key as Node | undefined) ?? undefined;
  }

  /** Two lines of context, the line itself marked, and a caret under the column. */
  frame(position: Position): string {
    return codeFrame(this.lines, position);
  }
}

export function codeFrame(lines: readonly string[], { line, column }: Position, context = 1): string {
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? '>' : ' ';
    out.push(`${marker} ${String(n).padStart(width)} | ${lines[n - 1] ?? ''}`);
  }
  out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`);
  return out.join('\n');
}

/** "sections[0].items[2].check.kind" */
export function formatYamlPath(path: YamlPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out === '' ? '(top level)' : out;
}
