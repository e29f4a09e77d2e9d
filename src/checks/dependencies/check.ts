import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { IgnoreParam, levelsParam, type RuleSet, rulesParam } from '../../rules/findings.js';
import { runIn } from '../_shared/run-module.js';

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

const params = z.strictObject({
  path: z.string().default('.').describe('Project folder to look in.'),
  files: z.array(z.string()).optional().describe('Only these dependency files.'),
  max_file_size: z
    .number()
    .int()
    .positive()
    .default(50_000_000)
    .describe('Larger files are not read (counted and listed).'),
  ignore: IgnoreParam,
  levels: levelsParam(RULES),
  rules: rulesParam(RULES),
});

export type DependenciesParams = z.output<typeof params>;

export default defineCheck({
  kind: 'dependencies',
  rules: RULES.rules,
  title: 'Dependencies are pinned, and lock files exist and match their manifests',
  description: [
    'Finds pip requirements files (requirements*.txt, *-requirements.txt, requirements/*.txt, and every',
    'file they include with -r, or constrain with -c, followed relative to the including file, each once,',
    'at most 10 deep; an include that cannot be followed is a finding),',
    'pyproject.toml, Pipfile and package.json (or takes `files`) and checks that runtime dependencies',
    'are pinned to exact versions (torch==2.1.0, not torch>=2.0, or pinned exactly by a -c constraints',
    'file): always for requirements files, and',
    'for manifests that have no lock file (pyproject.toml: [project] dependencies and the extras of',
    '[project.optional-dependencies]); that pyproject.toml, Pipfile and package.json have a lock',
    'file (poetry.lock, uv.lock, pdm.lock, Pipfile.lock, package-lock.json, yarn.lock, pnpm-lock.yaml);',
    'and that each lock file contains every dependency its manifest declares (package-lock.json: with',
    'the same version spec, or for lockfileVersion 1 a version the range accepts). An npm, yarn or',
    "pnpm workspace package is judged against the workspace root's lock. A requirements.txt with a",
    'requirements.in beside it (pip-compile) must contain every package the .in names. A VCS requirement is pinned',
    'only by a full commit sha (`git+https://…@<40 hex digits>`); `@main` or a tag can move. Development',
    'dependencies are not judged: devDependencies, and requirements files named or placed for',
    'development (requirements-dev.txt, dev-requirements.txt, requirements/test.txt, docs/requirements.txt,',
    '…) unless named in `files`. Every file found is listed with what happened to it (judged,',
    'development only, unparseable, too large, or a format not read such as setup.py or',
    'environment.yml); when no runtime dependency at all was judged the check is an `error`.',
    'Findings carry file:line.',
  ].join(' '),
  params,
  examples: [
    { title: 'The whole project', params: { path: '.' } },
    { title: 'The serving image only', params: { files: ['requirements.txt'] } },
  ],
  run: runIn(() => import('./run.js')),
});
