import { existsSync, readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import {
  type Finding,
  IgnoreParam,
  LevelsParam,
  parseInlineIgnores,
  type RuleSet,
  ruleOutcome,
} from '../../rules/findings.js';
import { walkFiles } from '../../util/walk.js';

export const RULES: RuleSet = {
  prefix: 'dependencies',
  rules: [
    {
      id: 'dependencies/unpinned',
      title: 'Runtime dependencies are pinned to exact versions',
      level: 'error',
      fix: 'Pin exactly: torch==2.1.0 (pip), "express": "4.19.2" (npm); or commit a lock file.',
    },
    {
      id: 'dependencies/no-lock',
      title: 'Manifests with version ranges have a lock file',
      level: 'error',
      fix: 'Commit the lock file: poetry lock, uv lock, pdm lock, pipenv lock, npm install.',
    },
    {
      id: 'dependencies/lock-drift',
      title: 'Lock files match their manifests',
      level: 'error',
      fix: 'Regenerate the lock file from the manifest and commit both.',
    },
    {
      id: 'dependencies/unparseable',
      title: 'Dependency files parse',
      level: 'error',
      fix: 'Fix the syntax error at the line shown.',
    },
  ],
};

/** PEP 503 name normalisation: "Torch_Vision" and "torch-vision" are one package. */
const normalise = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');
const EXACT = /^\s*[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*===?\s*[^\s,;<>=!~*]+\s*(;.*)?$/;

function requirementName(spec: string): string | undefined {
  return /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(spec)?.[1];
}

export default defineCheck({
  kind: 'dependencies',
  title: 'Dependencies are pinned, and lock files exist and match their manifests',
  description: [
    'Finds requirements*.txt, pyproject.toml, Pipfile and package.json (or takes `files`) and checks',
    'that runtime dependencies are pinned to exact versions (torch==2.1.0, not torch>=2.0): always for',
    'requirements files, and for manifests that have no lock file; that pyproject.toml, Pipfile and',
    'package.json have a lock file (poetry.lock, uv.lock, pdm.lock, Pipfile.lock, package-lock.json,',
    'yarn.lock, pnpm-lock.yaml); and that each lock file contains every dependency its manifest',
    'declares (for package-lock.json, with the same version spec). Development dependencies are not',
    'judged. Findings carry file:line.',
  ].join(' '),
  params: z.strictObject({
    path: z.string().default('.').describe('Project folder to look in.'),
    files: z.array(z.string()).optional().describe('Only these dependency files.'),
    ignore: IgnoreParam,
    levels: LevelsParam,
  }),
  examples: [
    { title: 'The whole project', params: { path: '.' } },
    { title: 'The serving image only', params: { files: ['requirements.txt'] } },
  ],
  async run(ctx, params) {
    const root = ctx.resolve(params.path);
    const prefix = params.path === '.' ? '' : `${ctx.display(root)}/`;
    const candidates =
      params.files ??
      walkFiles(root, { gitignore: true }).filter((file) =>
        /(^|\/)(requirements[^/]*\.txt|pyproject\.toml|Pipfile|package\.json)$/.test(file),
      );
    const missing = candidates.filter((file) => !existsSync(`${root}/${file}`));
    if (missing.length > 0 && params.files)
      return { status: 'error', summary: `${missing.join(', ')} not found` };
    const manifests = candidates.filter((file) => !/(^|\/)(node_modules|fixtures|testdata)\//.test(file));
    if (manifests.length === 0) {
      return ruleOutcome({
        ruleset: RULES,
        findings: [],
        inline: [],
        spec: params.ignore,
        levels: params.levels,
        judged: [],
        nothing: `no dependency files under ${ctx.display(root)}`,
      });
    }
    const findings: Finding[] = [];
    const inline: ReturnType<typeof parseInlineIgnores>['ignores'] = [];
    const rows: Array<Array<string | number>> = [];
    const read = (file: string) => readFileSync(`${root}/${file}`, 'utf8');
    const lineOf = (text: string, needle: RegExp | string) => {
      const lines = text.split(/\r?\n/);
      const index = lines.findIndex((line) =>
        typeof needle === 'string' ? line.includes(needle) : needle.test(line),
      );
      return index === -1 ? undefined : index + 1;
    };
    const add = (rule: string, file: string, message: string, line?: number) =>
      findings.push({
        rule: `dependencies/${rule}`,
        message,
        path: `${prefix}${file}`,
        ...(line ? { line } : {}),
      });
    const sibling = (file: string, name: string) =>
      file.includes('/') ? `${file.slice(0, file.lastIndexOf('/'))}/${name}` : name;

    for (const file of manifests) {
      const text = read(file);
      inline.push(...parseInlineIgnores(`${prefix}${file}`, text.split(/\r?\n/), 'dependencies').ignores);
      const name = file.split('/').pop()!;
      if (name.startsWith('requirements')) {
        let count = 0;
        text.split(/\r?\n/).forEach((raw, index) => {
          const line = raw
            .replace(/\s+#.*$/, '')
            .replace(/\\$/, '')
            .trim();
          if (!line || line.startsWith('#') || line.startsWith('-') || line.startsWith('--')) return;
          count++;
          if (/^(git\+|https?:|file:|\.|\/)/.test(line) || /@\s*(git\+|https?:|file:)/.test(line)) {
            if (!/@[^@/]+$/.test(line.replace(/#.*$/, '')) && !/\.whl$/.test(line))
              add('unpinned', file, `${line}: a URL without a pinned ref`, index + 1);
            return;
          }
          if (!EXACT.test(line.split(/\s+--hash/)[0]!))
            add('unpinned', file, `${line}: not pinned with ==`, index + 1);
        });
        rows.push([`${prefix}${file}`, 'pip requirements', count, '—']);
        continue;
      }
      if (name === 'pyproject.toml' || name === 'Pipfile') {
        let data: Record<string, unknown>;
        try {
          data = parseToml(text) as Record<string, unknown>;
        } catch (error) {
          const line = (error as { line?: number }).line;
          add('unparseable', file, `not valid TOML: ${(error as Error).message.split('\n')[0]}`, line);
          continue;
        }
        const deps = new Map<string, string>();
        if (name === 'Pipfile') {
          for (const [dep, spec] of Object.entries((data.packages ?? {}) as Record<string, unknown>))
            deps.set(
              dep,
              typeof spec === 'string' ? spec : String((spec as { version?: string })?.version ?? '*'),
            );
        } else {
          for (const spec of (data.project as { dependencies?: string[] } | undefined)?.dependencies ?? []) {
            const dep = requirementName(spec);
            if (dep) deps.set(dep, spec.slice(dep.length).trim());
          }
          const poetry =
            (
              (data.tool as Record<string, unknown> | undefined)?.poetry as
                { dependencies?: Record<string, unknown> } | undefined
            )?.dependencies ?? {};
          for (const [dep, spec] of Object.entries(poetry)) {
            if (dep.toLowerCase() === 'python') continue;
            deps.set(
              dep,
              typeof spec === 'string' ? spec : String((spec as { version?: string })?.version ?? '*'),
            );
          }
        }
        const locks = name === 'Pipfile' ? ['Pipfile.lock'] : ['poetry.lock', 'uv.lock', 'pdm.lock'];
        const lock = locks.map((l) => sibling(file, l)).find((l) => existsSync(`${root}/${l}`));
        rows.push([
          `${prefix}${file}`,
          name === 'Pipfile' ? 'Pipfile' : 'pyproject.toml',
          deps.size,
          lock ? `${prefix}${lock}` : 'none',
        ]);
        if (deps.size === 0) continue;
        if (!lock) {
          const ranged = [...deps].filter(
            ([, spec]) => !/^(==|===)\s*[^,*<>~!]+$/.test(spec.trim()) && !/^\d[\w.]*$/.test(spec.trim()),
          );
          if (ranged.length > 0)
            add(
              'no-lock',
              file,
              `${ranged.length} dependenc${ranged.length > 1 ? 'ies use' : 'y uses'} a version range (${ranged
                .slice(0, 4)
                .map(([d, s]) => `${d}${s}`)
                .join(', ')}) and there is no ${locks.join(' / ')}`,
              lineOf(text, ranged[0]![0]),
            );
          continue;
        }
        const lockText = read(lock);
        let locked: Set<string>;
        try {
          locked = lock.endsWith('Pipfile.lock')
            ? new Set(
                Object.keys(
                  (JSON.parse(lockText) as { default?: Record<string, unknown> }).default ?? {},
                ).map(normalise),
              )
            : new Set(
                ((parseToml(lockText) as { package?: Array<{ name: string }> }).package ?? []).map((p) =>
                  normalise(p.name),
                ),
              );
        } catch (error) {
          add('unparseable', lock, `cannot read the lock file: ${(error as Error).message.split('\n')[0]}`);
          continue;
        }
        for (const dep of deps.keys()) {
          if (!locked.has(normalise(dep)))
            add(
              'lock-drift',
              lock,
              `${dep} is in ${prefix}${file} but not in the lock file: the lock is stale`,
              undefined,
            );
        }
        continue;
      }
      if (name === 'package.json') {
        let data: { dependencies?: Record<string, string> };
        try {
          data = JSON.parse(text) as typeof data;
        } catch (error) {
          add('unparseable', file, `not valid JSON: ${(error as Error).message}`);
          continue;
        }
        const deps = Object.entries(data.dependencies ?? {});
        const lock = ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml']
          .map((l) => sibling(file, l))
          .find((l) => existsSync(`${root}/${l}`));
        rows.push([`${prefix}${file}`, 'package.json', deps.length, lock ? `${prefix}${lock}` : 'none']);
        if (deps.length === 0) continue;
        if (!lock) {
          const ranged = deps.filter(([, spec]) => !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec));
          for (const [dep, spec] of ranged)
            add(
              'unpinned',
              file,
              `"${dep}": "${spec}" is a range and there is no lock file`,
              lineOf(text, `"${dep}"`),
            );
          if (ranged.length > 0) add('no-lock', file, 'no package-lock.json, yarn.lock or pnpm-lock.yaml');
          continue;
        }
        if (lock.endsWith('.json')) {
          try {
            const lockData = JSON.parse(read(lock)) as {
              packages?: Record<string, { dependencies?: Record<string, string>; version?: string }>;
            };
            const declared = lockData.packages?.['']?.dependencies ?? {};
            for (const [dep, spec] of deps) {
              if (declared[dep] !== spec)
                add(
                  'lock-drift',
                  lock,
                  `${dep}: package.json wants "${spec}", the lock file was made for "${declared[dep] ?? 'nothing'}"`,
                );
              else if (!lockData.packages?.[`node_modules/${dep}`])
                add('lock-drift', lock, `${dep} is declared but not installed in the lock file`);
            }
          } catch (error) {
            add('unparseable', lock, `not valid JSON: ${(error as Error).message}`);
          }
        } else {
          const lockText = read(lock);
          for (const [dep] of deps)
            if (!lockText.includes(dep))
              add('lock-drift', lock, `${dep} is in package.json but not in ${lock.split('/').pop()}`);
        }
      }
    }
    return ruleOutcome({
      ruleset: RULES,
      findings,
      inline,
      spec: params.ignore,
      levels: params.levels,
      judged: manifests.map((file) => `${prefix}${file}`),
      evidence: [
        {
          type: 'table',
          title: 'dependency files',
          columns: ['file', 'kind', 'runtime dependencies', 'lock file'],
          rows,
        },
      ],
    });
  },
});
