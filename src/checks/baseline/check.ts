import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { formatNumber } from '../../util/threshold.js';

/**
 * A change, always counted in the better direction: +0.01 is "0.01 better", −0.005 is "at most
 * 0.005 worse". "%" and "pp" (percentage points) divide by 100: "-0.5pp" is −0.005.
 */
const Change = z
  .union([
    z.number(),
    z.string().regex(/^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*(%|pp)?\s*$/, {
      error: 'expected a number, "-0.5pp" or "-10%"',
    }),
  ])
  .transform((value) => {
    if (typeof value === 'number') return { value, text: String(value), percent: false };
    const text = value.trim();
    const percent = /(%|pp)$/.test(text);
    return { value: Number(text.replace(/(%|pp)$/, '')) / (percent ? 100 : 1), text, percent };
  });

const MetricRule = z
  .strictObject({
    better: z
      .enum(['higher', 'lower'])
      .describe('Which direction is an improvement. Required: mlgate does not guess.'),
    min_change: Change.optional().describe(
      'Change in the better direction, in the metric\'s units: -0.005 (or "-0.5pp") allows a drop of at most 0.005; 0.01 requires an improvement of 0.01.',
    ),
    min_relative_change: Change.optional().describe(
      'Change in the better direction relative to the baseline: "-10%" allows at most 10% worse; "5%" requires 5% better.',
    ),
  })
  .superRefine((rule, ctx) => {
    if (rule.min_change === undefined && rule.min_relative_change === undefined) {
      ctx.addIssue({ code: 'custom', message: 'give min_change and/or min_relative_change' });
    }
  });

const Against = z
  .union(
    [
      z.literal('last-pass'),
      z.strictObject({ tag: z.string().min(1) }),
      z.strictObject({ run: z.number().int().positive() }),
    ],
    {
      error: 'expected last-pass, {tag: NAME} or {run: NUMBER}',
    },
  )
  .default('last-pass')
  .describe(
    'The baseline: the last complete PASS run of this profile, a tagged run (mlgate tag), or a run number.',
  );

