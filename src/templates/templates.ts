/**
 * Built-in spec templates, from the families of items in real deployment checklists, plus
 * Google's ML Test Score rubric. A template item is a check when `mlgate init` found the
 * file it needs, and a manual sign-off otherwise: never a check pointed at nothing.
 */
import { ML_TEST_SCORE_TAG } from '../report/ml-test-score.js';
import type { Detected } from './detect.js';

export interface TemplateItem {
  id: string;
  title: string;
  severity?: 'required' | 'recommended' | 'optional';
  check?: Record<string, unknown>;
  manual?: { roles?: string[]; instructions?: string };
  remediation?: string;
  tags?: string[];
  /** For the spec's comment: what to adjust. */
  todo?: string;
}

export interface TemplateSection {
  id: string;
  title: string;
  items: TemplateItem[];
}

export interface Template {
  name: string;
  description: string;
  /** Chosen by `init` without --template when this returns true. */
  byDefault: (found: Detected) => boolean;
  build: (found: Detected) => TemplateSection[];
  /** Needs a service: section. */
  service?: boolean;
}

const manual = (id: string, title: string, extra: Partial<TemplateItem> = {}): TemplateItem => ({
  id,
  title,
  manual: {},
  ...extra,
});

const modelQuality: Template = {
  name: 'model-quality',
  description: 'Test-set metrics recomputed from predictions, calibration, the exported model',
  byDefault: () => true,
  build: (found) => [
    {
      id: 'model-quality',
      title: 'Model quality',
      items: [
        found.predictions
          ? {
              id: 'test-accuracy',
              title: 'Test accuracy meets the target',
              check: {
                kind: 'predictions',
                file: found.predictions,
                thresholds: { accuracy: '>= 0.9', f1_macro: '>= 0.9' },
              },
              todo: "your team's targets (0.9 is a placeholder)",
              remediation:
                'The model does not meet the requirement: return to training, or re-evaluate the target with stakeholder approval.',
            }
          : manual('test-accuracy', 'Test accuracy meets the target on the held-out test set', {
              todo: 'save the test predictions (label, pred, prob_*) and make this a predictions check',
            }),
        found.predictions
          ? {
              id: 'every-class',
              title: 'Every class has F1 above 0.7',
              severity: 'recommended',
              check: { kind: 'predictions', file: found.predictions, min_per_class: { f1: 0.7 } },
            }
          : manual('every-class', 'Per-class performance reviewed: no class fails badly', {
              severity: 'recommended',
            }),
        found.onnx
          ? {
              id: 'exported-model',
              title: 'The exported ONNX model loads, with opset 13 or newer',
              check: { kind: 'onnx-model', model: found.onnx, signature: { opset: '>= 13' } },
              todo: 'add data: and parity: to compare it with the framework’s outputs',
            }
          : manual('exported-model', 'The exported model matches the framework’s outputs'),
        ...(found.models[0]
          ? [
              {
                id: 'model-size',
                title: 'The model file is under 2 GB',
                severity: 'recommended' as const,
                check: { kind: 'file', path: found.models[0], max_size: '2 GB' },
              },
            ]
          : []),
      ],
    },
  ],
};

const apiService: Template = {
  name: 'api-service',
  description: 'The HTTP service: health, contract (bad input, auth, CORS), latency under load',
  byDefault: () => false,
  service: true,
  build: () => [
    {
      id: 'service',
      title: 'Model service',
      items: [
        {
          id: 'service-health',
          title: '/health answers 200',
          check: { kind: 'http', path: '/health', expect: { status: 200 } },
        },
        {
          id: 'service-contract',
          title: 'Bad requests get clean 4xx errors',
          check: { kind: 'http-contract', path: '/predict', body: { json: { inputs: [[0]] } } },
          todo: 'a real request body for your model',
        },
        {
          id: 'service-latency',
          title: 'p95 latency under 100 ms and error rate under 1% at 8 clients',
          check: {
            kind: 'load',
            method: 'POST',
            path: '/predict',
            body: { json: { inputs: [[0]] } },
            concurrency: 8,
            requests: 1000,
            thresholds: ['p(95) < 100ms', 'error_rate < 1%'],
          },
          todo: 'a real request body for your model',
        },
      ],
    },
  ],
};

