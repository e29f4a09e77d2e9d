/**
 * Mappings where a wrong kind would give a confident wrong verdict: each with the words that
 * must map and the look-alike words that must not.
 */
import { describe, expect, test } from 'vitest';
import { mapItem } from './mapping.js';
import { parseChecklist } from './parse.js';

function mapped(line: string) {
  const [item] = parseChecklist(`## Section\n- [ ] ${line}\n`).items;
  return mapItem(item!);
}

describe('file or endpoint', () => {
  test('a file whose name says health is a file to find, not an endpoint to GET', () => {
    expect(mapped('`src/health.py` exists')).toMatchObject({
      kind: 'file',
      params: { path: 'src/health.py' },
    });
    expect(mapped('Health check module `app/healthz.py` included')).toMatchObject({ kind: 'file' });
    expect(mapped('Health handler written in src/health.py')).toMatchObject({ kind: 'manual' });
  });

  test('folders named in code are files too', () => {
    expect(mapped('`tests/` folder exists')).toMatchObject({ kind: 'file', params: { path: 'tests/' } });
  });

  test('endpoints are probed at the path the words name', () => {
    expect(mapped('`/health` returns 200')).toMatchObject({ kind: 'http', params: { path: '/health' } });
    expect(mapped('GET /healthz answers')).toMatchObject({ kind: 'http', params: { path: '/healthz' } });
    expect(mapped('http://localhost:8080/ping responds')).toMatchObject({
      kind: 'http',
      params: { path: '/ping' },
    });
    expect(mapped('Health endpoint at /health.')).toMatchObject({
      kind: 'http',
      params: { path: '/health' },
    });
  });
});

describe('who signs', () => {
  test.each([
    ['Technical Lead approves', 'technical-lead'],
    ['Security approval', 'security'],
    ['Product Owner approval obtained', 'product-owner'],
    ['Approved by: the Tech Lead', 'tech-lead'],
    ['Sign-off: QA', 'qa'],
    ['ML Lead sign-off', 'ml-lead'],
  ])('"%s" is a sign-off by %s', (title, role) => {
    expect(mapped(title)).toMatchObject({ kind: 'manual', roles: [role] });
  });

  test('words about approvals that name no signer stay plain manual items', () => {
    expect(mapped('Approval workflow for model releases documented in the wiki')).toMatchObject({
      kind: 'manual',
      roles: [],
    });
  });
});

/** [words, kind, params it must have] and the look-alikes that must stay manual (or map elsewhere). */
const POSITIVE: Array<[string, string, Record<string, unknown>?]> = [
  ['Resource requests and limits set on every pod', 'kubernetes', { rules: ['kubernetes/resources'] }],
  ['HPA configured for the API', 'kubernetes', { rules: ['kubernetes/hpa'] }],
  ['PodDisruptionBudget defined', 'kubernetes', { rules: ['kubernetes/pdb'] }],
  ['NetworkPolicy restricts ingress to the API', 'kubernetes', { rules: ['kubernetes/network-policy'] }],
  ['readOnlyRootFilesystem enabled', 'kubernetes', { rules: ['kubernetes/read-only-root-fs'] }],
  ['Pods drop all capabilities', 'kubernetes', { rules: ['kubernetes/drop-capabilities'] }],
  ['runAsNonRoot set', 'kubernetes', { rules: ['kubernetes/run-as-non-root'] }],
  ['Liveness probes configured', 'kubernetes', { rules: ['kubernetes/liveness-probe'] }],
  [
    'Startup probes configured',
    'kubernetes',
    { require_probes: ['startup'], rules: ['kubernetes/startup-probe'] },
  ],
  ['Kubernetes manifests reviewed', 'kubernetes', { paths: 'k8s/' }],
  ['Docker Compose health checks configured', 'compose', { rules: ['compose/healthcheck'] }],
  ['Non-root user configured in the Dockerfile', 'dockerfile', { rules: ['dockerfile/non-root-user'] }],
  ['Multi-stage build used', 'dockerfile', { rules: ['dockerfile/multi-stage'] }],
  ['`.dockerignore` excludes data and secrets', 'dockerfile', { rules: ['dockerfile/dockerignore'] }],
  ['Dockerfile reviewed and optimized', 'dockerfile', { path: 'Dockerfile' }],
  ['No hardcoded credentials', 'secrets'],
  ['Secrets not in code or configs', 'secrets'],
  ['`/ping` returns 200', 'http', { path: '/ping' }],
  ['/health returns UP', 'http', { expect: { status: 200, body_matches: '\\bUP\\b' } }],
  ['SageMaker `/invocations` answers', 'http', { method: 'POST', path: '/invocations' }],
  ['Restrict API access with authentication/token', 'http', { expect: { status: [401, 403] } }],
  ['Invalid input handled', 'http', { expect: { status: '4xx' } }],
  ['Inference API tested with sample inputs', 'http', { expect: { status: '2xx' } }],
  ['Graceful shutdown within 30 s', 'service-shutdown', { within: '30s' }],
  ['Model file < 500 MB', 'file', { path: 'model.onnx', max_size: '500 MB' }],
  ['`make lint` passes', 'command', { run: 'make lint' }],
  ['`npm run lint` is clean', 'command', { run: 'npm run lint' }],
  [
    'Set strong JWT_SECRET (min 32 characters)',
    'env-file',
    { environment: 'process', secret_min_length: 32 },
  ],
  ['Change default JWT_SECRET', 'env-file', { environment: 'process' }],
  ['Organize training data in data/train/', 'file', { path: 'data/train/' }],
];

