/**
 * The HTML report in a real browser (Debian's Chromium through playwright-core): it renders,
 * logs no errors, asks the network for nothing, fits a laptop and a phone, opens an item from
 * the keyboard, and leaves screenshots in test-artifacts/ for a person to look at.
 *
 * Besides the fixture report (one of everything), it renders the two example projects' real
 * reports (src/report/fixtures/examples/, made by `mlgate check` — see regenerate.mjs there):
 * the BLOCKED one must read in one screen, not the 29,000 px it once took.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, chromiumAvailable, launchChromium } from '../testing/browser.js';
import { REPO_ROOT } from '../testing/cli.js';
import { fixtureReport } from '../testing/report-fixture.js';
import { renderHtml } from './html.js';
import { RunReport } from '../domain/run-report.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const EXAMPLES = join(REPO_ROOT, 'src', 'report', 'fixtures', 'examples');

// `npm test` installs Chromium first when it can (scripts/ensure-chromium.mjs). Where it truly
// cannot be had, the test is skipped with a loud notice — except in CI, where it must run.
const missing = !chromiumAvailable() && process.env.CI !== 'true';
if (missing)
  console.warn(
    `\n!!! SKIPPED: the HTML report browser test (no Chromium at ${CHROMIUM}; apt-get install chromium, or set MLGATE_CHROMIUM)\n`,
  );

const DEVICES = [
  ['laptop', 1366, 768],
  ['phone', 390, 844],
] as const;

function exampleReport(name: string): RunReport {
  return RunReport.parse(JSON.parse(readFileSync(join(EXAMPLES, `${name}.report.json`), 'utf8')));
}

/** A page that records what should never happen: console errors, page errors, requests. */
async function openReport(browser: Browser, file: string, width: number, height: number) {
  const page = await browser.newPage({ viewport: { width, height } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('request', (request) => {
    if (!request.url().startsWith('file://')) requests.push(request.url());
  });
  await page.goto(`file://${file}`);
  return { page, problems, requests };
}

// Runs in the page, where document and window exist (this file is type-checked for Node).
const pageHeight = async (page: Page) =>
  (await page.evaluate('document.documentElement.scrollHeight')) as number;
const sideways = async (page: Page) =>
  (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;

describe.skipIf(missing)('HTML report in Chromium', () => {
  let browser: Browser;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    if (!chromiumAvailable())
      throw new Error(
        `no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set MLGATE_CHROMIUM to one`,
      );
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
    const reports = {
      fixture: fixtureReport(),
      blocked: exampleReport('digits-classifier-blocked'),
      pass: exampleReport('digits-classifier'),
    };
    for (const [name, report] of Object.entries(reports)) {
      files[name] = join(ARTIFACTS, `report-${name}.html`);
      writeFileSync(files[name], renderHtml(report));
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  for (const [device, width, height] of DEVICES) {
    it(`renders the fixture on a ${device} without errors, requests or sideways scrolling`, async () => {
      const { page, problems, requests } = await openReport(browser, files.fixture!, width, height);
      await page.screenshot({ path: join(ARTIFACTS, `report-fixture-${device}.png`), fullPage: true });

      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
      expect(await page.title()).toBe('cats & dogs — resnet 2.0.0: BLOCKED');
      expect(await page.locator('#verdict').innerText()).toContain('BLOCKED');
      // Every item is there once, closed: a line each until someone opens it.
      expect(await page.locator('details.item').count()).toBe(fixtureReport().items.length);
      expect(await page.locator('details.item[open]').count()).toBe(0);
      // The reason that belongs to no item is told in the verdict, in full.
      expect(await page.locator('#verdict').innerText()).toContain(
        'artifact model (model/model.onnx) is missing',
      );
      // The pictures drew: the confusion matrix has a cell per class pair.
      const heatmap = page.locator('svg[aria-label="Confusion matrix"]');
      expect(await heatmap.locator('rect:has(title)').count()).toBe(4);
      expect(await page.locator('svg.chart').count()).toBe(6);
      // The escaped title is text, not a script.
      expect(await page.locator('script').count()).toBe(0);
      expect(await page.locator('#item-test-accuracy .title').innerText()).toContain(
        '<script>alert(1)</script>',
      );
      expect(await sideways(page)).toBeLessThanOrEqual(0);
      await page.close();
    });
  }

  it('opens an item from the keyboard (Enter and Space on its summary), without script', async () => {
    const { page, problems } = await openReport(browser, files.blocked!, 1366, 768);
    const item = page.locator('#item-test-accuracy');
    expect(await item.getAttribute('open')).toBeNull();
    // Tab reaches the summaries: the first focusable things after the verdict's two links.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.parentElement.id')).toBe('item-model-checksum');
    await page.keyboard.press('Enter');
    expect(await page.locator('#item-model-checksum').getAttribute('open')).not.toBeNull();
    await item.locator(':scope > summary').focus();
    await page.keyboard.press(' ');
    expect(await item.getAttribute('open')).not.toBeNull();
    // Inside, the failing thresholds come before the full metric tables.
    const body = await item.locator('.body').innerText();
    expect(body.indexOf('fail')).toBeGreaterThan(-1);
    expect(body.indexOf('>= 0.97')).toBeLessThan(body.indexOf('metrics (360 rows)'));
    expect(problems).toEqual([]);
    await page.close();
  });

  for (const [device, width, height] of DEVICES) {
    it(`shows the BLOCKED example's reasons on the first ${device} screen, one line each`, async () => {
      const { page, problems, requests } = await openReport(browser, files.blocked!, width, height);
      await page.screenshot({ path: join(ARTIFACTS, `report-blocked-${device}.png`), fullPage: true });
      await page.screenshot({ path: join(ARTIFACTS, `report-blocked-${device}-first-screen.png`) });
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
      expect(await sideways(page)).toBeLessThanOrEqual(0);

      // The verdict is one band, not screens of banner; the first reason is on the first screen.
      const verdict = (await page.locator('#verdict').boundingBox())!;
      expect(verdict.height).toBeLessThan(device === 'laptop' ? 60 : 120);
      const first = (await page.locator('details.item.blocking').first().boundingBox())!;
      expect(first.y + first.height).toBeLessThan(height);
      // Every reason, grouped under its section, each a closed line (two on a phone).
      const reasons = page.locator('details.item.blocking');
      const blocked = exampleReport('digits-classifier-blocked');
      expect(await reasons.count()).toBe(
        new Set(blocked.verdict.blocking.flatMap((r) => (r.itemId ? [r.itemId] : []))).size,
      );
      expect(await reasons.count()).toBeGreaterThan(10);
      expect(await page.locator('details.item[open]').count()).toBe(0);
      for (const box of await reasons.evaluateAll((nodes) =>
        nodes.map((n) => n.getBoundingClientRect().height),
      ))
        expect(box).toBeLessThan(device === 'laptop' ? 40 : 110);
      // The page: 32,550 px on a laptop before this layout; a few screens now.
      expect(await pageHeight(page)).toBeLessThan(device === 'laptop' ? 4500 : 8000);

      // The reasons say measured against threshold.
      expect(await page.locator('#item-test-accuracy .key').innerText()).toBe(
        'accuracy 0.961111 (needs >= 0.97) · f1_macro 0.960888 (needs >= 0.97)',
      );
      await page.close();
    });

    it(`draws the thresholds on the charts they judge (${device})`, async () => {
      const { page, problems } = await openReport(browser, files.blocked!, width, height);
      for (const id of ['service-latency', 'test-accuracy', 'onnx-latency']) {
        await page.locator(`#item-${id} > summary`).click();
        await page.locator(`#item-${id}`).screenshot({ path: join(ARTIFACTS, `item-${id}-${device}.png`) });
      }
      const latency = page.locator('#item-service-latency');
      const curve = latency.locator('svg[aria-label="Latency by percentile"]');
      expect(await curve.locator('text.limit-label').allTextContents()).toEqual([
        'threshold p(95) < 100ms',
        'threshold p(99) < 250ms',
      ]);
      expect(
        await latency
          .locator('svg[aria-label="Requests per second during the load test"] text.limit-label')
          .textContent(),
      ).toBe('threshold rps > 50');
      // The histogram is on a log axis: the warm runs and the slow first ones are not one bar.
      const histogram = page.locator('#item-onnx-latency svg.chart').first();
      expect(await histogram.locator('text.label').first().textContent()).toContain('log scale');
      expect(await histogram.locator('rect.col').count()).toBeGreaterThan(3);
      // Charts fill the width they are given.
      const figure = (await latency.locator('figure').first().boundingBox())!;
      const chart = (await latency.locator('svg.chart').first().boundingBox())!;
      expect(chart.width).toBeGreaterThan(figure.width - 2);
      expect(problems).toEqual([]);
      await page.close();
    });

    it(`renders the PASS example on a ${device}, its passing rows showing their key number`, async () => {
      const { page, problems, requests } = await openReport(browser, files.pass!, width, height);
      await page.screenshot({ path: join(ARTIFACTS, `report-pass-${device}.png`), fullPage: true });
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
      expect(await sideways(page)).toBeLessThanOrEqual(0);
      expect(await page.locator('#verdict').innerText()).toContain('PASS');
      expect(await page.locator('#item-test-accuracy .key').innerText()).toMatch(/^accuracy 0\.9\d+/);
      expect(await page.locator('#item-service-latency .key').innerText()).toMatch(/^p\(95\) [\d.]+ ms/);
      expect(await pageHeight(page)).toBeLessThan(device === 'laptop' ? 4500 : 8000);
      await page.close();
    });
  }
});
