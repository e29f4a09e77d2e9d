/** mlgate init on a real project layout: what it finds, what it writes, what it refuses. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RunReport } from '../domain/run-report.js';
import { REPO_ROOT, runCli } from '../testing/cli.js';

function copyOfExample(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlgate-init-'));
  cpSync(join(REPO_ROOT, 'examples/digits-classifier'), dir, {
    recursive: true,
    filter: (source) => !source.includes('node_modules') && !source.endsWith('.mlgate'),
  });
  rmSync(join(dir, 'mlgate.yaml'));
  return dir;
}

describe('mlgate init', () => {
  test('finds what the project has, fills in its paths, and the checks pass on it', async () => {
    const dir = copyOfExample();
    const init = await runCli(['init', dir]);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('  ✓ model files: model/model.onnx');
    expect(init.stdout).toContain('  ✓ Kubernetes manifests: k8s/');
    expect(init.stdout).toContain('  · README: none found');
    expect(init.stdout).toContain('  ✓ alert rules: monitoring/alerts.yaml');
    expect(init.stdout).toContain('  ✓ reference and current features: data/X_val.npy vs data/X_test.npy');
    expect(init.stdout).toContain('24 items in 7 sections (15 checks, 9 manual sign-offs)');
    const spec = readFileSync(join(dir, 'mlgate.yaml'), 'utf8');
    expect(spec).toContain('file: data/predictions_test.csv');
    expect(spec).toContain("# TODO: your team's targets (0.9 is a placeholder)");
    // Alerts and drift from the rule file and the feature tables found; with no service, the
    // metrics cross-check is off, and the TODO says how to turn it on.
    expect(spec).toMatch(/kind: alerts\n {10}paths: monitoring\/alerts\.yaml\n/);
    expect(spec).toContain('metrics: false');
    expect(spec).toContain("metrics: false turns off the check that every alert's metric is exported");
    expect(spec).toMatch(/kind: drift\n {10}reference: data\/X_val\.npy\n {10}current: data\/X_test\.npy\n/);
    // The files found are artifacts: a sign-off goes stale when the model or the image changes.
    expect(spec).toMatch(
      /artifacts:\n {2}model: model\/model\.onnx\n {2}predictions: data\/predictions_test\.csv\n {2}dockerfile: Dockerfile\n/,
    );

    const check = await runCli(['check', dir, '--no-store', '-q', '--format', 'json']);
    const report = RunReport.parse(JSON.parse(check.stdout));
    // Every check found its file and passed; what is left are the sign-offs.
    expect(report.items.filter((i) => i.kind !== 'manual').map((i) => [i.id, i.status])).toEqual(
      report.items.filter((i) => i.kind !== 'manual').map((i) => [i.id, 'pass']),
    );
    expect(report.verdict.status).toBe('BLOCKED');

    const again = await runCli(['init', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      /mlgate\.yaml exists; nothing was written\n {2}give --force to replace it\n$/,
    );
    expect((await runCli(['init', dir, '--force'])).code).toBe(0);
  });

  test('an empty folder: every item a manual sign-off, and the spec is valid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlgate-init-'));
    const init = await runCli(['init', dir, '--template', 'model-quality,sign-off']);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('6 items in 2 sections (0 checks, 6 manual sign-offs)');
    expect((await runCli(['validate', dir])).code).toBe(0);
    const bad = await runCli(['init', dir, '--force', '--template', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown template "nope"');
  });

  test('the ML Test Score template: 28 tests in four sections, scored beside the verdict', async () => {
    const dir = copyOfExample();
    expect((await runCli(['init', dir, '--template', 'ml-test-score'])).code).toBe(0);
    writeFileSync(join(dir, 'README.md'), '# x\n');
    const check = await runCli(['check', dir, '--no-store', '-q']);
    expect(check.stdout).toMatch(
      /^ML Test Score \(2017\): 0 — the minimum of data 0, model 0, infrastructure 2, monitoring 1\. More of a research project than a productionized system\.$/m,
    );
    const report = RunReport.parse(
      JSON.parse((await runCli(['check', dir, '--no-store', '-q', '--format', 'json'])).stdout),
    );
    expect(report.items).toHaveLength(28);
    expect(report.mlTestScore?.tests.filter((t) => t.how === 'automated').map((t) => t.test)).toEqual([
      'infrastructure-2',
      'infrastructure-4',
      'monitoring-1',
    ]);
    // The rubric's items are recommended: the score informs, the verdict still decides.
    expect(report.verdict.status).toBe('PASS');
  });
});
