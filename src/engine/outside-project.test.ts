/**
 * Paths escape the project: `file`, `log` and `docs` items (and a command's folder and an
 * artifact) that point at ../outside or at a link out of the project, run by the built CLI
 * on real files. They are errors, nothing from outside reaches any report format, stdout or
 * the store; with `allow_outside_project: true` the same items run.
 */
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

// Real CLI runs, several per test, on a shared machine: generous, never a bound to assert.
const SLOW = 240_000;
import { z } from 'zod';
import { RunReport } from '../domain/run-report.js';
import { SpecError } from '../spec/errors.js';
import { parseSpec } from '../spec/load.js';
import { runCli } from '../testing/cli.js';
import { executeCheck } from './execute.js';
import { loadBuiltinChecks } from './registry.js';
import { defineCheck } from './types.js';

const SECRET_LINE = 'TOP-SECRET-LINE do-not-leak';
const SECRET_HEADING = 'TOP-SECRET-HEADING';
const SECRET_FILE = 'TOP-SECRET-FILE-CONTENT\n';

/** base/project (the spec's folder) beside base/outside, with links from one to the other. */
function project(spec: (outside: string) => string) {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'mlgate-outside-')));
  const root = join(base, 'project');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'links'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), SECRET_FILE);
  writeFileSync(join(outside, 'secret.log'), `starting\n${SECRET_LINE}\n`);
  writeFileSync(join(outside, 'secret.md'), `# ${SECRET_HEADING}\n\nsecret words\n`);
  writeFileSync(join(outside, 'model.bin'), 'weights');
  for (const name of ['secret.txt', 'secret.log', 'secret.md'])
    symlinkSync(join(outside, name), join(root, 'links', name));
  symlinkSync(outside, join(root, 'outside-dir'));
  writeFileSync(join(root, 'mlgate.yaml'), spec(outside));
  return { base, root, outside };
}

const ITEMS = (outside: string, optIn: boolean) => {
  const allow = optIn ? '\n        allow_outside_project: true' : '';
  const item = (id: string, check: string) =>
    `      - id: ${id}\n        title: ${id}${allow}\n        check: ${check}\n`;
  return [
    item('file-up', '{kind: file, path: ../outside/secret.txt}'),
    item('file-absolute', `{kind: file, path: ${join(outside, 'secret.txt')}}`),
    item('file-link', '{kind: file, path: links/secret.txt}'),
    item('log-up', `{kind: log, path: ../outside/secret.log, contains: "${SECRET_LINE}"}`),
    item('log-link', `{kind: log, path: links/secret.log, contains: "${SECRET_LINE}"}`),
    item('log-linked-folder', `{kind: log, path: outside-dir/secret.log, contains: "${SECRET_LINE}"}`),
    item('docs-up', `{kind: docs, path: ../outside/secret.md, headings: ["${SECRET_HEADING}"]}`),
    item('docs-link', `{kind: docs, path: links/secret.md, headings: ["${SECRET_HEADING}"]}`),
    item('command-cwd-up', '{kind: command, cwd: ../outside, run: "cat secret.txt"}'),
  ].join('');
};

const spec = (optIn: boolean) => (outside: string) =>
  `version: 1\nproject: {name: paths}\nsections:\n  - title: Paths\n    items:\n${ITEMS(outside, optIn)}`;

