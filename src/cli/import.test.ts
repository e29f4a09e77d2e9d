/**
 * The newcomer's path: import the team's checklist, check it, and see every line of the
 * checklist in the report with a status. Also: import never overwrites, export round-trips.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RunReport } from '../domain/run-report.js';
import { runCli } from '../testing/cli.js';
import { SHARED } from '../testing/reference.js';

describe('mlgate import, check, export', () => {
  test('import a real checklist, check it: every item in the report, with a status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlgate-import-'));
    const checklist = join(SHARED, 'checklists', 'geo6d-lite-deployment-checklist.md');
    const imported = await runCli(['import', checklist], { cwd: dir });
    expect(imported.code).toBe(0);
    expect(imported.stderr).toContain(
      'geo6d-lite-deployment-checklist.md: 33 checkboxes in the file, 33 items out, in 8 sections',
    );
    expect(imported.stderr).toContain('automated 8 (command 1, file 3, http 3, load 1), manual 25');
    expect(existsSync(join(dir, 'mlgate.yaml'))).toBe(true);
    // The files the checklist names are not in this empty folder: validate says which (exit 2).
    const missing = await runCli(['validate'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('checkpoints/epoch_39.pth not found (path of check kind "file")');
    mkdirSync(join(dir, 'checkpoints'));
    for (const name of ['epoch_39.pth', 'best_model.pth', 'train_log.json'])
      writeFileSync(join(dir, 'checkpoints', name), '{}');
    // Valid YAML with guessed paths and an invented service url: validate says so.
    const validated = await runCli(['validate'], { cwd: dir });
    expect(validated.code).toBe(0);
    expect(validated.stdout).toMatch(
      /! \d+ TODO placeholders left \(lines [\d, …]+\): the paths, the service url there are guesses/,
    );

    const again = await runCli(['import', checklist], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      'error: mlgate.yaml exists; nothing was written\n  give --out FILE for another file, or --force to replace it\n',
    );

    const check = await runCli(['check', '--no-store', '--format', 'json', '-q'], { cwd: dir });
    expect(check.code).toBe(1);
    const report = RunReport.parse(JSON.parse(check.stdout));
    expect(report.items).toHaveLength(33);
    for (const item of report.items)
      expect(['pass', 'fail', 'error', 'pending', 'skip']).toContain(item.status);
    // Nothing here exists yet: the gate is BLOCKED, never PASS for lack of evidence.
    expect(report.verdict.status).toBe('BLOCKED');
    expect(report.items.filter((i) => i.kind === 'manual').every((i) => i.status === 'pending')).toBe(true);

    const exported = await runCli(['export', '--out', 'checklist.md'], { cwd: dir });
    expect(exported.code).toBe(0);
    const markdown = readFileSync(join(dir, 'checklist.md'), 'utf8');
    expect(markdown.match(/^\s*- \[ \] /gm)).toHaveLength(33);
    expect(markdown).toContain('- [ ] API Health Check {#api-health-check}');
    const twice = await runCli(['export', '--out', 'checklist.md'], { cwd: dir });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe(
      'error: checklist.md exists; nothing was written\n  give --force to replace it\n',
    );
  });

  test('a file with no checkboxes, or none at all: exit 2 and why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlgate-import-'));
    writeFileSync(join(dir, 'notes.md'), '# Notes\n\nJust text.\n');
    const none = await runCli(['import', 'notes.md'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('notes.md: no checklist items found');
    const missing = await runCli(['import', 'nope.md'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.md: no such file');
  });
});
