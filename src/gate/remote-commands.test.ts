/**
 * approve, revoke, waive (request, then --approve / --deny by another person), unwaive, status,
 * history, show, diff and tag against a real mlgate server on loopback (PostgreSQL when it runs
 * here, else SQLite), through the command line's own parser (main). Also: a runner approving
 * gets the server's 403 and exit 2; an unreachable server is exit 2 and the local store is
 * never touched.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKey } from '../attest/keys.js';
import { main } from '../cli/main.js';
import { RunReport } from '../domain/run-report.js';
import { buildServer } from '../server/app.js';
import { createToken } from '../server/auth.js';
import type { Store } from '../store/db.js';
import { freshDatabase, postgresReachable, type TestDatabase } from '../store/test-dialects.js';
import { bufferedIO } from '../testing/io.js';

const dialect = (await postgresReachable()) ? 'postgres' : 'sqlite';

/** The project; with a public key, the spec lists it for security (signed sign-offs only). */
function projectDir(name = 'remote-cli', securityKey?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlgate-remotecli-'));
  writeFileSync(join(dir, 'model.onnx'), 'model bytes');
  if (securityKey) {
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, 'keys', 'sec.pub'), securityKey);
  }
  writeFileSync(
    join(dir, 'mlgate.yaml'),
    [
      'version: 1',
      `project: { name: ${name} }`,
      'artifacts: { model: model.onnx }',
      'profiles: { dev: {}, prod: {} }',
      'default_profile: dev',
      ...(securityKey ? ['signers: { security: [keys/sec.pub] }'] : []),
      'sections:',
      '  - title: Release',
      '    items:',
      '      - { id: model-file, title: The model is there, check: { kind: file, path: model.onnx } }',
      '      - { id: model-card, title: A model card, check: { kind: file, path: MODEL_CARD.md } }',
      '      - id: lead',
      '        title: Technical lead approves',
      '        severity: { default: recommended, prod: required }',
      '        manual: { roles: [technical-lead] }',
      '      - id: security',
      '        title: Security review',
      '        severity: { default: recommended, prod: required }',
      '        manual: { roles: [security] }',
      '',
    ].join('\n'),
  );
  return dir;
}

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe(`the sign-off and history commands against a server (${dialect})`, () => {
  let database: TestDatabase;
  let store: Store;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let url = '';
  const tokens: Record<string, string> = {};
  const dir = projectDir();

  beforeAll(async () => {
    database = freshDatabase(dialect);
    store = await database.open();
    const make = async (name: string, roles: string[]) =>
      (tokens[name] = (await createToken(store, { name, roles, createdBy: 'test' })).token);
    await make('ci', ['runner']);
    await make('lead', ['approver:technical-lead']);
    await make('other-lead', ['approver:technical-lead']);
    await make('sec', ['approver:security']);
    await make('admin', ['admin']);
    app = await buildServer({ store });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
    await database?.drop();
  });

  /** `mlgate ARGS` in the project folder, as the holder of that token. */
  async function mlgate(who: string, ...args: string[]) {
    return mlgateIn(dir, who, ...args);
  }
  async function mlgateIn(cwd: string, who: string, ...args: string[]) {
    const cli = bufferedIO(cwd, { MLGATE_SERVER: url, MLGATE_TOKEN: tokens[who]! });
    const code = await main(['node', 'mlgate', ...args], cli.io);
    return { code, stdout: cli.stdout(), stderr: cli.stderr() };
  }

  async function check(cwd = dir) {
    const result = await mlgateIn(cwd, 'ci', 'check', '--profile', 'prod', '--format', 'json', '--quiet');
    const report = RunReport.parse(JSON.parse(result.stdout));
    return { ...result, report, status: Object.fromEntries(report.items.map((i) => [i.id, i.status])) };
  }

  test('before any run there is nothing to bind an approval to', async () => {
    const result = await mlgate('lead', 'approve', 'lead');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/has no run of project "remote-cli" yet/);
    expect(existsSync(join(dir, '.mlgate'))).toBe(false);
  });

  test('status, approve (a runner is refused with 403), waive as a request decided by another person, then PASS', async () => {
    const first = await check();
    expect(first.code, first.stderr).toBe(1);
    const run1 = first.report.runId!;

    const status = await mlgate('ci', 'status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout.split('\n')[0]).toBe(`server ${url}`);
    expect(status.stdout).toMatch(new RegExp(`remote-cli · run #${run1} \\(prod, BLOCKED`));
    expect(status.stdout).toMatch(/lead\s+required\s+technical-lead/);
    expect(status.stdout).toContain(`mlgate approve lead --run ${run1} --role technical-lead`);
    const json = await mlgate('ci', 'status', '--format', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      server: url,
      runId: run1,
      pending: [
        { itemId: 'lead', mustAct: ['technical-lead'] },
        { itemId: 'security', mustAct: ['security'] },
      ],
    });
    expect(json.stderr).toContain(`server ${url}`);

    // A runner token cannot sign: the server's 403, exit 2, nothing recorded.
    const refused = await mlgate('ci', 'approve', 'lead');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/answered 403 .*token:ci may not sign for technical-lead/);
    expect(refused.stderr).toMatch(/roles do not allow this/);
    expect(refused.stdout).not.toMatch(/approved/);

    const byOther = await mlgate('lead', 'approve', 'lead', '--by', 'Somebody Else');
    expect(byOther.code).toBe(2);
    expect(byOther.stderr).toMatch(/--by cannot say who acts on the server/);

    const approved = await mlgate('lead', 'approve', 'lead', '--comment', 'read the report');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`server ${url} as token:lead`);
    expect(approved.stdout).toMatch(
      new RegExp(`approved lead as technical-lead in run #${run1} \\(prod, BLOCKED`),
    );
    expect(approved.stdout).toMatch(/bound to run #\d+: its spec [0-9a-f]{12} and model.onnx [0-9a-f]{12}/);
    expect(approved.stdout).toMatch(/lead is no longer pending/);

    // A waiver is a request: the id and the command for someone else.
    const requested = await mlgate(
      'lead',
      'waive',
      'model-card',
      '--reason',
      'card is written in the wiki this week',
      '--expires',
      '30d',
    );
    expect(requested.code, requested.stderr).toBe(0);
    const waiverId = /requested waiver #(\d+) of model-card/.exec(requested.stdout)?.[1];
    expect(waiverId, requested.stdout).toBeDefined();
    expect(requested.stdout).toContain(`mlgate waive model-card --approve ${waiverId}`);
    expect(requested.stdout).toMatch(/only once another person approves it \(not token:lead\)/);

    const pendingWaiver = await mlgate('ci', 'status');
    expect(pendingWaiver.stdout).toMatch(new RegExp(`#${waiverId}\\s+model-card\\s+requested`));
    expect(pendingWaiver.stdout).toContain(`mlgate waive model-card --approve ${waiverId}`);

    const self = await mlgate('lead', 'waive', 'model-card', '--approve', waiverId!);
    expect(self.code).toBe(2);
    expect(self.stderr).toMatch(/token:lead requested waiver #\d+: someone else must approve it/);
    const wrongItem = await mlgate('other-lead', 'waive', 'lead', '--approve', waiverId!);
    expect(wrongItem.code).toBe(2);
    expect(wrongItem.stderr).toMatch(/is of model-card, not lead: nothing was decided/);

    // Still BLOCKED: security is pending and the waiver is only requested.
    expect((await check()).status['model-card']).toBe('fail');

    const decided = await mlgate(
      'other-lead',
      'waive',
      'model-card',
      '--approve',
      waiverId!,
      '--comment',
      'ok',
    );
    expect(decided.code, decided.stderr).toBe(0);
    expect(decided.stdout).toMatch(
      new RegExp(`approved waiver #${waiverId} of model-card \\(requested by token:lead`),
    );

    const security = await mlgate('sec', 'approve', 'security');
    expect(security.code, security.stderr).toBe(0);

    const after = await mlgate('ci', 'status');
    expect(after.stdout).toMatch(/no sign-off pending/);
    expect(after.stdout).toMatch(new RegExp(`#${waiverId}\\s+model-card\\s+in force`));

    const second = await check();
    expect(second.code, second.stderr).toBe(0);
    expect(second.status).toMatchObject({ lead: 'pass', security: 'pass', 'model-card': 'waived' });
  });

  test('approve --key: a signed record for a role the project lists keys for, uploaded and written for the checkout', async () => {
    // The private key stays outside the project, as on a laptop; the spec and the server list its public half.
    const key = generateKey(join(mkdtempSync(join(tmpdir(), 'mlgate-key-')), 'sec'));
    const publicPem = readFileSync(key.publicPath, 'utf8');
    const signedDir = projectDir('remote-signed', publicPem);
    expect((await check(signedDir)).status.security).toBe('pending');
    const admin = await fetch(`${url}/api/v1/projects/remote-signed/signers`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ signers: { security: { keys: [publicPem] } } }),
    });
    expect(admin.status).toBe(200);

    const keyless = await mlgateIn(signedDir, 'sec', 'approve', 'security');
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toMatch(/409 .*upload a signed attestation \(mlgate approve --key\)/);
    const signed = await mlgateIn(signedDir, 'sec', 'approve', 'security', '--key', key.privatePath);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toMatch(/signed with key [0-9a-f]{8}: uploaded as attestation #\d+/);
    expect(signed.stdout).toMatch(/security is no longer pending/);
    expect(readdirSync(join(signedDir, '.mlgate', 'attestations'))).toEqual([
      expect.stringMatching(/^security\.approve\.\d{8}T\d{6}Z\.[0-9a-f]{8}\.json$/),
    ]);
    // The checkout's copy is what check reads for a role the spec lists signers for.
    expect((await check(signedDir)).status.security).toBe('pass');

    // A key the project does not list: the server refuses it, and nothing is written.
    const stranger = generateKey(join(mkdtempSync(join(tmpdir(), 'mlgate-key-')), 'stranger'));
    const refused = await mlgateIn(signedDir, 'sec', 'approve', 'security', '--key', stranger.privatePath);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/422 .*does not count/);
    expect(readdirSync(join(signedDir, '.mlgate', 'attestations'))).toHaveLength(1);
  });

  test('history, show, diff and tag read and write the runs on the server', async () => {
    const history = await mlgate('ci', 'history');
    expect(history.code, history.stderr).toBe(0);
    const lines = history.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`server ${url}`);
    expect(lines[1]).toMatch(/^run\s+started \(UTC\)\s+profile\s+verdict.*uploaded by\s+tags$/);
    expect(lines[2]).toMatch(/^#3\s.*prod\s+PASS.*1 waived.*token:ci/);
    expect(lines.slice(2).map((line) => line.split(/\s+/)[0])).toEqual(['#3', '#2', '#1']);
    const json = await mlgate('ci', 'history', '--format', 'json', '--limit', '1');
    expect(JSON.parse(json.stdout)).toMatchObject([{ id: 3, verdict: 'PASS', uploadedBy: 'token:ci' }]);

    const shown = await mlgate('ci', 'show', 'latest');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout.split('\n')[0]).toBe(`server ${url}`);
    expect(shown.stdout).toMatch(/PASS/);
    const shownJson = await mlgate('ci', 'show', '1', '--format', 'json');
    expect(RunReport.parse(JSON.parse(shownJson.stdout))).toMatchObject({
      runId: 1,
      verdict: { status: 'BLOCKED' },
    });
    const missing = await mlgate('ci', 'show', '99');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/has no run "99" of project "remote-cli"/);

    const diff = await mlgate('ci', 'diff', '1', 'latest');
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toMatch(/run #1 \(.*BLOCKED\) → run #3 \(.*PASS\)/);
    expect(diff.stdout).toMatch(/lead\s+pending\s+pass/);

    const viewerTag = await mlgate('lead', 'tag', 'latest', 'production');
    expect(viewerTag.code).toBe(2);
    expect(viewerTag.stderr).toMatch(/403 .*lacks the role this needs \(runner\)/);
    const tagged = await mlgate('ci', 'tag', 'latest', 'production');
    expect(tagged.code, tagged.stderr).toBe(0);
    expect(tagged.stdout).toContain('tagged run #3 "production" on the server (token:ci)');
    expect((await mlgate('ci', 'show', 'production', '--format', 'json')).stdout).toContain('"runId": 3');
    expect((await mlgate('ci', 'history')).stdout).toMatch(/#3\s.*production/);

    const revoked = await mlgate('lead', 'revoke', 'lead', '--reason', 'found a problem');
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain('revoked the technical-lead approval of lead: token:lead');
    const unwaived = await mlgate('lead', 'unwaive', 'model-card', '--reason', 'card still missing');
    expect(unwaived.code, unwaived.stderr).toBe(0);
    expect(unwaived.stdout).toMatch(/revoked waiver #\d+ of model-card/);
    const again = await mlgate(
      'lead',
      'waive',
      'model-card',
      '--reason',
      'card next week',
      '--expires',
      '7d',
    );
    const againId = /requested waiver #(\d+)/.exec(again.stdout)![1]!;
    const denied = await mlgate('other-lead', 'waive', 'model-card', '--deny', againId, '--comment', 'no');
    expect(denied.code, denied.stderr).toBe(0);
    expect(denied.stdout).toMatch(new RegExp(`denied waiver #${againId} of model-card`));
    const twice = await mlgate('other-lead', 'waive', 'model-card', '--approve', againId);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/409 .*is denied, not requested/);

    const third = await check();
    expect(third.code).toBe(1);
    expect(third.status).toMatchObject({ lead: 'pending', 'model-card': 'fail' });
  });

  test('flags that mean the local store are refused while a server is set; server flags without one too', async () => {
    const withStore = await mlgate('ci', 'history', '--store', join(dir, '.mlgate'));
    expect(withStore.code).toBe(2);
    expect(withStore.stderr).toMatch(/--store names a local store, but the server .* is set/);
    const stranger = bufferedIO(dir, { MLGATE_SERVER: url, MLGATE_TOKEN: 'mlgt_not-a-token' });
    expect(await main(['node', 'mlgate', 'history'], stranger.io)).toBe(2);
    expect(stranger.stderr()).toMatch(/answered 401/);
    expect(stranger.stderr()).toMatch(/MLGATE_TOKEN is not a token this server accepts/);
    const local = bufferedIO(dir, {});
    expect(await main(['node', 'mlgate', 'approve', 'lead', '--run', '1', '--by', 'me'], local.io)).toBe(2);
    expect(local.stderr()).toMatch(/--run is for a team server: no server is set/);
  });
});

