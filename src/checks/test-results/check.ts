import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { runIn } from '../_shared/run-module.js';

const params = z.strictObject({
  path: z
    .union([z.string(), z.array(z.string()).min(1)])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .describe('Report file(s), folders or globs.'),
  min_tests: z.number().int().min(1).default(1).describe('Fewest test cases that must have run.'),
  max_skipped: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Most test cases that may be skipped (default: any).'),
});

export type TestResultsParams = z.output<typeof params>;

export default defineCheck({
  kind: 'test-results',
  title: 'The test suite ran and passed (JUnit XML)',
  description: [
    'Reads JUnit XML reports (pytest --junitxml, Jest, Maven Surefire, Go and most CI runners) — a file,',
    'a folder or a glob — and counts the test cases themselves rather than trusting the summary',
    'attributes: every test passed (no failures, no errors), at least `min_tests` ran, and at most',
    '`max_skipped` were skipped. Failing tests are the evidence, with file:line where the report has',
    'them and the first line of their message. No report found, or one that does not parse, is an',
    '`error`.',
  ].join(' '),
  params,
  examples: [
    { title: 'pytest results in CI', params: { path: 'reports/junit.xml', min_tests: 50 } },
    { title: 'Every report of the run, nothing skipped', params: { path: 'reports/*.xml', max_skipped: 0 } },
  ],
  run: runIn(() => import('./run.js')),
});
