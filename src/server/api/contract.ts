/**
 * The server's HTTP API, version 1: every route, request and response body as zod schemas.
 * The server validates with these, the OpenAPI 3.1 document (/api/v1/openapi.json) is generated
 * from them, and the CLI's remote store is written against them. Keep it stable: add, never
 * change the meaning of a field.
 *
 * Routes (all under /api/v1; JSON in and out; every error is an RFC 9457 problem details body,
 * `application/problem+json`). "who" is the least a caller must hold (see ROLE_PATTERN):
 *
 *   method path                                         who               body -> response
 *   GET    /openapi.json                                anyone            -> OpenAPI 3.1
 *   GET    /health                                      anyone            -> Health
 *   GET    /whoami                                      any caller        -> Whoami
 *   GET    /projects                                    viewer            -> ProjectList
 *   POST   /projects                                    admin             CreateProject -> Project (201)
 *   GET    /projects/{project}                          viewer            -> Project
 *   PUT    /projects/{project}/signers                  admin             SetSigners -> Project
 *   GET    /projects/{project}/runs?limit&profile       viewer            -> RunList (newest first)
 *   POST   /projects/{project}/runs                     runner            UploadRun -> RunCreated (201)
 *   GET    /projects/{project}/runs/{run}               viewer            -> RunDetail
 *   GET    /projects/{project}/runs/{run}/items/{item}  viewer            -> ItemMeasured
 *   GET    /projects/{project}/diff?from&to             viewer            -> RunDiff
 *   GET    /projects/{project}/signoffs/pending?run&profile&spec  viewer  -> PendingList
 *   GET    /projects/{project}/signoffs/events?item     viewer            -> SignoffEventList
 *   POST   /projects/{project}/signoffs/approve         approver:<role>   Approve -> SignoffEvent (201)
 *   POST   /projects/{project}/signoffs/revoke          approver:<role>   Revoke -> SignoffEvent (201)
 *   GET    /projects/{project}/signoffs/attestations    viewer            -> AttestationList
 *   POST   /projects/{project}/signoffs/attestations    approver:<role> or runner
 *                                                                         UploadAttestation -> Attestation (201)
 *   GET    /projects/{project}/waivers?state            viewer            -> WaiverList
 *   POST   /projects/{project}/waivers                  runner, approver:*, admin
 *                                                                         RequestWaiver -> Waiver (201)
 *   GET    /projects/{project}/waivers/{id}             viewer            -> Waiver
 *   POST   /projects/{project}/waivers/{id}/approve     approver:* (not the requester)
 *                                                                         DecideWaiver -> Waiver
 *   POST   /projects/{project}/waivers/{id}/deny        approver:* (not the requester)
 *                                                                         DecideWaiver -> Waiver
 *   POST   /projects/{project}/waivers/{id}/revoke      approver:*, admin RevokeWaiver -> Waiver
 *   GET    /projects/{project}/tags                     viewer            -> TagList
 *   PUT    /projects/{project}/tags/{tag}               runner            SetTag -> Tag
 *   GET    /projects/{project}/baselines/last-pass?profile  viewer        -> Baseline (404: none)
 *   GET    /projects/{project}/baselines/tags/{tag}     viewer            -> Baseline (404: none)
 *   GET    /projects/{project}/model-versions?state     viewer            -> ModelVersionList
 *   POST   /hooks/mlflow?project                        MLflow (HMAC)     MLflow webhook -> HookAck
 *   GET    /audit?after&limit                           admin             -> AuditList
 *
 * `{run}` is a run number, `latest`, `last-pass`, or a tag name (as `mlgate show RUN`).
 * Auth: `Authorization: Bearer <token>`: an API token (mlgate server token create) or an OIDC
 * JWT from the configured issuer. The web page uses a cookie set by its login form instead.
 * /hooks/mlflow takes no token: MLflow signs each delivery with the shared webhook secret
 * (X-MLflow-Signature), and the route is off unless the server has that secret.
 * Server-side approve/revoke are events under the caller's identity; a server started with
 * --signing-key also signs each as a DSSE sign-off record (by = the caller) listed with the
 * attestations. For a role the project lists signers for, approve answers 409 unless that
 * server key is one of them.
 */
import { z } from 'zod';
import { RunReport } from '../../domain/run-report.js';

export const API_PREFIX = '/api/v1';

