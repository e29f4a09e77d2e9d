import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { decodeChecklist } from './decode.js';
import { fixMojibake, parseChecklist } from './parse.js';
import { checklistToSpec } from './to-spec.js';

const MD = `# Release
## Security
> - [ ] Security review done
> - [x] Pen test on \`api/\`

| Done | Item | Owner |
|------|------|-------|
| [ ] | Model card written | Alice |
| [x] | Bias review | Bob |
| n/a | Not an item | Carol |

- [ ] Plain item

<details>
- [ ] swallowed by the HTML block (no blank line after the tag)
</details>

\`\`\`
- [ ] inside a code block
\`\`\`
`;

describe('checkboxes wherever GitHub renders them', () => {
  const checklist = parseChecklist(MD);

  test('task items in a blockquote are items of the section', () => {
    expect(checklist.items.slice(0, 2)).toMatchObject([
      { line: 3, title: 'Security review done', checked: false, sectionPath: ['Security'] },
      { line: 4, title: 'Pen test on api/', checked: true, code: ['api/'] },
    ]);
  });

  test('table rows with a checkbox cell are items titled by their other cells', () => {
    expect(checklist.items.slice(2, 4)).toMatchObject([
      { line: 8, title: 'Model card written — Alice', checked: false },
      { line: 9, title: 'Bias review — Bob', checked: true },
    ]);
    expect(checklist.items.map((i) => i.title)).not.toContain('Not an item — Carol');
  });

  test('a checkbox that did not become an item is reported, not silently dropped', () => {
    expect(checklist.items.map((i) => i.line)).toEqual([3, 4, 8, 9, 12]);
    expect(checklist.unread).toEqual([15]);
  });
});

describe('long checklists are parsed in pieces', () => {
  test('pieces read exactly what one parse reads, on real checklists and tricky cuts', () => {
    const shared = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/checklists');
    const real = readdirSync(shared).map((f) => readFileSync(join(shared, f), 'utf8'));
    const tricky = [
      '```',
      '- [ ] not an item: in a fence',
      '```',
      '<!--',
      '- [ ] not an item: in a comment',
      '',
      '- [ ] still in the comment',
      '-->',
      '<details>',
      '- [ ] swallowed by the HTML block',
      '</details>',
      '',
      '> - [ ] quoted item',
      '- [ ] item',
      '  - detail',
      '# Heading',
      '1. [ ] numbered item',
    ].join('\n');
    const text = [...real, tricky, MD, ...real].join('\n\n');
    const whole = parseChecklist(text, Number.MAX_SAFE_INTEGER);
    for (const pieceLines of [1, 7, 50, 200]) {
      const pieces = parseChecklist(text, pieceLines);
      expect(pieces.items).toEqual(whole.items);
      expect(pieces.unread).toEqual(whole.unread);
    }
    expect(whole.items.length).toBeGreaterThan(300);
  });
});

describe('encodings', () => {
  test('UTF-8 is read as is; Windows-1252 bytes are decoded and said so; UTF-16 with a BOM', () => {
    expect(decodeChecklist(Buffer.from('- [ ] Café ✅\n'))).toEqual({ text: '- [ ] Café ✅\n' });
    const latin = decodeChecklist(
      Buffer.from([...Buffer.from('# A\n- [ ] Caf'), 0xe9, 0x20, 0x96, 0x20, 0x41]),
    );
    expect(latin.text).toBe('# A\n- [ ] Café – A');
    expect(latin.repair).toMatch(/not valid UTF-8 \(first at line 2\): read as Windows-1252/);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('- [ ] Ready ☑', 'utf16le')]);
    expect(decodeChecklist(utf16)).toMatchObject({ text: '- [ ] Ready ☑', repair: 'read as UTF-16 (LE)' });
    expect(decodeChecklist(Buffer.from('# Release\n- [ ] Model card written\n', 'utf16le'))).toMatchObject({
      text: '# Release\n- [ ] Model card written\n',
      repair: 'read as UTF-16 (LE, no BOM)',
    });
  });

  test('UTF-8 read as Mac Roman is repaired like the Windows-1252 kind', () => {
    expect(fixMojibake('Status: ‚òëÔ∏è Ready')).toBe('Status: ☑️ Ready');
    expect(fixMojibake('Ready ‚úÖ')).toBe('Ready ✅');
    expect(fixMojibake('Café – naïve ∑ ≥ 80%')).toBe('Café – naïve ∑ ≥ 80%');
  });
});

describe('metadata and markup', () => {
  test('front matter is metadata, not a section; HTML comments are not part of titles or ids', () => {
    const checklist = parseChecklist(
      '---\ntitle: Fraud model release\nowner: ml-platform\n---\n- [ ] Pen test done <!-- ask Bob -->\n',
    );
    expect(checklist.title).toBe('Fraud model release');
    expect(checklist.items).toMatchObject([{ line: 5, title: 'Pen test done', sectionPath: [] }]);
    const spec = checklistToSpec(checklist, { name: 'fraud', source: 'x' });
    expect(spec.yaml).toContain('owner: ml-platform');
    expect(spec.yaml).toContain('id: pen-test-done\n');
  });
});

describe('found by an attacker pass', () => {
  test('a four-backtick fence is not closed by three: nothing inside it is an item, in any piece', () => {
    const inner = [
      '````markdown',
      '```bash',
      'echo hi',
      '```',
      ...Array.from({ length: 300 }, (_, i) => `- [ ] code ${i}`),
      '````',
    ];
    const text = ['## Real', '- [ ] the one real item', '', ...inner, '', '- [ ] after the fence', ''].join(
      '\n',
    );
    for (const pieceLines of [50, 200, Number.MAX_SAFE_INTEGER]) {
      const checklist = parseChecklist(text, pieceLines);
      expect(checklist.items.map((i) => i.title)).toEqual(['the one real item', 'after the fence']);
      expect(checklist.unread).toEqual([]);
    }
  });

  test('every checkbox of a table row counts: a second box cell or one after <br> is named, not folded', () => {
    const checklist = parseChecklist(
      [
        '| a | b | c |',
        '|---|---|---|',
        '| [ ] | [ ] | two boxes |',
        '| [ ] x<br>[ ] y | z | |',
        '| - [ ] rollback | w | |',
        '',
      ].join('\n'),
    );
    expect(checklist.unread).toEqual([3, 4, 5]);
  });

  test("other tools' marks ([-], [/], [~], ⬜) are items, not done, and said so", () => {
    const checklist = parseChecklist('- [-] cancelled\n- [/] in progress\n- [~] maybe\n⬜ later\n');
    expect(checklist.items.map((i) => [i.title, i.checked])).toEqual([
      ['cancelled', false],
      ['in progress', false],
      ['maybe', false],
      ['later', false],
    ]);
    expect(checklist.repairs).toContain('checkboxes marked [-], [/], [~] or ⬜ read as not done');
  });
});