const NEGATIVE: string[] = [
  'Configure resource limits (CPU, memory)', // no Kubernetes or compose context: which limits?
  'Autoscaling strategy discussed with the team', // "autoscaling" without a Kubernetes context
  'Authentication flow works end-to-end', // a user journey, not "refused without credentials"
  'Document model performance in models/model_card.yaml', // a file existing is not the content
  'Set LOG_LEVEL=WARNING for production', // a value, not a secret
  'Model size reviewed', // size without a limit
  'Restart the server after deploying',
];

describe('each mapping: words that map and words that must not', () => {
  test.each(POSITIVE)('"%s" → %s', (words, kind, params) => {
    const mapping = mapped(words);
    expect(mapping.kind).toBe(kind);
    if (params) expect(mapping).toMatchObject({ params });
  });

  test('Docker Compose named only in the heading still maps to the compose file', () => {
    const [item] = parseChecklist('## Docker Compose\n- [ ] Restart policies set\n').items;
    expect(mapItem(item!)).toMatchObject({ kind: 'compose', params: { rules: ['compose/restart-policy'] } });
  });

  test('latency under a post-deployment heading is the service under load', () => {
    const [item] = parseChecklist('## Post-deployment\n- [ ] Inference latency p95 < 200ms\n').items;
    expect(mapItem(item!)).toMatchObject({
      kind: 'load',
      params: { thresholds: ['p(95) < 200ms', 'error_rate < 1%'] },
    });
  });

  test.each(NEGATIVE)('"%s" stays a sign-off', (words) => {
    expect(mapped(words).kind).toBe('manual');
  });
});

