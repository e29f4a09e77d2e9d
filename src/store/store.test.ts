/**
 * The store on real SQLite files: sign-offs bound to digests, waivers, history, and a database
 * that survives concurrent writers, a killed writer, damage and a newer mlgate.
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { RunReport } from '../domain/run-report.js';
import { runCli } from '../testing/cli.js';
import { tempFiles } from '../testing/temp.js';
import { openStore } from './db.js';
import { saveRun } from './runs.js';

const SPEC = `version: 1
project: { name: store-test }
artifacts:
  model: model.bin
  card: card.md
sections:
  - title: Checks
    items:
      - { id: model-file, title: Model file, check: { kind: file, path: model.bin } }
      - { id: card-says-limits, title: Card has limits, check: { kind: log, path: card.md, contains: Limitations } }
  - title: Sign-off
    items:
      - id: lead
        title: Tech lead approves
        manual: { roles: [technical-lead] }
      - id: release
        title: Product and compliance approve
        manual: { roles: [product-owner, compliance], comment_required: true, evidence_required: true }
      - id: quarterly
        title: Quarterly review
        severity: recommended
        manual: { roles: [reviewer], renew_every: 90d }
`;

function project(extra: Record<string, string> = {}) {
  const dir = tempFiles({
    'mlgate.yaml': SPEC,
    'model.bin': 'weights v1\n',
    'card.md': '# Card\n## Limitations\nsmall data\n',
    'review.pdf': 'minutes',
    ...extra,
  });
  const env = { MLGATE_STORE: join(dir, 'store'), MLGATE_USER: 'Jane Doe' };
  const cli = (...args: string[]) => runCli([...args], { cwd: dir, env });
  const check = async () => {
    const result = await cli('check', '--format', 'json', '--quiet');
    return { code: result.code, report: RunReport.parse(JSON.parse(result.stdout)), stderr: result.stderr };
  };
  return { dir, env, cli, check };
}

const status = (report: RunReport, id: string) => report.items.find((item) => item.id === id)!;

describe('approvals', () => {
  test('an approval passes the item, binds to the digests, and goes stale when a byte changes', async () => {
    const { dir, cli, check } = project();
    let { report } = await check();
    expect(status(report, 'lead')).toMatchObject({
      status: 'pending',
      summary: 'awaiting sign-off by technical-lead',
    });

    const approved = await cli('approve', 'lead', '--comment', 'read the report');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('approved lead as technical-lead: Jane Doe');
    expect(approved.stdout).toContain('lead is now approved: approved by Jane Doe (technical-lead, ');
    ({ report } = await check());
    const lead = status(report, 'lead');
    expect(lead.status).toBe('pass');
    expect(lead.approvals).toEqual([
      expect.objectContaining({
        role: 'technical-lead',
        by: 'Jane Doe',
        comment: 'read the report',
        state: 'current',
        definitionDigest: lead.definitionDigest,
        artifacts: {
          model: { path: 'model.bin', sha256: report.artifacts.find((a) => a.name === 'model')!.sha256 },
          card: { path: 'card.md', sha256: report.artifacts.find((a) => a.name === 'card')!.sha256 },
        },
      }),
    ]);

    appendFileSync(join(dir, 'model.bin'), 'x');
    ({ report } = await check());
    expect(status(report, 'lead').status).toBe('pending');
    expect(status(report, 'lead').summary).toMatch(
      /^awaiting sign-off by technical-lead; model\.bin changed since Jane Doe approved on \d{4}-\d{2}-\d{2}$/,
    );
    expect(status(report, 'lead').approvals![0]!.state).toBe('stale');
    const shown = await cli('status');
    expect(shown.stdout).toMatch(
      /lead\s+required\s+pending\s+awaiting sign-off by technical-lead; model\.bin changed since Jane Doe approved/,
    );

    // Approving again binds to the new digests; revoking withdraws it.
    await cli('approve', 'lead');
    expect(status((await check()).report, 'lead').status).toBe('pass');
    expect((await cli('revoke', 'lead', '--reason', 'found a problem')).code).toBe(0);
    expect(status((await check()).report, 'lead').status).toBe('pending');
  });

  test('every role must approve; comment and evidence when the spec asks; the item definition binds too', async () => {
    const { dir, cli, check } = project();
    const noComment = await cli('approve', 'release', '--role', 'product-owner');
    expect(noComment.code).toBe(2);
    expect(noComment.stderr).toContain('"release" needs a justification with each approval: --comment TEXT');
    const noEvidence = await cli('approve', 'release', '--role', 'product-owner', '--comment', 'ok');
    expect(noEvidence.stderr).toContain('"release" needs evidence with each approval');
    const badRole = await cli(
      'approve',
      'release',
      '--role',
      'product-owne',
      '--comment',
      'ok',
      '--evidence',
      'review.pdf',
    );
    expect(badRole.stderr).toContain(
      '"release" is signed off by product-owner, compliance, not "product-owne". Did you mean "product-owner"?',
    );
    const automated = await cli('approve', 'model-file');
    expect(automated.stderr).toContain('"model-file" is automated');

    expect(
      (
        await cli(
          'approve',
          'release',
          '--role',
          'product-owner',
          '--comment',
          'meets the brief',
          '--evidence',
          'review.pdf',
        )
      ).code,
    ).toBe(0);
    let release = status((await check()).report, 'release');
    expect(release.status).toBe('pending');
    expect(release.summary).toBe('awaiting sign-off by compliance');
    expect(release.approvals![0]!.evidence).toEqual({
      ref: 'review.pdf',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    await cli(
      'approve',
      'release',
      '--role',
      'compliance',
      '--comment',
      'GDPR review done',
      '--evidence',
      'https://example.com/ticket/42',
      '--by',
      'Sam Roe',
    );
    release = status((await check()).report, 'release');
    expect(release.status).toBe('pass');
    expect(release.summary).toMatch(
      /^approved by Jane Doe \(product-owner, .*\); Sam Roe \(compliance, .*\)$/,
    );

    // Changing what the item asks (its definition) makes its approvals stale.
    writeFileSync(
      join(dir, 'mlgate.yaml'),
      readFileSync(join(dir, 'mlgate.yaml'), 'utf8').replace(
        'Product and compliance approve',
        'Product and compliance approve the release',
      ),
    );
    release = status((await check()).report, 'release');
    expect(release.status).toBe('pending');
    expect(release.summary).toContain("the item's definition in the spec changed since Jane Doe approved on");
  });
});

describe('waivers', () => {
  test('a failing required item is waived until it expires: counted, shown, never hidden', async () => {
    const { dir, cli, check } = project({ 'card.md': '# Card\nno limits section\n' });
    await cli('approve', 'lead');
    let result = await check();
    expect(status(result.report, 'card-says-limits').status).toBe('fail');
    expect(result.report.verdict.status).toBe('BLOCKED');

    const missingExpiry = await cli('waive', 'card-says-limits', '--reason', 'lands next sprint');
    expect(missingExpiry.stderr).toContain('a waiver needs an end: --expires DATE');
    const past = await cli(
      'waive',
      'card-says-limits',
      '--reason',
      'lands next sprint',
      '--expires',
      '2020-01-01',
    );
    expect(past.stderr).toContain('is not in the future');
    expect(
      (await cli('waive', 'card-says-limits', '--reason', 'lands next sprint', '--expires', '14d')).code,
    ).toBe(0);

    result = await check();
    const waived = status(result.report, 'card-says-limits');
    expect(waived.status).toBe('waived');
    expect(waived.summary).toMatch(
      /^waived by Jane Doe until \d{4}-\d{2}-\d{2}: lands next sprint \(was fail: /,
    );
    expect(waived.waiver).toMatchObject({
      state: 'applied',
      waivedStatus: 'fail',
      reason: 'lands next sprint',
    });
    expect(result.report.verdict).toMatchObject({ status: 'BLOCKED' }); // release and its roles are still pending
    expect(result.report.counts.waived).toBe(1);
    const text = await cli('check', '--only', 'card-says-limits');
    expect(text.stdout).toContain('Verdict: PASS with 1 waiver');

    // Fixing the card changes a digest the waiver is bound to: it no longer applies (and is not needed).
    writeFileSync(join(dir, 'card.md'), '# Card\n## Limitations\nsmall data\n');
    result = await check();
    expect(status(result.report, 'card-says-limits')).toMatchObject({
      status: 'pass',
      waiver: { state: 'stale' },
    });
    expect((await cli('unwaive', 'card-says-limits')).code).toBe(0);
    expect(status((await check()).report, 'card-says-limits').waiver).toBeUndefined();
  });
});

describe('time: lapsed approvals and expired waivers (an injected clock)', () => {
  test('renew_every lapses an approval; a waiver stops counting after its expiry', async () => {
    const { loadSpec } = await import('../spec/load.js');
    const { loadBuiltinChecks } = await import('../engine/registry.js');
    const { digestArtifacts } = await import('../engine/artifacts.js');
    const { SignoffBook, appendEvent, bindingFor } = await import('./signoffs.js');
    const { dir } = project();
    const loaded = loadSpec(join(dir, 'mlgate.yaml'), await loadBuiltinChecks());
    const artifacts = await digestArtifacts(loaded);
    const store = (await openStore(join(dir, 'store'), { create: true }))!;
    const quarterly = loaded.items.find((item) => item.id === 'quarterly')!;
    const card = loaded.items.find((item) => item.id === 'card-says-limits')!;
    const given = new Date('2026-01-10T12:00:00Z');
    await appendEvent(store, {
      action: 'approve',
      itemId: 'quarterly',
      actor: 'Rev',
      role: 'reviewer',
      at: given,
      binding: bindingFor(quarterly, loaded.sha256, artifacts),
    });
    await appendEvent(store, {
      action: 'waive',
      itemId: 'card-says-limits',
      actor: 'Rev',
      comment: 'known',
      at: given,
      expiresAt: new Date('2026-02-01T00:00:00Z'),
      binding: bindingFor(card, loaded.sha256, artifacts),
    });
    const at = async (iso: string) => SignoffBook.load(store, loaded.sha256, artifacts, () => new Date(iso));
    expect((await at('2026-04-09T12:00:00Z')).manual(quarterly).status).toBe('pass');
    const lapsed = (await at('2026-04-10T12:00:01Z')).manual(quarterly);
    expect(lapsed).toMatchObject({
      status: 'pending',
      summary: "awaiting sign-off by reviewer; Rev's approval of 2026-01-10 lapsed: it is renewed every 90 d",
    });
    const failing = { status: 'fail' as const, summary: 'no Limitations' };
    expect((await at('2026-01-31T23:59:59Z')).waive(card, failing).status).toBe('waived');
    expect((await at('2026-02-01T00:00:00Z')).waive(card, failing)).toMatchObject({
      status: 'fail',
      waiver: { state: 'expired', stateReason: 'expired on 2026-02-01' },
    });
    await store.close();
  });
});

describe('history', () => {
  test('history, show, diff and tag read the stored runs', async () => {
    const { dir, cli } = project();
    expect((await cli('history')).stderr).toContain('nothing has been recorded for this project yet');
    await cli('check', '--quiet');
    appendFileSync(join(dir, 'model.bin'), 'v2');
    await cli('check', '--quiet', '--only', 'model-file');
    const history = await cli('history');
    // An untouched store: nothing to warn about.
    expect(history.stderr).toBe('');
    expect(history.stdout).toMatch(
      /^run\s+started \(UTC\)\s+profile\s+verdict\s+passed\s+notes\s+artifacts\s+tags$/m,
    );
    expect(history.stdout).toMatch(/^#2 .* PASS\s+1\/1\s+partial \(--only\)/m);
    expect(history.stdout).toMatch(/^#1 .* BLOCKED\s+2\/5\s+/m);
    expect((await cli('tag', '1', 'production')).stdout).toBe('tagged run #1 "production" (Jane Doe)\n');
    expect((await cli('tag', '1', 'latest')).stderr).toContain('"latest" cannot be a tag');
    const show = await cli('show', 'production');
    expect(show.stdout).toContain('· run #1');
    const diff = await cli('diff', 'production', 'latest');
    expect(diff.stdout).toMatch(
      /^artifacts that changed\nartifact\s+from\s+to\nmodel\s+[0-9a-f]{12}\s+[0-9a-f]{12}$/m,
    );
    expect(diff.stdout).toMatch(/^card-says-limits\s+pass\s+\(absent\)$/m);
    const unknown = await cli('show', 'staging');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'error: no run "staging" in the store\n  give a run number (mlgate history lists them), latest, last-pass, or a tag: production\n',
    );
  });
});

describe('the database itself', () => {
  test('runs started at once all land', async () => {
    const { dir, env } = project();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => runCli(['check', '--quiet'], { cwd: dir, env })),
    );
    expect(results.map((r) => r.code)).toEqual([1, 1, 1, 1]);
    const history = JSON.parse(
      (await runCli(['history', '--format', 'json'], { cwd: dir, env })).stdout,
    ) as Array<{ id: number }>;
    expect(history.map((run) => run.id).sort()).toEqual([1, 2, 3, 4]);
  });

  test('a writer killed with SIGKILL mid-write leaves a consistent database', async () => {
    const dir = tempFiles({});
    const writer = `
      const { openStore } = await import(${JSON.stringify(new URL('./db.ts', import.meta.url).pathname.replace(/\.ts$/, '.js').replace('/src/', '/dist/'))});
      const { saveRun } = await import(${JSON.stringify(new URL('./runs.ts', import.meta.url).pathname.replace(/\.ts$/, '.js').replace('/src/', '/dist/'))});
      const store = await openStore(${JSON.stringify(dir)}, { create: true });
      const report = JSON.parse((await import('node:fs')).readFileSync(process.env.REPORT, 'utf8'));
      process.stdout.write('ready\\n');
      for (;;) await saveRun(store, report);
    `;
    const reportFile = join(dir, 'report.json');
    writeFileSync(reportFile, JSON.stringify(fakeReport(400)));
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', writer], {
        env: { ...process.env, REPORT: reportFile },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise((resolve) => child.stdout.once('data', resolve));
      await new Promise((resolve) => setTimeout(resolve, 150 + round * 70));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    const db = new BetterSqlite3(join(dir, 'mlgate.db'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const runs = db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number };
    expect(runs.n).toBeGreaterThan(0);
    // Every run that is there is whole: all its items, none without their run.
    const partial = db
      .prepare(
        'SELECT r.id FROM runs r LEFT JOIN run_items i ON i.run_id = r.id GROUP BY r.id HAVING count(i.item_id) != 400',
      )
      .all();
    expect(partial).toEqual([]);
    const orphans = db
      .prepare('SELECT count(*) AS n FROM run_items WHERE run_id NOT IN (SELECT id FROM runs)')
      .get() as { n: number };
    expect(orphans.n).toBe(0);
    db.close();
  });

  test('a damaged file is reported and left as it is', async () => {
    const { dir, env, cli } = project();
    const store = join(env.MLGATE_STORE, 'mlgate.db');
    execFileSync('mkdir', ['-p', env.MLGATE_STORE]);
    writeFileSync(store, 'this is not a database, it is a text file someone saved here\n');
    const before = readFileSync(store);
    const result = await cli('check');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: ${store} is not an SQLite database (damaged, or not mlgate's); nothing was changed\n  move it aside (mlgate starts a new store) or restore it from a backup\n`,
    );
    expect(readFileSync(store).equals(before)).toBe(true);
    // A real database with its pages damaged past the header.
    await cli('check', '--quiet', '--no-store');
    writeFileSync(store, Buffer.concat([Buffer.from('SQLite format 3\u0000'), Buffer.alloc(4096, 0x5a)]));
    const damaged = readFileSync(store);
    const second = await cli('check');
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/^error: the store .*mlgate\.db is damaged \(/);
    expect(readFileSync(store).equals(damaged)).toBe(true);
    void dir;
  });

  test('a store written by a newer mlgate is refused, untouched', async () => {
    const { env, cli } = project();
    await cli('check', '--quiet');
    const path = join(env.MLGATE_STORE, 'mlgate.db');
    const db = new BetterSqlite3(path);
    db.prepare("INSERT INTO kysely_migration (name, timestamp) VALUES ('0099_future', '2030-01-01')").run();
    db.close();
    const before = readFileSync(path);
    const result = await cli('history');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: the store ${path} was written by a newer mlgate (schema 0099_future); nothing was changed\n  upgrade mlgate to read it\n`,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test('the audit trail cannot be edited, even with SQL', async () => {
    const dir = tempFiles({});
    const store = (await openStore(dir, { create: true }))!;
    await saveRun(store, fakeReport(1));
    await store.close();
    const db = new BetterSqlite3(join(dir, 'mlgate.db'));
    db.prepare(
      "INSERT INTO signoff_events (at, action, item_id, actor, artifacts) VALUES ('2026-01-01', 'approve', 'x', 'a', '{}')",
    ).run();
    expect(() => db.prepare("UPDATE signoff_events SET actor = 'someone else'").run()).toThrow(
      'signoff_events is append-only',
    );
    expect(() => db.prepare('DELETE FROM signoff_events').run()).toThrow('signoff_events is append-only');
    expect(() => db.prepare("UPDATE runs SET verdict = 'BLOCKED'").run()).toThrow('runs is append-only');
    expect(() => db.prepare('DELETE FROM run_items').run()).toThrow('run_items is append-only');
    db.close();
  });
});

describe('a damaged store is refused, never made worse', () => {
  /** Every command that opens the store, read or write. */
  const COMMANDS = [
    ['check', '--quiet'],
    ['approve', 'lead'],
    ['waive', 'model-file', '--reason', 'r', '--expires', '30d'],
    ['tag', '1', 'production'],
    ['history'],
    ['show', 'latest'],
    ['diff', '1', '2'],
    ['status'],
  ];

  /** A real store with several runs: one from the CLI, more written by the store's own code. */
  async function populated() {
    const p = project();
    expect((await p.cli('check', '--quiet')).code).toBe(1);
    const store = (await openStore(p.env.MLGATE_STORE, { create: true }))!;
    for (let run = 0; run < 6; run++) await saveRun(store, fakeReport(60));
    await store.close();
    const path = join(p.env.MLGATE_STORE, 'mlgate.db');
    const db = new BetterSqlite3(path);
    const pages = db.pragma('page_count', { simple: true }) as number;
    expect(db.pragma('page_size', { simple: true })).toBe(4096);
    // Pages that hold runs (their reports), from SQLite's own page map: damage there is data lost.
    const runPages = (
      db.prepare("SELECT pageno FROM dbstat WHERE name = 'runs' ORDER BY pageno").all() as Array<{
        pageno: number;
      }>
    ).map((row) => row.pageno);
    db.close();
    expect(pages).toBeGreaterThan(20);
    return { ...p, path, pages, runPages };
  }

  /** Zeroes whole pages (numbered from 1, as SQLite does) in place, as a bad disk would. */
  function zeroPages(path: string, first: number, count: number) {
    const bytes = readFileSync(path);
    bytes.fill(0, (first - 1) * 4096, (first - 1 + count) * 4096);
    writeFileSync(path, bytes);
  }

  async function expectRefusedUnchanged(
    cli: (...args: string[]) => Promise<{ code: number | null; stderr: string }>,
    path: string,
    commands: string[][],
  ) {
    const before = readFileSync(path);
    for (const args of commands) {
      const result = await cli(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(`error: the store ${path} is damaged (`);
      expect(result.stderr).toContain(
        '  move it aside (mlgate starts a new store) or restore it from a backup\n',
      );
      expect(result.stderr).not.toMatch(/internal error|^\s+at /m);
      // Byte for byte: no write reached the damaged file, not even a checkpoint.
      expect(readFileSync(path).equals(before)).toBe(true);
    }
  }

  test('two zeroed pages near the start: every command exits 2 with the fix, the file unchanged', async () => {
    const { cli, path } = await populated();
    zeroPages(path, 3, 2);
    await expectRefusedUnchanged(cli, path, COMMANDS);
  });

  test('two zeroed pages in the middle of the run data: history and writers exit 2, the file unchanged', async () => {
    const { cli, path, runPages } = await populated();
    // Two neighbouring pages of run data, from the middle of the file.
    const middle = runPages.findIndex((page, i) => i > runPages.length / 3 && runPages[i + 1] === page + 1);
    expect(middle).toBeGreaterThan(0);
    zeroPages(path, runPages[middle]!, 2);
    await expectRefusedUnchanged(cli, path, [
      ['history'],
      ['check', '--quiet'],
      ['approve', 'lead'],
      ['tag', '1', 'production'],
    ]);
  });

  test('an empty (0-byte) store is refused like any damaged file, never turned into a new one', async () => {
    const { env, cli } = project();
    mkdirSync(env.MLGATE_STORE, { recursive: true });
    const path = join(env.MLGATE_STORE, 'mlgate.db');
    writeFileSync(path, '');
    for (const args of [['check', '--quiet'], ['approve', 'lead'], ['history'], ['tag', '1', 'x']]) {
      const result = await cli(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toBe(
        `error: ${path} is empty (0 bytes): damaged, or not mlgate's; nothing was changed\n  move it aside (mlgate starts a new store) or restore it from a backup\n`,
      );
      expect(statSync(path).size).toBe(0);
    }
    // Moved aside, as the message says: a new store starts.
    renameSync(path, `${path}.damaged`);
    expect((await cli('check', '--quiet')).code).toBe(1);
    expect(statSync(path).size).toBeGreaterThan(0);
  });
});

