/**
 * runProcess with real processes: what a command leaves running once it has exited — a daemon
 * that left its group and session (setsid -f) — is found by the MLGATE_CHILD marker it
 * inherited, ended and named, and a daemon holding the output open does not make it hang.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tempFiles } from '../testing/temp.js';
import { runProcess } from './process.js';
import { isRunning, processInfo } from './procfs.js';

/** Running: neither gone nor a zombie waiting for its parent. */
const alive = (pid: number) => {
  const info = processInfo(pid);
  return info !== undefined && isRunning(info);
};

describe('runProcess and what a command leaves behind', () => {
  test.each([
    ['with its output redirected', '>/dev/null 2>&1'],
    ['holding the output pipes open', ''],
  ])('a daemon started %s is ended and named when the command exits', async (_, redirect) => {
    const dir = tempFiles({});
    const daemon = `setsid -f bash -c 'echo $$ > daemon.pid; exec sleep 305' ${redirect}`;
    const result = await runProcess({
      // Waits until the daemon runs `sleep`, so that is the command line it is named by.
      argv: [
        'bash',
        '-c',
        `${daemon}; until [ -s daemon.pid ] && grep -q sleep /proc/$(cat daemon.pid)/cmdline; do sleep 0.02; done; echo done`,
      ],
      cwd: dir,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('done\n');
    const pid = Number(readFileSync(join(dir, 'daemon.pid'), 'utf8'));
    expect(result.leftovers).toEqual([{ pid, command: 'sleep 305' }]);
    // Ended before runProcess returned.
    expect(alive(pid)).toBe(false);
  });

  test('the command and its children see a marker unique to it; nothing is left over when nothing runs on', async () => {
    const dir = tempFiles({});
    const first = await runProcess({ argv: ['bash', '-c', 'echo $MLGATE_CHILD'], cwd: dir });
    const second = await runProcess({ argv: ['bash', '-c', 'bash -c "echo \\$MLGATE_CHILD"'], cwd: dir });
    expect(first.stdout.trim()).toMatch(/^\d+-[0-9a-f]{24}$/);
    expect(second.stdout.trim()).toMatch(/^\d+-[0-9a-f]{24}$/);
    expect(second.stdout).not.toBe(first.stdout);
    expect([first.leftovers, second.leftovers]).toEqual([[], []]);
  });
});