const container: Template = {
  name: 'container',
  description: 'Dockerfile and compose, read statically',
  byDefault: (found) => Boolean(found.dockerfile || found.compose),
  build: (found) => [
    {
      id: 'container',
      title: 'Container',
      items: [
        found.dockerfile
          ? {
              id: 'dockerfile',
              title: 'Dockerfile builds a small, non-root image with a health check',
              check: { kind: 'dockerfile', path: found.dockerfile },
            }
          : manual(
              'dockerfile',
              'The image runs as a non-root user, from a pinned base, with a health check',
            ),
        found.compose
          ? {
              id: 'compose',
              title: 'Compose file has health check, restart policy and limits',
              check: { kind: 'compose', path: found.compose },
            }
          : manual('compose', 'Resource limits and restart policy configured', { severity: 'recommended' }),
      ],
    },
  ],
};

const kubernetes: Template = {
  name: 'kubernetes',
  description: 'Kubernetes manifests: probes, resources, security, replicas, PDB',
  byDefault: (found) => found.kubernetes.length > 0,
  build: (found) => [
    {
      id: 'kubernetes',
      title: 'Kubernetes',
      items: [
        found.kubernetes.length > 0
          ? {
              id: 'kubernetes',
              title: 'Manifests are production-ready (probes, limits, security, at least 2 replicas)',
              check: {
                kind: 'kubernetes',
                paths: found.kubernetes.length === 1 ? found.kubernetes[0] : found.kubernetes,
              },
            }
          : manual('kubernetes', 'Liveness and readiness probes, resource limits and 2+ replicas configured'),
      ],
    },
  ],
};

const security: Template = {
  name: 'security',
  description: 'Secrets, documented configuration, pinned dependencies',
  byDefault: () => true,
  build: (found) => [
    {
      id: 'security',
      title: 'Security',
      items: [
        {
          id: 'no-secrets',
          title: 'No secrets in code or configuration',
          check: { kind: 'secrets', path: '.' },
        },
        found.envExample
          ? {
              id: 'env-documented',
              title: 'Every variable the code reads is documented in .env.example',
              check: { kind: 'env-file', example: found.envExample, scan: '.' },
            }
          : manual('env-documented', 'Environment variables are documented', { severity: 'recommended' }),
        found.dependencies.length > 0
          ? {
              id: 'dependencies',
              title: 'Dependencies pinned, with a matching lock file',
              check: { kind: 'dependencies', path: '.' },
            }
          : manual('dependencies', 'Dependencies pinned to exact versions'),
        manual('auth', 'The API requires authentication and uses TLS in production'),
      ],
    },
  ],
};

const mlops: Template = {
  name: 'mlops',
  description: 'Tests, coverage, versioning, alerts, data drift, fairness and rollback',
  byDefault: () => true,
  build: (found) => [
    {
      id: 'mlops',
      title: 'MLOps and monitoring',
      items: [
        found.testResults
          ? {
              id: 'tests-passed',
              title: 'All tests passed',
              check: { kind: 'test-results', path: found.testResults },
            }
          : manual('tests-passed', 'Unit and integration tests pass in CI'),
        found.coverage
          ? {
              id: 'coverage',
              title: 'Test coverage of at least 80% of lines',
              check: { kind: 'coverage', path: found.coverage, min: '>= 80%' },
              todo: "your team's coverage target",
            }
          : manual('coverage', 'Test coverage meets the target', { severity: 'recommended' }),
        manual('versioned', 'Model, data and configuration are versioned (registry, DVC, git tag)'),
        manual('monitoring', 'Latency, errors and predictions are on a dashboard in production'),
        alertsItem(found),
        driftItem(found),
        fairnessItem(found),
        manual('rollback', 'A rollback plan exists and was tested'),
      ],
    },
  ],
};

