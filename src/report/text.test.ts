/**
 * The terminal report: compact by default (a line per section, what did not pass, the
 * verdict with each reason's fix, the commands to run next), everything with --verbose.
 */
import { describe, expect, test } from 'vitest';
import { makeStyle } from '../cli/style.js';
import { fixtureReport } from '../testing/report-fixture.js';
import { fixesOf, nextSteps, renderText } from './text.js';

const plain = makeStyle(false);

describe('compact terminal report', () => {
  const text = renderText(fixtureReport(), { style: plain, rolesOf: () => ['technical-lead'] });
  const lines = text.split('\n');

  test('one summary line per section, with its counts', () => {
    expect(lines).toContain('Model quality                   2 passed, 1 failed');
    expect(lines).toContain('Model quality › Exported model  1 error');
    expect(lines).toContain('Service                         1 passed, 1 waived');
    expect(lines).toContain('Sign-off                        1 passed, 1 pending, 1 not applicable');
  });

  test('passing items are counted, not listed; failing ones show title and reason', () => {
    expect(text).not.toMatch(/PASS\s+calibration/);
    expect(text).toMatch(/^ {2}FAIL {4}dockerfile {2}Title of dockerfile$/m);
    expect(text).toMatch(/^ {10}Dockerfile: 2 findings$/m);
    // Tables are for --verbose.
    expect(text).not.toContain('confusion');
  });

  test('a waived item says until when, by whom and why', () => {
    expect(text).toMatch(/WAIVED\s+service-latency/);
    expect(text).toMatch(/waived until \d{4}-\d\d-\d\d by .+: /);
  });

  test('each reason under the verdict carries its fix: the remediation, else the findings’ fixes', () => {
    const verdictAt = lines.findIndex((line) => line.startsWith('Verdict: BLOCKED'));
    const after = lines.slice(verdictAt).join('\n');
    expect(after).toContain('✗ test-accuracy (fail):');
    expect(after).toContain('fix: Return to training & re-evaluate the target.');
  });

  test('next steps: the exact approve command per missing role, waive and re-run with the folder', () => {
    expect(text).toContain('Next steps:');
    expect(text).toContain('mlgate approve tech-lead project --role technical-lead');
    expect(text).toMatch(/mlgate waive ITEM project --reason ".+" --expires 30d/);
    expect(text).toContain('mlgate check project');
    expect(text).toContain('mlgate show 7 project --verbose');
  });

  test('no colour codes when colour is off; titles are never dimmed when it is on', () => {
    expect(text.includes('\u001b[')).toBe(false);
    const coloured = renderText(fixtureReport(), { style: makeStyle(true) });
    expect(coloured).toContain('dockerfile  Title of dockerfile\n');
    expect(coloured).not.toContain('\u001b[2mTitle of');
  });

  test('long reasons are cut to the width in compact mode, kept whole with --verbose', () => {
    const report = fixtureReport();
    report.verdict.blocking[0]!.message = `measured ${'x'.repeat(300)}`;
    const compact = renderText(report, { style: plain, width: 100 });
    const reason = compact.split('\n').find((line) => line.includes('✗ test-accuracy'))!;
    expect(reason.length).toBeLessThanOrEqual(100);
    expect(reason.endsWith('…')).toBe(true);
    const verbose = renderText(report, { style: plain, verbose: true });
    expect(verbose).toContain('x'.repeat(300));
  });
});

describe('--verbose', () => {
  test('every item with its evidence and the per-section table, then next steps', () => {
    const text = renderText(fixtureReport(), { style: plain, verbose: true });
    expect(text).toMatch(/PASS\s+calibration/);
    expect(text).toMatch(/^Section\s+pass\s+fail/m);
    expect(text).toContain('Next steps:');
    expect(text).not.toContain('mlgate show 7');
  });
});

describe('fixes and next steps', () => {
  test('without a remediation, the fixes of the findings, errors first, each once', () => {
    const report = fixtureReport();
    const dockerfile = { ...report.items.find((item) => item.id === 'dockerfile')!, remediation: undefined };
    const fixes = fixesOf(dockerfile);
    expect(fixes[0]).toBe('[dockerfile/non-root-user] add USER app after installing');
    expect(new Set(fixes).size).toBe(fixes.length);
  });

  test('a clean PASS has no next steps; roles unknown say ROLE; a spec not named mlgate.yaml uses --config', () => {
    const report = fixtureReport();
    const passing = {
      ...report,
      items: report.items.map((item) => ({ ...item, status: 'pass' as const })),
    };
    expect(nextSteps(passing, { style: plain })).toEqual([]);
    const other = { ...report, spec: { ...report.spec, path: 'deploy/gate spec.yaml' } };
    const steps = nextSteps(other, { style: plain }).join('\n');
    expect(steps).toContain("mlgate approve tech-lead --config 'deploy/gate spec.yaml' --role ROLE");
    const here = { ...report, spec: { ...report.spec, path: 'mlgate.yaml' } };
    expect(nextSteps(here, { style: plain }).join('\n')).toContain('mlgate check\n');
  });
});
