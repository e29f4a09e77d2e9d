/**
 * The domain model: a gate run, its items, their evidence, approvals and waivers, and the
 * verdict. The engine and the checks produce it, the store and the server keep it, and every
 * output format (text, JSON, Markdown, HTML, JUnit, SARIF) is written from it. Versioned:
 * `schemaVersion` changes when a field is removed or changes meaning; added fields do not
 * change it. `mlgate schema --report` prints it as JSON Schema.
 */
import { z } from 'zod';
import { Severity } from './severity.js';

export { SEVERITIES, Severity } from './severity.js';

export const REPORT_SCHEMA_VERSION = 1;

export const OUTCOME_STATUSES = ['pass', 'fail', 'error', 'skip'] as const;
export const ITEM_STATUSES = ['pass', 'fail', 'error', 'skip', 'pending', 'waived'] as const;

export const OutcomeStatus = z.enum(OUTCOME_STATUSES);
export const ItemStatus = z.enum(ITEM_STATUSES);

export const Location = z.object({
  path: z.string().describe('Path relative to the project root, with forward slashes.'),
  line: z.number().int().positive().optional(),
  column: z.number().int().positive().optional(),
  endLine: z.number().int().positive().optional(),
});

const Scalar = z.union([z.number(), z.string(), z.boolean(), z.null()]);

export const Evidence = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('file'),
      path: z.string(),
      size: z.number().int().nonnegative().optional(),
      sha256: z.string().optional(),
      note: z.string().optional(),
    })
    .describe('A file that was read, with its digest.'),
  z
    .object({
      type: z.literal('location'),
      ...Location.shape,
      excerpt: z.string().optional(),
      note: z.string().optional(),
    })
    .describe('A place in a file: a matched line, the value that was read.'),
  z
    .object({
      type: z.literal('finding'),
      rule: z.string().describe('Stable rule id, e.g. "dockerfile/non-root-user".'),
      level: z.enum(['error', 'warning', 'note']),
      message: z.string(),
      location: Location.optional(),
      excerpt: z.string().optional(),
      fix: z.string().optional(),
      ignored: z.object({ reason: z.string(), source: z.enum(['inline', 'spec']) }).optional(),
    })
    .describe('A rule violation (or a deliberately ignored one) at a place.'),
  z
    .object({
      type: z.literal('output'),
      command: z.string(),
      cwd: z.string().optional(),
      exitCode: z.number().int().nullable(),
      signal: z.string().nullable().optional(),
      stdoutTail: z.string(),
      stderrTail: z.string(),
      truncated: z.boolean(),
    })
    .describe('A command that ran, with the tail of its output.'),
  z
    .object({
      type: z.literal('table'),
      title: z.string(),
      columns: z.array(z.string()),
      rows: z.array(z.array(Scalar)),
    })
    .describe('Tabular evidence: a metrics table, a confusion matrix.'),
  z
    .object({
      type: z.literal('http'),
      title: z.string().optional(),
      request: z.object({
        method: z.string(),
        url: z.string(),
        headers: z.record(z.string(), z.string()).describe('As written in the spec: secrets masked.'),
        body: z.string().optional().describe('An excerpt, or what it was (a file, a form).'),
      }),
      response: z
        .object({
          status: z.number().int(),
          headers: z.record(z.string(), z.string()),
          body: z.string().describe('An excerpt, secrets masked.'),
          bytes: z.number().int().nonnegative(),
          truncated: z.boolean(),
        })
        .optional(),
      error: z.string().optional().describe('Why there is no response: refused, reset, timed out.'),
      durationMs: z.number().nonnegative(),
    })
    .describe('An HTTP exchange with the service.'),
  z.object({ type: z.literal('text'), title: z.string(), text: z.string() }),
  z
    .object({ type: z.literal('data'), title: z.string(), name: z.string(), data: z.unknown() })
    .describe('Structured data for pictures in reports (histograms, reliability diagrams).'),
]);

const BoundDigests = {
  definitionDigest: z.string().describe("The item's definition when it was given."),
  artifacts: z
    .record(z.string(), z.object({ path: z.string(), sha256: z.string().nullable() }))
    .describe('Every artifact, by name, when it was given.'),
};

export const Approval = z
  .object({
    role: z.string(),
    by: z.string(),
    at: z.string(),
    comment: z.string().optional(),
    evidence: z.object({ ref: z.string(), sha256: z.string().optional() }).optional(),
    state: z
      .enum(['current', 'stale', 'lapsed'])
      .describe('stale: something it was bound to changed; lapsed: renew_every passed.'),
    reason: z.string().optional().describe('Why it is stale or lapsed.'),
    ...BoundDigests,
  })
  .describe('A recorded approval of a manual item, and whether it still holds.');

export const Waiver = z
  .object({
    by: z.string(),
    at: z.string(),
    reason: z.string(),
    expires: z.string(),
    state: z.enum(['applied', 'unused', 'expired', 'stale']),
    stateReason: z.string().optional(),
    /** What the item was before the waiver applied. */
    waivedStatus: z.string().optional(),
    waivedSummary: z.string().optional(),
    ...BoundDigests,
  })
  .describe('A waiver on the item: applied (the item is waived), unused (it passed), expired or stale.');

