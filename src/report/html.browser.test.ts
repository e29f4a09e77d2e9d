/**
 * The HTML report in a real browser (Debian's Chromium through playwright-core): it renders,
 * logs no errors, asks the network for nothing, fits a phone, and leaves screenshots in
 * test-artifacts/ for a person to look at.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, chromiumAvailable, launchChromium } from '../testing/browser.js';
import { REPO_ROOT } from '../testing/cli.js';
import { fixtureReport } from '../testing/report-fixture.js';
import { renderHtml } from './html.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

// `npm test` installs Chromium first when it can (scripts/ensure-chromium.mjs). Where it truly
// cannot be had, the test is skipped with a loud notice — except in CI, where it must run.
const missing = !chromiumAvailable() && process.env.CI !== 'true';
if (missing)
  console.warn(
    `\n!!! SKIPPED: the HTML report browser test (no Chromium at ${CHROMIUM}; apt-get install chromium, or set MLGATE_CHROMIUM)\n`,
  );

describe.skipIf(missing)('HTML report in Chromium', () => {
  let browser: Browser;
  let file: string;

  beforeAll(async () => {
    if (!chromiumAvailable())
      throw new Error(
        `no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set MLGATE_CHROMIUM to one`,
      );
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
    file = join(ARTIFACTS, 'report.html');
    writeFileSync(file, renderHtml(fixtureReport()));
  });

  afterAll(async () => {
    await browser?.close();
  });

  for (const [device, width] of [
    ['laptop', 1280],
    ['phone', 390],
  ] as const) {
    it(`renders on a ${device} without errors, requests or sideways scrolling`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
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
      await page.screenshot({ path: join(ARTIFACTS, `report-${device}.png`), fullPage: true });

      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
      expect(await page.title()).toBe('cats & dogs — resnet 2.0.0: BLOCKED');
      expect(await page.locator('#verdict').innerText()).toContain('BLOCKED');
      // Failing items are open, passing ones closed; every item is there.
      expect(await page.locator('details.item').count()).toBe(fixtureReport().items.length);
      expect(await page.locator('details.item[open]').count()).toBe(6);
      // The pictures drew: the confusion matrix has a cell per class pair.
      const heatmap = page.locator('svg[aria-label="Confusion matrix"]');
      expect(await heatmap.locator('rect').count()).toBe(4);
      expect(await page.locator('svg.chart').count()).toBe(6);
      // The escaped title is text, not a script.
      expect(await page.locator('script').count()).toBe(0);
      expect(await page.locator('#item-test-accuracy .title').innerText()).toContain(
        '<script>alert(1)</script>',
      );
      // Nothing wider than the screen.
      // Runs in the page, where document and window exist (this file is type-checked for Node).
      const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow as number).toBeLessThanOrEqual(0);
      await page.close();
    });
  }
});
