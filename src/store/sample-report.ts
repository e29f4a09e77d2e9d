/**
 * For tests and the benchmark: a run report as `mlgate check` writes it, with N check items
 * and optionally a manual item pending sign-off. Validated by the report schema.
 */
import { RunReport } from '../domain/run-report.js';

export interface SampleOptions {
  project?: string;
  items?: number;
  verdict?: 'PASS' | 'BLOCKED';
  profile?: string | null;
  /** A manual item `approve-release` pending sign-off by these roles (the verdict is then BLOCKED). */
  pendingRoles?: string[];
  startedAt?: string;
  /** Digest of the model artifact (changing it makes approvals stale). */
  modelSha256?: string;
  value?: number;
}

export const MANUAL_ITEM = 'approve-release';

export function sampleReport(options: SampleOptions = {}): RunReport {
  const count = options.items ?? 3;
  const pending = options.pendingRoles !== undefined;
  const verdict = pending ? 'BLOCKED' : (options.verdict ?? 'PASS');
  const items = Array.from({ length: count }, (_, i) => ({
    id: `item-${i}`,
    sectionPath: ['Checks'],
    title: `Item ${i}`,
    severity: 'required',
    kind: 'file',
    applicable: true,
    status: verdict === 'BLOCKED' && !pending && i === 0 ? 'fail' : 'pass',
    summary: `item ${i} is fine`,
    measured: { value: (options.value ?? 0.9) + i / 1000 },
    definitionDigest: 'b'.repeat(64),
    durationMs: 1,
  }));
  if (pending)
    items.push({
      id: MANUAL_ITEM,
      sectionPath: ['Sign-off'],
      title: 'Release manager approves',
      severity: 'required',
      kind: 'manual',
      applicable: true,
      status: 'pending',
      summary: `awaiting sign-off by ${options.pendingRoles!.join(', ')}`,
      measured: {},
      definitionDigest: 'c'.repeat(64),
      durationMs: 0,
    } as (typeof items)[number]);
  const statusCount = (status: string) => items.filter((item) => item.status === status).length;
  return RunReport.parse({
    schemaVersion: 1,
    tool: { name: 'mlgate', version: 'test' },
    project: { name: options.project ?? 'fraud-model' },
    spec: { path: 'mlgate.yaml', sha256: 'a'.repeat(64) },
    root: '/p',
    profile: options.profile ?? null,
    selection: null,
    startedAt: options.startedAt ?? '2026-01-01T00:00:00.000Z',
    finishedAt: options.startedAt ?? '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
    complete: true,
    verdict: {
      status: verdict,
      warnings: 0,
      waived: 0,
      blocking: items
        .filter((item) => item.status !== 'pass')
        .map((item) => ({
          itemId: item.id,
          severity: 'required',
          status: item.status,
          message: item.summary,
        })),
      warningReasons: [],
    },
    counts: {
      total: items.length,
      pass: statusCount('pass'),
      fail: statusCount('fail'),
      error: 0,
      skip: 0,
      pending: statusCount('pending'),
      waived: 0,
      notApplicable: 0,
    },
    sections: [],
    artifacts: [
      {
        name: 'model',
        path: 'model.onnx',
        required: true,
        sha256: options.modelSha256 ?? 'e'.repeat(64),
        size: 10,
      },
    ],
    items,
  });
}