/**
 * Alerts on the error rate, p95 latency and downtime, in the rule files found. Without a
 * service in the spec, the cross-check of every alert's metric against /metrics reads a saved
 * exposition when there is one, and is off otherwise (the evidence says so, and a TODO too).
 */
function alertsItem(found: Detected): TemplateItem {
  if (found.alertRules.length === 0)
    return manual('alerts', 'Alerts fire on the error rate, p95 latency and downtime, and reach someone', {
      todo: 'keep your Prometheus rule files in the project and make this an alerts check',
    });
  return {
    id: 'alerts',
    title: 'Alerts watch the error rate, p95 latency and downtime, with for:, severity and runbook',
    check: {
      kind: 'alerts',
      paths: found.alertRules.length === 1 ? found.alertRules[0] : found.alertRules,
      require: { error_rate: true, latency: { quantile: 0.95, max: '500ms' }, availability: true },
      metrics: found.exposition ? { file: found.exposition } : false,
      ...(found.alertmanager ? { alertmanager: found.alertmanager } : {}),
    },
    todo: [
      "your latency target (500ms is a placeholder: the alert's threshold may be at most this)",
      found.exposition
        ? `metrics: ${found.exposition} is a saved exposition; remove the line to read the running service's /metrics instead`
        : "metrics: false turns off the check that every alert's metric is exported: remove the line once the spec has a service: section",
    ].join('; '),
    remediation:
      'Add the missing alert (the evidence names it), with for:, a severity label and summary and runbook_url annotations.',
  };
}

/** The current features against the reference, feature by feature, PSI below 0.2. */
function driftItem(found: Detected): TemplateItem {
  if (!found.drift)
    return manual('drift', 'Serving data is checked for drift against the training data', {
      severity: 'recommended',
      todo: 'save training features and a serving sample (CSV, Parquet or .npy) and make this a drift check',
    });
  return {
    id: 'drift',
    title: 'The current features are distributed like the reference features (PSI below 0.2 on each)',
    severity: 'recommended',
    check: {
      kind: 'drift',
      reference: found.drift.reference,
      current: found.drift.current,
      thresholds: { psi: '< 0.2' },
    },
    todo: 'current: a recent serving sample when you have one; 0.2 is the usual PSI bound; exclude: ids and labels',
  };
}

/** Outcomes across the groups of a sensitive column: the four-fifths rule. */
function fairnessItem(found: Detected): TemplateItem {
  if (!found.groups)
    return manual('fairness', 'Model bias evaluated: outcomes compared across sensitive groups', {
      severity: 'recommended',
      todo: 'save the test predictions with the sensitive column (sex, age_group, ...) and make this a predictions check with groups:',
    });
  return {
    id: 'fairness',
    title: `Selection rates across ${found.groups.column} meet the four-fifths rule`,
    severity: 'recommended',
    check: {
      kind: 'predictions',
      file: found.groups.file,
      groups: { column: found.groups.column, thresholds: { demographic_parity_ratio: '>= 0.8' } },
    },
    todo: 'positive: the favourable class (required with more than two classes); add equalized_odds_difference if errors matter more than selection',
  };
}

const documentation: Template = {
  name: 'documentation',
  description: 'README and model card',
  byDefault: () => true,
  build: (found) => [
    {
      id: 'documentation',
      title: 'Documentation',
      items: [
        found.modelCard
          ? {
              id: 'model-card',
              title: 'Model card covers use, data, evaluation and limitations',
              check: {
                kind: 'docs',
                path: found.modelCard,
                headings: ['Intended use', 'Training data', 'Evaluation', 'Limitations'],
                non_empty: true,
              },
            }
          : manual('model-card', 'A model card documents intended use, data, evaluation and limitations'),
        found.readme
          ? {
              id: 'readme',
              title: 'README explains how to deploy and configure',
              severity: 'recommended',
              check: { kind: 'docs', path: found.readme, headings: ['Deployment'], non_empty: true },
              todo: 'the headings your README must have',
            }
          : manual('readme', 'Deployment instructions are documented', { severity: 'recommended' }),
      ],
    },
  ],
};

