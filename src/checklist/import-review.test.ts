/**
 * A checklist from a stranger does not run its shell: `mlgate import` writes its commands
 * disabled (`review: required`, with a comment saying why), `mlgate check` refuses them with
 * where to read them, and nothing is executed until a person deletes the line. Real CLI,
 * real files, a command that would leave a marker file behind.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RunReport } from '../domain/run-report.js';
import { runCli } from '../testing/cli.js';

// Real CLI runs on a shared machine: a generous limit, never a bound to assert.
const SLOW = 240_000;

const CHECKLIST = [
  '# Release checklist',
  '',
  '## Training',
  '',
  '- [ ] **Training finished**',
  '',
  '**Verification**:',
  '```bash',
  'touch ran-the-imported-command.marker',
  'echo finished',
  '```',
  '',
  '## Tests',
  '',
  '- [ ] Unit tests pass: `make test`',
  '',
].join('\n');

describe('imported commands are written disabled', () => {
  test(
    'check refuses them without running anything; deleting the review line allows them',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mlgate-review-'));
      writeFileSync(join(dir, 'CHECKLIST.md'), CHECKLIST);
      writeFileSync(join(dir, 'Makefile'), 'test:\n\ttouch ran-make-test.marker\n');
      const imported = await runCli(['import', 'CHECKLIST.md'], { cwd: dir });
      expect(imported.code, imported.stderr).toBe(0);
      const spec = readFileSync(join(dir, 'mlgate.yaml'), 'utf8');
      // Both commands (the Verification block and the test runner) are disabled, and say why.
      const review =
        /^ +# imported from CHECKLIST\.md: read the command, then delete this line to allow it\n +review: required\n/gm;
      expect(spec.match(review)).toHaveLength(2);
      expect(spec).toContain('2 commands from the checklist are disabled (review: required)');

      const refused = await runCli(['check', '--no-store', '--format', 'json', '-q'], { cwd: dir });
      expect(refused.code, refused.stderr).toBe(1);
      expect(existsSync(join(dir, 'ran-the-imported-command.marker'))).toBe(false);
      expect(existsSync(join(dir, 'ran-make-test.marker'))).toBe(false);
      const report = RunReport.parse(JSON.parse(refused.stdout));
      expect(report.verdict.status).toBe('BLOCKED');
      const lines = spec.split('\n');
      for (const item of report.items) {
        const line = lines.findIndex((l) => l.includes(`- id: ${item.id}`)) + 1;
        expect(item).toMatchObject({
          kind: 'command',
          status: 'error',
          summary: `this command was imported from a checklist and has not been reviewed: read it in mlgate.yaml:${line} and delete \`review: required\` to allow it`,
        });
        expect(item.evidence).toEqual([
          expect.objectContaining({ type: 'text', title: 'the command, not run' }),
        ]);
      }

      // The person reads the commands and allows them: an edit that shows in `git diff`.
      writeFileSync(join(dir, 'mlgate.yaml'), spec.replace(review, ''));
      const allowed = await runCli(['check', '--no-store', '--format', 'json', '-q'], { cwd: dir });
      expect(existsSync(join(dir, 'ran-the-imported-command.marker'))).toBe(true);
      expect(existsSync(join(dir, 'ran-make-test.marker'))).toBe(true);
      const after = RunReport.parse(JSON.parse(allowed.stdout));
      expect(after.items.map((i) => [i.id, i.status])).toEqual(after.items.map((i) => [i.id, 'pass']));
      expect(allowed.code, allowed.stderr).toBe(0);
    },
    SLOW,
  );

  test(
    'review takes no other value: "done" does not allow the command',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mlgate-review-'));
      writeFileSync(
        join(dir, 'mlgate.yaml'),
        [
          'version: 1',
          'project: {name: review}',
          'sections:',
          '  - title: T',
          '    items:',
          '      - id: touch',
          '        title: touch',
          '        check: {kind: command, review: done, run: touch ran.marker}',
          '',
        ].join('\n'),
      );
      const result = await runCli(['check', '--no-store'], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('mlgate.yaml:8');
      expect(result.stderr).toContain('to allow the command, delete the review line');
      expect(existsSync(join(dir, 'ran.marker'))).toBe(false);
    },
    SLOW,
  );
});
