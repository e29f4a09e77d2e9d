/**
 * A newcomer's first hour in the terminal (issue 17): what mlgate says when the folder or
 * the spec is not there, when a file is misnamed or f1 is asked of ten classes, what a
 * compact run prints and which commands it gives next, and what status, waive and diff say.
 * Runs the built CLI on small real projects in temporary folders.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../testing/cli.js';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlgate-first-hour-'));
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  }
  return dir;
}

const SPEC = [
  'version: 1',
  'project: {name: first-hour}',
  'artifacts:',
  '  model: model.bin',
  'sections:',
  '  - title: Files',
  '    items:',
  '      - id: model-file',
  '        title: The model is there',
  '        check: {kind: file, path: "${artifacts.model}"}',
  '      - id: card',
  '        title: The model card exists',
  '        check: {kind: file, path: card.md}',
  '        remediation: Write the model card (card.md).',
  '  - title: Sign-off',
  '    items:',
  '      - id: lead',
  '        title: The technical lead approves',
  '        manual: {roles: [technical-lead]}',
  '',
].join('\n');

describe('no project, no spec', () => {
  test('a folder that is not there says so, with the closest folder that is', async () => {
    const dir = folder({ 'my-project/mlgate.yaml': SPEC });
    const result = await runCli(['validate', 'my-projet'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: folder my-projet does not exist. Did you mean my-project?');
    expect(result.stderr).toContain('give the project folder that holds mlgate.yaml');
  });

  test('a folder without a spec: mlgate init, or mlgate import of the checklist found there', async () => {
    const dir = folder({ 'proj/RELEASE_CHECKLIST.md': '- [ ] model exported\n', 'proj/README.md': '# x\n' });
    const result = await runCli(['check', 'proj'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      [
        'error: no spec in proj: no mlgate.yaml or mlgate.yml there',
        '  start one:  mlgate init proj  (writes mlgate.yaml from the model, data and manifests it finds)',
        '  or turn your checklist into one:  mlgate import proj/RELEASE_CHECKLIST.md --out proj/mlgate.yaml',
        '  or point to a spec with another name:  --config FILE',
        '',
      ].join('\n'),
    );
  });
});

describe('validate catches what would only fail at run time', () => {
  test('a missing file: exit 2, where it is written, and the closest name that exists', async () => {
    const dir = folder({
      'mlgate.yaml': SPEC.replace('path: card.md', 'path: docs/MODEL_CRAD.md'),
      'model.bin': 'w',
      'docs/MODEL_CARD.md': '# card\n',
    });
    const result = await runCli(['validate'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'mlgate.yaml:13:35: error: docs/MODEL_CRAD.md not found (path of check kind "file"). Did you mean "docs/MODEL_CARD.md"?',
    );
    expect(result.stderr).toContain('in item "card"');
  });

  test('a missing artifact: exit 2 with the closest name; required: false is left alone', async () => {
    const dir = folder({ 'mlgate.yaml': SPEC, 'model.bim': 'w', 'card.md': '# c\n' });
    const result = await runCli(['validate'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'error: artifact "model": model.bin not found. Did you mean "model.bim"?',
    );
    const optional = folder({
      'mlgate.yaml': SPEC.replace(
        '  model: model.bin',
        '  model: {path: model.bin, required: false}',
      ).replace('"${artifacts.model}"', 'card.md'),
      'card.md': '# c\n',
    });
    expect((await runCli(['validate'], { cwd: optional })).code).toBe(0);
  });

  const predictions = (labels: number[], probColumns: number) =>
    [
      ['label', 'pred', ...Array.from({ length: probColumns }, (_, i) => `prob_${i}`)].join(','),
      ...labels.map((label) =>
        [label, label, ...Array.from({ length: probColumns }, (_, i) => (i === label ? 1 : 0))].join(','),
      ),
      '',
    ].join('\n');
  const predictionsSpec = (metric: string) =>
    [
      'version: 1',
      'project: {name: f1}',
      'sections:',
      '  - title: Quality',
      '    items:',
      '      - id: quality',
      '        title: Quality',
      `        check: {kind: predictions, file: p.csv, thresholds: {${metric}: ">= 0.9"}}`,
      '',
    ].join('\n');

  test('f1 on ten classes: use f1_macro or f1_weighted', async () => {
    const dir = folder({ 'mlgate.yaml': predictionsSpec('f1'), 'p.csv': predictions([0, 1, 2, 3], 10) });
    const result = await runCli(['validate'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '"f1" is the f1 of one positive class, for two classes; p.csv has 10 probability columns (prob_0 … prob_9). Use "f1_macro" (every class counts the same) or "f1_weighted"',
    );
    // Three labels and no probability columns: still more than two classes.
    const labelsOnly = folder({
      'mlgate.yaml': predictionsSpec('recall'),
      'p.csv': predictions([0, 1, 2, 1], 0),
    });
    expect((await runCli(['validate'], { cwd: labelsOnly })).stderr).toContain(
      'p.csv has 3 different labels',
    );
  });

  test('f1 on two classes is no false alarm, nor f1_macro on ten', async () => {
    const binary = folder({ 'mlgate.yaml': predictionsSpec('f1'), 'p.csv': predictions([0, 1, 1, 0], 2) });
    expect((await runCli(['validate'], { cwd: binary })).code).toBe(0);
    const macro = folder({ 'mlgate.yaml': predictionsSpec('f1_macro'), 'p.csv': predictions([0, 1, 2], 10) });
    expect((await runCli(['validate'], { cwd: macro })).code).toBe(0);
  });
});

describe('a run that is not a clean PASS says what to do next', () => {
  test('compact output, the fix under each reason, and the exact commands', async () => {
    const dir = folder({ 'proj/mlgate.yaml': SPEC, 'proj/model.bin': 'w' });
    const env = { MLGATE_STORE: join(dir, 'store'), MLGATE_USER: 'Jane Doe' };
    const result = await runCli(['check', 'proj'], { cwd: dir, env });
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines).toContain('Files     1 passed, 1 failed');
    expect(lines).toContain('Sign-off  1 pending');
    expect(result.stdout).not.toMatch(/PASS\s+model-file/);
    expect(result.stdout).toContain('  ✗ card (fail): ');
    expect(result.stdout).toContain('      fix: Write the model card (card.md).');
    expect(result.stdout).toContain('Next steps:');
    expect(result.stdout).toContain('mlgate check proj');
    expect(result.stdout).toContain('sign off:  mlgate approve lead proj --role technical-lead');
    expect(result.stdout).toContain('mlgate waive card proj --reason "why it may ship anyway" --expires 30d');

    const verbose = await runCli(['check', 'proj', '--verbose', '--quiet'], { cwd: dir, env });
    expect(verbose.stdout).toMatch(/PASS\s+model-file/);
    expect(verbose.stdout).toMatch(/^Section\s+pass/m);
  });
});

describe('status, waive and diff', () => {
  test('a waiver: the minimum reason, "waived until", and status shows it as waived', async () => {
    const dir = folder({ 'mlgate.yaml': SPEC, 'model.bin': 'w' });
    const env = { MLGATE_STORE: join(dir, 'store'), MLGATE_USER: 'Jane Doe' };
    const cli = (...args: string[]) => runCli(args, { cwd: dir, env });
    expect((await cli('check', '--quiet')).code).toBe(1);
    const short = await cli('waive', 'lead', '--reason', 'ok', '--expires', '30d');
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("a waiver's reason needs at least 3 characters");
    const before = await cli('status');
    expect(before.stdout).toContain('mlgate approve lead --role technical-lead');
    const waived = await cli('waive', 'lead', '--reason', 'lead is away, CTO agreed', '--expires', '30d');
    expect(waived.code).toBe(0);
    expect(waived.stdout).toMatch(/lead is now waived until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 30 days\)/);
    expect(waived.stdout).toMatch(
      / {2}waived until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 30 days\); it counts only/,
    );
    const status = await cli('status');
    expect(status.stdout).toContain('0 of 1 sign-offs given, 1 waived');
    expect(status.stdout).toMatch(/lead\s+required\s+waived until \d{4}-\d\d-\d\d\s+waived until/);
    expect(status.stdout).not.toContain('to sign off');
  });

  test('diff: the spec change first (threshold 0.9 → 0.97); values no threshold judges only with --all', async () => {
    const metricSpec = (threshold: string) =>
      [
        'version: 1',
        'project: {name: d}',
        'sections:',
        '  - title: Q',
        '    items:',
        '      - id: acc',
        '        title: Accuracy',
        `        check: {kind: metric, file: m.json, key: accuracy, expect: "${threshold}"}`,
        '      - id: tests',
        '        title: Tests run',
        '        check: {kind: command, run: "true"}',
        '',
      ].join('\n');
    const dir = folder({ 'mlgate.yaml': metricSpec('>= 0.9'), 'm.json': '{"accuracy": 0.95}' });
    const env = { MLGATE_STORE: join(dir, 'store') };
    const cli = (...args: string[]) => runCli(args, { cwd: dir, env });
    expect((await cli('check', '--quiet')).code).toBe(0);
    writeFileSync(join(dir, 'mlgate.yaml'), metricSpec('>= 0.97'));
    writeFileSync(join(dir, 'm.json'), '{"accuracy": 0.96}');
    expect((await cli('check', '--quiet')).code).toBe(1);
    const diff = await cli('diff', '1', '2');
    expect(diff.code).toBe(0);
    const text = diff.stdout;
    expect(text).toMatch(
      /the spec changed \(sha256 [0-9a-f]{12} → [0-9a-f]{12}\)\nitem\s+threshold\s+from\s+to\nacc\s+accuracy\s+>= 0\.9\s+>= 0\.97\n/,
    );
    expect(text.indexOf('the spec changed')).toBeLessThan(text.indexOf('items whose status changed'));
    expect(text).toMatch(/^acc\s+accuracy\s+0\.95\s+0\.96/m);
    // The command's duration changes every run: noise, left out unless --all.
    expect(text).not.toMatch(/duration_ms/);
    const all = await cli('diff', '1', '2', '--all');
    expect(all.stdout).toMatch(/^tests\s+duration_ms/m);
  });
});