/** viewer < runner; approver:<spec role> signs for that role only; admin manages (and does not sign). */
export const ROLE_PATTERN = /^(viewer|runner|admin|approver:[A-Za-z0-9][A-Za-z0-9._-]*)$/;
export const Role = z
  .string()
  .regex(ROLE_PATTERN, 'expected viewer, runner, admin or approver:<spec role>')
  .describe('viewer, runner (CI: upload runs), approver:<spec role> (sign for that role), admin.');
export type Role = z.infer<typeof Role>;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const ProjectName = z
  .string()
  .regex(NAME_PATTERN, 'expected a name of letters, digits, ".", "_", "-" (at most 100)')
  .describe("The project's name: the `project.name` of its spec.");
export const ItemId = z.string().min(1).max(200);
const SpecRole = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a role id');
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const IsoTime = z.iso.datetime({ offset: true });
const Text = (max: number) => z.string().max(max);

/** RFC 9457 problem details: every error the API returns. */
export const Problem = z
  .object({
    type: z.string().describe('A URI naming the kind of problem (about:blank when the status says it all).'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    /** Where a request body or query was wrong, every problem at once. */
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .describe('RFC 9457 problem details.');
export type Problem = z.infer<typeof Problem>;

export const Health = z.object({ ok: z.literal(true), dialect: z.enum(['sqlite', 'postgres']) });
export const Whoami = z.object({
  name: z.string(),
  via: z.enum(['token', 'oidc', 'cookie']),
  roles: z.array(Role),
});

/** Public keys (PEM, ECDSA P-256 SPKI) that may sign for a spec role, as the spec's `signers`. */
export const SignersInput = z.record(
  SpecRole,
  z.object({ keys: z.array(Text(4096)).min(1).max(20), threshold: z.number().int().min(1).default(1) }),
);
export const SignersOutput = z.record(
  z.string(),
  z.object({ keyids: z.array(Sha256), threshold: z.number().int() }),
);

export const CreateProject = z.strictObject({ name: ProjectName, signers: SignersInput.optional() });
export const SetSigners = z.strictObject({ signers: SignersInput });
export const Project = z.object({
  name: z.string(),
  createdAt: z.string(),
  signers: SignersOutput.describe('Roles decided by signed attestations only, and their key ids.'),
  latestRun: z
    .object({
      id: z.number().int(),
      verdict: z.string(),
      startedAt: z.string(),
      profile: z.string().nullable(),
    })
    .nullable(),
});
export const ProjectList = z.object({ projects: z.array(Project) });

/** What a manual item requires, as the spec says: uploaded with each run, so the server knows who must act. */
export const ManualRequirement = z.object({
  roles: z.array(SpecRole).default([]),
  comment_required: z.boolean().default(false),
  evidence_required: z.boolean().default(false),
  renew_every: z.string().optional(),
});
export type ManualRequirement = z.infer<typeof ManualRequirement>;

export const MODEL_REGISTRIES = ['mlflow'] as const;
/** A model version in a registry, as `mlgate check --mlflow-model NAME/VERSION` names it. */
export const ModelVersionRef = z.strictObject({
  registry: z.enum(MODEL_REGISTRIES),
  name: z.string().min(1).max(500).describe("The registered model's name."),
  version: z
    .string()
    .regex(/^[0-9]{1,18}$/, 'expected a version number, as the registry numbers them')
    .describe('The version number, as a string.'),
});
export type ModelVersionRef = z.infer<typeof ModelVersionRef>;

export const UploadRun = z.strictObject({
  report: RunReport,
  manual: z
    .record(ItemId, ManualRequirement)
    .default({})
    .describe("Each manual item's requirements (the spec's `manual:` block), by item id."),
  modelVersion: ModelVersionRef.optional().describe(
    'The registry model version this run gates: the run becomes its latest gate (verdict, profile).',
  ),
});
export type UploadRun = z.infer<typeof UploadRun>;
export const RunCreated = z.object({
  id: z.number().int(),
  verdict: z.enum(['PASS', 'BLOCKED']),
  url: z.string(),
});

export const RunSummary = z.object({
  id: z.number().int(),
  startedAt: z.string(),
  profile: z.string().nullable(),
  verdict: z.string(),
  complete: z.boolean(),
  partial: z.boolean(),
  counts: z.record(z.string(), z.number()),
  artifacts: z.record(z.string(), z.string().nullable()),
  tags: z.array(z.string()),
  toolVersion: z.string(),
  uploadedBy: z.string().nullable(),
  problems: z.array(z.string()).describe('Where the stored row disagrees with its report (tampering).'),
});
export type RunSummary = z.infer<typeof RunSummary>;
export const RunList = z.object({ runs: z.array(RunSummary) });
export const RunDetail = z.object({ summary: RunSummary, report: RunReport });
export const ItemMeasured = z.object({
  runId: z.number().int(),
  status: z.string(),
  measured: z.record(z.string(), z.unknown()),
});

export const RunDiff = z.object({
  from: z.object({ run: z.number().int(), startedAt: z.string(), verdict: z.string() }),
  to: z.object({ run: z.number().int(), startedAt: z.string(), verdict: z.string() }),
  artifacts: z.array(z.object({ name: z.string(), from: z.string().nullable(), to: z.string().nullable() })),
  statuses: z.array(z.object({ item: z.string(), from: z.string().nullable(), to: z.string().nullable() })),
  measured: z.array(
    z.object({
      item: z.string(),
      key: z.string(),
      from: z.number(),
      to: z.number(),
      change: z.number(),
      relative: z.number().nullable(),
    }),
  ),
});

export const PendingSignoff = z.object({
  itemId: z.string(),
  title: z.string(),
  severity: z.string(),
  runId: z.number().int(),
  /** Roles that still must approve (who must act); empty roles list means "anyone with an approver role". */
  mustAct: z.array(z.string()),
  summary: z.string().describe('As the gate judges it now, with the server-side approvals.'),
  definitionDigest: z.string(),
  /** False when the run was uploaded without the item's requirements: it cannot be approved here. */
  approvable: z.boolean(),
  requirement: ManualRequirement.nullable(),
});
export type PendingSignoff = z.infer<typeof PendingSignoff>;
export const PendingList = z.object({
  project: z.string(),
  runId: z.number().int().nullable(),
  pending: z.array(PendingSignoff),
});

export const EvidenceRef = z.object({ ref: Text(2000).min(1), sha256: Sha256.optional() });
export const Approve = z.strictObject({
  runId: z
    .number()
    .int()
    .positive()
    .describe('The run the approver looked at: the approval binds to its digests.'),
  itemId: ItemId,
  role: SpecRole,
  comment: Text(10_000).optional(),
  evidence: EvidenceRef.optional(),
});
export const Revoke = z.strictObject({ itemId: ItemId, role: SpecRole, reason: Text(10_000).min(1) });

/** A sign-off event, as the local store folds them (store/signoffs.ts SignoffEvent). */
export const SignoffEvent = z.object({
  id: z.number().int(),
  at: z.string(),
  action: z.enum(['approve', 'revoke', 'waive', 'unwaive']),
  itemId: z.string(),
  role: z.string().nullable(),
  actor: z.string(),
  comment: z.string().nullable(),
  evidence: z.string().nullable(),
  evidenceSha256: z.string().nullable(),
  expiresAt: z.string().nullable(),
  definitionDigest: z.string().nullable(),
  specSha256: z.string().nullable(),
  artifacts: z.record(z.string(), z.object({ path: z.string(), sha256: z.string().nullable() })),
});
export type SignoffEventOut = z.infer<typeof SignoffEvent>;
export const SignoffEventList = z.object({ events: z.array(SignoffEvent) });

export const DsseEnvelope = z.object({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string().optional(), sig: z.string() })).min(1),
});
export const UploadAttestation = z.strictObject({ envelope: DsseEnvelope });
export const Attestation = z.object({
  id: z.number().int(),
  itemId: z.string(),
  action: z.string(),
  role: z.string().nullable(),
  keyid: z.string(),
  sha256: z.string().describe('sha256 of the envelope as stored (canonical JSON).'),
  uploadedBy: z.string(),
  at: z.string(),
  envelope: DsseEnvelope,
});
export const AttestationList = z.object({ attestations: z.array(Attestation) });