const signOff: Template = {
  name: 'sign-off',
  description: 'Technical lead, product owner and compliance sign-offs',
  byDefault: () => true,
  build: () => [
    {
      id: 'sign-off',
      title: 'Sign-off',
      items: [
        {
          id: 'tech-lead-approval',
          title: 'Technical lead approves the release',
          manual: { roles: ['technical-lead'] },
        },
        {
          id: 'product-approval',
          title: 'Product owner approves the release',
          severity: 'recommended',
          manual: { roles: ['product-owner'] },
        },
        {
          id: 'compliance-approval',
          title: 'Compliance approves the release (if applicable)',
          severity: 'optional',
          manual: { roles: ['compliance'] },
        },
      ],
    },
  ],
};

/**
 * Breck et al., "The ML Test Score: A Rubric for ML Production Readiness and Technical Debt
 * Reduction", IEEE Big Data 2017: the 28 tests, in the paper's four sections and order.
 */
export const ML_TEST_SCORE_TESTS: Record<'data' | 'model' | 'infrastructure' | 'monitoring', string[]> = {
  data: [
    'Feature expectations are captured in a schema',
    'All features are beneficial',
    'No feature’s cost is too much',
    'Features adhere to meta-level requirements',
    'The data pipeline has appropriate privacy controls',
    'New features can be added quickly',
    'All input feature code is tested',
  ],
  model: [
    'Model specs are reviewed and submitted',
    'Offline and online metrics correlate',
    'All hyperparameters have been tuned',
    'The impact of model staleness is known',
    'A simpler model is not better',
    'Model quality is sufficient on important data slices',
    'The model is tested for considerations of inclusion',
  ],
  infrastructure: [
    'Training is reproducible',
    'Model specs are unit tested',
    'The ML pipeline is integration tested',
    'Model quality is validated before serving',
    'The model is debuggable',
    'Models are canaried before serving',
    'Serving models can be rolled back',
  ],
  monitoring: [
    'Dependency changes result in notification',
    'Data invariants hold for inputs',
    'Training and serving are not skewed',
    'Models are not too stale',
    'Models are numerically stable',
    'Computing performance has not regressed',
    'Prediction quality has not regressed',
  ],
};

const SECTION_TITLES = {
  data: 'ML Test Score: data and features',
  model: 'ML Test Score: model development',
  infrastructure: 'ML Test Score: ML infrastructure',
  monitoring: 'ML Test Score: monitoring',
};

const mlTestScore: Template = {
  name: 'ml-test-score',
  description: 'Google’s ML Test Score rubric (2017): 28 tests, scored beside the verdict',
  byDefault: () => false,
  build: (found) =>
    (Object.keys(ML_TEST_SCORE_TESTS) as Array<keyof typeof ML_TEST_SCORE_TESTS>).map((section) => ({
      id: `mlts-${section}`,
      title: SECTION_TITLES[section],
      items: ML_TEST_SCORE_TESTS[section].map((title, i): TemplateItem => {
        const test = `${section}-${i + 1}`;
        const base = {
          id: `mlts-${test}`,
          title,
          severity: 'recommended' as const,
          tags: [`${ML_TEST_SCORE_TAG}${test}`],
        };
        // Automated (1 point) where this project has what the test needs; else a documented
        // manual review (0.5 points once signed off).
        if (test === 'infrastructure-4' && found.predictions)
          return {
            ...base,
            check: { kind: 'predictions', file: found.predictions, thresholds: { accuracy: '>= 0.9' } },
            todo: 'your quality bar',
          };
        if (test === 'infrastructure-2' && found.testResults)
          return { ...base, check: { kind: 'test-results', path: found.testResults } };
        if (test === 'monitoring-1' && found.dependencies.length > 0)
          return { ...base, check: { kind: 'dependencies', path: '.' } };
        return {
          ...base,
          manual: {
            instructions: 'Sign off when this is done by hand and the results are documented and shared.',
          },
        };
      }),
    })),
};

export const TEMPLATES: Template[] = [
  modelQuality,
  apiService,
  container,
  kubernetes,
  security,
  mlops,
  documentation,
  signOff,
  mlTestScore,
];
