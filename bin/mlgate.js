#!/usr/bin/env node
// Entry point: runs the built CLI (dist/, made by `npm install` or `npm run build`).

// Ctrl-C and SIGTERM are caught first, before the CLI is loaded: loading it (every command,
// the check kinds, onnxruntime) takes seconds, and a signal then would end the process with
// no report. The first signal is recorded and handed to main(), which stops the checks and
// writes a partial report (BLOCKED, exit 130) even when it arrived before main() began; a
// second one quits at once.
const interrupt = new AbortController();
const onSignal = () => {
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// Named as people look for it (ps, top, pkill mlgate) from the moment signals are handled.
process.title = `mlgate${process.argv[2] && /^[a-z-]+$/.test(process.argv[2]) ? ` ${process.argv[2]}` : ''}`;

const { existsSync } = await import('node:fs');
const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('mlgate is not built: run `npm run build` (npm install/ci does it too).\n');
  process.exit(2);
}

const { main } = await import(entry.href);
try {
  const code = await main(process.argv, undefined, interrupt.signal);
  // Flush before exiting: a check that timed out may still hold handles open.
  process.stdout.write('', () => process.exit(code));
} catch (error) {
  process.stderr.write(`mlgate: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.stderr.write('This is a bug in mlgate; please report it with the command you ran.\n');
  process.exit(70);
}