export const WAIVER_STATES = ['requested', 'approved', 'denied', 'revoked', 'expired'] as const;
export const RequestWaiver = z.strictObject({
  itemId: ItemId,
  runId: z
    .number()
    .int()
    .positive()
    .describe('The run whose failure is waived: the waiver binds to its digests.'),
  reason: Text(10_000).min(1),
  expires: IsoTime.describe('When the waiver ends (it must end).'),
});
export const DecideWaiver = z.strictObject({ comment: Text(10_000).optional() });
export const RevokeWaiver = z.strictObject({ reason: Text(10_000).min(1) });
export const Waiver = z.object({
  id: z.number().int(),
  itemId: z.string(),
  runId: z.number().int(),
  reason: z.string(),
  expires: z.string(),
  state: z.enum(WAIVER_STATES),
  requestedBy: z.string(),
  requestedAt: z.string(),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  decisionComment: z.string().nullable(),
  revokedBy: z.string().nullable(),
  revokedAt: z.string().nullable(),
  revokeReason: z.string().nullable(),
});
export type Waiver = z.infer<typeof Waiver>;
export const WaiverList = z.object({ waivers: z.array(Waiver) });

export const MODEL_VERSION_STATES = ['pending', 'gated'] as const;
export const ModelVersion = z.object({
  id: z.number().int(),
  registry: z.enum(MODEL_REGISTRIES),
  name: z.string(),
  version: z.string(),
  source: z.string().nullable().describe("Where the registry says the model lives (MLflow's source URI)."),
  registryRunId: z.string().nullable().describe("The registry's run that made it (MLflow's run_id)."),
  recordedAt: z.string(),
  recordedBy: z.string().describe('webhook:mlflow, or the caller whose run upload named it first.'),
  state: z.enum(MODEL_VERSION_STATES).describe('pending: no run has gated it yet; gated: see gate.'),
  gate: z
    .object({
      runId: z.number().int(),
      verdict: z.string(),
      profile: z.string().nullable(),
      /** A run of a selection (--only) judged only part of the spec: not a whole gate. */
      partial: z.boolean(),
      at: z.string(),
    })
    .nullable()
    .describe('The latest run uploaded for this version.'),
  gates: z.number().int().describe('How many runs were uploaded for it.'),
});
export type ModelVersion = z.infer<typeof ModelVersion>;
export const ModelVersionList = z.object({ modelVersions: z.array(ModelVersion) });

