/**
 * What the test-results check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { readFileSync } from 'node:fs';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { expandPaths } from '../../util/walk.js';
import { parseXml, textOf, XmlError } from '../_shared/xml.js';
import type { TestResultsParams } from './check.js';

interface TestCase {
  suite: string;
  name: string;
  file?: string;
  line?: number;
  status: 'passed' | 'failed' | 'error' | 'skipped';
  message?: string;
  report: string;
}

type Node = Record<string, unknown>;

export async function run(ctx: CheckContext, params: TestResultsParams): Promise<CheckOutcome> {
  const { files, missing } = expandPaths(ctx.root, params.path, /\.xml$/i);
  if (files.length === 0)
    return {
      status: 'error',
      summary: `no test report found at ${params.path.join(', ')}${missing.length ? ' (missing)' : ''}: did the tests run?`,
    };
  const cases: TestCase[] = [];
  const declared = { tests: 0 };
  for (const file of files) {
    let data: Node;
    try {
      data = parseXml(readFileSync(ctx.resolve(file), 'utf8'), [
        'testsuite',
        'testcase',
        'failure',
        'error',
        'skipped',
      ]);
    } catch (error) {
      if (error instanceof XmlError)
        return {
          status: 'error',
          summary: `${file}${error.line ? `:${error.line}` : ''}: not valid XML: ${error.message}`,
        };
      throw error;
    }
    const root = (data.testsuites ?? data) as Node;
    const visit = (suite: Node, name: string) => {
      if (suite.tests !== undefined) declared.tests += Number(suite.tests) || 0;
      for (const child of (suite.testsuite as Node[] | undefined) ?? [])
        visit(child, String(child.name ?? name));
      for (const testcase of (suite.testcase as Node[] | undefined) ?? []) {
        const failure = (testcase.failure as unknown[] | undefined)?.[0];
        const error = (testcase.error as unknown[] | undefined)?.[0];
        const skipped = (testcase.skipped as unknown[] | undefined)?.[0];
        cases.push({
          suite: String(testcase.classname ?? name),
          name: String(testcase.name ?? '?'),
          file: testcase.file ? String(testcase.file) : undefined,
          line: testcase.line ? Number(testcase.line) : undefined,
          status:
            failure !== undefined
              ? 'failed'
              : error !== undefined
                ? 'error'
                : skipped !== undefined
                  ? 'skipped'
                  : 'passed',
          message: textOf(failure ?? error ?? skipped)
            .split('\n')[0]
            ?.slice(0, 300),
          report: file,
        });
      }
    };
    if (root.testsuite === undefined && root.testcase === undefined) {
      return {
        status: 'error',
        summary: `${file} is not a JUnit report (no testsuite or testcase elements)`,
      };
    }
    visit(root, String(root.name ?? file));
  }
  const count = (status: TestCase['status']) => cases.filter((c) => c.status === status).length;
  const failed = cases.filter((c) => c.status === 'failed' || c.status === 'error');
  const skipped = count('skipped');
  const problems: string[] = [];
  if (failed.length > 0)
    problems.push(
      `${failed.length} failed: ${failed
        .slice(0, 3)
        .map((c) => `${c.suite}::${c.name}`)
        .join(', ')}${failed.length > 3 ? ', …' : ''}`,
    );
  if (cases.length < params.min_tests)
    problems.push(
      `only ${cases.length} test${cases.length === 1 ? '' : 's'} ran (at least ${params.min_tests} expected)`,
    );
  if (params.max_skipped !== undefined && skipped > params.max_skipped)
    problems.push(`${skipped} skipped (at most ${params.max_skipped})`);
  const evidence: Evidence[] = failed.map((c) => ({
    type: 'finding',
    rule: 'test-results/failed',
    level: 'error',
    message: `${c.suite}::${c.name} ${c.status === 'error' ? 'errored' : 'failed'}${c.message ? `: ${c.message}` : ''}`,
    ...(c.file ? { location: { path: c.file, ...(c.line ? { line: c.line } : {}) } } : {}),
  }));
  evidence.push({
    type: 'table',
    title: 'tests by report',
    columns: ['report', 'tests', 'passed', 'failed', 'errors', 'skipped'],
    rows: files.map((file) => {
      const mine = cases.filter((c) => c.report === file);
      return [
        file,
        mine.length,
        ...(['passed', 'failed', 'error', 'skipped'] as const).map(
          (s) => mine.filter((c) => c.status === s).length,
        ),
      ];
    }),
  });
  if (declared.tests > 0 && declared.tests !== cases.length) {
    evidence.push({
      type: 'text',
      title: 'note',
      text: `the reports declare ${declared.tests} tests and contain ${cases.length} test cases; mlgate counts the test cases`,
    });
  }
  const where = files.length === 1 ? files[0] : `${files.length} reports`;
  return {
    status: problems.length ? 'fail' : 'pass',
    summary: `${cases.length} tests in ${where}: ${problems.length ? problems.join('; ') : `${count('passed')} passed${skipped ? `, ${skipped} skipped` : ''}`}`,
    measured: {
      tests: cases.length,
      passed: count('passed'),
      failed: count('failed'),
      errors: count('error'),
      skipped,
    },
    threshold: {
      failed: '== 0',
      tests: `>= ${params.min_tests}`,
      ...(params.max_skipped !== undefined ? { skipped: `<= ${params.max_skipped}` } : {}),
    },
    evidence,
  };
}
