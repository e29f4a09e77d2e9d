/**
 * The GitHub Action (action.yml at the repository root): its inputs and outputs agree with each
 * other, and its step script — run here as the runner would run it, with GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files — gates a project, writes every report and fails on BLOCKED.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../testing/cli.js';

const action = parse(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Array<{ id?: string; env?: Record<string, string>; run?: string }> };
};

function runAction(passing: boolean, extraEnv: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mlgate-action-'));
  writeFileSync(join(dir, 'model.onnx'), 'bytes');
  writeFileSync(
    join(dir, 'mlgate.yaml'),
    [
      'version: 1',
      'project: { name: action-test }',
      'sections:',
      '  - title: Model',
      '    items:',
      `      - { id: model-file, title: The model is there, check: { kind: file, path: ${passing ? 'model.onnx' : 'gone.onnx'} } }`,
      '',
    ].join('\n'),
  );
  const output = join(dir, 'github-output');
  const summary = join(dir, 'summary.md');
  const result = spawnSync('bash', [join(REPO_ROOT, 'scripts/ci/github-action.sh')], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTION_PATH: REPO_ROOT,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      INPUT_PATH: '.',
      INPUT_PROFILE: '',
      INPUT_ARGS: '--quiet',
      INPUT_REPORTS_DIR: 'reports',
      MLGATE_SERVER: '',
      MLGATE_TOKEN: '',
      ...extraEnv,
    },
  });
  const outputs = Object.fromEntries(
    readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(/=(.*)/s).slice(0, 2)),
  );
  return { dir, result, outputs, summary: existsSync(summary) ? readFileSync(summary, 'utf8') : '' };
}

describe('action.yml', () => {
  test('every input the steps use is declared, and every output comes from the gate step', () => {
    expect(action.runs.using).toBe('composite');
    const text = readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8');
    const used = [...text.matchAll(/inputs\.([a-z-]+)/g)].map((m) => m[1]!);
    for (const name of used) expect(action.inputs, name).toHaveProperty(name);
    const gate = action.runs.steps.find((step) => step.id === 'gate');
    expect(gate?.run).toContain('scripts/ci/github-action.sh');
    for (const [name, output] of Object.entries(action.outputs))
      expect(output.value, name).toMatch(/steps\.gate\.outputs\./);
  });

  test('a passing project: exit 0, outputs, every report, the job summary', () => {
    const run = runAction(true);
    expect(run.result.status, run.result.stderr).toBe(0);
    expect(run.outputs).toMatchObject({ verdict: 'PASS', 'exit-code': '0', sarif: 'reports/mlgate.sarif' });
    for (const file of ['report.json', 'junit.xml', 'mlgate.sarif', 'report.md'])
      expect(existsSync(join(run.dir, 'reports', file)), file).toBe(true);
    expect(run.summary).toMatch(/PASS/);
  });

  test('a blocked project fails the job with exit 1 and says BLOCKED', () => {
    const run = runAction(false);
    expect(run.result.status).toBe(1);
    expect(run.outputs).toMatchObject({ verdict: 'BLOCKED', 'exit-code': '1' });
    expect(run.summary).toMatch(/BLOCKED/);
  });

  test('a wrong spec: exit 2 and no verdict', () => {
    const run = runAction(true, { INPUT_PROFILE: 'no-such-profile' });
    expect(run.result.status).toBe(2);
    expect(run.outputs).toMatchObject({ verdict: '', 'exit-code': '2' });
  });
});

describe('docs/ci.md', () => {
  test('every YAML recipe parses, and the mlgate commands in it use flags check has', () => {
    const text = readFileSync(join(REPO_ROOT, 'docs/ci.md'), 'utf8');
    const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const help = spawnSync('node', [join(REPO_ROOT, 'bin/mlgate.js'), 'check', '--help'], {
      encoding: 'utf8',
    }).stdout;
    for (const block of blocks) {
      expect(() => parse(block), block).not.toThrow();
      for (const flag of block.match(/(?<=mlgate\.js check[\s\S]*?)--[a-z-]+/g) ?? [])
        expect(help, `${flag} in docs/ci.md`).toContain(flag);
    }
  });
});