/** An MLflow model-registry webhook delivery (MLflow's payload; only model_version.created is acted on). */
export const MlflowWebhookPayload = z
  .object({
    entity: z.string(),
    action: z.string(),
    timestamp: z.string().optional(),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .describe(
    'Signed by MLflow: X-MLflow-Signature: v1,base64(HMAC-SHA256(secret, "{X-MLflow-Delivery-Id}.{X-MLflow-Timestamp}.{raw body}")).',
  );
export const HookAck = z.object({
  status: z
    .enum(['recorded', 'known', 'replayed', 'ignored'])
    .describe(
      'recorded: a new version pending a gate; known: the version was recorded before; replayed: this delivery was seen already; ignored: not an event mlgate acts on.',
    ),
  event: z.string(),
  project: z.string().nullable(),
  modelVersion: z.object({ name: z.string(), version: z.string() }).nullable(),
});

export const TagName = z.string().regex(/^[A-Za-z][A-Za-z0-9._-]{0,99}$/, 'a tag starts with a letter');
export const SetTag = z.strictObject({ runId: z.number().int().positive() });
export const Tag = z.object({ tag: z.string(), runId: z.number().int(), at: z.string(), actor: z.string() });
export const TagList = z.object({ tags: z.array(Tag) });

export const Baseline = z.object({ runId: z.number().int(), startedAt: z.string() });

export const AuditEvent = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  project: z.string().nullable(),
  target: z.string(),
  detail: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});
export const AuditList = z.object({ events: z.array(AuditEvent), next: z.number().int().nullable() });