export default defineCheck({
  kind: 'baseline',
  title: "An item's measured values did not regress against a baseline run",
  description: [
    'Compares the values another item measured in this run (its `measured`, e.g. the',
    "`predictions` item's accuracy or the `load` item's p95_ms) with the same item in a baseline",
    'run from the store: the last PASS, a tagged run, or a run number. Each metric says which',
    'direction is better and how much change it accepts, always counted in the better',
    'direction: `min_change: -0.005` lets accuracy drop at most 0.005; `min_relative_change:',
    '"-10%"` lets latency rise at most 10%; a positive number requires an improvement. A metric',
    'missing on either side fails; a relative rule against a baseline of 0 is an error. With no',
    'baseline run yet, `on_missing_baseline` (required) decides: never a silent pass. Runs after',
    'the compared item, whatever its outcome.',
  ].join(' '),
  params: z.strictObject({
    item: z.string().min(1).describe('The item whose measured values are compared.'),
    against: Against,
    metrics: z
      .record(z.string(), MetricRule)
      .refine((metrics) => Object.keys(metrics).length > 0, { error: 'name at least one metric' })
      .describe('Measured value name → rule.'),
    on_missing_baseline: z
      .enum(['pass', 'fail'], { error: 'say what the first run does: on_missing_baseline: pass or fail' })
      .describe('When there is no baseline run yet.'),
  }),
  examples: [
    {
      title: 'Accuracy may drop at most 0.5 points from the last passing run; F1 must not drop',
      params: {
        item: 'test-accuracy',
        metrics: {
          accuracy: { better: 'higher', min_change: '-0.5pp' },
          f1_macro: { better: 'higher', min_change: 0 },
        },
        on_missing_baseline: 'pass',
      },
    },
    {
      title: 'p95 latency may rise at most 10% over the production release',
      params: {
        item: 'service-latency',
        against: { tag: 'production' },
        metrics: { p95_ms: { better: 'lower', min_relative_change: '-10%' } },
        on_missing_baseline: 'fail',
      },
    },
  ],
  after: (params) => [params.item],
  async run(ctx, params) {
    if (!ctx.history) {
      return {
        status: 'error',
        summary: 'a baseline comparison needs the store of earlier runs (it is off: --no-store)',
      };
    }
    const current = ctx.result?.(params.item);
    if (!current) return { status: 'error', summary: `item "${params.item}" did not run in this run` };
    const selector = params.against === 'last-pass' ? { lastPass: true as const } : params.against;
    const describeAgainst =
      params.against === 'last-pass'
        ? `the last PASS run${ctx.profile ? ` of profile ${ctx.profile}` : ''}`
        : 'tag' in params.against
          ? `the run tagged "${params.against.tag}"`
          : `run #${params.against.run}`;
    // A store that cannot answer (a server away) is an error with its reason, never "no baseline".
    let base: Awaited<ReturnType<typeof ctx.history.find>>;
    let then: Awaited<ReturnType<typeof ctx.history.item>>;
    try {
      base = await ctx.history.find(selector, ctx.profile);
      then = base && (await ctx.history.item(base.id, params.item));
    } catch (error) {
      return { status: 'error', summary: `cannot read the baseline: ${(error as Error).message}` };
    }
    if (!base) {
      const summary = `no baseline: ${describeAgainst} does not exist yet (on_missing_baseline: ${params.on_missing_baseline})`;
      return {
        status: params.on_missing_baseline,
        summary,
        evidence: [{ type: 'text', title: 'baseline', text: summary }],
      };
    }
    const label = `run #${base.id} (${base.startedAt.slice(0, 10)})`;
    const rows: Array<Array<string | number | null>> = [];
    const failures: string[] = [];
    const errors: string[] = [];
    const measured: Record<string, number | null> = {};
    const threshold: Record<string, string> = {};
    for (const [name, rule] of Object.entries(params.metrics)) {
      const now = current.measured[name];
      const before = then?.measured[name];
      if (typeof now !== 'number' || !Number.isFinite(now)) {
        failures.push(
          `${name} is not measured in this run (${params.item} ${current.status}: ${current.summary.slice(0, 80)})`,
        );
        rows.push([
          name,
          rule.better,
          typeof before === 'number' ? before : null,
          null,
          null,
          null,
          ruleText(rule),
          'FAILED: not measured now',
        ]);
        continue;
      }
      if (typeof before !== 'number' || !Number.isFinite(before)) {
        failures.push(
          `${label} has no ${name} for ${params.item}${then ? ` (it was ${then.status})` : ' (the item was not in that run)'}`,
        );
        rows.push([name, rule.better, null, now, null, null, ruleText(rule), 'FAILED: no baseline value']);
        continue;
      }
      const sign = rule.better === 'higher' ? 1 : -1;
      const change = (now - before) * sign;
      const relative = before === 0 ? null : change / Math.abs(before);
      measured[name] = now;
      measured[`${name}_baseline`] = before;
      measured[`${name}_change`] = round(change);
      if (relative !== null) measured[`${name}_relative_change`] = round(relative);
      const problems: string[] = [];
      if (rule.min_change !== undefined) {
        threshold[`${name}_change`] = `>= ${rule.min_change.text}`;
        if (change < rule.min_change.value - 1e-12)
          problems.push(
            `changed ${signed(change)} (${rule.better} is better), below ${rule.min_change.text}`,
          );
      }
      if (rule.min_relative_change !== undefined) {
        threshold[`${name}_relative_change`] = `>= ${rule.min_relative_change.text}`;
        if (relative === null) {
          errors.push(`${name}: a relative change from a baseline of 0 is undefined; use min_change`);
        } else if (relative < rule.min_relative_change.value - 1e-12) {
          problems.push(
            `changed ${signed(relative * 100)}% (${rule.better} is better), below ${rule.min_relative_change.text}`,
          );
        }
      }
      if (problems.length)
        failures.push(`${name} ${formatNumber(before)} → ${formatNumber(now)}: ${problems.join('; ')}`);
      rows.push([
        name,
        rule.better,
        before,
        now,
        signed(change),
        relative === null ? '—' : `${signed(relative * 100)}%`,
        ruleText(rule),
        problems.length ? 'FAILED' : relative === null && rule.min_relative_change ? 'ERROR' : 'ok',
      ]);
    }
    const evidence: Evidence[] = [
      {
        type: 'table',
        title: `${params.item}: this run against ${label}, changes counted in the better direction`,
        columns: ['metric', 'better', 'baseline', 'now', 'change', 'relative', 'accepts', 'result'],
        rows,
      },
    ];
    if (errors.length) return { status: 'error', summary: errors.join('; '), measured, threshold, evidence };
    if (failures.length) {
      return {
        status: 'fail',
        summary: `against ${label}: ${failures.join('; ')}`,
        measured,
        threshold,
        evidence,
      };
    }
    const names = Object.keys(params.metrics);
    return {
      status: 'pass',
      summary: `against ${label}: ${names
        .map(
          (name) =>
            `${name} ${formatNumber(measured[`${name}_baseline`]!)} → ${formatNumber(measured[name]!)}`,
        )
        .join(', ')}, within the accepted change`,
      measured,
      threshold,
      evidence,
    };
  },
});

const round = (value: number) => Number(value.toPrecision(10));
const signed = (value: number) => `${value > 0 ? '+' : ''}${formatNumber(round(value))}`;

function ruleText(rule: z.output<typeof MetricRule>): string {
  return [
    rule.min_change !== undefined ? `change >= ${rule.min_change.text}` : '',
    rule.min_relative_change !== undefined ? `relative >= ${rule.min_relative_change.text}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}
