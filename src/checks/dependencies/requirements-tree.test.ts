import { describe, expect, test } from 'vitest';
import { MAX_INCLUDE_DEPTH, readRequirementsTree } from './requirements.js';

const reader = (files: Record<string, string>) => (path: string) => files[path] ?? ('missing' as const);

describe('requirements includes', () => {
  test('a cycle is read once', () => {
    const tree = readRequirementsTree(
      'requirements.txt',
      reader({ 'requirements.txt': '-r a.txt\nx==1\n', 'a.txt': '-r requirements.txt\ny\n' }),
    );
    expect(tree.files.map((f) => f.file)).toEqual(['requirements.txt', 'a.txt']);
    expect(tree.lines.map((l) => l.text)).toEqual(['y', 'x==1']);
    expect(tree.problems).toEqual([]);
  });

  test('includes are relative to the including file; constraints are marked', () => {
    const tree = readRequirementsTree(
      'requirements/prod.txt',
      reader({
        'requirements/prod.txt': '-c ../constraints.txt\n-r ./base.txt\n',
        'requirements/base.txt': 'a\n',
        'constraints.txt': 'a==1\n',
      }),
    );
    expect(tree.lines).toEqual([
      { file: 'constraints.txt', line: 1, text: 'a==1', constraint: true },
      { file: 'requirements/base.txt', line: 1, text: 'a', constraint: false },
    ]);
  });

  test('a chain deeper than the bound, a missing file and a path outside are problems', () => {
    const files: Record<string, string> = {
      'requirements.txt': '-r 1.txt\n-r missing.txt\n-r ../../etc/x.txt\n',
    };
    for (let i = 1; i <= MAX_INCLUDE_DEPTH + 2; i++) files[`${i}.txt`] = `-r ${i + 1}.txt\n`;
    const tree = readRequirementsTree('requirements.txt', reader(files));
    expect(tree.problems.map((p) => p.message)).toEqual([
      expect.stringContaining(`nested deeper than ${MAX_INCLUDE_DEPTH}`),
      expect.stringContaining('missing.txt does not exist'),
      expect.stringContaining('outside the folder checked'),
    ]);
  });
  test('-rFILE, --requirement=FILE, -cFILE and optparse prefixes are followed like -r FILE', () => {
    const tree = readRequirementsTree(
      'requirements.txt',
      reader({
        'requirements.txt':
          '-rbase.txt\n--requirement=gpu.txt\n-cconstraints.txt\n--requirem serve.txt\n-r\n',
        'base.txt': 'torch\n',
        'gpu.txt': 'cuda-python\n',
        'constraints.txt': 'torch==2.1.0\n',
        'serve.txt': 'fastapi\n',
      }),
    );
    expect(tree.files.map((f) => [f.file, f.constraint])).toEqual([
      ['requirements.txt', false],
      ['base.txt', false],
      ['gpu.txt', false],
      ['constraints.txt', true],
      ['serve.txt', false],
    ]);
    expect(tree.lines.map((l) => l.text)).toEqual(['torch', 'cuda-python', 'torch==2.1.0', 'fastapi']);
    expect(tree.problems.map((p) => [p.line, p.message])).toEqual([
      [5, expect.stringContaining('an include with no file name')],
    ]);
  });
});