describe('tampering the store can notice', () => {
  const triggers = (path: string) => {
    const db = new BetterSqlite3(path);
    const names = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all() as Array<{
        name: string;
      }>
    ).map((row) => row.name);
    db.close();
    return names;
  };

  test('guards dropped, altered or added: reported on reading, restored on writing, and history keeps saying so', async () => {
    const { env, cli } = project();
    await cli('check', '--quiet');
    const path = join(env.MLGATE_STORE, 'mlgate.db');
    const intact = triggers(path);
    expect(intact).toContain('runs_no_update');
    expect((await cli('history')).stderr).toBe('');

    const db = new BetterSqlite3(path);
    db.exec('DROP TRIGGER runs_no_update');
    db.exec('DROP TRIGGER signoff_events_no_delete');
    // Same name, does nothing: not a guard.
    db.exec('DROP TRIGGER tag_events_no_update');
    db.exec('CREATE TRIGGER tag_events_no_update BEFORE UPDATE ON tag_events BEGIN SELECT 1; END');
    // One mlgate never made: it would approve every item on each run.
    db.exec(
      "CREATE TRIGGER sneaky AFTER INSERT ON runs BEGIN INSERT INTO signoff_events (at, action, item_id, role, actor, artifacts) VALUES ('2026-01-01', 'approve', 'lead', 'technical-lead', 'nobody', '{}'); END",
    );
    db.close();

    // Reading: reported, not repaired (a read never writes).
    const read = await cli('history');
    expect(read.code).toBe(0);
    expect(read.stderr).toContain(
      "warning: the store's append-only guards missing: signoff_events_no_delete, runs_no_update; append-only guards altered: tag_events_no_update; triggers mlgate did not make: sneaky (on runs); records in signoff_events, tag_events, runs may have been changed outside mlgate (mlgate check, approve or tag restores the guards)\n",
    );
    expect(triggers(path)).toContain('sneaky');

    // Writing: restored before anything is written, so the sneaky trigger never fires.
    const { report } = await (async () => {
      const result = await cli('check', '--format', 'json', '--quiet');
      return { report: RunReport.parse(JSON.parse(result.stdout)) };
    })();
    expect(triggers(path)).toEqual(intact);
    const check = new BetterSqlite3(path);
    expect(check.prepare('SELECT count(*) AS n FROM signoff_events').get()).toEqual({ n: 0 });
    check.prepare("INSERT INTO tag_events (at, tag, run_id, actor) VALUES ('2026-01-01', 't', 1, 'a')").run();
    expect(() => check.prepare("UPDATE tag_events SET tag = 'x'").run()).toThrow('tag_events is append-only');
    check.close();
    expect(status(report, 'lead').status).toBe('pending');

    // And the repair stays on record: every later history says the trail may have been edited.
    const later = await cli('history');
    expect(later.stderr).toMatch(
      /^warning: \d{4}-\d\d-\d\dT[\d:.]+Z: the store's append-only guards missing: signoff_events_no_delete, runs_no_update; append-only guards altered: tag_events_no_update; triggers mlgate did not make: sneaky \(on runs\); records in signoff_events, tag_events, runs may have been changed outside mlgate; restored by mlgate /m,
    );
    expect(later.stderr.match(/^warning: /gm)).toHaveLength(1);
  });

  test('a run row whose verdict was edited is named by history, even with its guard put back', async () => {
    const { env, cli } = project();
    expect((await cli('check', '--quiet')).code).toBe(1);
    expect((await cli('check', '--quiet')).code).toBe(1);
    const path = join(env.MLGATE_STORE, 'mlgate.db');
    const db = new BetterSqlite3(path);
    // A careful editor: drops the guards, edits, and puts the very same guards back.
    const guards = db
      .prepare("SELECT sql FROM sqlite_master WHERE name IN ('runs_no_update', 'run_items_no_update')")
      .all() as Array<{ sql: string }>;
    db.exec('DROP TRIGGER IF EXISTS runs_no_update; DROP TRIGGER IF EXISTS run_items_no_update');
    db.prepare("UPDATE runs SET verdict = 'PASS' WHERE id = 1").run();
    db.prepare("UPDATE run_items SET status = 'pass' WHERE run_id = 1 AND item_id = 'lead'").run();
    for (const guard of guards) db.exec(guard.sql);
    db.close();

    const history = await cli('history');
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/^#1 .* PASS\s+2\/5\s+DOES NOT MATCH ITS REPORT/m);
    expect(history.stdout).toMatch(/^#2 .* BLOCKED\s+2\/5\s+model /m);
    expect(history.stderr).toBe(
      'warning: run #1 does not match the report stored with it (verdict: "PASS" in the row, "BLOCKED" in its report; item lead status: "pass" in the row, "pending" in its report): the store was changed outside mlgate; trust neither\n',
    );
    const json = JSON.parse((await cli('history', '--format', 'json')).stdout) as Array<{
      id: number;
      problems: string[];
    }>;
    expect(json.find((run) => run.id === 1)?.problems).toEqual([
      'verdict: "PASS" in the row, "BLOCKED" in its report',
      'item lead status: "pass" in the row, "pending" in its report',
    ]);
    expect(json.find((run) => run.id === 2)?.problems).toEqual([]);
    // Nor does the edited row become the baseline a check compares with.
    const lastPass = await cli('show', 'last-pass');
    expect(lastPass.code).toBe(2);
    expect(lastPass.stderr).toContain('no run "last-pass" in the store');
  });
});

