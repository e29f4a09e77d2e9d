import { readFileSync } from 'node:fs';
import { makePlan } from '../../engine/plan.js';
import { compareKinds } from '../../engine/registry.js';
import { SpecError } from '../../spec/errors.js';
import { preflight } from '../../spec/preflight.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { reportKnownError } from '../problems.js';
import { loadProject } from '../project.js';
import { colourWanted, makeStyle } from '../style.js';

export interface ValidateOptions {
  config?: string;
  profile?: string;
  list?: boolean;
}

export async function validateCommand(
  dir: string | undefined,
  options: ValidateOptions,
  io: CliIO,
): Promise<number> {
  const style = makeStyle(colourWanted(io.stdout as NodeJS.WriteStream, io.env));
  const errStyle = makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env));
  try {
    const { loaded, specPath } = await loadProject(dir, options, io);
    if (options.profile !== undefined) makePlan(loaded, { profile: options.profile });
    // What the disk shows before anything runs: missing files, f1 on more than two classes.
    const specText = readFileSync(loaded.file, 'utf8');
    const found = preflight(loaded, specText, specPath);
    if (found.problems.length > 0) throw new SpecError(found.problems, specPath);
    const automated = loaded.items.filter((item) => item.check);
    const byKind = new Map<string, number>();
    for (const item of automated) byKind.set(item.kind, (byKind.get(item.kind) ?? 0) + 1);
    const kinds = [...byKind]
      .sort(([a], [b]) => compareKinds(a, b))
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ');
    const profiles = Object.keys(loaded.spec.profiles);
    const lines = [
      `${style.green('✓')} ${specPath} is valid: ${loaded.sections.length} sections, ${loaded.items.length} items`,
      `  automated ${automated.length}${kinds ? ` (${kinds})` : ''}, manual ${loaded.items.length - automated.length}`,
      `  artifacts: ${Object.keys(loaded.spec.artifacts).join(', ') || 'none'}`,
      `  profiles: ${profiles.length ? profiles.join(', ') : 'none'}${loaded.spec.default_profile ? ` (default ${loaded.spec.default_profile})` : ''}`,
    ];
    for (const warning of [...loaded.warnings, ...found.warnings])
      lines.push(`  ${style.yellow('!')} ${warning}`);
    // What `mlgate import` could not know is marked "# TODO:"; valid YAML is not yet a true spec.
    const specLines = specText.split('\n');
    const todos = specLines.flatMap((line, index) => (/#\s*TODO\b/.test(line) ? [index + 1] : []));
    if (todos.length > 0) {
      const service = todos.some((n) => /\bservice\b/.test(specLines[n - 1] ?? ''));
      lines.push(
        `  ${style.yellow('!')} ${todos.length} TODO placeholder${todos.length === 1 ? '' : 's'} left (line${todos.length === 1 ? '' : 's'} ${todos.slice(0, 8).join(', ')}${todos.length > 8 ? ', …' : ''}): the paths${service ? ', the service url' : ''} there are guesses until you point them at your files${service ? ' and service' : ''}`,
      );
    }
    if (options.list) {
      lines.push('');
      const width = Math.max(...loaded.items.map((item) => item.id.length));
      for (const item of loaded.items) {
        const severity =
          typeof item.severity === 'string'
            ? item.severity
            : Object.entries(item.severity)
                .map(([p, s]) => `${p}:${s}`)
                .join(',');
        lines.push(
          `  ${item.id.padEnd(width)}  ${item.kind.padEnd(9)} ${severity.padEnd(12)} ${style.dim(item.sectionPath.join(' › '))} — ${item.title}`,
        );
      }
    }
    io.stdout.write(`${lines.join('\n')}\n`);
    return ExitCode.Pass;
  } catch (error) {
    return reportKnownError(error, io, errStyle);
  }
}
