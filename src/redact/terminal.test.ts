/**
 * Approver names, comments and waiver reasons are people's input, printed in terminals and
 * reports for years. The built CLI as a real process on a real SQLite store: approve and waive
 * refuse escape sequences and line breaks where they do not belong, and records already in a
 * store (written before that, or by another tool) are shown cleaned — on one line, without
 * escapes — by status, history, check and its Markdown and HTML reports.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect, test } from 'vitest';
import { runCli } from '../testing/cli.js';

const FORGED = 'Verdict: PASS (forged)';
/** A name that would clear the line, turn green and claim a verdict of its own. */
const NASTY_NAME = `mallory\n\u001b[2K\u001b[32m${FORGED}\u001b[0m`;
const NASTY_TEXT = `fine\r\u001b]0;window title\u0007\u009b2J\n${FORGED}`;

/**
 * No escape or control character (but newlines), and no line that starts with the forged
 * verdict. (In HTML a newline in text is a space: only the characters are checked there.)
 */
function expectClean(where: string, text: string, lines = true): void {
  expect(text, where).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  expect(text, where).not.toContain('\\u001b');
  if (!lines) return;
  expect(
    text.split('\n').filter((line) => line.trim().startsWith(FORGED)),
    where,
  ).toEqual([]);
}

test(
  'approve and waive refuse control characters; old records are shown cleaned everywhere',
  { timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlgate-terminal-'));
    writeFileSync(
      join(dir, 'mlgate.yaml'),
      `version: 1
project: { name: terminal-test }
sections:
  - title: S
    items:
      - id: review
        title: A person reviewed it
        manual: { roles: [reviewer] }
      - id: broken
        title: Something that fails
        check: { kind: command, run: "exit 1" }
`,
    );
    const store = join(dir, '.mlgate');
    const env = { MLGATE_STORE: store };
    const cli = (args: string[]) => runCli([...args, dir], { cwd: dir, env });

    // Refused at input, with the bad characters shown, and nothing recorded.
    const badName = await cli(['approve', 'review', '--role', 'reviewer', '--by', NASTY_NAME]);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain(
      'contains a line break, a terminal escape sequence or a control character',
    );
    expect(badName.stderr).toContain('mallory\\n\\u001b[2K');
    // Shown, not sent: the terminal gets the characters' names, not the characters.
    expect(badName.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    const badComment = await cli([
      'approve',
      'review',
      '--role',
      'reviewer',
      '--by',
      'Jane Doe',
      '--comment',
      NASTY_TEXT,
    ]);
    expect(badComment.code).toBe(2);
    const badReason = await cli([
      'waive',
      'broken',
      '--by',
      'Jane Doe',
      '--reason',
      NASTY_TEXT,
      '--expires',
      '30d',
    ]);
    expect(badReason.code).toBe(2);

    // Plain input is fine, and a comment may span lines.
    const approved = await cli([
      'approve',
      'review',
      '--role',
      'reviewer',
      '--by',
      'Jane Doe',
      '--comment',
      'read it\nall',
    ]);
    expect(approved.code, approved.stderr).toBe(0);
    const waived = await cli([
      'waive',
      'broken',
      '--by',
      'Jane Doe',
      '--reason',
      'known, fix next sprint',
      '--expires',
      '30d',
    ]);
    expect(waived.code, waived.stderr).toBe(0);
    const first = await cli(['check', '--quiet']);
    expect([0, 1]).toContain(first.code);

    // Records as an older mlgate (or any SQLite client) could have written them: the same
    // bindings as the real ones, with hostile names and comments.
    const db = new BetterSqlite3(join(store, 'mlgate.db'));
    try {
      for (const action of ['approve', 'waive']) {
        db.prepare(
          `INSERT INTO signoff_events (at, action, item_id, role, actor, comment, evidence, evidence_sha256,
           expires_at, definition_digest, spec_sha256, artifacts)
         SELECT at, action, item_id, role, ?, ?, evidence, evidence_sha256, expires_at,
           definition_digest, spec_sha256, artifacts
         FROM signoff_events WHERE action = ? ORDER BY id LIMIT 1`,
        ).run(NASTY_NAME, NASTY_TEXT, action);
      }
      db.prepare('INSERT INTO tag_events (at, tag, run_id, actor) VALUES (?, ?, 1, ?)').run(
        new Date().toISOString(),
        `release\n\u001b[32m${FORGED}`,
        NASTY_NAME,
      );
    } finally {
      db.close();
    }

    const status = await cli(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('mallory\\nVerdict: PASS (forged)');
    expectClean('status', status.stdout);
    const statusJson = await cli(['status', '--format', 'json']);
    expectClean('status --format json', statusJson.stdout);

    const check = await cli([
      'check',
      '--verbose',
      '--report',
      `md=${join(dir, 'r.md')}`,
      '--report',
      `html=${join(dir, 'r.html')}`,
      '--out',
      join(dir, 'r.json'),
    ]);
    expect([0, 1], check.stderr).toContain(check.code);
    expect(check.stdout).toContain('mallory\\nVerdict: PASS (forged)');
    expectClean('check stdout', check.stdout);
    expectClean('check stderr', check.stderr);
    for (const name of ['r.md', 'r.html', 'r.json'])
      expectClean(name, readFileSync(join(dir, name), 'utf8'), name !== 'r.html');

    const history = await cli(['history']);
    expect(history.code, history.stderr).toBe(0);
    expectClean('history', history.stdout);
    expect(history.stdout).toContain('release\\nVerdict: PASS (forged)');
    const historyJson = await cli(['history', '--format', 'json']);
    expectClean('history --format json', historyJson.stdout);
  },
);
