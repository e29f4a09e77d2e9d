/**
 * Before a spec is read: a folder that is not there, or one without a spec, is said as such,
 * with the command that makes one (`mlgate init`, or `mlgate import` of a checklist found there).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { closest } from '../util/suggest.js';

/** Names a Markdown checklist is usually kept under, most likely first. */
const CHECKLIST_NAME = /checklist|release|deploy|launch|readiness/i;

/** Throws a UsageError when `dir` is missing, or holds no spec (`file` is where one would be). */
export function assertProjectFolder(dir: string, file: string, cwd: string): void {
  const folder = resolve(cwd, dir);
  if (!existsSync(folder)) {
    const parent = nearestExisting(dirname(folder));
    const siblings = parent ? folders(parent) : [];
    const match = closest(basename(folder), siblings);
    const suggestion = match ? relative(cwd, join(parent!, match)) || '.' : undefined;
    throw new UsageError(
      `folder ${dir} does not exist${suggestion ? `. Did you mean ${suggestion}?` : ''}`,
      'give the project folder that holds mlgate.yaml (mlgate check DIR), or the spec itself with --config FILE',
    );
  }
  if (!statSync(folder).isDirectory() || existsSync(file)) return;
  const shown = relative(cwd, folder) || '.';
  const at = shown === '.' ? '' : ` ${shown}`;
  const checklists = markdownFiles(folder);
  const checklist = checklists.find((name) => CHECKLIST_NAME.test(name)) ?? checklists[0];
  const out = shown === '.' ? 'mlgate.yaml' : join(shown, 'mlgate.yaml');
  throw new UsageError(
    `no spec in ${shown}: no mlgate.yaml or mlgate.yml there`,
    [
      `start one:  mlgate init${at}  (writes mlgate.yaml from the model, data and manifests it finds)`,
      checklist
        ? `or turn your checklist into one:  mlgate import ${join(shown === '.' ? '' : shown, checklist)} --out ${out}`
        : `or turn a Markdown checklist into one:  mlgate import CHECKLIST.md --out ${out}`,
      'or point to a spec with another name:  --config FILE',
    ].join('\n  '),
  );
}

function nearestExisting(path: string): string | undefined {
  let current = path;
  for (;;) {
    if (existsSync(current)) return current;
    const up = dirname(current);
    if (up === current) return undefined;
    current = up;
  }
}

function folders(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

function markdownFiles(path: string): string[] {
  try {
    return readdirSync(path)
      .filter((name) => /\.md$/i.test(name) && !/^(readme|changelog|license|contributing)\.md$/i.test(name))
      .sort();
  } catch {
    return [];
  }
}
