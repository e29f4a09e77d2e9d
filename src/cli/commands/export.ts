/** mlgate export: the spec as a clean Markdown checklist (stdout, or --out FILE). */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { exportMarkdown } from '../../checklist/export.js';
import { UsageError } from '../../engine/errors.js';
import { writeFileAtomic } from '../../report/render.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { reportKnownError } from '../problems.js';
import { loadProject } from '../project.js';
import { colourWanted, makeStyle } from '../style.js';

export interface ExportOptions {
  config?: string;
  format: 'md';
  out?: string;
  force?: boolean;
}

export async function exportCommand(
  dir: string | undefined,
  options: ExportOptions,
  io: CliIO,
): Promise<number> {
  const style = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  try {
    const { loaded, specPath } = await loadProject(dir, options, io);
    const markdown = exportMarkdown(loaded);
    if (!options.out) {
      io.stdout.write(markdown);
      return ExitCode.Pass;
    }
    const out = resolve(io.cwd, options.out);
    if (existsSync(out) && !options.force)
      throw new UsageError(`${options.out} exists; nothing was written`, 'give --force to replace it');
    writeFileAtomic(out, markdown);
    io.stderr.write(
      `${loaded.items.length} items of ${specPath} written to ${relative(io.cwd, out) || out}\n`,
    );
    return ExitCode.Pass;
  } catch (error) {
    return reportKnownError(error, io, style);
  }
}
