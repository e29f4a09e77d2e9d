import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { tempFiles } from '../../testing/temp.js';
import { loadBuiltinChecks } from '../../engine/registry.js';
import { fixtureFolders, runFixture } from '../../testing/fixtures.js';
import { describeFixtures } from '../../testing/fixtures.js';
import { entropy } from './check.js';

describeFixtures(import.meta.url);

describe('secrets never leave the file they are in', () => {
  const folder = fileURLToPath(new URL('.', import.meta.url));
  test.each(fixtureFolders(folder).filter((f) => f.includes('/ng.')))(
    '%s: the report holds no secret',
    async (fixture) => {
      const definition = (await loadBuiltinChecks()).get('secrets')!;
      const outcome = await runFixture(definition, fixture);
      const report = JSON.stringify(outcome);
      const planted =
        readFileSync(join(fixture, 'check.yaml'), 'utf8') &&
        outcome.evidence!.filter((e) => e.type === 'finding');
      expect(planted.length).toBeGreaterThan(0);
      // Every long token-like string in the fixture files must be absent from the report.
      for (const file of [
        'settings.py',
        'scripts/upload.sh',
        'notebooks/train.ipynb',
        'deploy/id_ed25519',
        'app/db.py',
        'api/settings.py',
        'tests/test_auth.py',
        'app.py',
      ]) {
        let text: string;
        try {
          text = readFileSync(join(fixture, 'project', file), 'utf8');
        } catch {
          continue;
        }
        for (const token of text.match(/[A-Za-z0-9_/+.=-]{20,}/g) ?? []) {
          if (/^(os|create_engine|from|huggingface|secrets\/)/.test(token) || entropy(token) < 3.5) continue;
          expect(report.includes(token), `${token.slice(0, 6)}… leaked`).toBe(false);
        }
      }
    },
  );

  test('entropy: random tokens score high, words and repeats low', () => {
    expect(entropy('9f8aB7c6D5e4F3g2H1i0JkLmNoPqRsTu')).toBeGreaterThan(4.5);
    expect(entropy('changeme-changeme')).toBeLessThan(3.5);
    expect(entropy('aaaaaaaaaaaaaaaa')).toBe(0);
  });
});

test('a long line of name characters (a minified bundle) is scanned in linear time and still finds the secret', async () => {
  // Before the generic rule's runs were bounded, backtracking was cubic on a run of keywords:
  // 3 KB took 4 s and 9.5 KB two minutes, so the item timed out. Now milliseconds.
  const filler = 'token'.repeat(2000);
  const secret = 'Zx8Qp2Lm7Rt4Vw9Ks3Nb6Hy1';
  const dir = tempFiles({
    'case/check.yaml': 'path: project\n',
    'case/project/bundle.min.js': `${filler} ${filler}x;var api_key="${secret}";${filler}\n`,
  });
  const definition = (await loadBuiltinChecks()).get('secrets')!;
  const outcome = await runFixture(definition, join(dir, 'case'), 120_000);
  expect(outcome.status).toBe('fail');
  expect(JSON.stringify(outcome)).toContain('bundle.min.js:1');
  expect(JSON.stringify(outcome)).not.toContain(secret);
});
