/**
 * mlgate import CHECKLIST.md: the team's Markdown checklist as an mlgate.yaml. Every item is
 * kept (items in = items out, said at the end); the spec is validated before it is written,
 * and an existing file is never overwritten without --force.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, relative, resolve } from 'node:path';
import { decodeChecklist } from '../../checklist/decode.js';
import { parseChecklist } from '../../checklist/parse.js';
import { slugify } from '../../checklist/slug.js';
import { checklistToSpec } from '../../checklist/to-spec.js';
import { UsageError } from '../../engine/errors.js';
import { loadBuiltinChecks } from '../../engine/registry.js';
import { writeFileAtomic } from '../../report/render.js';
import { parseSpec } from '../../spec/load.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { reportKnownError } from '../problems.js';
import { colourWanted, makeStyle } from '../style.js';

export interface ImportOptions {
  out?: string;
  force?: boolean;
  /** Restore checks from the mlgate comments of a checklist written by `mlgate export`. */
  trustComments?: boolean;
  name?: string;
}

export async function importCommand(checklist: string, options: ImportOptions, io: CliIO): Promise<number> {
  const style = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  try {
    const file = resolve(io.cwd, checklist);
    if (!existsSync(file))
      throw new UsageError(`${checklist}: no such file`, 'give the Markdown checklist to import');
    const decoded = decodeChecklist(readFileSync(file));
    const parsed = parseChecklist(decoded.text);
    if (decoded.repair) parsed.repairs.unshift(decoded.repair);
    if (parsed.items.length === 0)
      throw new UsageError(
        `${checklist}: no checklist items found`,
        'mlgate imports task-list items ("- [ ] ..."); a file without checkboxes has nothing to import',
      );
    const carriedName = options.trustComments
      ? (parsed.carried.spec?.project as { name?: unknown } | undefined)?.name
      : undefined;
    const name =
      options.name ??
      (typeof carriedName === 'string' && carriedName ? carriedName : undefined) ??
      slugify(parsed.title ?? basename(file, extname(file)));
    const result = checklistToSpec(parsed, {
      name,
      source: basename(file),
      trustComments: options.trustComments === true,
    });
    const toStdout = options.out === '-';
    const out = toStdout ? undefined : resolve(io.cwd, options.out ?? 'mlgate.yaml');
    // Validate what we write, as `mlgate validate` would (paths resolved beside it).
    parseSpec(result.yaml, out ?? resolve(io.cwd, 'mlgate.yaml'), await loadBuiltinChecks());
    if (out) {
      if (existsSync(out) && !options.force)
        throw new UsageError(
          `${relative(io.cwd, out) || out} exists; nothing was written`,
          'give --out FILE for another file, or --force to replace it',
        );
      writeFileAtomic(out, result.yaml);
    } else {
      io.stdout.write(result.yaml);
    }
    const kinds = Object.entries(result.byKind)
      .filter(([kind]) => kind !== 'manual')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ');
    const sections = new Set(result.items.map((i) => i.sectionPath.join('\u0000'))).size;
    io.stderr.write(
      [
        `${style.green('✓')} ${checklist}: ${parsed.checkboxes} checkbox${parsed.checkboxes === 1 ? '' : 'es'} in the file, ${result.items.length} items out, in ${sections} sections`,
        `  automated ${result.automated}${kinds ? ` (${kinds})` : ''}, manual ${result.manual}`,
        ...parsed.repairs.map((r) => `  repaired: ${r}`),
        result.restored > 0
          ? `  ${result.restored} check${result.restored === 1 ? '' : 's'} restored from mlgate comments (a checklist written by mlgate export): as trustworthy as the file it came from — read the diff`
          : '',
        ...result.notes.map((note) => `  ${style.yellow('!')} ${note}`),
        parsed.unread.length > 0
          ? `  ${style.yellow('!')} ${parsed.unread.length} checkbox${parsed.unread.length === 1 ? '' : 'es'} not imported (inside HTML or another construct mlgate does not read): line${parsed.unread.length === 1 ? '' : 's'} ${parsed.unread.slice(0, 10).join(', ')}${parsed.unread.length > 10 ? ', …' : ''}; move ${parsed.unread.length === 1 ? 'it' : 'them'} into a Markdown task list`
          : '',
        result.needsReview > 0
          ? `  ${style.yellow('!')} ${result.needsReview} command${result.needsReview === 1 ? '' : 's'} from the checklist ${result.needsReview === 1 ? 'is' : 'are'} disabled (review: required): read each, then delete that line to let mlgate run it`
          : '',
        out
          ? `  wrote ${relative(io.cwd, out) || out}: fill in the TODO placeholders, then mlgate check ${relative(io.cwd, dirname(out)) || '.'}`
          : '',
      ]
        .filter(Boolean)
        .join('\n') + '\n',
    );
    return ExitCode.Pass;
  } catch (error) {
    return reportKnownError(error, io, style);
  }
}
