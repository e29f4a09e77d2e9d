/**
 * A Markdown deployment checklist read as Markdown (GitHub-flavoured task lists through
 * mdast), not with line regexes: headings are sections, every checkbox is an item, nested
 * bullets its description, a "Verification" code block its command, "If unchecked:" its fix,
 * "(optional)" and friends its severity. Damaged files still read: text decoded twice
 * (mojibake), checkboxes written ☐ / [ ] without a bullet, odd bullets — repaired line by
 * line first, so line numbers stay those of the file.
 */
import type {
  Blockquote,
  Code,
  Heading,
  List,
  ListItem,
  Node,
  Paragraph,
  Parent,
  Root,
  RootContent,
  Table,
} from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { toString } from 'mdast-util-to-string';
import { gfm } from 'micromark-extension-gfm';
import type { Severity } from '../domain/run-report.js';
import { parse as parseYaml } from 'yaml';
import { CP1252 } from './decode.js';

/** A node's words; HTML (comments, tags) is markup, never part of a title or an id. */
function textOf(node: Node | undefined): string {
  return toString(node, { includeHtml: false });
}

export interface CodeBlock {
  lang: string;
  value: string;
  line: number;
  /** What the checklist said the block is for. */
  role: 'verification' | 'in-item' | 'remediation' | 'expected';
}

export interface ChecklistItem {
  /** 1-based line of the checkbox in the file. */
  line: number;
  sectionPath: string[];
  title: string;
  /** Inline code in the title and description (paths, commands). */
  code: string[];
  checked: boolean;
  description: string[];
  blocks: CodeBlock[];
  remediation: string[];
  severity: Severity;
  /** The words that set the severity, e.g. "(if applicable)" on the item or its section. */
  severityMarker?: string;
  /** An id the checklist carries (written by `mlgate export`). */
  id?: string;
  /** The title as written, severity marker included ("Retries enabled (optional)"). */
  writtenTitle?: string;
  /** The severity the item's own marker gave, before its headings' markers. */
  ownSeverity?: Severity;
  /** The mlgate-section comment under the item's heading (an exported checklist). */
  sectionCarried?: Record<string, unknown>;
  /** The checklist's title: context for words that name no technology themselves. */
  document?: string;
  /** The spec item `mlgate export` carried in a `<!-- mlgate: {...} -->` comment under it. */
  carried?: Record<string, unknown>;
}

export interface Checklist {
  title?: string;
  /** From YAML front matter: metadata, never a section. */
  meta: { title?: string; owner?: string; description?: string };
  items: ChecklistItem[];
  /** What was repaired before reading, for the user. */
  repairs: string[];
  /**
   * Lines that look like a checkbox but did not become an item (in HTML, in an odd
   * construct): the import says so instead of counting only what it understood.
   */
  unread: number[];
  /** Checkboxes counted in the file, apart from the parser (for "N in, M out"). */
  checkboxes: number;
  /** What `mlgate export` carried beside the items: the spec's other keys, section fields. */
  carried: {
    spec?: Record<string, unknown>;
    sections: Record<string, Record<string, unknown>>;
    /** Every mlgate-section comment, in order (keys rebuild an exported spec's section tree). */
    sectionList: Array<Record<string, unknown>>;
  };
}

const SEVERITY_MARKERS: Array<{ pattern: RegExp; severity: Severity }> = [
  { pattern: /\(\s*optional,? but recommended\s*\)/i, severity: 'recommended' },
  { pattern: /\(\s*recommended\s*\)/i, severity: 'recommended' },
  { pattern: /\(\s*if applicable\s*\)/i, severity: 'recommended' },
  { pattern: /\(\s*if needed\s*\)/i, severity: 'optional' },
  { pattern: /\(\s*optional\s*\)/i, severity: 'optional' },
];

const RANK: Record<Severity, number> = { required: 0, recommended: 1, optional: 2 };

export function severityMarker(text: string): { severity: Severity; marker: string } | undefined {
  for (const { pattern, severity } of SEVERITY_MARKERS) {
    const match = pattern.exec(text);
    if (match) return { severity, marker: match[0] };
  }
  return undefined;
}

