/**
 * SARIF and JUnit XML checked against their published schemas (the files are in
 * src/report/fixtures/schemas/, with their source and licence in its README): the fixture
 * report with one of everything, and the two example projects' real reports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@cfworker/json-schema';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../testing/cli.js';
import { fixtureReport } from '../testing/report-fixture.js';
import { XsdStructure } from '../testing/xsd.js';
import { renderJunit } from './junit.js';
import { renderSarif } from './sarif.js';
import { RunReport } from '../domain/run-report.js';

const FIXTURES = join(REPO_ROOT, 'src', 'report', 'fixtures');
const schemaText = (name: string) => readFileSync(join(FIXTURES, 'schemas', name), 'utf8');
const example = (name: string) =>
  RunReport.parse(JSON.parse(readFileSync(join(FIXTURES, 'examples', `${name}.report.json`), 'utf8')));

const reports = {
  fixture: fixtureReport(),
  'digits-classifier-blocked': example('digits-classifier-blocked'),
  'digits-classifier': example('digits-classifier'),
};

describe('SARIF against the OASIS SARIF 2.1.0 JSON schema', () => {
  // The schema is JSON Schema draft 4 (its "$schema" says so).
  const validator = new Validator(JSON.parse(schemaText('sarif-schema-2.1.0.json')), '4', false);

  for (const [name, report] of Object.entries(reports)) {
    it(`is valid for the ${name} report`, () => {
      const sarif = JSON.parse(renderSarif(report, { cwd: '/home/user/mlgate' }));
      const result = validator.validate(sarif);
      expect(
        result.errors.map((e) => `${e.instanceLocation}: ${e.error}`),
        name,
      ).toEqual([]);
    });
  }

  it('lists every blocking item of a BLOCKED run as an error result, sign-offs included', () => {
    const report = reports['digits-classifier-blocked'];
    const sarif = JSON.parse(renderSarif(report, { cwd: '/home/user/mlgate' }));
    const errors = new Set(
      (sarif.runs[0].results as Array<{ level: string; properties?: { item?: string } }>)
        .filter((r) => r.level === 'error')
        .map((r) => r.properties?.item),
    );
    for (const reason of report.verdict.blocking)
      expect(errors.has(reason.itemId ?? undefined), reason.itemId ?? reason.message).toBe(true);
  });

  it('the validator rejects what the schema forbids (so a pass above means something)', () => {
    const sarif = JSON.parse(renderSarif(reports.fixture, { cwd: '/repo' }));
    sarif.runs[0].results[0].level = 'fatal';
    expect(validator.validate(sarif).valid).toBe(false);
  });
});

describe('JUnit XML against the Jenkins xUnit plugin JUnit schema (junit-10.xsd)', () => {
  const xsd = new XsdStructure(schemaText('junit-10.xsd'));
  // Where mlgate's JUnit departs from that schema, on purpose, and nowhere else:
  // - testcase file= and line=: where CI (GitLab, CircleCI, pytest's xunit1 family) points a
  //   failing test at its file and line; the XSD predates them;
  // - testcase <properties>: each item's severity, status and kind, as pytest's
  //   record_property and the Testmo/JUnit-XML conventions write them;
  // - testsuites skipped= and timestamp=: counted like testsuite's, which the XSD does allow.
  const EXTENSIONS = [
    /\/testcase: attribute "(file|line)" is not declared$/,
    /\/testcase: child <properties> is not allowed$/,
    /^testsuites: attribute "(skipped|timestamp)" is not declared$/,
  ];

  for (const [name, report] of Object.entries(reports)) {
    it(`is valid for the ${name} report, but for the declared extensions`, () => {
      const problems = xsd.check(renderJunit(report, { cwd: '/home/user/mlgate' }));
      expect(problems.filter((p) => !EXTENSIONS.some((e) => e.test(p)))).toEqual([]);
    });
  }

  it('the structural check finds what the schema forbids', () => {
    const bad =
      '<?xml version="1.0"?><testsuites><testsuite name="a" tests="1" failures="0" time="1.5.5"><testcase><oops/></testcase>text</testsuite></testsuites>';
    expect(xsd.check(bad)).toEqual([
      'testsuites/testsuite: attribute time="1.5.5" does not match the pattern of SUREFIRE_TIME',
      'testsuites/testsuite: required attribute "errors" missing',
      'testsuites/testsuite/testcase: required attribute "name" missing',
      'testsuites/testsuite/testcase: child <oops> is not allowed',
      'testsuites/testsuite: text is not allowed here',
    ]);
  });
});