/** Everything a run leaves for people and tools to read: stdout, stderr, reports, the store. */
function everything(root: string, stdout: string, stderr: string) {
  const read = (folder: string) =>
    readdirSync(join(root, folder), { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => readFileSync(join(root, folder, entry.name)).toString('latin1'))
      .join('\n');
  const store = read('store');
  return { store, all: [stdout, stderr, read('out'), store].join('\n') };
}

async function check(root: string) {
  mkdirSync(join(root, 'out'), { recursive: true });
  const result = await runCli(
    [
      'check',
      '--store',
      'store',
      '--verbose',
      '--out',
      'out/report.json',
      '--report',
      'md=out/report.md',
      '--report',
      'html=out/report.html',
      '--report',
      'junit=out/junit.xml',
      '--report',
      'sarif=out/report.sarif',
    ],
    { cwd: root },
  );
  const report = RunReport.parse(JSON.parse(readFileSync(join(root, 'out', 'report.json'), 'utf8')));
  return { result, report, ...everything(root, result.stdout, result.stderr) };
}

describe('paths outside the project', () => {
  test(
    'are errors, and nothing from outside reaches stdout, any report or the store',
    async () => {
      const { root, outside } = project(spec(false));
      const { result, report, all, store } = await check(root);
      expect(result.code, result.stderr).toBe(1);
      expect(report.verdict.status).toBe('BLOCKED');
      for (const item of report.items) {
        expect(item.status, `${item.id}: ${item.summary}`).toBe('error');
        expect(item.summary).toMatch(
          /^path \S+ resolves outside the project \(\/\S+\); set allow_outside_project: true on this item to read it$/,
        );
        expect(item.evidence).toEqual([]);
      }
      expect(report.items.find((i) => i.id === 'log-link')!.summary).toBe(
        `path links/secret.log resolves outside the project (${join(outside, 'secret.log')}); set allow_outside_project: true on this item to read it`,
      );
      expect(all).not.toContain('TOP-SECRET');
      expect(all).not.toContain('secret words');
      // Not even its digest: the file is not read at all.
      expect(all).not.toContain(createHash('sha256').update(SECRET_FILE).digest('hex'));
      // The store was written (the run is in it), so the search above looked into it.
      expect(store).toContain('resolves outside the project');
    },
    SLOW,
  );

  test(
    'run with allow_outside_project: true on the item',
    async () => {
      const { root } = project(spec(true));
      const { result, report } = await check(root);
      expect(result.code, result.stderr).toBe(0);
      for (const item of report.items) expect(item.status, `${item.id}: ${item.summary}`).toBe('pass');
    },
    SLOW,
  );
});

describe('artifacts outside the project', () => {
  const withArtifact = (artifact: string) => (_outside: string) =>
    [
      'version: 1',
      'project: {name: paths}',
      'artifacts:',
      `  model: ${artifact}`,
      'sections:',
      '  - title: Model',
      '    items:',
      '      - id: model-file',
      '        title: The model file',
      '        check: {kind: file, path: "${artifacts.model}"}',
      '',
    ].join('\n');

  test(
    'are refused with the spec (exit 2, file:line), for .. and for a link',
    async () => {
      for (const artifact of ['../outside/model.bin', 'outside-dir/model.bin']) {
        const { root, outside } = project(withArtifact(artifact));
        for (const command of [['validate'], ['check', '--no-store']]) {
          const result = await runCli(command, { cwd: root });
          expect(result.code, result.stderr).toBe(2);
          expect(result.stderr).toContain('mlgate.yaml:4');
          expect(result.stderr).toContain(
            `path ${artifact} resolves outside the project (${join(outside, 'model.bin')}); write it as {path: ${artifact}, allow_outside_project: true} to allow it`,
          );
          expect(result.stdout).not.toContain('weights');
        }
      }
    },
    SLOW,
  );

  test(
    '{path, allow_outside_project: true} is digested, and ${artifacts.NAME} may be read',
    async () => {
      const { root } = project(withArtifact('{path: ../outside/model.bin, allow_outside_project: true}'));
      const result = await runCli(['check', '--no-store', '--format', 'json', '-q'], { cwd: root });
      expect(result.code, result.stderr).toBe(0);
      const report = RunReport.parse(JSON.parse(result.stdout));
      expect(report.artifacts[0]).toMatchObject({
        name: 'model',
        sha256: createHash('sha256').update('weights').digest('hex'),
      });
      expect(report.items[0]!.status).toBe('pass');
    },
    SLOW,
  );
});

describe('approval evidence outside the project', () => {
  test(
    'is refused (exit 2), through .. and through a link; a file inside is recorded',
    async () => {
      const { root, outside } = project(
        () =>
          'version: 1\nproject: {name: paths}\nsections:\n  - title: Sign-off\n    items:\n      - id: review\n        title: Reviewed\n        manual: {roles: [lead]}\n',
      );
      writeFileSync(join(root, 'review-notes.md'), 'looked at it\n');
      for (const evidence of ['../outside/secret.txt', 'links/secret.txt']) {
        const refused = await runCli(
          ['approve', 'review', '--store', 'store', '--by', 'Ada', '--evidence', evidence],
          { cwd: root },
        );
        expect(refused.code, refused.stderr).toBe(2);
        expect(refused.stderr).toBe(
          `error: evidence ${evidence} resolves outside the project (${join(outside, 'secret.txt')})\n  evidence is a file inside the project (the spec's folder), or a URL\n`,
        );
      }
      const approved = await runCli(
        ['approve', 'review', '--store', 'store', '--by', 'Ada', '--evidence', 'review-notes.md'],
        { cwd: root },
      );
      expect(approved.code, approved.stderr).toBe(0);
    },
    SLOW,
  );
});

describe('the engine', () => {
  // A kind written only for this test: it catches the refusal and claims a pass, as a
  // careless check might (http's body-file reader, say, turns it into its own message).
  const careless = defineCheck({
    kind: 'careless',
    title: 'Test kind: reads a path and ignores errors',
    description: 'Only for this test.',
    params: z.strictObject({ path: z.string() }),
    examples: [{ title: 'x', params: { path: 'x' } }],
    async run(ctx, params) {
      try {
        return { status: 'pass', summary: `read ${readFileSync(ctx.resolve(params.path), 'utf8')}` };
      } catch {
        return { status: 'pass', summary: 'could not read it, so nothing is wrong' };
      }
    },
  });

  test('a check that swallows the refusal still ends as an error', async () => {
    const { root } = project(() => '');
    const base = { root, itemId: 'x', profile: null, artifacts: new Map() };
    const outcome = await executeCheck(careless, { path: 'links/secret.txt' }, base, 60_000);
    expect(outcome).toEqual({
      status: 'error',
      summary: expect.stringMatching(/^path links\/secret\.txt resolves outside the project/),
    });
    const inside = await executeCheck(careless, { path: 'mlgate.yaml' }, base, 60_000);
    expect(inside.status).toBe('pass');
  });

  test("the service's folder stays in the project unless service.start allows it", async () => {
    const registry = await loadBuiltinChecks();
    const { root, outside } = project(() => '');
    const text = (allow: string) =>
      `version: 1\nproject: {name: p}\nservice:\n  start:\n    command: node server.js\n    cwd: ../outside${allow}\nsections:\n  - title: S\n    items:\n      - {id: a, title: a, manual: {}}\n`;
    let thrown: unknown;
    try {
      parseSpec(text(''), join(root, 'mlgate.yaml'), registry);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SpecError);
    expect((thrown as SpecError).problems).toMatchObject([
      {
        position: { line: 6 },
        message: `path ../outside resolves outside the project (${outside}); set allow_outside_project: true under service.start to allow it`,
      },
    ]);
    const loaded = parseSpec(text('\n    allow_outside_project: true'), join(root, 'mlgate.yaml'), registry);
    expect(loaded.spec.service?.start?.cwd).toBe('../outside');
  });
});
