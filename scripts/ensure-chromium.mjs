#!/usr/bin/env node
// Runs before `npm test`: the HTML report is tested in Debian's Chromium, which a fresh machine
// may not have. Install it from Debian's packages when we can (root, or password-less sudo);
// otherwise say loudly that the browser test will be skipped (and fail in CI, where it must run).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.MLGATE_CHROMIUM ?? '/usr/bin/chromium';
if (existsSync(chromium) || process.env.MLGATE_SKIP_CHROMIUM_INSTALL === '1') process.exit(0);

const has = (program) => spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
const root = process.getuid?.() === 0;
const sudo = !root && has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;

if (has('apt-get') && (root || sudo)) {
  process.stderr.write(`pretest: no Chromium at ${chromium}; installing Debian's chromium package (once)\n`);
  const run = (args) =>
    execFileSync(root ? args[0] : 'sudo', root ? args.slice(1) : args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  try {
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'chromium']);
  } catch (error) {
    process.stderr.write(`pretest: installing chromium failed: ${error.message}\n`);
  }
}
if (!existsSync(chromium)) {
  const bar = '!'.repeat(78);
  process.stderr.write(
    `${bar}\n! No Chromium at ${chromium} and it could not be installed here.\n` +
      '! The HTML report browser test will be SKIPPED (it fails instead when CI=true).\n' +
      '! Install it with `apt-get install chromium`, or set MLGATE_CHROMIUM to a Chromium binary.\n' +
      `${bar}\n`,
  );
}
