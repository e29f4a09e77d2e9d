/**
 * JUnit XML, the format every CI system shows: one <testsuite> per top-level section, one
 * <testcase> per item. A test case fails exactly when its item blocks the verdict, so the CI
 * view and the exit code agree: a failing recommended item is reported as skipped with a
 * "warning" message, a waived one as skipped with the waiver. Reasons that belong to no item
 * (a missing artifact, an interrupted run) become test cases of a "mlgate verdict" suite.
 */
import { escapeXml } from './charts.js';
import {
  displayStatus,
  formatLocation,
  measuredAgainstThreshold,
  pathFromCwd,
  primaryLocation,
  specFileInRoot,
} from './format.js';
import type { ItemResult, RunReport } from '../domain/run-report.js';

/** XML 1.0 cannot carry most control characters, even escaped. */
function xmlText(text: string): string {
  return escapeXml(text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '�'));
}

function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlText(String(v))}"`)
    .join('');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

export interface JunitOptions {
  /** File paths are written relative to this folder (where CI runs). */
  cwd?: string;
}

export function renderJunit(report: RunReport, options: JunitOptions = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const blocking = new Set(report.verdict.blocking.map((r) => r.itemId).filter(Boolean));
  const suites = new Map<string, ItemResult[]>();
  for (const item of report.items) {
    const name = item.sectionPath[0] ?? report.project.name;
    const suite = suites.get(name);
    if (suite) suite.push(item);
    else suites.set(name, [item]);
  }
  const out: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  const suiteXml: string[] = [];
  for (const [name, items] of suites) {
    const cases: string[] = [];
    const counts = { failures: 0, errors: 0, skipped: 0 };
    for (const item of items) {
      const { xml, outcome } = testCase(item, report, blocking.has(item.id), cwd);
      cases.push(xml);
      if (outcome !== 'passed') counts[outcome]++;
    }
    const time = items.reduce((sum, item) => sum + item.durationMs, 0);
    suiteXml.push(
      `  <testsuite${attrs({ name, tests: items.length, failures: counts.failures, errors: counts.errors, skipped: counts.skipped, time: seconds(time), timestamp: report.startedAt.slice(0, 19) })}>\n${cases.join('\n')}\n  </testsuite>`,
    );
    tests += items.length;
    failures += counts.failures;
    errors += counts.errors;
    skipped += counts.skipped;
  }
  const general = report.verdict.blocking.filter((r) => r.itemId === null);
  if (general.length > 0) {
    const cases = general.map(
      (reason, i) =>
        `    <testcase${attrs({ classname: 'mlgate.verdict', name: `${reason.status} ${i + 1}`, time: '0.000' })}>\n      <failure${attrs({ message: reason.message, type: reason.status })}>${xmlText(reason.message)}</failure>\n    </testcase>`,
    );
    suiteXml.push(
      `  <testsuite${attrs({ name: 'mlgate verdict', tests: general.length, failures: general.length, errors: 0, skipped: 0, time: '0.000' })}>\n${cases.join('\n')}\n  </testsuite>`,
    );
    tests += general.length;
    failures += general.length;
  }
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<testsuites${attrs({ name: `mlgate: ${report.project.name} (${report.verdict.status})`, tests, failures, errors, skipped, time: seconds(report.durationMs), timestamp: report.startedAt.slice(0, 19) })}>`,
  );
  out.push(...suiteXml);
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

function testCase(
  item: ItemResult,
  report: RunReport,
  blocks: boolean,
  cwd: string,
): { xml: string; outcome: 'passed' | 'failures' | 'errors' | 'skipped' } {
  const status = displayStatus(item);
  const location = primaryLocation(item, report);
  const head = `    <testcase${attrs({
    classname: ['mlgate', ...item.sectionPath].join('.'),
    name: `${item.id}: ${item.title}`,
    time: seconds(item.durationMs),
    file: pathFromCwd(report, location.path, cwd),
    line: location.line,
  })}>`;
  const details = [
    item.summary,
    ...measuredAgainstThreshold(item).map((row) => `${row.name}: ${row.text}`),
    location.path !== specFileInRoot(report) ? `at ${formatLocation(location)}` : '',
    item.remediation && status !== 'pass' ? `fix: ${item.remediation.trim()}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  const properties = `      <properties><property name="severity" value="${item.severity}"/><property name="status" value="${status}"/><property name="kind" value="${xmlText(item.kind)}"/></properties>`;
  let body: string;
  let outcome: 'passed' | 'failures' | 'errors' | 'skipped';
  if (status === 'pass') {
    body = '';
    outcome = 'passed';
  } else if (blocks && status === 'error') {
    body = `      <error${attrs({ message: item.summary, type: 'error' })}>${xmlText(details)}</error>`;
    outcome = 'errors';
  } else if (blocks) {
    body = `      <failure${attrs({ message: `${status}: ${item.summary}`, type: status })}>${xmlText(details)}</failure>`;
    outcome = 'failures';
  } else {
    const why =
      status === 'n/a'
        ? 'not applicable to this profile'
        : status === 'waived'
          ? `waived: ${item.waiver?.reason ?? ''} (until ${item.waiver?.expires.slice(0, 10) ?? '?'})`
          : status === 'skip'
            ? item.summary
            : `${item.severity} item ${status} (warning, does not block): ${item.summary}`;
    body = `      <skipped${attrs({ message: why })}/>`;
    outcome = 'skipped';
  }
  const systemOut =
    status === 'pass' && details ? `\n      <system-out>${xmlText(details)}</system-out>` : '';
  return {
    xml: `${head}\n${properties}${body ? `\n${body}` : ''}${systemOut}\n    </testcase>`,
    outcome,
  };
}
