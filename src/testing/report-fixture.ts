/**
 * A run report with one of everything a renderer must handle: every status, every evidence
 * type, the pictures' data, sign-offs, a waiver, a reason that belongs to no item, and text
 * that is markup in some format (`|`, `<script>`, `&`, a control character). Validated
 * against the report schema, so it cannot drift from what `check` writes.
 */
import { computeMlTestScore } from '../report/ml-test-score.js';
import { type ItemResult, RunReport } from '../domain/run-report.js';

const digest = (c: string) => c.repeat(64);

function item(partial: Partial<ItemResult> & Pick<ItemResult, 'id' | 'status'>): ItemResult {
  return {
    sectionPath: ['Model quality'],
    title: `Title of ${partial.id}`,
    severity: 'required',
    kind: 'predictions',
    applicable: true,
    summary: `summary of ${partial.id}`,
    measured: {},
    threshold: {},
    evidence: [],
    needs: [],
    definitionDigest: digest('d'),
    durationMs: 12,
    specLine: 10,
    ...partial,
  };
}

export function fixtureReport(): RunReport {
  const items: ItemResult[] = [
    item({
      id: 'test-accuracy',
      status: 'fail',
      title: 'Test accuracy ≥ 97% | F1 <script>alert(1)</script>',
      summary: 'accuracy = 0.961111 fails >= 0.97',
      measured: { accuracy: 0.961111, f1_macro: 0.960888, rows: 360 },
      threshold: { accuracy: '>= 0.97' },
      remediation: 'Return to training & re-evaluate the target.',
      specLine: 12,
      tags: ['ml-test-score:infrastructure-4'],
      evidence: [
        { type: 'file', path: 'data/predictions_test.csv', size: 80569, sha256: digest('a') },
        {
          type: 'table',
          title: 'confusion matrix',
          columns: ['true \\ predicted', 'cat', 'dog'],
          rows: [
            ['cat', 170, 10],
            ['dog', 4, 176],
          ],
        },
        {
          type: 'data',
          title: 'confusion matrix',
          name: 'confusion-matrix',
          data: {
            classes: ['cat', 'dog'],
            counts: [
              [170, 10],
              [4, 176],
            ],
          },
        },
        {
          type: 'data',
          title: 'reliability diagram',
          name: 'reliability',
          data: [
            { lower: 0.5, upper: 0.75, count: 40, accuracy: 0.6, confidence: 0.65 },
            { lower: 0.75, upper: 1, count: 320, accuracy: 0.97, confidence: 0.93 },
            { lower: 0, upper: 0.5, count: 0, accuracy: null, confidence: null },
          ],
        },
      ],
    }),
    item({
      id: 'calibration',
      status: 'pass',
      severity: 'recommended',
      summary: 'ece = 0.021 passes < 0.05',
      measured: { ece: 0.021 },
      threshold: { ece: '< 0.05' },
      tags: ['ml-test-score:model-6'],
    }),
    item({
      id: 'reported-f1',
      status: 'pass',
      kind: 'metric',
      source: 'reported',
      summary: 'metrics.json: test.f1 = 0.95 passes >= 0.9',
      measured: { 'test.f1': 0.95 },
      threshold: { 'test.f1': '>= 0.9' },
      evidence: [{ type: 'location', path: 'metrics.json', line: 4, excerpt: '"f1": 0.95' }],
    }),
    item({
      id: 'onnx-latency',
      sectionPath: ['Model quality', 'Exported model'],
      status: 'error',
      kind: 'onnx-model',
      summary: 'model/model.onnx: cannot load: protobuf parsing failed',
      evidence: [
        {
          type: 'data',
          title: 'latency samples (ms)',
          name: 'latency',
          data: [{ batchSize: 1, samples: [1.1, 1.2, 1.3, 1.2, 1.25, 5, 1.15, 1.22] }],
        },
      ],
    }),
    item({
      id: 'dockerfile',
      sectionPath: ['Packaging'],
      status: 'fail',
      kind: 'dockerfile',
      summary: 'Dockerfile: 2 findings',
      remediation: 'Add USER app and a HEALTHCHECK.',
      evidence: [
        {
          type: 'finding',
          rule: 'dockerfile/non-root-user',
          level: 'error',
          message: 'the final stage never sets USER, so the image runs as root',
          location: { path: 'Dockerfile', line: 2, column: 1 },
          excerpt: 'FROM node:latest',
          fix: 'add USER app after installing',
        },
        {
          type: 'finding',
          rule: 'dockerfile/healthcheck',
          level: 'warning',
          message: 'no HEALTHCHECK',
          location: { path: 'Dockerfile', line: 9 },
        },
        {
          type: 'finding',
          rule: 'dockerfile/pinned-base',
          level: 'error',
          message: 'base image uses :latest',
          location: { path: 'Dockerfile', line: 1 },
          ignored: { reason: 'dev image only', source: 'inline' },
        },
      ],
    }),
    item({
      id: 'service-tests',
      sectionPath: ['Packaging'],
      status: 'fail',
      kind: 'command',
      severity: 'recommended',
      summary: '`npm test` exited 1 (expected 0)',
      evidence: [
        {
          type: 'output',
          command: 'npm test',
          exitCode: 1,
          stdoutTail: 'not ok 3 - predicts a batch\n```\nnested fence',
          stderrTail: 'Error: \u0007bell',
          truncated: false,
        },
      ],
    }),
    item({
      id: 'service-health',
      sectionPath: ['Service'],
      status: 'pass',
      kind: 'http',
      summary: 'GET /health: 200',
      tags: ['ml-test-score:infrastructure-5'],
      evidence: [
        {
          type: 'http',
          request: { method: 'GET', url: 'http://127.0.0.1:8080/health', headers: {} },
          response: { status: 200, headers: {}, body: '{"status":"healthy"}', bytes: 20, truncated: false },
          durationMs: 3,
        },
      ],
    }),
    item({
      id: 'service-latency',
      sectionPath: ['Service'],
      status: 'waived',
      kind: 'load',
      summary: 'waived: p(95) 140 ms >= 100ms',
      measured: { p95_ms: 140 },
      threshold: { p95_ms: '< 100ms' },
      waiver: {
        by: 'Jane Doe',
        at: '2026-11-20T10:00:00.000Z',
        reason: 'new GPU nodes arrive next week',
        expires: '2026-12-01T00:00:00.000Z',
        state: 'applied',
        waivedStatus: 'fail',
        waivedSummary: 'p(95) 140 ms >= 100ms',
        definitionDigest: digest('d'),
        artifacts: {},
      },
      evidence: [
        {
          type: 'data',
          title: 'latency and throughput per second',
          name: 'load-timeseries',
          data: {
            columns: ['t', 'requests', 'errors', 'p50_ms', 'p99_ms', 'max_ms'],
            rows: [
              [0, 180, 0, 40, 150, 160],
              [1, 210, 1, 42, 140, 170],
              [2, 205, 0, null, null, null],
            ],
          },
        },
        {
          type: 'data',
          title: 'latency distribution',
          name: 'latency-percentiles',
          data: [
            [0, 20],
            [50, 41],
            [90, 90],
            [99, 145],
            [99.9, 158],
          ],
        },
      ],
    }),
    item({
      id: 'tech-lead',
      sectionPath: ['Sign-off'],
      status: 'pending',
      kind: 'manual',
      summary: 'awaiting sign-off by technical-lead (the approval by Jane Doe is stale)',
      approvals: [
        {
          role: 'technical-lead',
          by: 'Jane Doe',
          at: '2026-11-20T10:00:00.000Z',
          comment: 'looks good',
          state: 'stale',
          reason: 'model.onnx changed since Jane Doe approved on 2026-11-20',
          definitionDigest: digest('d'),
          artifacts: { model: { path: 'model/model.onnx', sha256: digest('e') } },
        },
      ],
      tags: ['ml-test-score:model-1'],
    }),
    item({
      id: 'product-owner',
      sectionPath: ['Sign-off'],
      status: 'pass',
      kind: 'manual',
      summary: 'approved by product-owner',
      approvals: [
        {
          role: 'product-owner',
          by: 'Sam Roe',
          at: '2026-11-21T09:00:00.000Z',
          state: 'current',
          definitionDigest: digest('d'),
          artifacts: {},
        },
      ],
      tags: ['ml-test-score:data-1'],
    }),
    item({
      id: 'canary',
      sectionPath: ['Sign-off'],
      status: 'skip',
      applicable: false,
      kind: 'manual',
      summary: 'not applicable to profile dev',
    }),
  ];
  const count = (status: string) => items.filter((i) => i.applicable && i.status === status).length;
  const counts = {
    total: items.length,
    pass: count('pass'),
    fail: count('fail'),
    error: count('error'),
    skip: count('skip'),
    pending: count('pending'),
    waived: count('waived'),
    notApplicable: items.filter((i) => !i.applicable).length,
  };
  return RunReport.parse({
    schemaVersion: 1,
    runId: 7,
    tool: { name: 'mlgate', version: '0.1.0' },
    project: { name: 'cats & dogs', model: { name: 'resnet', version: '2.0.0' } },
    spec: { path: 'project/mlgate.yaml', sha256: digest('f') },
    root: '/repo/project',
    profile: 'dev',
    selection: null,
    startedAt: '2026-11-22T10:00:00.000Z',
    finishedAt: '2026-11-22T10:00:09.000Z',
    durationMs: 9000,
    complete: true,
    verdict: {
      status: 'BLOCKED',
      warnings: 1,
      waived: 1,
      blocking: [
        {
          itemId: 'test-accuracy',
          severity: 'required',
          status: 'fail',
          message: 'accuracy = 0.961111 fails >= 0.97',
        },
        { itemId: 'onnx-latency', severity: 'required', status: 'error', message: 'cannot load the model' },
        { itemId: 'dockerfile', severity: 'required', status: 'fail', message: 'Dockerfile: 2 findings' },
        { itemId: 'tech-lead', severity: 'required', status: 'pending', message: 'awaiting sign-off' },
        {
          itemId: null,
          severity: null,
          status: 'artifact missing',
          message: 'artifact model (model/model.onnx) is missing',
        },
      ],
      warningReasons: [
        { itemId: 'service-tests', severity: 'recommended', status: 'fail', message: '`npm test` exited 1' },
      ],
    },
    counts,
    sections: [
      { path: ['Model quality'], counts: { ...counts, total: 4 } },
      { path: ['Model quality', 'Exported model'], counts: { ...counts, total: 1 } },
      { path: ['Packaging'], counts: { ...counts, total: 2 } },
      { path: ['Service'], counts: { ...counts, total: 2 } },
      { path: ['Sign-off'], counts: { ...counts, total: 3 } },
    ],
    artifacts: [
      { name: 'model', path: 'model/model.onnx', required: true, sha256: null, size: null, error: 'missing' },
      {
        name: 'predictions',
        path: 'data/predictions_test.csv',
        required: true,
        sha256: digest('a'),
        size: 80569,
      },
    ],
    items,
    mlTestScore: computeMlTestScore(items),
  });
}
