/**
 * Agreement with kube-score on its own test material: the scenarios of kube-score's tests
 * (score/*_test.go and score/testdata, read from github.com/zegl/kube-score), restated as
 * manifests here with the rule of ours each corresponds to; deliberate differences say so.
 */
import { describe, expect, test } from 'vitest';
import { executeCheck } from '../../engine/execute.js';
import { loadBuiltinChecks } from '../../engine/registry.js';
import { tempFiles } from '../../testing/temp.js';

async function fired(
  manifest: string,
  params: Record<string, unknown> = {},
): Promise<Array<{ rule: string; message: string }>> {
  const dir = tempFiles({ 'k8s.yaml': manifest });
  const definition = (await loadBuiltinChecks()).get('kubernetes')!;
  const outcome = await executeCheck(
    definition,
    definition.params.parse({ paths: 'k8s.yaml', ...params }),
    { root: dir, itemId: 't', profile: null, artifacts: new Map() },
    10_000,
  );
  return (outcome.evidence ?? []).flatMap((e) =>
    e.type === 'finding' && !e.ignored ? [{ rule: e.rule, message: e.message }] : [],
  );
}

const container = (extra = '') => `
      containers:
        - name: app
          image: registry.example/model:1.0.0${extra}`;
const deployment = (podSpec: string, labels = 'app: model', replicas = 2) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: model, namespace: ml}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {${labels}}}
  template:
    metadata: {labels: {${labels}}}
    spec:${podSpec}
