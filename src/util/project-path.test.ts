/**
 * Paths stay inside the project: real folders, files and symbolic links in a temporary
 * directory, judged by where they really lead.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { OutsideProjectError, realLocation, resolveInProject } from './project-path.js';
import { walkFiles } from './walk.js';

/** base/project (the root) beside base/outside/secret.txt, with links between them. */
function layout() {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'mlgate-paths-')));
  const root = join(base, 'project');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'docs'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'TOP-SECRET\n');
  writeFileSync(join(root, 'docs', 'README.md'), '# Readme\n');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'secret-link.txt'));
  symlinkSync(outside, join(root, 'outside-dir'));
  symlinkSync(join(root, 'docs'), join(root, 'docs-link'));
  // Points nowhere yet: whatever is created there later is outside.
  symlinkSync(join(outside, 'later.txt'), join(root, 'dangling'));
  return { base, root, outside };
}

describe('resolveInProject', () => {
  test('inside: plain, nested, not yet existing, and links that stay in', () => {
    const { root } = layout();
    expect(resolveInProject(root, 'docs/README.md')).toBe(join(root, 'docs/README.md'));
    expect(resolveInProject(root, 'docs/../docs/README.md')).toBe(join(root, 'docs/README.md'));
    expect(resolveInProject(root, 'reports/new/junit.xml')).toBe(join(root, 'reports/new/junit.xml'));
    // The real path comes back: a link swapped after the judgement cannot redirect the read.
    expect(resolveInProject(root, 'docs-link/README.md')).toBe(join(root, 'docs/README.md'));
    expect(resolveInProject(root, '.')).toBe(root);
    expect(resolveInProject(root, join(root, 'docs'))).toBe(join(root, 'docs'));
  });

  test('outside: .., an absolute path, a link to a file, into a linked folder, a dangling link', () => {
    const { base, root, outside } = layout();
    const cases: Array<[string, string]> = [
      ['../outside/secret.txt', join(outside, 'secret.txt')],
      ['../../../../../../etc/passwd', '/etc/passwd'],
      ['/etc/passwd', '/etc/passwd'],
      ['secret-link.txt', join(outside, 'secret.txt')],
      ['outside-dir/secret.txt', join(outside, 'secret.txt')],
      ['outside-dir/not-yet/x.txt', join(outside, 'not-yet/x.txt')],
      ['dangling', join(outside, 'later.txt')],
      ['..', base],
    ];
    for (const [path, real] of cases) {
      let thrown: unknown;
      try {
        resolveInProject(root, path);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, path).toBeInstanceOf(OutsideProjectError);
      expect((thrown as Error).message).toBe(
        `path ${path} resolves outside the project (${real}); set allow_outside_project: true on this item to read it`,
      );
    }
  });

  test('a prefix of the root is not inside it (project-old beside project)', () => {
    const { base, root } = layout();
    mkdirSync(join(base, 'project-old'));
    expect(() => resolveInProject(root, '../project-old/x')).toThrow(OutsideProjectError);
  });

  test('the opt-ins: the whole item, or one real path (an artifact)', () => {
    const { root, outside } = layout();
    expect(resolveInProject(root, '../outside/secret.txt', { allowOutside: true })).toBe(
      join(outside, 'secret.txt'),
    );
    expect(resolveInProject(root, 'secret-link.txt', { allowed: [join(outside, 'secret.txt')] })).toBe(
      join(outside, 'secret.txt'),
    );
    expect(() =>
      resolveInProject(root, 'outside-dir/other', { allowed: [join(outside, 'secret.txt')] }),
    ).toThrow(OutsideProjectError);
  });

  test('a root that is itself reached through a link, and links that loop', () => {
    const { base, root } = layout();
    symlinkSync(root, join(base, 'project-link'));
    expect(resolveInProject(join(base, 'project-link'), 'docs/README.md')).toBe(join(root, 'docs/README.md'));
    symlinkSync(join(root, 'loop-b'), join(root, 'loop-a'));
    symlinkSync(join(root, 'loop-a'), join(root, 'loop-b'));
    expect(realLocation(join(root, 'loop-a'))).toMatch(/loop-[ab]$/);
  });
});

test('a link swapped after the judgement does not redirect the read: the real path was returned', () => {
  const { root, outside } = layout();
  writeFileSync(join(root, 'inside.log'), 'inside\n');
  symlinkSync(join(root, 'inside.log'), join(root, 'flip.log'));
  const judged = resolveInProject(root, 'flip.log');
  // An attacker on the machine re-points the link at a file outside.
  unlinkSync(join(root, 'flip.log'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'flip.log'));
  expect(readFileSync(judged, 'utf8')).toBe('inside\n');
});

describe('walkFiles', () => {
  test('follows links to folders inside, never out of the boundary, and stops at loops', () => {
    const { root } = layout();
    symlinkSync(root, join(root, 'docs', 'back-to-root'));
    writeFileSync(join(root, 'top.txt'), 'top\n');
    const files = walkFiles(root);
    expect(files).toContain('docs/README.md');
    expect(files).toContain('docs-link/README.md');
    expect(files.some((file) => file.includes('secret'))).toBe(false);
    expect(files.every((file) => !file.startsWith('outside-dir/'))).toBe(true);
    // A walk of a subfolder does not leave it through a link either (unless `within` says so).
    expect(walkFiles(join(root, 'docs'))).toEqual(['README.md']);
    expect(walkFiles(join(root, 'docs'), { within: root })).toContain('back-to-root/top.txt');
  });
});
