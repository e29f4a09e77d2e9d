/**
 * `mlgate server` as people run it (the built CLI, real processes, a real socket): a token is
 * printed once and stored hashed; the server answers with it and stops cleanly on SIGTERM;
 * `audit verify` says the chain holds, and names the first broken link once an event is edited.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { generateKey } from '../attest/keys.js';
import { BIN, runCli } from '../testing/cli.js';
import { sha256Hex } from './auth.js';

describe('mlgate server', () => {
  test('token create, serve, audit verify', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlgate-server-cli-'));
    const database = join(dir, 'team.db');

    const noDatabase = await runCli(['server', 'audit', 'verify'], {
      cwd: dir,
      env: { MLGATE_DATABASE: '' },
    });
    expect(noDatabase.code).toBe(2);
    expect(noDatabase.stderr).toContain(
      'say which database: --database postgres://USER@HOST/DB or --database FILE.db',
    );

    const badRole = await runCli(
      ['server', 'token', 'create', '--name', 'ci', '--role', 'root', '--database', database],
      { cwd: dir },
    );
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('"root" is not a role');

    const created = await runCli(
      ['server', 'token', 'create', '--name', 'ci', '--role', 'runner', '--database', database],
      {
        cwd: dir,
        env: { MLGATE_USER: 'Ops' },
      },
    );
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^mlgt_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('shown once, stored as its sha256');
    const sqlite = new BetterSqlite3(database, { readonly: true });
    expect(sqlite.prepare('SELECT sha256 FROM api_tokens').all()).toEqual([{ sha256: sha256Hex(token) }]);
    sqlite.close();

    const { privatePath, keyid } = generateKey(join(dir, 'server-key'));
    const server = spawn(
      process.execPath,
      [BIN, 'server', '--database', database, '--listen', '127.0.0.1:0', '--signing-key', privatePath],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      server.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /mlgate server on (http:\/\/\S+)/.exec(text);
        // The key's id is printed at startup: the one a team lists under a role's signers.
        if (match && text.includes(`server-side sign-offs are signed with key ${keyid}`)) resolve(match[1]!);
      });
      server.once('exit', (code) => reject(new Error(`exited ${code}: ${text}`)));
    });
    const whoami = await fetch(`${url}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(await whoami.json()).toEqual({ name: 'token:ci', via: 'token', roles: ['runner'] });
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);

    const intact = await runCli(['server', 'audit', 'verify', '--database', database], { cwd: dir });
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/^intact: 1 audit event, head [0-9a-f]{64}\n$/);

    const edit = new BetterSqlite3(database);
    edit.exec('DROP TRIGGER audit_events_no_update');
    edit.prepare("UPDATE audit_events SET actor = 'someone else' WHERE seq = 1").run();
    edit.close();
    const broken = await runCli(['server', 'audit', 'verify', '--database', database], { cwd: dir });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(
      /^broken: audit event #1: its content does not match its hash .* the event was edited\n0 events before it hold/,
    );
  });
});