const Limit = z.coerce.number().int().min(1).max(500).default(50);
export const RunListQuery = z.object({ limit: Limit, profile: z.string().optional() });
export const DiffQuery = z.object({ from: z.string().min(1), to: z.string().min(1) });
export const PendingQuery = z.object({
  run: z.string().default('latest'),
  profile: z.string().optional(),
  /** With run=latest: the latest run of this spec (its sha256). */
  spec: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export const EventsQuery = z.object({ item: z.string().optional() });
export const WaiverQuery = z.object({ state: z.enum(WAIVER_STATES).optional() });
export const BaselineQuery = z.object({ profile: z.string().optional() });
export const ModelVersionQuery = z.object({ state: z.enum(MODEL_VERSION_STATES).optional() });
export const HookQuery = z.object({
  project: ProjectName.optional().describe("The project to record in; default: the registered model's name."),
});
export const AuditQuery = z.object({ after: z.coerce.number().int().min(0).default(0), limit: Limit });

/**
 * Who may call a route: a fixed role, or a rule the handler applies on the body (approver:<role>);
 * `webhook`: no token, the sender's signature over the raw body (registered apart from the others).
 */
export type Access =
  'public' | 'any' | 'viewer' | 'runner' | 'admin' | 'approver' | 'waiver-request' | 'webhook';

export interface RouteSpec {
  operationId: string;
  method: 'GET' | 'POST' | 'PUT';
  /** Fastify style: /projects/:project */
  path: string;
  summary: string;
  access: Access;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  response: z.ZodType;
  status: 200 | 201;
}

const P = z.object({ project: ProjectName });
const PR = P.extend({ run: z.string() });

/** The route table: the server registers from it and the OpenAPI document is generated from it. */
export const ROUTES: readonly RouteSpec[] = [
  {
    operationId: 'health',
    method: 'GET',
    path: '/health',
    summary: 'Is the server up',
    access: 'public',
    response: Health,
    status: 200,
  },
  {
    operationId: 'whoami',
    method: 'GET',
    path: '/whoami',
    summary: 'The caller and its roles',
    access: 'any',
    response: Whoami,
    status: 200,
  },
  {
    operationId: 'listProjects',
    method: 'GET',
    path: '/projects',
    summary: 'Projects',
    access: 'viewer',
    response: ProjectList,
    status: 200,
  },
  {
    operationId: 'createProject',
    method: 'POST',
    path: '/projects',
    summary: 'Create a project',
    access: 'admin',
    body: CreateProject,
    response: Project,
    status: 201,
  },
  {
    operationId: 'getProject',
    method: 'GET',
    path: '/projects/:project',
    summary: 'One project',
    access: 'viewer',
    params: P,
    response: Project,
    status: 200,
  },
  {
    operationId: 'setSigners',
    method: 'PUT',
    path: '/projects/:project/signers',
    summary: "Replace the project's signers",
    access: 'admin',
    params: P,
    body: SetSigners,
    response: Project,
    status: 200,
  },
  {
    operationId: 'listRuns',
    method: 'GET',
    path: '/projects/:project/runs',
    summary: 'Runs, newest first',
    access: 'viewer',
    params: P,
    query: RunListQuery,
    response: RunList,
    status: 200,
  },
  {
    operationId: 'uploadRun',
    method: 'POST',
    path: '/projects/:project/runs',
    summary: 'Upload a run report',
    access: 'runner',
    params: P,
    body: UploadRun,
    response: RunCreated,
    status: 201,
  },
  {
    operationId: 'getRun',
    method: 'GET',
    path: '/projects/:project/runs/:run',
    summary: 'One run with its report',
    access: 'viewer',
    params: PR,
    response: RunDetail,
    status: 200,
  },
  {
    operationId: 'getRunItem',
    method: 'GET',
    path: '/projects/:project/runs/:run/items/:item',
    summary: "An item's measured values in a run",
    access: 'viewer',
    params: PR.extend({ item: z.string() }),
    response: ItemMeasured,
    status: 200,
  },
  {
    operationId: 'diffRuns',
    method: 'GET',
    path: '/projects/:project/diff',
    summary: 'What changed between two runs',
    access: 'viewer',
    params: P,
    query: DiffQuery,
    response: RunDiff,
    status: 200,
  },
  {
    operationId: 'listPending',
    method: 'GET',
    path: '/projects/:project/signoffs/pending',
    summary: 'Sign-offs still pending in a run, and who must act',
    access: 'viewer',
    params: P,
    query: PendingQuery,
    response: PendingList,
    status: 200,
  },
  {
    operationId: 'listSignoffEvents',
    method: 'GET',
    path: '/projects/:project/signoffs/events',
    summary: 'Every sign-off event, oldest first',
    access: 'viewer',
    params: P,
    query: EventsQuery,
    response: SignoffEventList,
    status: 200,
  },
  {
    operationId: 'approve',
    method: 'POST',
    path: '/projects/:project/signoffs/approve',
    summary: "Approve with the caller's identity",
    access: 'approver',
    params: P,
    body: Approve,
    response: SignoffEvent,
    status: 201,
  },
  {
    operationId: 'revoke',
    method: 'POST',
    path: '/projects/:project/signoffs/revoke',
    summary: 'Withdraw an approval',
    access: 'approver',
    params: P,
    body: Revoke,
    response: SignoffEvent,
    status: 201,
  },
  {
    operationId: 'listAttestations',
    method: 'GET',
    path: '/projects/:project/signoffs/attestations',
    summary: 'Signed sign-offs (DSSE)',
    access: 'viewer',
    params: P,
    response: AttestationList,
    status: 200,
  },
  {
    operationId: 'uploadAttestation',
    method: 'POST',
    path: '/projects/:project/signoffs/attestations',
    summary: "Record a signed sign-off, verified against the project's signers",
    access: 'approver',
    params: P,
    body: UploadAttestation,
    response: Attestation,
    status: 201,
  },
  {
    operationId: 'listWaivers',
    method: 'GET',
    path: '/projects/:project/waivers',
    summary: 'Waivers',
    access: 'viewer',
    params: P,
    query: WaiverQuery,
    response: WaiverList,
    status: 200,
  },
  {
    operationId: 'requestWaiver',
    method: 'POST',
    path: '/projects/:project/waivers',
    summary: 'Request a waiver',
    access: 'waiver-request',
    params: P,
    body: RequestWaiver,
    response: Waiver,
    status: 201,
  },
  {
    operationId: 'getWaiver',
    method: 'GET',
    path: '/projects/:project/waivers/:id',
    summary: 'One waiver',
    access: 'viewer',
    params: P.extend({ id: z.coerce.number().int() }),
    response: Waiver,
    status: 200,
  },
  {
    operationId: 'approveWaiver',
    method: 'POST',
    path: '/projects/:project/waivers/:id/approve',
    summary: 'Approve a requested waiver (not your own)',
    access: 'approver',
    params: P.extend({ id: z.coerce.number().int() }),
    body: DecideWaiver,
    response: Waiver,
    status: 200,
  },
  {
    operationId: 'denyWaiver',
    method: 'POST',
    path: '/projects/:project/waivers/:id/deny',
    summary: 'Deny a requested waiver',
    access: 'approver',
    params: P.extend({ id: z.coerce.number().int() }),
    body: DecideWaiver,
    response: Waiver,
    status: 200,
  },
  {
    operationId: 'revokeWaiver',
    method: 'POST',
    path: '/projects/:project/waivers/:id/revoke',
    summary: 'Revoke an approved waiver',
    access: 'approver',
    params: P.extend({ id: z.coerce.number().int() }),
    body: RevokeWaiver,
    response: Waiver,
    status: 200,
  },
  {
    operationId: 'listTags',
    method: 'GET',
    path: '/projects/:project/tags',
    summary: 'Tags and the runs they name',
    access: 'viewer',
    params: P,
    response: TagList,
    status: 200,
  },
  {
    operationId: 'setTag',
    method: 'PUT',
    path: '/projects/:project/tags/:tag',
    summary: 'Point a tag at a run',
    access: 'runner',
    params: P.extend({ tag: TagName }),
    body: SetTag,
    response: Tag,
    status: 200,
  },
  {
    operationId: 'baselineLastPass',
    method: 'GET',
    path: '/projects/:project/baselines/last-pass',
    summary: 'The latest complete, whole PASS run',
    access: 'viewer',
    params: P,
    query: BaselineQuery,
    response: Baseline,
    status: 200,
  },
  {
    operationId: 'baselineTag',
    method: 'GET',
    path: '/projects/:project/baselines/tags/:tag',
    summary: 'The run a tag names',
    access: 'viewer',
    params: P.extend({ tag: z.string() }),
    response: Baseline,
    status: 200,
  },
  {
    operationId: 'listModelVersions',
    method: 'GET',
    path: '/projects/:project/model-versions',
    summary: 'Registry model versions: pending a gate, or gated by their latest run',
    access: 'viewer',
    params: P,
    query: ModelVersionQuery,
    response: ModelVersionList,
    status: 200,
  },
  {
    operationId: 'mlflowWebhook',
    method: 'POST',
    path: '/hooks/mlflow',
    summary: "MLflow's model-registry webhook: records a created model version as pending a gate",
    access: 'webhook',
    query: HookQuery,
    body: MlflowWebhookPayload,
    response: HookAck,
    status: 200,
  },
  {
    operationId: 'listAudit',
    method: 'GET',
    path: '/audit',
    summary: 'The audit log, oldest first',
    access: 'admin',
    query: AuditQuery,
    response: AuditList,
    status: 200,
  },
];
