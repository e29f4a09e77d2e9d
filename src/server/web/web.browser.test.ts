/**
 * The web page in Debian's Chromium (playwright-core), with JavaScript turned off: the page
 * needs none. An approver logs in with a token, finds the pending sign-off with who must act,
 * approves it from the keyboard, sees it no longer pending; the CI re-run then shows PASS.
 * No console errors; screenshots land in test-artifacts/ for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHROMIUM, chromiumAvailable, launchChromium } from '../../testing/browser.js';
import { REPO_ROOT } from '../../testing/cli.js';
import type { Store } from '../../store/db.js';
import { MANUAL_ITEM, sampleReport } from '../../store/sample-report.js';
import { freshDatabase } from '../../store/test-dialects.js';
import { buildServer } from '../app.js';
import { createToken } from '../auth.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const missing = !chromiumAvailable() && process.env.CI !== 'true';
if (missing) console.warn(`\n!!! SKIPPED: the server web page browser test (no Chromium at ${CHROMIUM})\n`);

describe.skipIf(missing)('web page', () => {
  let store: Store;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let base: string;
  let browser: Browser;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    store = await freshDatabase('sqlite').open();
    for (const [name, roles] of Object.entries({
      ci: ['runner'],
      alice: ['approver:release-manager'],
      admin: ['admin'],
    }))
      tokens[name] = (await createToken(store, { name, roles, createdBy: 'test' })).token;
    app = await buildServer({ store });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const upload = async (body: unknown) => {
      const response = await fetch(`${base}/api/v1/projects/fraud-model/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.ci}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(201);
    };
    await upload({ report: sampleReport({ value: 0.91 }) });
    await upload({
      report: sampleReport({ pendingRoles: ['release-manager'], value: 0.93 }),
      manual: { [MANUAL_ITEM]: { roles: ['release-manager'], comment_required: true } },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('request', (request) => {
      if (!request.url().startsWith(base)) problems.push(`asked the network for ${request.url()}`);
    });
    return { context, page, problems };
  }

  async function logIn(page: Page, token: string) {
    await page.goto(`${base}/p/fraud-model`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('API token').focus();
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/p/fraud-model`);
  }

  test('an approver logs in, approves the pending item from the keyboard, and it is no longer pending', async () => {
    const { context, page, problems } = await newPage();
    await page.goto(`${base}/login`);
    await page.getByLabel('API token').fill('mlgt_wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('unknown or revoked');

    await logIn(page, tokens.alice!);
    const row = page.getByRole('row', { name: new RegExp(MANUAL_ITEM) });
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('release-manager');
    await page.screenshot({ path: join(ARTIFACTS, 'server-pending.png'), fullPage: true });

    // The cookie is HttpOnly and SameSite=Strict.
    const [session] = (await context.cookies()).filter((c) => c.name === 'mlgate_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    // Keyboard only: the comment field by its label, Enter submits the form.
    await page.getByLabel('Comment (required)').focus();
    await page.keyboard.type('read the report; accuracy holds');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/p/fraud-model#pending`);
    expect(await page.locator('#nothing-pending').textContent()).toBe('Nothing is waiting for a sign-off.');
    await page.screenshot({ path: join(ARTIFACTS, 'server-approved.png'), fullPage: true });

    const events = (await (
      await fetch(`${base}/api/v1/projects/fraud-model/signoffs/events`, {
        headers: { authorization: `Bearer ${tokens.ci}` },
      })
    ).json()) as { events: unknown[] };
    expect(events.events).toMatchObject([
      { action: 'approve', actor: 'token:alice', comment: 'read the report; accuracy holds' },
    ]);

    // CI re-runs with the approval and uploads a PASS: the projects page shows the new verdict.
    await fetch(`${base}/api/v1/projects/fraud-model/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.ci}`, 'content-type': 'application/json' },
      body: JSON.stringify({ report: sampleReport({ value: 0.93 }) }),
    });
    await page.goto(`${base}/`);
    expect(await page.getByRole('row', { name: /fraud-model/ }).textContent()).toContain('#3 PASS');

    // One run's full report (the report renderer), and the diff between runs.
    await page.goto(`${base}/p/fraud-model`);
    await page.getByRole('link', { name: '#2', exact: true }).click();
    expect(await page.title()).toContain('fraud-model');
    await page.screenshot({ path: join(ARTIFACTS, 'server-run.png') });
    await page.goto(`${base}/p/fraud-model`);
    await page.getByRole('button', { name: 'Compare' }).click();
    expect(await page.locator('h1').textContent()).toBe('fraud-model: run #2 → #3');
    await page.screenshot({ path: join(ARTIFACTS, 'server-diff.png'), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });

  test('a form without the session CSRF token is refused; the audit log is for admins', async () => {
    const { context, page } = await newPage();
    await logIn(page, tokens.alice!);
    const forged = await page.request.post(`${base}/p/fraud-model/approve`, {
      form: { runId: '2', itemId: MANUAL_ITEM, role: 'release-manager', comment: 'x', csrf: 'guess' },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    const notAdmin = await page.goto(`${base}/audit`);
    expect(notAdmin?.status()).toBe(403);
    await context.close();

    const admin = await newPage();
    await logIn(admin.page, tokens.admin!);
    await admin.page.goto(`${base}/audit`);
    const actions = await admin.page.locator('tbody tr td:nth-child(4)').allTextContents();
    expect(actions).toEqual(['project.create', 'run.upload', 'run.upload', 'signoff.approve', 'run.upload']);
    await admin.page.screenshot({ path: join(ARTIFACTS, 'server-audit.png'), fullPage: true });
    await admin.page.getByRole('button', { name: 'Log out' }).click();
    await admin.page.goto(`${base}/`);
    expect(new URL(admin.page.url()).pathname).toBe('/login');
    expect(admin.problems).toEqual([]);
    await admin.context.close();
  });

  test('waivers from the page: CI requests one (it cannot decide it), an approver approves it', async () => {
    await fetch(`${base}/api/v1/projects/fraud-model/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.ci}`, 'content-type': 'application/json' },
      body: JSON.stringify({ report: sampleReport({ verdict: 'BLOCKED' }) }),
    });
    const ci = await newPage();
    await logIn(ci.page, tokens.ci!);
    await ci.page.getByLabel('Item').selectOption('item-0');
    await ci.page.getByLabel('Reason').fill('flaky data source, fixed in 2.1');
    await ci.page.getByLabel('Expires (date)').fill('2099-12-31');
    await ci.page.getByRole('button', { name: 'Request waiver' }).click();
    await ci.page.waitForURL(`${base}/p/fraud-model`);
    const requested = ci.page.getByRole('row', { name: /flaky data source/ });
    expect(await requested.textContent()).toContain('requested');
    // A runner holds no approver role: no decision form for it.
    expect(await ci.page.getByRole('button', { name: 'Approve waiver' }).count()).toBe(0);
    await ci.context.close();

    const alice = await newPage();
    await logIn(alice.page, tokens.alice!);
    await alice.page
      .getByRole('form', { name: /Decide waiver/ })
      .getByLabel('Comment')
      .fill('ok until 2.1');
    await alice.page.getByRole('button', { name: 'Approve waiver' }).click();
    await alice.page.waitForURL(`${base}/p/fraud-model`);
    expect(await alice.page.getByRole('row', { name: /flaky data source/ }).textContent()).toContain(
      'approved',
    );
    await alice.page.screenshot({ path: join(ARTIFACTS, 'server-waiver.png'), fullPage: true });
    expect([...ci.problems, ...alice.problems]).toEqual([]);
    await alice.context.close();
  });
});