/** Status marks people put in headings ("Security ✅", "Database ⚠️") and list numbering. */
export function cleanHeading(text: string): string {
  return text
    .replace(/[\u2705\u2713\u2714\u2611\u2612\u274c\u26a0\ufe0f\u2610]/gu, '')
    .replace(/^\s*\d+[.)]\s+/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export function parseChecklist(input: string, pieceLines = PIECE_LINES): Checklist {
  const { text: body, meta } = frontMatter(input);
  const { text, repairs } = repairText(body);
  const checklist = new Reader().read(parseMarkdown(text, pieceLines), repairs);
  checklist.meta = meta;
  checklist.title ??= meta.title;
  // "Kubernetes Best Practices" as the document's title is context for "Disable privileged containers".
  if (checklist.title) for (const item of checklist.items) item.document = checklist.title;
  const read = new Map<number, number>();
  for (const item of checklist.items) read.set(item.line, (read.get(item.line) ?? 0) + 1);
  const counts = checkboxCounts(text);
  checklist.checkboxes = [...counts.values()].reduce((sum, n) => sum + n, 0);
  checklist.unread = [...counts].filter(([n, boxes]) => (read.get(n) ?? 0) < boxes).map(([n]) => n);
  return checklist;
}

/**
 * YAML front matter ("---" first line, "---" or "..." closing): read for title, owner and
 * description, and blanked so its lines keep their numbers and never become a heading.
 */
function frontMatter(input: string): { text: string; meta: Checklist['meta'] } {
  const match = /^\ufeff?---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/.exec(input);
  if (!match) return { text: input, meta: {} };
  let data: unknown;
  try {
    data = parseYaml(match[1]!);
  } catch {
    data = undefined;
  }
  const field = (key: string) => {
    const value = (data as Record<string, unknown> | null)?.[key];
    return typeof value === 'string' && value.trim() ? value.trim() : undefined;
  };
  const meta: Checklist['meta'] = {};
  const title = field('title') ?? field('name');
  const owner = field('owner') ?? field('author');
  const description = field('description');
  if (title) meta.title = title;
  if (owner) meta.owner = owner;
  if (description) meta.description = description;
  const blank = match[0].replace(/[^\r\n]/g, '');
  return { text: blank + input.slice(match[0].length), meta };
}

/**
 * The Markdown tree, parsed in pieces of a few hundred lines cut where a new top-level block
 * starts. micromark's edit map makes one long list quadratic (5,000 items took 8 s); pieces
 * keep it linear. A cut is made only where it cannot change what we read: outside fenced
 * code and HTML blocks, before a line at column 0 that starts a task item or a heading (a plain bullet may
 * belong to the "If unchecked:" paragraph above it), and
 * never in a document with link reference definitions (a definition must see its uses).
 */
const PIECE_LINES = 200;

export function parseMarkdown(text: string, pieceLines = PIECE_LINES): Root {
  const parse = (source: string) =>
    fromMarkdown(source, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
  const lines = text.split('\n');
  if (lines.length <= pieceLines || /^ {0,3}\[[^\]]+\]:/m.test(text)) return parse(text);
  const root: Root = { type: 'root', children: [] };
  let start = 0;
  const fences = new Fences();
  let html: RegExp | undefined;
  const flush = (end: number) => {
    const piece = parse(lines.slice(start, end).join('\n'));
    shiftLines(piece, start);
    root.children.push(...piece.children);
    start = end;
  };
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (html) {
      if (html.test(line)) html = undefined;
      continue;
    }
    const canCut =
      index - start >= pieceLines &&
      (/^([-*+]|\d{1,9}[.)]) \[[ xX]\] /.test(line) || /^#{1,6}( |$)/.test(line));
    if (fences.inside(line)) continue;
    if (canCut) flush(index);
    if (/^ {0,3}<!--/.test(line) && !line.includes('-->')) html = /-->/;
    else if (
      /^ {0,3}<(script|pre|style|textarea)\b/i.test(line) &&
      !/<\/(script|pre|style|textarea)>/i.test(line)
    )
      html = /<\/(script|pre|style|textarea)>/i;
    else if (/^ {0,3}<[A-Za-z/!?]/.test(line)) html = /^\s*$/;
  }
  flush(lines.length);
  return root;
}

