/**
 * The mlgate.yaml spec. One definition serves validation, the TypeScript types and the JSON
 * Schema that `mlgate schema` prints for editors.
 */
import { z } from 'zod';
import { Severity } from '../domain/severity.js';
import { DURATION_PATTERN, SIZE_PATTERN } from '../util/units.js';

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

const SIZE_ERROR = 'expected a size such as 500 MB, 2GiB or 1024 (bytes)';
export const Size = z
  .union(
    [
      z.number({ error: SIZE_ERROR }).nonnegative({ error: SIZE_ERROR }),
      z.string({ error: SIZE_ERROR }).regex(SIZE_PATTERN, { error: SIZE_ERROR }),
    ],
    { error: SIZE_ERROR },
  )
  .describe('A size: "500 MB", "2GiB", "64kB", or a number of bytes.');

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
    allow_outside_project: z
      .boolean()
      .default(false)
      .describe(
        "Let the check's paths lead outside the project (the spec's folder), through `..`, an absolute path or a symbolic link. Off: such a path is an error and nothing there is read.",
      ),
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

export const ServiceSpec = z
  .strictObject({
    url: z
      .string()
      .url({ error: 'expected a URL such as http://127.0.0.1:8080' })
      .optional()
      .describe('A service that is already running.'),
    start: z
      .strictObject({
        command: z
          .string()
          .min(1)
          .optional()
          .describe('Shell command that starts the service (run with exec, in its own process group).'),
        argv: z.array(z.string()).min(1).optional().describe('Or a program and its arguments.'),
        review: z
          .literal('required', {
            error: 'review takes only "required"; to allow the start command, delete the review line',
          })
          .optional()
          .describe(
            'Written by `mlgate import` when the start command came from a checklist: mlgate refuses to run it until this line is deleted.',
          ),
        cwd: z.string().default('.').describe('Working folder, relative to the spec.'),
        allow_outside_project: z
          .boolean()
          .default(false)
          .describe("Let `cwd` lead outside the project (the spec's folder); off: the spec is refused."),
        env: z
          .record(z.string(), z.string())
          .default({})
          .describe(
            "Extra environment variables. A value may use ${env.NAME} (from mlgate's environment) or ${random} (a fresh random secret for this run, e.g. a test API token); checks read them as ${env.NAME}.",
          ),
        port: z
          .union([z.number().int().min(1).max(65535), z.literal('auto')])
          .default('auto')
          .describe('Port, or "auto" for a free one.'),
        port_env: z.string().default('PORT').describe('Environment variable the port is passed in.'),
        host: z.string().default('127.0.0.1').describe('Host the service listens on.'),
        ready: z
          .strictObject({
            path: z.string().default('/health'),
            status: z.number().int().default(200),
            timeout: Duration.default('30s'),
          })
          .default({ path: '/health', status: 200, timeout: '30s' })
          .describe('Ready once GET path answers status.'),
        grace: Duration.default('10s').describe('After SIGTERM, how long before SIGKILL.'),
        verify_listener: z
          .boolean()
          .default(true)
          .describe(
            'Check (Linux /proc) that the socket answering on the port belongs to the process mlgate started; false accepts the port unverified (macOS, a port published by docker run -p), and the report says so.',
          ),
      })
      .optional()
      .describe('A service mlgate starts, waits for, watches and stops.'),
    allow_remote: z
      .boolean()
      .default(false)
      .describe('Allow a service that is not on this machine (loopback) for load and fault checks.'),
  })
  .superRefine((service, ctx) => {
    if ((service.url === undefined) === (service.start === undefined))
      ctx.addIssue({ code: 'custom', message: 'give either url (running) or start (mlgate starts it)' });
    if (service.start && (service.start.command === undefined) === (service.start.argv === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['start'], message: 'give either command or argv' });
    }
  })
  .describe('The HTTP service the http, http-contract and load checks talk to.');

const SIGNER_KEYS_ERROR =
  'expected a list of public-key files (keys/jane.pub), or {keys: [...], threshold: N}';
const SignerKeyList = z
  .array(z.string().min(1), { error: SIGNER_KEYS_ERROR })
  .min(1, { error: 'list at least one public-key file' });

export const SignerRole = z
  .union(
    [
      SignerKeyList,
      z.strictObject({
        keys: SignerKeyList.describe('Public-key files (PEM, ECDSA P-256) inside the project.'),
        threshold: z
          .number({ error: 'expected a whole number >= 1' })
          .int({ error: 'expected a whole number >= 1' })
          .min(1, { error: 'expected a whole number >= 1' })
          .default(1)
          .describe('How many of these keys must each have signed a current approval (k of n).'),
      }),
    ],
    { error: SIGNER_KEYS_ERROR },
  )
  .describe(
    'Public keys (committed, reviewed like code) whose signed approvals count for this role; a list means any one of them.',
  );

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
        allow_outside_project: z
          .boolean()
          .default(false)
          .describe(
            "The path may lead outside the project (the spec's folder); off: the spec is refused. Checks may then read it through ${artifacts.NAME}.",
          ),
      }),
    ],
    { error: 'expected a path, or {path, description, required, allow_outside_project}' },
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
      service: ServiceSpec.optional(),
      defaults: z
        .strictObject({
          timeout: Duration.optional().describe('Per-item timeout unless the item or kind sets one.'),
          concurrency: z.number().int().min(1).max(64).optional().describe('Items run at once.'),
        })
        .default({}),
      signers: z
        .record(Id, SignerRole)
        .optional()
        .describe(
          'Who may sign off for which role: role -> public-key files. For these roles only signed sign-offs (.mlgate/attestations/) count; the local store is not read.',
        ),
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
export type SignerRoleSpec = z.output<typeof SignerRole>;
