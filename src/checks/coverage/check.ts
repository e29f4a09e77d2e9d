import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { parseThreshold, thresholdError } from '../../util/threshold.js';
import { runIn } from '../_shared/run-module.js';

export const FORMATS = ['lcov', 'cobertura', 'coverage-py', 'istanbul-summary'] as const;

const CoverageThreshold = z.string().superRefine((text, ctx) => {
  const problem = thresholdError(text);
  if (problem) return ctx.addIssue({ code: 'custom', message: problem });
  const t = parseThreshold(text);
  const values = t.kind === 'compare' ? [t.value] : t.kind === 'within' ? [t.target] : [t.low, t.high];
  if (!t.percent && values.some((v) => v > 1)) ctx.addIssue({ code: 'custom', message: `coverage is a share: write "${text.replace(/([\d.]+)/, '$1%')}" or a fraction such as ">= 0.85"` });
});

const params = z.strictObject({
  path: z.string().min(1).describe('The coverage report.'),
  format: z.enum(FORMATS).optional().describe('Report format (detected from the content when not given).'),
  metric: z.enum(['lines', 'branches']).default('lines').describe('Line or branch coverage.'),
  min: CoverageThreshold.optional().describe('Overall threshold: ">= 85%".'),
  per_path: z.record(z.string(), CoverageThreshold).optional().describe('Path prefix → threshold: {"core/": ">= 85%"}.'),
}).superRefine((params, ctx) => {
  if (!params.min && !params.per_path) ctx.addIssue({ code: 'custom', message: 'give min and/or per_path' });
});

export type CoverageParams = z.output<typeof params>;

export default defineCheck({
  kind: 'coverage',
  title: 'Test coverage meets its minimum, overall and per path',
  description: [
    'Reads a coverage report — lcov (.info), Cobertura XML (coverage.py, Jest, JaCoCo converters),',
    'coverage.py JSON or an Istanbul json-summary — and computes line (or branch) coverage from the',
    'per-file counts rather than trusting the report\'s totals: overall against `min` (">= 85%"), and',
    'for each path prefix in `per_path` ("core/": ">= 85%"). Evidence lists the least-covered files.',
    'A missing or unreadable report, or a `per_path` prefix that matches no file, is an `error`.',
  ].join(' '),
  params,
  examples: [
    { title: 'The seed checklist: coverage > 85% for core and api', params: { path: 'coverage.xml', min: '> 85%', per_path: { 'core/': '>= 85%', 'api/': '>= 85%' } } },
    { title: 'Branch coverage from lcov', params: { path: 'coverage/lcov.info', metric: 'branches', min: '>= 70%' } },
  ],
  run: runIn(() => import('./run.js')),
});
