/**
 * Importing the real checklists in ../shared/checklists: every checkbox becomes an item in
 * its section, the mapping to check kinds is the committed table in fixtures/*.mapping.txt
 * (UPDATE_EXPECTATIONS=1 rewrites it, for a reviewed change), the spec it writes is valid,
 * and export then import gives the same items, sections and severities back.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBuiltinChecks } from '../engine/registry.js';
import { parseSpec } from '../spec/load.js';
import { SHARED } from '../testing/reference.js';
import { exportMarkdown } from './export.js';
import { fixMojibake, parseChecklist } from './parse.js';
import { checklistToSpec, type ImportResult } from './to-spec.js';

const CHECKLISTS = [
  'geo6d-lite-deployment-checklist',
  'production-readiness-gate',
  'radikal-backend-deployment-checklist',
];
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

/** Checkboxes counted the plain way, independently of the Markdown parser. */
function countCheckboxes(text: string): number {
  let inFence = false;
  let count = 0;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    else if (!inFence && /^\s*[-*+]\s+\[[ xX]\]\s/.test(line)) count++;
  }
  return count;
}

function mappingTable(result: ImportResult): string {
  return `${result.items
    .map((item) => {
      const roles =
        'roles' in item.mapping && item.mapping.roles.length > 0 ? ` (${item.mapping.roles.join(', ')})` : '';
      const params = 'params' in item.mapping ? item.mapping.params : {};
      const rules = Array.isArray(params.rules) ? `[${(params.rules as string[]).join(' ')}]` : '';
      return `${item.line}\t${item.severity}\t${item.kind}${rules}${roles}\t${item.sectionPath.join(' > ')}\t${item.title}`;
    })
    .join('\n')}\n`;
}

async function importFile(name: string) {
  const text = readFileSync(join(SHARED, 'checklists', `${name}.md`), 'utf8');
  const checklist = parseChecklist(text);
  const result = checklistToSpec(checklist, { name, source: `${name}.md` });
  return { text, checklist, result };
}

describe.each(CHECKLISTS)('import %s.md', (name) => {
  it('keeps every checkbox as an item, in its section, with the committed mapping', async () => {
    const { text, result } = await importFile(name);
    expect(result.items).toHaveLength(countCheckboxes(text));
    for (const item of result.items) expect(item.sectionPath.length).toBeGreaterThan(0);
    expect(result.automated + result.manual).toBe(result.items.length);
    const table = mappingTable(result);
    const expected = join(FIXTURES, `${name}.mapping.txt`);
    if (process.env.UPDATE_EXPECTATIONS) writeFileSync(expected, table);
    expect(table).toBe(readFileSync(expected, 'utf8'));
  });

  it('writes a spec that validates, and export then import gives the same checklist back', async () => {
    const { result } = await importFile(name);
    const registry = await loadBuiltinChecks();
    const loaded = parseSpec(result.yaml, `/tmp/${name}/mlgate.yaml`, registry);
    expect(loaded.items).toHaveLength(result.items.length);

    const again = checklistToSpec(parseChecklist(exportMarkdown(loaded)), { name, source: 'export.md' });
    // The spec lists a section's own items before its subsections, so compare by id.
    const shape = (items: ImportResult['items']) =>
      items
        .map((i) => ({ id: i.id, title: i.title, section: i.sectionPath, severity: i.severity }))
        .sort((a, b) => a.id.localeCompare(b.id));
    expect(shape(again.items)).toEqual(shape(result.items));
    // Command checks come back as command checks.
    expect(again.byKind.command ?? 0).toBe(result.byKind.command ?? 0);
  });
});