function shiftLines(node: Node, offset: number): void {
  if (node.position) {
    node.position.start.line += offset;
    node.position.end.line += offset;
  }
  for (const child of (node as Parent).children ?? []) shiftLines(child, offset);
}

/**
 * Fenced code as CommonMark reads it: opened by three or more backticks or tildes, closed only
 * by a line of the same character at least as long ("````" is not closed by "```"). `inside`
 * is true for the delimiters and everything between. Blockquote markers are looked through.
 */
export class Fences {
  private open?: { char: string; length: number };

  inside(line: string): boolean {
    const bare = line.replace(/^\s*(?:>\s?)*\s*/, '');
    if (this.open) {
      const close = /^(`+|~+)\s*$/.exec(bare);
      if (close && close[1]![0] === this.open.char && close[1]!.length >= this.open.length)
        this.open = undefined;
      return true;
    }
    const opening = /^(`{3,}|~{3,})(.*)$/.exec(bare);
    if (!opening || (opening[1]![0] === '`' && opening[2]!.includes('`'))) return false;
    this.open = { char: opening[1]![0]!, length: opening[1]!.length };
    return true;
  }
}

/**
 * Checkboxes outside fenced code, per line: a task bullet, a glyph, each checkbox cell of a
 * table row (also after a <br>), and the marks other tools use ([-], [/], [~], ⬜).
 */
export function checkboxCounts(text: string): Map<number, number> {
  const found = new Map<number, number>();
  const fences = new Fences();
  text.split('\n').forEach((line, index) => {
    if (fences.inside(line)) return;
    let count = 0;
    if (/^\s*(?:>\s*)*(?:[-*+]|\d+[.)])\s+\[[ xX\-/~]?\]\s+\S/.test(line)) count = 1;
    else if (/^\s*(?:>\s*)*(?:[-*+]\s+)?[\u2610\u2611\u2612\u2b1c\u{1f532}]\s*\S/u.test(line)) count = 1;
    else if (line.includes('|'))
      count = [
        ...line.matchAll(
          /(?:^\s*|\||<br\s*\/?>)\s*(?:[-*+]\s+)?(?:\[[ xX]\]|[\u2610\u2611\u2612])(?=\s*(?:\||<br)|\s+\S)/gi,
        ),
      ].length;
    if (count > 0) found.set(index + 1, count);
  });
  return found;
}

/** Lines outside fenced code holding a checkbox (see checkboxCounts). */
export function checkboxLines(text: string): number[] {
  return [...checkboxCounts(text).keys()];
}

class Reader {
  private items: ChecklistItem[] = [];
  private headings: Array<{
    depth: number;
    title: string;
    marker?: ReturnType<typeof severityMarker>;
    carried?: Record<string, unknown>;
  }> = [];
  private title?: string;
  private h1Count = 0;
  /** The item that "Verification:", "If unchecked:" and "Expected:" paragraphs belong to. */
  private last?: ChecklistItem;
  private label?: CodeBlock['role'];
  private carried: Checklist['carried'] = { sections: {}, sectionList: [] };
  private repairs: string[] = [];

  read(tree: Root, repairs: string[]): Checklist {
    this.repairs = repairs;
    this.h1Count = tree.children.filter((n) => n.type === 'heading' && n.depth === 1).length;
    for (const node of tree.children) this.block(node);
    return {
      title: this.title,
      meta: {},
      items: this.items,
      repairs,
      unread: [],
      checkboxes: 0,
      carried: this.carried,
    };
  }

  private sectionPath(extra: string[] = []): string[] {
    return [...this.headings.map((h) => h.title), ...extra];
  }

  private block(node: RootContent): void {
    switch (node.type) {
      case 'heading':
        this.heading(node);
        return;
      case 'list':
        this.list(node, []);
        this.label = undefined;
        return;
      case 'paragraph':
        this.paragraph(node);
        return;
      case 'code':
        this.code(node);
        return;
      case 'thematicBreak':
        this.label = undefined;
        return;
      case 'html':
        this.comment(node.value, line(node));
        return;
      case 'blockquote':
        // "> - [ ] Security reviewed": GitHub renders these as task items, and so do we.
        this.blockquote(node);
        return;
      case 'table':
        this.table(node);
        return;
      default:
        return;
    }
  }

