/**
 * Headless Chromium for report tests: Debian's /usr/bin/chromium driven by playwright-core.
 * The flags keep it off the network (this machine refuses outside connections, and the
 * report must not need any) and working as root in CI. Playwright gives it a fresh profile.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.MLGATE_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumAvailable = () => existsSync(CHROMIUM);

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