export const ItemResult = z.object({
  id: z.string(),
  sectionPath: z.array(z.string()).describe('Titles of the enclosing sections, outermost first.'),
  title: z.string(),
  description: z.string().optional(),
  severity: Severity,
  kind: z.string().describe('The check kind, or "manual".'),
  applicable: z
    .boolean()
    .describe('False when the item does not apply to the selected profile; it is then "skip".'),
  status: ItemStatus,
  summary: z.string(),
  source: z
    .enum(['measured', 'reported'])
    .optional()
    .describe('"reported" when the values were read from a file mlgate did not compute.'),
  measured: z.record(z.string(), Scalar).default({}),
  threshold: z.record(z.string(), z.string()).default({}),
  evidence: z.array(Evidence).default([]),
  remediation: z.string().optional(),
  needs: z.array(z.string()).default([]),
  definitionDigest: z.string().describe('sha256 of the item as written in the spec.'),
  specLine: z.number().int().positive().optional().describe("The item's line in the spec file."),
  tags: z.array(z.string()).optional(),
  approvals: z
    .array(Approval)
    .optional()
    .describe('Manual items: every approval not revoked, with its state.'),
  waiver: Waiver.optional(),
  startedAt: z.string().optional(),
  durationMs: z.number().nonnegative(),
});

export const Counts = z.object({
  total: z.number().int(),
  pass: z.number().int(),
  fail: z.number().int(),
  error: z.number().int(),
  skip: z.number().int(),
  pending: z.number().int(),
  waived: z.number().int(),
  notApplicable: z.number().int(),
});

export const GateReason = z.object({
  itemId: z.string().nullable(),
  severity: Severity.nullable(),
  status: z.string(),
  message: z.string(),
});

export const RunReport = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  runId: z.number().int().optional().describe("The run's number in the project's store (mlgate show RUN)."),
  tool: z.object({ name: z.literal('mlgate'), version: z.string() }),
  project: z.object({
    name: z.string(),
    model: z.object({ name: z.string(), version: z.string().optional() }).optional(),
    owner: z.string().optional(),
  }),
  spec: z.object({ path: z.string(), sha256: z.string() }),
  root: z.string(),
  profile: z.string().nullable(),
  selection: z
    .object({ only: z.array(z.string()), addedForNeeds: z.array(z.string()) })
    .nullable()
    .describe('Set when --only ran part of the spec; the verdict then covers that part only.'),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  complete: z.boolean().describe('False when the run was interrupted; the verdict is then BLOCKED.'),
  verdict: z.object({
    status: z.enum(['PASS', 'BLOCKED']),
    warnings: z.number().int(),
    waived: z.number().int(),
    blocking: z.array(GateReason),
    warningReasons: z.array(GateReason),
  }),
  counts: Counts,
  sections: z.array(z.object({ id: z.string().optional(), path: z.array(z.string()), counts: Counts })),
  artifacts: z.array(
    z.object({
      name: z.string(),
      path: z.string(),
      required: z.boolean(),
      sha256: z.string().nullable(),
      size: z.number().int().nullable(),
      error: z.string().optional(),
    }),
  ),
  items: z.array(ItemResult),
  mlTestScore: z
    .object({
      version: z.string(),
      sections: z.object({
        data: z.number(),
        model: z.number(),
        infrastructure: z.number(),
        monitoring: z.number(),
      }),
      score: z.number(),
      band: z.string(),
      tests: z.array(
        z.object({
          test: z.string(),
          itemId: z.string(),
          points: z.number(),
          how: z.enum(['automated', 'manual', 'none']),
        }),
      ),
    })
    .optional()
    .describe(
      'The ML Test Score (Breck et al. 2017) when items carry ml-test-score tags: how much is tested, beside the verdict.',
    ),
  service: z
    .object({
      url: z.string(),
      managed: z.boolean().describe('Started (and stopped) by mlgate.'),
      command: z.string().optional(),
      pid: z.number().int().optional(),
      startedAt: z.string().optional(),
      readyMs: z.number().optional(),
      exit: z
        .object({
          code: z.number().nullable(),
          signal: z.string().nullable(),
          afterMs: z.number(),
          expected: z.boolean(),
        })
        .optional(),
      logTail: z.array(z.string()),
      error: z.string().optional(),
      listenerVerified: z
        .boolean()
        .optional()
        .describe(
          'The socket on the port was checked to belong to the started process (false: verify_listener off).',
        ),
    })
    .optional()
    .describe('The model service the HTTP checks talked to.'),
});

export type OutcomeStatus = z.infer<typeof OutcomeStatus>;
export type ItemStatus = z.infer<typeof ItemStatus>;
export type Location = z.infer<typeof Location>;
export type Evidence = z.infer<typeof Evidence>;
export type Approval = z.infer<typeof Approval>;
export type Waiver = z.infer<typeof Waiver>;
export type ItemResult = z.infer<typeof ItemResult>;
export type Counts = z.infer<typeof Counts>;
export type GateReason = z.infer<typeof GateReason>;
export type RunReport = z.infer<typeof RunReport>;
