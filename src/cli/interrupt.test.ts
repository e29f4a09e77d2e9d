/**
 * Ctrl-C (and SIGTERM) from the first moment mlgate's code runs: bin/mlgate.js catches the
 * signal before it loads the CLI (every command, the check kinds, onnxruntime: seconds on a
 * busy machine), and the run still ends with exit 130 and a partial report, BLOCKED, marked
 * incomplete. Real processes on the example project; nothing is mocked.
 *
 * The one moment no program can cover is Node's own start-up, before any JavaScript runs. So
 * each test first waits until the process has its signal handling in place, which it shows
 * by naming itself "mlgate" (process.title, right after installing the handlers; read from
 * /proc), and only then, no earlier than the given time after spawning, sends the signal.
 * The times are when a signal is sent, never a bound anything must meet.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { RunReport } from '../domain/run-report.js';
import { REPO_ROOT, runCli } from '../testing/cli.js';
import { tempFiles } from '../testing/temp.js';

const EXAMPLE = join(REPO_ROOT, 'examples/digits-classifier');

/**
 * Resolves true once the process named itself mlgate (its handlers are in place); false if it
 * exited first (an mlgate that never says so: the test then fails on that, not on a timing).
 */
async function handlersInstalled(child: ChildProcess): Promise<boolean> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      if (readFileSync(`/proc/${child.pid}/comm`, 'utf8').startsWith('mlgate')) return true;
    } catch {
      // not started yet, or gone
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function interruptedCheck(signal: NodeJS.Signals, afterMs: number) {
  const dir = tempFiles({});
  const out = join(dir, 'report.json');
  let sent: Promise<boolean> | undefined;
  const result = await runCli(['check', EXAMPLE, '--quiet', '--out', out], {
    env: { MLGATE_STORE: join(dir, 'store') },
    onSpawn: (child) => {
      const spawned = Date.now();
      sent = (async () => {
        if (!(await handlersInstalled(child))) return false;
        const wait = spawned + afterMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        return child.kill(signal);
      })();
    },
  });
  expect(await sent, 'the signal was sent while mlgate ran').toBe(true);
  const report = existsSync(out) ? RunReport.parse(JSON.parse(readFileSync(out, 'utf8'))) : undefined;
  return { result, report };
}

describe('a signal while mlgate is still loading', () => {
  for (const [signal, afterMs] of [
    ['SIGINT', 50],
    ['SIGINT', 300],
    ['SIGINT', 1000],
    ['SIGTERM', 50],
    ['SIGTERM', 1000],
  ] as const) {
    test(`${signal} sent at ${afterMs} ms: exit 130 and a partial report, BLOCKED, incomplete`, async () => {
      const { result, report } = await interruptedCheck(signal, afterMs);
      expect({ code: result.code, signal: result.signal }).toEqual({ code: 130, signal: null });
      expect(result.stderr).toContain('Interrupted: stopping checks and writing a partial report');
      expect(result.stderr).not.toContain('internal error');
      // The spec loads: a report is written, whatever moment the signal came.
      expect(report).toBeDefined();
      expect(report!.complete).toBe(false);
      expect(report!.verdict.status).toBe('BLOCKED');
      expect(report!.items.length).toBeGreaterThan(0);
    });
  }

  test('a second signal quits at once, still with exit 130', async () => {
    const dir = tempFiles({});
    const result = await runCli(['check', EXAMPLE, '--quiet', '--out', join(dir, 'report.json')], {
      env: { MLGATE_STORE: join(dir, 'store') },
      onSpawn: (child) => {
        void handlersInstalled(child).then(() => {
          child.kill('SIGINT');
          child.kill('SIGINT');
        });
      },
    });
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 130, signal: null });
  });

  test('a command with nothing partial to write ends with 130 and does nothing', async () => {
    const dir = tempFiles({});
    const store = join(dir, 'store');
    const result = await runCli(['approve', 'tech-lead-approval', EXAMPLE, '--by', 'Jane'], {
      env: { MLGATE_STORE: store },
      onSpawn: (child) => {
        void handlersInstalled(child).then(() => child.kill('SIGINT'));
      },
    });
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 130, signal: null });
    expect(existsSync(join(store, 'mlgate.db'))).toBe(false);
  });
});
