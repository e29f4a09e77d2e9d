/**
 * A store written by the previous release opens with this one: migrated in place, nothing lost,
 * nothing taken for tampering. The fixture was written by mlgate at d76b073 (before the server's
 * migrations): two runs of fixtures/upgrade/mlgate.yaml, an approval by "Lee Lead" between them,
 * and the tag "release" on run 2.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { checkCommand } from '../cli/commands/check.js';
import { RunReport } from '../domain/run-report.js';
import { bufferedIO } from '../testing/io.js';
import { openStore } from './db.js';
import { listRuns, resolveRun } from './runs.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/upgrade/', import.meta.url));

test('a store of the previous release: its approval still counts, its runs and tags are kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlgate-upgrade-'));
  for (const file of ['mlgate.yaml', 'model.onnx']) copyFileSync(join(FIXTURE, file), join(dir, file));
  mkdirSync(join(dir, '.mlgate'));
  copyFileSync(join(FIXTURE, 'store-0.1.0-d76b073.db'), join(dir, '.mlgate', 'mlgate.db'));

  const cli = bufferedIO(dir);
  const code = await checkCommand('.', { format: 'json', quiet: true }, cli.io);
  expect(cli.stderr()).not.toMatch(/changed outside|altered|damaged/);
  expect(code, cli.stderr()).toBe(0);
  const report = RunReport.parse(JSON.parse(cli.stdout()));
  const lead = report.items.find((item) => item.id === 'lead')!;
  expect(lead.status).toBe('pass');
  expect(JSON.stringify(lead)).toContain('Lee Lead');
  expect(report.runId).toBe(3);

  const store = (await openStore(join(dir, '.mlgate'), { create: false }))!;
  try {
    expect((await listRuns(store)).map((run) => run.id)).toEqual([3, 2, 1]);
    expect(await resolveRun(store, 'release')).toBe(2);
  } finally {
    await store.close();
  }
});