describe('checklist parsing', () => {
  it('reads a "Verification" block as the command, "If unchecked" as the fix, markers as severity', async () => {
    const { result, checklist } = await importFile('production-readiness-gate');
    const final = checklist.items.find((i) => i.title.startsWith('Final production training'))!;
    expect(final.remediation).toEqual([
      'Final training incomplete or failed. Debug issues, restart final training.',
    ]);
    expect(final.description[0]).toBe('Training ran with final_config.yaml');
    const check = result.items.find((i) => i.line === final.line)!;
    expect(check.mapping).toMatchObject({
      kind: 'command',
      params: { run: expect.stringContaining('grep "Training complete"') },
    });
    const modelCard = result.items.find((i) => i.title.startsWith('model_card.md'))!;
    expect(modelCard.severity).toBe('recommended');
  });

  it('takes numbers and units from the words', async () => {
    const radikal = (await importFile('radikal-backend-deployment-checklist')).result.items;
    expect(radikal.find((i) => i.title === 'Achieve target mAP > 0.7')!.mapping).toMatchObject({
      kind: 'metric',
      params: { key: 'mAP', expect: '> 0.7' },
    });
    expect(radikal.find((i) => i.title.startsWith('Verify test coverage'))!.mapping).toMatchObject({
      kind: 'coverage',
      params: { min: '> 85%' },
    });
    const gate = (await importFile('production-readiness-gate')).result.items;
    expect(gate.find((i) => i.title === 'Test accuracy meets or exceeds target')!.mapping).toMatchObject({
      kind: 'predictions',
      params: { thresholds: { accuracy: '>= 80%' } },
    });
    expect(gate.find((i) => i.title.startsWith('Confusion matrix'))!.mapping).toMatchObject({
      params: { min_per_class: { f1: 0.7 } },
    });
    expect(gate.find((i) => i.title.startsWith('Exported model accuracy'))!.mapping).toMatchObject({
      kind: 'onnx-model',
      params: { parity: { accuracy_tolerance: 0.005 } },
    });
    const geo = (await importFile('geo6d-lite-deployment-checklist')).result.items;
    // Under "Post-Deployment Verification": the deployed service's latency, measured under load.
    expect(geo.find((i) => i.title === 'Performance Monitoring')!.mapping).toMatchObject({
      kind: 'load',
      params: { thresholds: ['p(95) < 100ms', 'error_rate < 1%'] },
    });
    expect(
      checklistToSpec(parseChecklist('## Model\n- [ ] Inference latency < 100ms per image, memory < 2GB\n'), {
        name: 'x',
        source: 'x',
      }).items[0]!.mapping,
    ).toMatchObject({
      kind: 'onnx-model',
      params: { latency: { thresholds: { p95: '< 100ms' } }, memory: { rss_added: '< 2 GB' } },
    });
    const replicas = checklistToSpec(
      parseChecklist(
        '## Scaling\n- [ ] Run 2+ instances behind the load balancer\n- [ ] API latency p99 < 500ms under load\n- [ ] Error rate < 1%\n',
      ),
      { name: 'x', source: 'x' },
    ).items;
    expect(replicas.map((i) => i.mapping)).toMatchObject([
      { kind: 'kubernetes', params: { min_replicas: 2 } },
      { kind: 'load', params: { thresholds: ['p(99) < 500ms', 'error_rate < 1%'] } },
      { kind: 'load', params: { thresholds: ['error_rate < 1%'] } },
    ]);
  });

  it('requires each probe type the words name: "Startup probes configured" needs a startupProbe', () => {
    const items = checklistToSpec(
      parseChecklist(
        '## Kubernetes\n- [ ] Startup probes configured\n- [ ] Liveness and readiness probes configured\n- [ ] Probes configured\n',
      ),
      { name: 'x', source: 'x' },
    ).items;
    expect(items.map((i) => i.mapping)).toMatchObject([
      { kind: 'kubernetes', params: { require_probes: ['startup'] } },
      { kind: 'kubernetes', params: { require_probes: ['liveness', 'readiness'] } },
      { kind: 'kubernetes', params: { paths: 'k8s/' } },
    ]);
    expect(items[2]!.mapping).not.toHaveProperty('params.require_probes');
  });

  it('still imports a damaged file: mojibake, CRLF, mixed bullets, ☐ and [ ] without bullets', () => {
    const damaged = [
      '# Release checklist',
      '',
      '## Security âœ…',
      '* [ ] No secrets in code',
      '- [x] Dockerfile uses a non-root user',
      '+ [ ] Rate limiting (optional)',
      '☐ Backups tested',
      '☑ Rollback plan written',
      '[ ] Model card reviewed (recommended)',
      '• [ ] Logs shipped',
      '',
      '## Sign-off',
      '- [ ] Technical Lead approves â€” before Friday',
    ].join('\r\n');
    const checklist = parseChecklist(damaged);
    expect(checklist.repairs).toEqual([
      'text decoded twice (mojibake) re-decoded as UTF-8',
      'checkboxes written without a task-list bullet',
    ]);
    expect(checklist.items.map((i) => [i.sectionPath.join(' > '), i.title, i.severity, i.checked])).toEqual([
      ['Security', 'No secrets in code', 'required', false],
      ['Security', 'Dockerfile uses a non-root user', 'required', true],
      ['Security', 'Rate limiting', 'optional', false],
      ['Security', 'Backups tested', 'required', false],
      ['Security', 'Rollback plan written', 'required', true],
      ['Security', 'Model card reviewed', 'recommended', false],
      ['Security', 'Logs shipped', 'required', false],
      ['Sign-off', 'Technical Lead approves — before Friday', 'required', false],
    ]);
    const result = checklistToSpec(checklist, { name: 'x', source: 'x' });
    expect(result.items.map((i) => i.kind)).toEqual([
      'secrets',
      'dockerfile',
      'manual',
      'manual',
      'manual',
      'manual',
      'manual',
      'manual',
    ]);
    expect(result.items.at(-1)!.mapping).toMatchObject({ roles: ['technical-lead'] });
  });

  it('re-decodes mojibake only when it is mojibake', () => {
    expect(fixMojibake('Status: âœ… Production Ready')).toBe('Status: ✅ Production Ready');
    expect(fixMojibake('CafÃ© â€” naÃ¯ve')).toBe('Café — naïve');
    expect(fixMojibake('Ãœber is not broken: Ã')).toBe('Ãœber is not broken: Ã');
    expect(fixMojibake('plain ✅ text')).toBe('plain ✅ text');
  });
});