`;
const service = (selector = 'app: model', namespace = 'ml') => `---
apiVersion: v1
kind: Service
metadata: {name: model, namespace: ${namespace}}
spec: {selector: {${selector}}, ports: [{port: 80}]}
`;
const probes = (readiness: string, liveness: string) => `
          readinessProbe: ${readiness}
          livenessProbe: ${liveness}`;

interface Case {
  kubeScore: string;
  manifest: string;
  rule: string;
  fires: boolean;
  differs?: string;
  params?: Record<string, unknown>;
}

const CASES: Case[] = [
  // Pod Probes (score/probe_test.go)
  {
    kubeScore: 'pod-probes: TestProbesPodAllMissing',
    manifest: deployment(container()) + service(),
    rule: 'readiness-probe',
    fires: true,
  },
  {
    kubeScore: 'pod-probes: TestProbesPodMissingReady',
    manifest:
      deployment(container('\n          livenessProbe: {httpGet: {path: /health, port: 8080}}')) + service(),
    rule: 'readiness-probe',
    fires: true,
  },
  {
    kubeScore: 'pod-probes: TestProbesPodMissingLive (kube-score: almost OK)',
    manifest:
      deployment(container('\n          readinessProbe: {httpGet: {path: /ready, port: 8080}}')) + service(),
    rule: 'liveness-probe',
    fires: true,
    differs: 'the seed checklists require liveness probes: a missing one is an error, not a warning',
  },
  {
    kubeScore: 'pod-probes: both probes',
    manifest:
      deployment(
        container(probes('{httpGet: {path: /ready, port: 8080}}', '{httpGet: {path: /health, port: 8080}}')),
      ) + service(),
    rule: 'readiness-probe',
    fires: false,
  },
  {
    kubeScore: 'pod-probes: TestProbesTargetedByServiceNotTargeted (kube-score skips)',
    manifest: deployment(container()) + service('app: other'),
    rule: 'readiness-probe',
    fires: true,
    differs: 'a serving workload needs probes whether or not a Service in these files targets it',
  },
  {
    kubeScore:
      'pod-probes: TestProbesPodOnDifferentContainers (probes on different containers count for the pod)',
    manifest:
      deployment(`
      containers:
        - {name: a, image: r/a:1, readinessProbe: {httpGet: {path: /ready, port: 1}}}
        - {name: b, image: r/b:1, livenessProbe: {httpGet: {path: /health, port: 2}}}`) + service(),
    rule: 'liveness-probe',
    fires: false,
  },
  {
    kubeScore: 'pod-probes: CronJob is exempt',
    manifest: `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: retrain}\nspec:\n  schedule: "0 3 * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:${container()}\n`,
    rule: 'readiness-probe',
    fires: false,
  },
  // Pod Probes Identical
  {
    kubeScore: 'pod-probes-identical: TestProbesPodIdenticalHTTP',
    manifest:
      deployment(
        container(probes('{httpGet: {path: /x, port: 8080}}', '{httpGet: {path: /x, port: 8080}}')),
      ) + service(),
    rule: 'probes-identical',
    fires: true,
  },
  {
    kubeScore: 'pod-probes-identical: TestProbesPodIdenticalTCP',
    manifest:
      deployment(container(probes('{tcpSocket: {port: 8080}}', '{tcpSocket: {port: 8080}}'))) + service(),
    rule: 'probes-identical',
    fires: true,
  },
  {
    kubeScore: 'pod-probes-identical: TestProbesPodIdenticalExec',
    manifest:
      deployment(container(probes('{exec: {command: [cat, /ok]}}', '{exec: {command: [cat, /ok]}}'))) +
      service(),
    rule: 'probes-identical',
    fires: true,
  },
  // container-image-tag
  {
    kubeScore: 'container-image-tag: pod-image-tag-latest',
    manifest: deployment('\n      containers:\n        - {name: app, image: "nginx:latest"}'),
    rule: 'image-tag',
    fires: true,
  },
  {
    kubeScore: 'container-image-tag: pod-image-tag-fixed',
    manifest: deployment('\n      containers:\n        - {name: app, image: "nginx:1.25.3"}'),
    rule: 'image-tag',
    fires: false,
  },
  {
    kubeScore: 'container-image-tag: untagged',
    manifest: deployment('\n      containers:\n        - {name: app, image: nginx}'),
    rule: 'image-tag',
    fires: true,
  },
  // container-resources
  {
    kubeScore: 'container-resources: no resources',
    manifest: deployment(container()),
    rule: 'resources',
    fires: true,
  },
  {
    kubeScore: 'container-resources: requests and limits',
    manifest: deployment(
      container(
        '\n          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: "1", memory: 256Mi}}',
      ),
    ),
    rule: 'resources',
    fires: false,
  },
  {
    kubeScore: 'container-resources: missing CPU limit',
    manifest: deployment(
      container('\n          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}'),
    ),
    rule: 'resources',
    fires: true,
  },
  // security context
  {
    kubeScore: 'container-security-context-privileged',
    manifest: deployment(container('\n          securityContext: {privileged: true}')),
    rule: 'privileged',
    fires: true,
  },
  {
    kubeScore: 'container-security-context-readonlyrootfilesystem: not set',
    manifest: deployment(container()),
    rule: 'read-only-root-fs',
    fires: true,
  },
  {
    kubeScore: 'container-security-context-readonlyrootfilesystem: set',
    manifest: deployment(container('\n          securityContext: {readOnlyRootFilesystem: true}')),
    rule: 'read-only-root-fs',
    fires: false,
  },
  {
    kubeScore: 'container-security-context-user-group-id: pod-level runAsNonRoot inherited',
    manifest: deployment(`\n      securityContext: {runAsNonRoot: true, runAsUser: 20000}${container()}`),
    rule: 'run-as-non-root',
    fires: false,
  },
  {
    kubeScore: 'container-security-context-user-group-id: low UID (kube-score wants > 10000)',
    manifest: deployment(container('\n          securityContext: {runAsUser: 1000}')),
    rule: 'run-as-non-root',
    fires: false,
    differs: 'UID 1000 is not root; the gate asks for a non-root user, not a UID range',
  },
  {
    kubeScore: 'container-security-context-user-group-id: runAsUser 0',
    manifest: deployment(container('\n          securityContext: {runAsUser: 0}')),
    rule: 'run-as-non-root',
    fires: true,
  },
  // deployment-replicas / HPA
  {
    kubeScore: 'deployment-replicas: 1 replica',
    manifest: deployment(container(), 'app: model', 1),
    rule: 'replicas',
    fires: true,
  },
  {
    kubeScore: 'deployment-replicas: 2 replicas',
    manifest: deployment(container(), 'app: model', 2),
    rule: 'replicas',
    fires: false,
  },
  {
    kubeScore: 'horizontalpodautoscaler-replicas: hpa-min-replicas-nok',
    manifest: `${deployment(container(), 'app: model', 1)}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: model, namespace: ml}\nspec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: model}, minReplicas: 1, maxReplicas: 5}\n`,
    rule: 'replicas',
    fires: true,
  },
  {
    kubeScore:
      "horizontalpodautoscaler-replicas: hpa-min-replicas-ok (the Deployment's own replicas then do not count)",
    manifest: `${deployment(container(), 'app: model', 1)}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: model, namespace: ml}\nspec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: model}, minReplicas: 2, maxReplicas: 5}\n`,
    rule: 'replicas',
    fires: false,
  },
  {
    kubeScore: 'horizontalpodautoscaler-has-target: hpa-has-no-target',
    manifest: `apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\nspec: {scaleTargetRef: {kind: Deployment, name: missing}, minReplicas: 2, maxReplicas: 3}\n`,
    rule: 'hpa',
    fires: true,
  },
  // PodDisruptionBudget
  {
    kubeScore: 'deployment-has-poddisruptionbudget: no PDB',
    manifest: deployment(container()),
    rule: 'pdb',
    fires: true,
  },
  {
    kubeScore: 'deployment-has-poddisruptionbudget: deployment-poddisruptionbudget-v1-matches',
    manifest: `${deployment(container())}---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: model, namespace: ml}\nspec: {minAvailable: 1, selector: {matchLabels: {app: model}}}\n`,
    rule: 'pdb',
    fires: false,
  },
  {
    kubeScore: 'deployment-has-poddisruptionbudget: deployment-poddisruptionbudget-v1-no-match',
    manifest: `${deployment(container())}---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: model, namespace: ml}\nspec: {minAvailable: 1, selector: {matchLabels: {app: other}}}\n`,
    rule: 'pdb',
    fires: true,
  },
  {
    kubeScore: 'deployment-has-poddisruptionbudget: deployment-poddisruptionbudget-v1-different-namespace',
    manifest: `${deployment(container())}---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: model, namespace: other}\nspec: {minAvailable: 1, selector: {matchLabels: {app: model}}}\n`,
    rule: 'pdb',
    fires: true,
  },
  {
    kubeScore: 'poddisruptionbudget-has-policy: deployment-poddisruptionbudget-v1-no-policy',
    manifest: `${deployment(container())}---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: model, namespace: ml}\nspec: {selector: {matchLabels: {app: model}}}\n`,
    rule: 'pdb',
    fires: true,
  },
  {
    kubeScore:
      'deployment-has-poddisruptionbudget: deployment-poddisruptionbudget-v1beta1-expression-matches',
    manifest: `${deployment(container())}---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: model, namespace: ml}\nspec: {maxUnavailable: 1, selector: {matchExpressions: [{key: app, operator: In, values: [model, x]}]}}\n`,
    rule: 'pdb',
    fires: false,
  },
  // NetworkPolicy
  {
    kubeScore: 'pod-networkpolicy: networkpolicy-not-matching',
    manifest: `${deployment(container())}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: ml}\nspec: {podSelector: {matchLabels: {app: other}}}\n`,
    rule: 'network-policy',
    fires: true,
  },
  {
    kubeScore: 'pod-networkpolicy: networkpolicy-matching',
    manifest: `${deployment(container())}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: ml}\nspec: {podSelector: {matchLabels: {app: model}}}\n`,
    rule: 'network-policy',
    fires: false,
  },
  {
    kubeScore: 'pod-networkpolicy: networkpolicy-targets-all-pods',
    manifest: `${deployment(container())}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny, namespace: ml}\nspec: {podSelector: {}}\n`,
    rule: 'network-policy',
    fires: false,
  },
  // Service
  {
    kubeScore: 'service-targets-pod: selector matches nothing',
    manifest: deployment(container()) + service('app: nothing'),
    rule: 'service',
    fires: true,
  },
  {
    kubeScore: 'service-targets-pod: matches',
    manifest: deployment(container()) + service(),
    rule: 'service',
    fires: false,
  },
  {
    kubeScore: 'service-targets-pod: different namespace',
    manifest: deployment(container()) + service('app: model', 'other'),
    rule: 'service',
    fires: true,
  },
];

describe("kubernetes rules against kube-score's test cases", () => {
  test.each(
    CASES.map(
      (c) =>
        [
          `${c.kubeScore} → kubernetes/${c.rule} ${c.fires ? 'fires' : 'silent'}${c.differs ? ` (differs: ${c.differs})` : ''}`,
          c,
        ] as const,
    ),
  )('%s', async (_name, c) => {
    const rules = (await fired(c.manifest, c.params)).map((f) => f.rule);
    expect(rules.includes(`kubernetes/${c.rule}`)).toBe(c.fires);
  });
});
