/**
 * Mistakes a newcomer makes in a first spec, each caught by validate with the fix in the
 * message rather than at run time (issue 17).
 */
import { describe, expect, test } from 'vitest';
import { loadBuiltinChecks } from '../engine/registry.js';
import { parseSpec } from './load.js';

const spec = (threshold: string) =>
  [
    'version: 1',
    'project: {name: x}',
    'sections:',
    '  - title: S',
    '    items:',
    '      - id: a',
    '        title: A',
    '        check:',
    '          kind: predictions',
    '          file: p.csv',
    '          thresholds:',
    `            accuracy: ${threshold}`,
    '',
  ].join('\n');

async function problem(threshold: string): Promise<string> {
  try {
    parseSpec(spec(threshold), '/tmp/x/mlgate.yaml', await loadBuiltinChecks());
  } catch (error) {
    return (error as Error).message + JSON.stringify((error as { problems?: unknown }).problems ?? []);
  }
  return '';
}

describe('validate says how to fix a threshold', () => {
  test('unquoted ">= 0.97" is a YAML error that says to quote it', async () => {
    expect(await problem('>= 0.97')).toMatch(/a threshold must be quoted — write \\">= 0.97\\"/);
  });

  test('"=> 0.97" asks whether ">=" was meant', async () => {
    expect(await problem('"=> 0.97"')).toMatch(/did you mean \\">= 0.97\\"/);
  });

  test('">= 97" on a share in [0, 1] asks for 0.97 or 97%', async () => {
    expect(await problem('">= 97"')).toMatch(/did you mean 0.97 or 97%/);
    expect(await problem('"< 97"')).toMatch(/did you mean 0.97 or 97%/);
    expect(await problem('">= 97%"')).toBe('');
    expect(await problem('">= 0.97"')).toBe('');
  });
});
