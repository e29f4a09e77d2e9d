/**
 * mlgate init [DIR]: looks at what the project has and writes DIR/mlgate.yaml from the
 * built-in templates, with the paths it found filled in and the rest as manual sign-offs.
 * It says what it found, and never replaces a spec without --force.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { Document, isMap, isSeq, type YAMLMap } from 'yaml';
import { slugify } from '../../checklist/slug.js';
import { UsageError } from '../../engine/errors.js';
import { loadBuiltinChecks } from '../../engine/registry.js';
import { writeFileAtomic } from '../../report/render.js';
import { parseSpec } from '../../spec/load.js';
import { SPEC_VERSION } from '../../spec/schema.js';
import { describeDetected, detectProject } from '../../templates/detect.js';
import { TEMPLATES, type TemplateSection } from '../../templates/templates.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { reportKnownError } from '../problems.js';
import { colourWanted, makeStyle } from '../style.js';

export interface InitOptions {
  template?: string[];
  force?: boolean;
  listTemplates?: boolean;
}

export async function initCommand(dir: string | undefined, options: InitOptions, io: CliIO): Promise<number> {
  const style = makeStyle(colourWanted(io.stdout as NodeJS.WriteStream, io.env));
  try {
    if (options.listTemplates) {
      for (const t of TEMPLATES) io.stdout.write(`${t.name.padEnd(15)} ${t.description}\n`);
      return ExitCode.Pass;
    }
    const root = resolve(io.cwd, dir ?? '.');
    if (!existsSync(root) || !statSync(root).isDirectory())
      throw new UsageError(`${dir}: no such folder`, 'give the project folder to write mlgate.yaml into');
    const target = join(root, 'mlgate.yaml');
    const shown = relative(io.cwd, target) || target;
    if (existsSync(target) && !options.force)
      throw new UsageError(`${shown} exists; nothing was written`, 'give --force to replace it');

    const names = options.template
      ?.flatMap((t) => t.split(','))
      .map((t) => t.trim())
      .filter(Boolean);
    for (const name of names ?? [])
      if (!TEMPLATES.some((t) => t.name === name))
        throw new UsageError(
          `unknown template "${name}"`,
          `use one or more of ${TEMPLATES.map((t) => t.name).join(', ')} (mlgate init --list-templates)`,
        );
    const found = detectProject(root);
    const chosen = names
      ? TEMPLATES.filter((t) => names.includes(t.name))
      : TEMPLATES.filter((t) => t.byDefault(found));
    const sections: TemplateSection[] = chosen.flatMap((t) => t.build(found));
    const needsService = chosen.some((t) => t.service);

    // Every model, prediction, image and config file found is an artifact: sign-offs are bound
    // to their digests, so an approval goes stale when one of them changes.
    const artifacts: Record<string, string> = {};
    const add = (name: string, path: string | undefined) => {
      if (!path) return;
      let id = slugify(name);
      for (let n = 2; id in artifacts; n++) id = `${slugify(name)}-${n}`;
      artifacts[id] = path;
    };
    for (const model of found.models.slice(0, 10)) add('model', model);
    add('predictions', found.predictions);
    add('dockerfile', found.dockerfile);
    add('compose', found.compose);
    add('model-card', found.modelCard);
    for (const file of found.dependencies) add(basename(file).replace(/\.[^.]+$/, ''), file);
    const spec = {
      version: SPEC_VERSION,
      project: { name: slugify(basename(root)) },
      ...(Object.keys(artifacts).length > 0 ? { artifacts } : {}),
      ...(needsService ? { service: { url: 'http://127.0.0.1:8080' } } : {}),
      sections: sections.map((section) => ({
        id: section.id,
        title: section.title,
        items: section.items.map(({ todo: _todo, ...item }) => item),
      })),
    };
    const doc = new Document(spec);
    doc.commentBefore = [
      ` mlgate spec written by \`mlgate init\` (templates: ${chosen.map((t) => t.name).join(', ')}).`,
      ' Checks point at the files found in this project; the rest are manual sign-offs until you',
      ' give them a check. Look for TODO comments, then: mlgate check',
    ].join('\n');
    if (needsService)
      (doc.get('service', true) as YAMLMap).commentBefore =
        ' TODO: the running service, or start: {command: ...} for mlgate to start it';
    sections.forEach((section, s) => {
      const items = doc.getIn(['sections', s, 'items'], true);
      if (!isSeq(items)) return;
      section.items.forEach((item, i) => {
        const node = items.items[i];
        if (item.todo && isMap(node)) node.commentBefore = ` TODO: ${item.todo}`;
      });
    });
    const yaml = doc.toString({ lineWidth: 100 });
    parseSpec(yaml, target, await loadBuiltinChecks());
    writeFileAtomic(target, yaml);

    const items = sections.flatMap((s) => s.items);
    const automated = items.filter((i) => i.check).length;
    io.stdout.write(
      [
        `Found in ${relative(io.cwd, root) || '.'}:`,
        ...describeDetected(found),
        '',
        `${style.green('✓')} wrote ${shown}: ${items.length} items in ${sections.length} sections (${automated} checks, ${items.length - automated} manual sign-offs), templates ${chosen.map((t) => t.name).join(', ')}`,
        `  next: fill in the TODOs, then mlgate check ${relative(io.cwd, root) || '.'}`,
        '',
      ].join('\n'),
    );
    return ExitCode.Pass;
  } catch (error) {
    return reportKnownError(error, io, makeStyle(colourWanted(io.stderr as NodeJS.WriteStream, io.env)));
  }
}
