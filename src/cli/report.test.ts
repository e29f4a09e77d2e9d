/**
 * Reports from the command line: `check --report` writes several formats at once, `report`
 * renders a stored run or a JSON file, and on GitHub Actions a run annotates and summarises.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RunReport } from '../domain/run-report.js';
import { runCli } from '../testing/cli.js';

const SPEC = `version: 1
project: { name: reports-demo }
artifacts:
  readme: README.md
sections:
  - title: Files
    items:
      - id: readme
        title: README exists
        check: { kind: file, path: README.md }
      - id: model-card
        title: Model card exists
        check: { kind: file, path: MODEL_CARD.md }
        remediation: Write MODEL_CARD.md.
  - title: Sign-off
    items:
      - id: lead
        title: Technical lead approves
        severity: recommended
        manual: { roles: [technical-lead] }
`;

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlgate-reports-'));
  writeFileSync(join(dir, 'mlgate.yaml'), SPEC);
  writeFileSync(join(dir, 'README.md'), '# demo\n');
  return dir;
}

describe('reports from the command line', () => {
  test('check --report writes every format asked for, each whole', async () => {
    const dir = project();
    const store = join(dir, 'store');
    const result = await runCli(
      [
        'check',
        dir,
        '--store',
        store,
        '-r',
        'md=out/report.md',
        '-r',
        'out/report.html',
        '-r',
        'junit=out/junit.xml',
        '-r',
        'out/results.sarif',
        '-o',
        'out/report.json',
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'Reports: json out/report.json, md out/report.md, html out/report.html, junit out/junit.xml, sarif out/results.sarif',
    );
    const markdown = readFileSync(join(dir, 'out/report.md'), 'utf8');
    expect(markdown).toContain('## ⛔ Verdict: BLOCKED — 1 reason');
    expect(markdown).toContain('- [x] ✅ **README exists** — PASS `readme`');
    expect(markdown).toContain('- [ ] ❌ **Model card exists** — FAIL `model-card`');
    expect(readFileSync(join(dir, 'out/report.html'), 'utf8')).toMatch(/^<!doctype html>/);
    expect(readFileSync(join(dir, 'out/junit.xml'), 'utf8')).toContain(
      '<testsuites name="mlgate: reports-demo (BLOCKED)" tests="3" failures="1"',
    );
    const sarif = JSON.parse(readFileSync(join(dir, 'out/results.sarif'), 'utf8'));
    expect(sarif.runs[0].results[0].locations[0].physicalLocation).toMatchObject({
      artifactLocation: { uri: 'mlgate.yaml' },
      region: { startLine: 11 },
    });

    // The same run, later: from the store, or from the JSON file.
    const fromStore = await runCli(['report', 'latest', dir, '--store', store, '--format', 'md'], {
      cwd: dir,
    });
    expect(fromStore.code).toBe(0);
    expect(fromStore.stdout).toBe(markdown);
    const fromFile = await runCli(['report', 'out/report.json', '-o', 'again.xml'], { cwd: dir });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toBe('junit report of run #1 (BLOCKED) written to again.xml\n');
    expect(readFileSync(join(dir, 'again.xml'), 'utf8')).toBe(
      readFileSync(join(dir, 'out/junit.xml'), 'utf8'),
    );
  });

  test('bad --report and bad report files: exit 2 with what to do, before anything runs', async () => {
    const dir = project();
    const bad = await runCli(['check', dir, '--no-store', '-r', 'pdf=report.pdf'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'error: unknown report format "pdf" in --report pdf=report.pdf\n  use one of md, html, junit, sarif, json, text, e.g. --report html=report.html\n',
    );
    writeFileSync(join(dir, 'broken.json'), '{"schemaVersion": 1, "items": "no"}');
    const broken = await runCli(['report', 'broken.json'], { cwd: dir });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^error: broken\.json is not an mlgate report this version reads at /);
    writeFileSync(join(dir, 'newer.json'), '{"schemaVersion": 2}');
    expect((await runCli(['report', 'newer.json'], { cwd: dir })).stderr).toContain(
      'it was written by a newer mlgate (report schema 2)',
    );
    const missing = await runCli(['report', 'nope.json'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json: no such file');
  });

  test('on GitHub Actions: annotations on stdout and the report as the job summary', async () => {
    const dir = project();
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, 'earlier step\n');
    const result = await runCli(['check', dir, '--no-store'], {
      cwd: dir,
      env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '::error file=mlgate.yaml,line=11,title=mlgate fail%3A model-card::Model card exists: MODEL_CARD.md does not exist%0AFix: Write MODEL_CARD.md.',
    );
    expect(result.stdout).toContain('::warning file=mlgate.yaml,line=17,title=mlgate pending%3A lead::');
    const written = readFileSync(summary, 'utf8');
    expect(written.startsWith('earlier step\n# reports-demo\n')).toBe(true);
    // With --format json, stdout stays JSON: the annotations go to stderr.
    const json = await runCli(['check', dir, '--no-store', '--format', 'json', '-q'], {
      cwd: dir,
      env: { GITHUB_ACTIONS: 'true' },
    });
    expect(RunReport.parse(JSON.parse(json.stdout)).verdict.status).toBe('BLOCKED');
    expect(json.stderr).toContain('::error file=mlgate.yaml,line=11');
    // A summary file that cannot be written is a warning; the verdict and exit code stand.
    const unwritable = await runCli(['check', dir, '--no-store', '-q'], {
      cwd: dir,
      env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: join(dir, 'no-such-dir', 'summary.md') },
    });
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toMatch(/^warning: cannot write the job summary to .*summary\.md: ENOENT/m);
  });
});