function fakeReport(items: number): RunReport {
  return RunReport.parse({
    schemaVersion: 1,
    tool: { name: 'mlgate', version: 'test' },
    project: { name: 'p' },
    spec: { path: 'mlgate.yaml', sha256: 'a'.repeat(64) },
    root: '/p',
    profile: null,
    selection: null,
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:00:01Z',
    durationMs: 1000,
    complete: true,
    verdict: { status: 'PASS', warnings: 0, waived: 0, blocking: [], warningReasons: [] },
    counts: {
      total: items,
      pass: items,
      fail: 0,
      error: 0,
      skip: 0,
      pending: 0,
      waived: 0,
      notApplicable: 0,
    },
    sections: [],
    artifacts: [],
    items: Array.from({ length: items }, (_, i) => ({
      id: `item-${i}`,
      sectionPath: ['S'],
      title: `Item ${i}`,
      severity: 'required',
      kind: 'file',
      applicable: true,
      status: 'pass',
      summary: 'ok '.repeat(50),
      measured: { value: i },
      definitionDigest: 'b'.repeat(64),
      durationMs: 1,
    })),
  });
}

describe("a store changed outside mlgate, or not mlgate's at all", () => {
  test("another program's database is refused and left as it was, never given mlgate's tables", async () => {
    const { env, cli } = project();
    mkdirSync(env.MLGATE_STORE, { recursive: true });
    const path = join(env.MLGATE_STORE, 'mlgate.db');
    const foreign = new BetterSqlite3(path);
    foreign.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada');");
    foreign.close();
    const before = readFileSync(path);
    for (const args of [['check', '--quiet'], ['history'], ['approve', 'lead', '--role', 'technical-lead']]) {
      const result = await cli(...args);
      expect(result.code, args[0]).toBe(2);
      expect(result.stderr).toContain(
        `${path} is not an mlgate store: it is a database with tables mlgate did not make (users)`,
      );
    }
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test('a dropped guard is said where it matters: status warns, check warns as it restores it', async () => {
    const { env, cli } = project();
    await cli('check', '--quiet');
    const db = new BetterSqlite3(join(env.MLGATE_STORE, 'mlgate.db'));
    db.exec('DROP TRIGGER signoff_events_no_update');
    db.close();
    const status = await cli('status');
    expect(status.stderr).toMatch(
      /warning: the store's append-only guards missing: signoff_events_no_update/,
    );
    const check = await cli('check', '--quiet');
    expect(check.stderr).toMatch(
      /warning: the store's append-only guards missing: signoff_events_no_update.*restored/,
    );
  });

  test('a dropped table or column, or a value that is not JSON: exit 2 with the fix, never a crash, nothing written', async () => {
    const edits = [
      ['DROP TABLE signoff_events', 'table signoff_events missing'],
      ['DROP TRIGGER runs_no_update; ALTER TABLE runs DROP COLUMN counts', 'table runs altered'],
    ] as const;
    for (const [edit, reason] of edits) {
      const { env, cli } = project();
      await cli('check', '--quiet');
      const path = join(env.MLGATE_STORE, 'mlgate.db');
      const db = new BetterSqlite3(path);
      db.exec(edit);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      const before = readFileSync(path);
      for (const command of [['status'], ['check', '--quiet'], ['history']]) {
        const result = await cli(...command);
        expect(result.code, `${edit}: ${command[0]}`).toBe(2);
        expect(result.stderr).toContain(`was changed outside mlgate (${reason})`);
        expect(result.stderr).not.toContain('internal error');
      }
      expect(readFileSync(path).equals(before)).toBe(true);
    }
    // A report that is not JSON any more (its guard dropped first).
    const { env, cli } = project();
    await cli('check', '--quiet');
    const db = new BetterSqlite3(join(env.MLGATE_STORE, 'mlgate.db'));
    db.exec("DROP TRIGGER runs_no_update; UPDATE runs SET report = '{not json'");
    db.close();
    const shown = await cli('show', '1');
    expect(shown.code).toBe(2);
    expect(shown.stderr).toContain(
      'was changed outside mlgate (the report of run #1 is not the JSON mlgate wrote)',
    );
  });
});