  /** `<!-- mlgate: {...} -->` (an item's check), `mlgate-section:`, `mlgate-spec:`, from `mlgate export`. */
  private comment(html: string, at: number): void {
    const match = /^<!--\s*mlgate(-spec|-section)?:\s*(\{[\s\S]*\})\s*-->\s*$/.exec(html.trim());
    if (!match) return;
    let value: unknown;
    try {
      value = JSON.parse(match[2]!);
    } catch {
      value = undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.repairs.push(`line ${at}: an mlgate comment that is not a JSON object was ignored`);
      return;
    }
    const data = value as Record<string, unknown>;
    if (match[1] === '-spec') this.carried.spec = data;
    else if (match[1] === '-section') {
      this.carried.sections[this.sectionPath().join('\u0000')] = data;
      this.carried.sectionList.push(data);
      const heading = this.headings.at(-1);
      if (heading && !heading.carried) heading.carried = data;
    } else if (this.last) this.last.carried = data;
  }

  private blockquote(node: Blockquote): void {
    for (const child of node.children) this.block(child);
  }

  /**
   * A table whose rows carry a checkbox cell ("| [ ] | Model card written | Owner |"): each
   * such row is an item titled by its other cells.
   */
  private table(node: Table): void {
    for (const row of node.children.slice(1)) {
      const cells = row.children.map((cell) => textOf(cell).replace(/\s+/g, ' ').trim());
      const boxAt = cells.findIndex((cell) => /^(\[[ xX]\]|[\u2610\u2611\u2612])/.test(cell));
      if (boxAt < 0) continue;
      const box = cells[boxAt]!;
      const words = [
        box.replace(/^(\[[ xX]\]|[\u2610\u2611\u2612])\s*/, ''),
        ...cells.filter((_, i) => i !== boxAt),
      ]
        .filter(Boolean)
        .join(' — ');
      const item = this.newItem(line(row), words, /^\[[xX]\]|^[\u2611\u2612]/.test(box), []);
      item.code.push(...inlineCode(row));
      this.items.push(item);
      this.last = item;
      this.label = undefined;
    }
  }

  private newItem(at: number, rawTitle: string, checked: boolean, nested: string[]): ChecklistItem {
    const { title: withoutId, id } = takeId(stripBox(rawTitle));
    const own = severityMarker(withoutId);
    const title = (own ? withoutId.replace(own.marker, '') : withoutId).replace(/\s+/g, ' ').trim();
    let severity: Severity = own?.severity ?? 'required';
    let marker = own?.marker;
    for (const heading of this.headings) {
      if (heading.marker && RANK[heading.marker.severity] > RANK[severity]) {
        severity = heading.marker.severity;
        marker = heading.marker.marker;
      }
    }
    return {
      line: at,
      sectionPath: this.sectionPath(nested),
      title: title || `Item at line ${at}`,
      writtenTitle: withoutId.replace(/\s+/g, ' ').trim(),
      ...(nested.length === 0 && this.headings.at(-1)?.carried
        ? { sectionCarried: this.headings.at(-1)!.carried }
        : {}),
      ...(own ? { ownSeverity: own.severity } : {}),
      code: [],
      checked,
      description: [],
      blocks: [],
      remediation: [],
      severity,
      ...(marker ? { severityMarker: marker } : {}),
      ...(id ? { id } : {}),
    };
  }

  private heading(node: Heading): void {
    const raw = textOf(node);
    // The single top-level heading names the checklist; several are sections.
    if (node.depth === 1 && this.h1Count === 1 && this.title === undefined) {
      this.title = cleanHeading(raw);
      return;
    }
    const marker = severityMarker(raw);
    const title =
      cleanHeading(marker ? raw.replace(marker.marker, '') : raw) || `Section at line ${line(node)}`;
    this.headings = this.headings.filter((h) => h.depth < node.depth);
    this.headings.push({ depth: node.depth, title, marker });
    this.last = undefined;
    this.label = undefined;
  }

