#!/usr/bin/env node
// Entry point: runs the built CLI (dist/, made by `npm install` or `npm run build`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('mlgate is not built: run `npm run build` (npm install/ci does it too).\n');
  process.exit(2);
}

const { main } = await import(entry.href);
try {
  const code = await main(process.argv);
  // Flush before exiting: a check that timed out may still hold handles open.
  process.stdout.write('', () => process.exit(code));
} catch (error) {
  process.stderr.write(`mlgate: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.stderr.write('This is a bug in mlgate; please report it with the command you ran.\n');
  process.exit(70);
}