describe('mappings found wrong or missing on the checklist corpus', () => {
  test.each([
    [
      'No shared endpoints between liveness and readiness probes',
      'kubernetes',
      { rules: ['kubernetes/liveness-probe', 'kubernetes/probes-identical', 'kubernetes/readiness-probe'] },
    ],
    [
      'Deploy multiple replicas using Deployments',
      'kubernetes',
      { min_replicas: 2, rules: ['kubernetes/replicas'] },
    ],
    [
      'Respond with 406 Not Acceptable when the Accept header is not supported',
      'http',
      { expect: { status: 406 } },
    ],
    [
      'Use the proper method and respond with 405 Method Not Allowed otherwise',
      'http',
      { expect: { status: 405 } },
    ],
    [
      'Send X-Frame-Options: deny header.',
      'http',
      { expect: { headers: { 'X-Frame-Options': '^(?:deny|DENY)$' } } },
    ],
    [
      'Remove fingerprinting headers - X-Powered-By, Server',
      'http',
      { expect: { headers_absent: ['x-powered-by', 'server'] } },
    ],
    ['Health check passing', 'http', { path: '/health', expect: { status: 200 } }],
    ['All unit tests pass', 'test-results', { max_skipped: 0 }],
    [
      'Access to the model is secured and requires authentication',
      'http',
      { expect: { status: [401, 403] } },
    ],
    ['Never commit secrets to version control', 'secrets'],
    ['Model returns results', 'http', { expect: { status: '2xx' } }],
  ] as Array<[string, string, Record<string, unknown>?]>)('"%s" → %s', (words, kind, params) => {
    const mapping = mapped(words);
    expect(mapping.kind).toBe(kind);
    if (params) expect(mapping).toMatchObject({ params });
  });

  test('a model card takes its required sections from the bullets', () => {
    const [item] = parseChecklist(
      '## Docs\n- [ ] **Model card created**\n  - Training data described\n  - Limitations listed\n',
    ).items;
    expect(mapItem(item!)).toMatchObject({
      kind: 'docs',
      params: { headings: ['Training data', 'Limitations'], non_empty: true },
    });
  });

  test('Kubernetes words under a document titled Kubernetes map without a Kubernetes heading', () => {
    const [item] = parseChecklist(
      '# Kubernetes Best Practices\n## Security\n- [ ] Disable privileged containers\n',
    ).items;
    expect(mapItem(item!)).toMatchObject({
      kind: 'kubernetes',
      params: { rules: ['kubernetes/privileged'] },
    });
  });

  test('an expected output in the verification block is what the command must print', () => {
    const [item] = parseChecklist(
      '## Eval\n- [ ] **Inference Test**\n  ```bash\n  python3 evaluate.py\n  # Expected output:\n  # Overall Accuracy: 78.43%\n  ```\n',
    ).items;
    expect(mapItem(item!)).toMatchObject({
      kind: 'command',
      params: { stdout_matches: ['Overall Accuracy: 78\\.43%'] },
    });
  });

  test.each([
    'Avoid Vertical Pod Autoscaler (VPA) in production',
    'Consider disabling CPU limits unless required',
    'Configure CPU requests ≤ 1 for most workloads',
    'Validate user input to avoid common vulnerabilities (e.g., XSS, SQL-Injection)',
    'Validate all requests even from internal services',
    'Comprehensive tests passing',
    'Load testing completed',
    'Return the proper status code (e.g., 200 OK, 400 Bad Request, 405 Method Not Allowed)',
  ])('"%s" stays a sign-off', (words) => {
    expect(mapped(`${words}`).kind).toBe('manual');
  });

  test('a sub-bullet does not decide the title: "Adversarial robustness" with "Input validation"', () => {
    const [item] = parseChecklist(
      '## Security\n- [ ] **Adversarial robustness**\n  - Input validation implemented\n',
    ).items;
    expect(mapItem(item!).kind).toBe('manual');
  });

  test('a block of plain curls asking a person to look is a sign-off, not an exit code', () => {
    const [item] = parseChecklist(
      '## API\n- [ ] **Model Info Endpoint**\n  ```bash\n  curl http://localhost:5000/info\n  # Verify accuracy metrics are correct\n  ```\n',
    ).items;
    expect(mapItem(item!).kind).toBe('manual');
  });
});

describe('words that passed while false (attacker pass)', () => {
  test.each([
    'No `debug.log` file present in the image',
    'Model weights `model.onnx` stored encrypted at rest',
    'Backups of `db.sqlite` saved to S3 daily',
    'Alerts fire when `/healthz` fails',
    '`/health` does not expose version info',
    'Health check passing on all 3 replicas in prod',
    'Accuracy drop < 2% compared to the previous model',
    'Test coverage for src/payments > 90%',
    'Error rate < 0.1% in production over 7 days',
  ])('"%s" stays a sign-off', (words) => {
    expect(mapped(words).kind).toBe('manual');
  });

  test('"No `debug.log` committed" is a file that must not exist', () => {
    expect(mapped('No `debug.log` committed')).toMatchObject({
      kind: 'file',
      params: { path: 'debug.log', exists: false },
    });
  });

  test('a latency at a request rate is the service under load, not one inference', () => {
    expect(mapped('p95 latency < 50ms at 1000 rps')).toMatchObject({ kind: 'load' });
  });
});

describe('second attacker pass', () => {
  test.each([
    'Coverage > 85% for src/payments',
    'Rate limiting on `/predict` rejects more than 100 requests per minute',
    'Accuracy ≥ 80% on the holdout set for every demographic group',
    'Rollback tested: `/health` returns 200 after rolling back',
  ])('"%s" stays a sign-off', (words) => {
    expect(mapped(words).kind).toBe('manual');
  });
});