  private paragraph(node: Paragraph): void {
    const text = textOf(node).trim();
    const labelled =
      /^(verification|self-check|if unchecked|if skipped|if [^:]{1,40}|expected|note)\s*:?\s*(.*)$/is.exec(
        text,
      );
    if (!labelled || !this.last) {
      this.label = undefined;
      return;
    }
    const [, name, rest] = labelled;
    const key = name!.toLowerCase();
    if (key === 'verification' || key === 'self-check') {
      this.label = 'verification';
      if (rest) this.last.description.push(`Verification: ${rest}`);
    } else if (key.startsWith('if ')) {
      this.label = 'remediation';
      const condition = key === 'if unchecked' ? '' : `${name}: `;
      if (rest) this.last.remediation.push(`${condition}${rest}`);
      else if (condition) this.last.remediation.push(condition.trim());
    } else {
      this.label = 'expected';
      if (rest) this.last.description.push(`${name}: ${rest}`);
    }
  }

  private code(node: Code): void {
    if (!this.last || !this.label) return;
    const block: CodeBlock = {
      lang: (node.lang ?? '').toLowerCase(),
      value: node.value,
      line: line(node),
      role: this.label,
    };
    if (this.label === 'remediation') this.last.remediation.push(node.value);
    else this.last.blocks.push(block);
  }

  private list(node: List, nested: string[]): void {
    if (this.label && this.last && !node.children.some(isTask)) {
      const lines = node.children.map((entry) => `- ${textOf(entry).replace(/\s+/g, ' ').trim()}`);
      if (this.label === 'remediation') this.last.remediation.push(...lines);
      else this.last.description.push(...lines);
      return;
    }
    for (const entry of node.children) {
      if (isTask(entry)) this.task(entry, nested);
      else {
        // A plain bullet holding checkboxes deeper down: those are items of this section.
        for (const child of entry.children) if (child.type === 'list') this.list(child, nested);
      }
    }
  }

  private task(node: ListItem, nested: string[]): void {
    const [first, ...rest] = node.children;
    const rawTitle = first && first.type === 'paragraph' ? textOf(first) : '';
    const item = this.newItem(
      line(node),
      rawTitle,
      node.checked === true || /^\s*[\u2611\u2612]/.test(rawTitle),
      nested,
    );
    if (first) item.code.push(...inlineCode(first));
    this.items.push(item);
    this.last = item;
    this.label = undefined;
    for (const child of rest) {
      if (child.type === 'list') {
        if (child.children.some(isTask)) {
          // Checkboxes under a checkbox: items of their own, in a section named after it.
          const saved: ChecklistItem | undefined = this.last;
          this.list(child, [...nested, item.title]);
          this.last = saved;
        } else {
          for (const entry of child.children) {
            item.description.push(textOf(entry).replace(/\s+/g, ' ').trim());
            item.code.push(...inlineCode(entry));
            for (const sub of entry.children) if (sub.type === 'code') this.itemCode(item, sub);
          }
        }
      } else if (child.type === 'html') {
        const saved: ChecklistItem | undefined = this.last;
        this.last = item;
        this.comment(child.value, line(child));
        this.last = saved;
      } else if (child.type === 'code') {
        this.itemCode(item, child);
      } else if (child.type === 'paragraph') {
        const paragraph = textOf(child).replace(/\s+/g, ' ').trim();
        const fix = /^if unchecked\s*:\s*(.*)$/is.exec(textOf(child).trim());
        if (fix) item.remediation.push(fix[1]!.trim());
        else if (!/^verification\s*:?$/i.test(paragraph)) item.description.push(paragraph);
        item.code.push(...inlineCode(child));
      }
    }
  }

  private itemCode(item: ChecklistItem, node: Code): void {
    item.blocks.push({
      lang: (node.lang ?? '').toLowerCase(),
      value: node.value,
      line: line(node),
      role: 'in-item',
    });
  }
}

function isTask(node: ListItem): boolean {
  if (node.checked === true || node.checked === false) return true;
  const first = node.children[0];
  return first?.type === 'paragraph' && /^\s*[\u2610\u2611\u2612]/.test(textOf(first));
}

function stripBox(text: string): string {
  return text.replace(/^\s*[\u2610\u2611\u2612]\s*/, '');
}

