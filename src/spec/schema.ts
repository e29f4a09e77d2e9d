/**
 * The mlgate.yaml spec. One definition serves validation, the TypeScript types and the JSON
 * Schema that `mlgate schema` prints for editors.
 */
import { z } from 'zod';
import { Severity } from '../report/schema.js';
import { DURATION_PATTERN } from '../util/units.js';

export const SPEC_VERSION = 1;

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const Id = z.string({ error: 'expected an id (letters, digits, ".", "_", "-")' }).regex(ID_PATTERN, {
  error: 'ids use letters, digits, ".", "_" and "-", and start with a letter or digit',
});

const DURATION_ERROR = 'expected a duration such as 30s, 2m, 500ms or 1h (a bare number is seconds)';
export const Duration = z
  .union(
    [
      z.number({ error: DURATION_ERROR }).positive({ error: DURATION_ERROR }),
      z.string({ error: DURATION_ERROR }).regex(DURATION_PATTERN, { error: DURATION_ERROR }),
    ],
    { error: DURATION_ERROR },
  )
  .describe('A duration: "30s", "2m", "500ms", "1h", or a number of seconds.');

const SeverityByProfile = z
  .union([Severity, z.record(z.string(), Severity)], {
    error:
      'expected required, recommended or optional, or a map from profile to severity with a "default" key',
  })
  .describe(
    'required (blocks), recommended (warns) or optional (informs); or per profile, e.g. {default: recommended, prod: required}.',
  );

const When = z
  .union([z.string(), z.array(z.string()).min(1)], {
    error: 'expected a profile name or a list of profile names',
  })
  .describe('Profiles this applies to; elsewhere it is reported as not applicable.');

export const Manual = z
  .strictObject({
    roles: z
      .array(Id)
      .default([])
      .describe('Roles that must each sign off, e.g. [technical-lead, product-owner].'),
    instructions: z.string().optional().describe('What the approver must look at before signing.'),
    evidence_required: z
      .boolean()
      .default(false)
      .describe('An approval must link evidence (a URL or a file).'),
    comment_required: z.boolean().default(false).describe('An approval must carry a justification.'),
    renew_every: Duration.optional().describe(
      'An approval lapses after this long even when nothing changed (recurring reviews).',
    ),
  })
  .describe('A human sign-off: the item passes when every role has a current approval.');

export function buildItemSchema<C extends z.ZodType>(check: C) {
  return z.strictObject({
    id: Id.describe('Stable id: reports, history, approvals and --only refer to it.'),
    title: z.string().min(1).describe('What must be true, as the checklist says it.'),
    description: z.string().optional().describe('Details: what this covers and why.'),
    severity: SeverityByProfile.default('required'),
    check: check.optional(),
    manual: Manual.optional(),
    remediation: z.string().optional().describe('What to do when it fails ("If unchecked: ...").'),
    timeout: Duration.optional(),
    needs: z
      .array(Id)
      .default([])
      .describe('Items that must pass first; if one does not, this one is skipped.'),
    when: When.optional(),
    tags: z.array(z.string()).default([]),
  });
}

interface SectionOutput<I> {
  id?: string;
  title: string;
  description?: string;
  when?: string | string[];
  items: I[];
  sections: SectionOutput<I>[];
}

interface SectionInput<I> {
  id?: string;
  title: string;
  description?: string;
  when?: string | string[];
  items?: I[];
  sections?: SectionInput<I>[];
}

export function buildSpecSchema<C extends z.ZodType>(
  check: C,
  definitions?: z.core.$ZodRegistry<{ id: string }>,
) {
  const Item = buildItemSchema(check);
  const Section = z.strictObject({
    id: Id.optional(),
    title: z.string().min(1),
    description: z.string().optional(),
    when: When.optional(),
    items: z.array(Item).default([]),
    // The annotation breaks the type-level cycle of a recursive schema.
    get sections(): z.ZodDefault<
      z.ZodArray<z.ZodType<SectionOutput<z.output<typeof Item>>, SectionInput<z.input<typeof Item>>>>
    > {
      return z.array(Section).default([]).describe('Nested sections.');
    },
  });
  // Named definitions in the JSON Schema; a registry per build so building twice is fine.
  definitions?.add(Item, { id: 'Item' });
  definitions?.add(Section, { id: 'Section' });
  const Artifact = z.union(
    [
      z.string(),
      z.strictObject({
        path: z.string(),
        description: z.string().optional(),
        required: z.boolean().default(true).describe('A missing required artifact blocks the verdict.'),
      }),
    ],
    { error: 'expected a path, or {path, description, required}' },
  );
  return z
    .strictObject({
      version: z.literal(SPEC_VERSION, { error: `expected version: ${SPEC_VERSION}` }),
      project: z.strictObject({
        name: z.string().min(1),
        description: z.string().optional(),
        model: z.strictObject({ name: z.string().min(1), version: z.string().optional() }).optional(),
        owner: z.string().optional(),
        repository: z.string().optional(),
      }),
      artifacts: z
        .record(Id, Artifact)
        .default({})
        .describe(
          'Named files whose sha256 is recorded in every run; params refer to them as ${artifacts.NAME}.',
        ),
      profiles: z
        .record(Id, z.strictObject({ description: z.string().optional() }).nullable())
        .default({})
        .describe('Environments (dev, staging, prod); items use `when:` to apply to some.'),
      default_profile: Id.optional().describe('Used when --profile is not given.'),
      defaults: z
        .strictObject({
          timeout: Duration.optional().describe('Per-item timeout unless the item or kind sets one.'),
          concurrency: z.number().int().min(1).max(64).optional().describe('Items run at once.'),
        })
        .default({}),
      sections: z.array(Section).min(1, { error: 'a spec needs at least one section' }),
    })
    .describe('mlgate.yaml: an executable deployment checklist.');
}

/** The structure as validated before each check's own params are. */
export const SpecShape = buildSpecSchema(z.looseObject({ kind: z.string() }));
export type SpecInput = z.input<typeof SpecShape>;
export type Spec = z.output<typeof SpecShape>;
export type SpecSection = Spec['sections'][number];
export type SpecItem = SpecSection['items'][number];
export type ManualSpec = z.output<typeof Manual>;