describe('an unreachable server', () => {
  test('every command says so and exits 2; no local store is opened or made', async () => {
    const port = await closedPort();
    const dir = projectDir();
    for (const args of [
      ['approve', 'lead'],
      ['waive', 'model-card', '--reason', 'not this week', '--expires', '7d'],
      ['status'],
      ['history'],
      ['show', 'latest'],
      ['diff', '1', '2'],
      ['tag', '1', 'production'],
    ]) {
      const cli = bufferedIO(dir, { MLGATE_SERVER: `http://127.0.0.1:${port}`, MLGATE_TOKEN: 'mlgt_x' });
      const code = await main(['node', 'mlgate', ...args], cli.io);
      expect(code, args.join(' ')).toBe(2);
      expect(cli.stderr()).toMatch(/cannot reach the mlgate server http:\/\/127\.0\.0\.1:\d+/);
      expect(cli.stderr()).toMatch(/nothing was read from or written to the local store/);
    }
    expect(existsSync(join(dir, '.mlgate'))).toBe(false);
  });

  test('plain http to another host is refused before the token is sent', async () => {
    const cli = bufferedIO(projectDir(), {
      MLGATE_SERVER: 'http://gate.example.com',
      MLGATE_TOKEN: 'mlgt_x',
    });
    expect(await main(['node', 'mlgate', 'history'], cli.io)).toBe(2);
    expect(cli.stderr()).toMatch(/plain http: the token would cross the network in the clear/);
  });
});