/** `<!-- mlgate:ID -->` is HTML and not in the text; ids also survive as a trailing "{#id}". */
function takeId(text: string): { title: string; id?: string } {
  const match = /\s*\{#([A-Za-z0-9][A-Za-z0-9._-]*)\}\s*$/.exec(text);
  return match ? { title: text.slice(0, match.index), id: match[1] } : { title: text };
}

function inlineCode(node: Node): string[] {
  const found: string[] = [];
  const walk = (n: Node) => {
    if (n.type === 'inlineCode') found.push((n as unknown as { value: string }).value);
    for (const child of (n as Parent).children ?? []) walk(child);
  };
  walk(node);
  return found;
}

function line(node: Node): number {
  return node.position?.start.line ?? 0;
}

// ---------------------------------------------------------------------------------------
// Repairs, line by line (line numbers stay), outside fenced code.

const MOJIBAKE = /[ÂÃâ][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]/;

/** Mac OS Roman's characters at 0x80–0xFF, to undo UTF-8 read as Mac Roman ("‚òëÔ∏è" for "☑️"). */
const MAC_ROMAN: Map<string, number> = (() => {
  const decoded = new TextDecoder('macintosh').decode(Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i));
  return new Map([...decoded].map((char, i) => [char, 0x80 + i]));
})();

/**
 * "âœ…" → "✅", "‚òëÔ∏è" → "☑️": text that was UTF-8, read as Windows-1252, Latin-1 or Mac
 * Roman, and saved again. Undone only when the bytes it stands for are strictly valid UTF-8,
 * which text that was never mangled almost never is.
 */
export function fixMojibake(line: string): string {
  if (MOJIBAKE.test(line)) {
    const fixed = redecode(line, (char, code) => (code < 0x100 ? code : CP1252[char]));
    if (fixed !== undefined) return fixed;
  }
  if (/[^\x00-\x7f]/.test(line)) {
    const fixed = redecode(line, (char, code) => (code < 0x80 ? code : MAC_ROMAN.get(char)));
    if (fixed !== undefined) return fixed;
  }
  return line;
}

function redecode(
  line: string,
  byteOf: (char: string, code: number) => number | undefined,
): string | undefined {
  const bytes: number[] = [];
  for (const char of line) {
    const byte = byteOf(char, char.codePointAt(0)!);
    if (byte === undefined) return undefined; // a character no single byte gave: not mojibake
    bytes.push(byte);
  }
  try {
    const decoded = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
    return decoded === line ? undefined : decoded;
  } catch {
    return undefined;
  }
}

export function repairText(input: string): { text: string; repairs: string[] } {
  const repairs = new Set<string>();
  const fences = new Fences();
  const lines = input
    .replace(/^\ufeff/, '')
    .split(/\r\n|\r|\n/)
    .map((original) => {
      if (fences.inside(original)) return original;
      let line = fixMojibake(original);
      if (line !== original) repairs.add('text decoded twice (mojibake) re-decoded as UTF-8');
      // A checkbox glyph or "[ ]" with no list bullet, or behind an odd bullet: make it a task.
      // [-], [/], [~] (other tools' "cancelled", "in progress") and ⬜/🔲 are not done: unchecked.
      const box =
        /^(\s*)(?:[-*+•–·]\s*)?(\[[ xX✓✔\-/~]?\]|[\u2610\u2611\u2612\u2b1c]|\u{1f532})\s+(\S.*)$/u.exec(line);
      if (box) {
        const [, indent, mark, rest] = box;
        const checked = /[xX✓✔\u2611\u2612]/.test(mark!);
        const fixed = `${indent}- [${checked ? 'x' : ' '}] ${rest}`;
        if (/^\[[-/~]\]$|\u2b1c|\u{1f532}/u.test(mark!))
          repairs.add('checkboxes marked [-], [/], [~] or ⬜ read as not done');
        else if (fixed !== line && !/^\s*[-*+] \[[ xX]\] /.test(line))
          repairs.add('checkboxes written without a task-list bullet');
        line = fixed;
      }
      return line;
    });
  return { text: lines.join('\n'), repairs: [...repairs] };
}
