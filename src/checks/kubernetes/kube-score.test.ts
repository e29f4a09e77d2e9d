/**
 * Agreement with kube-score on its own test material: every test of kube-score's score/*_test.go
 * whose check corresponds to a rule of ours (read from github.com/zegl/kube-score, its
 * score/testdata manifests restated here, not copied), with the grade kube-score expects:
 * Critical or Warning is "flags", AllOK or skipped is "passes". Deliberate differences say why.
 */
import { type AnchorCase, describeAnchor } from './anchors.js';

const pod = (labels: string, containers: string, namespace = 'default', podSpec = '') => `apiVersion: v1
kind: Pod
metadata: {name: pod-test-1, namespace: ${namespace}, labels: {${labels}}}
spec:${podSpec}
  containers:${containers}
`;
const controller = (
  kind: string,
  labels: string,
  containers: string,
  { namespace = 'default', replicas = '', extra = '' } = {},
) => `apiVersion: apps/v1
kind: ${kind}
metadata: {name: ${kind.toLowerCase()}-test-1, namespace: ${namespace}}
spec:${replicas ? `\n  replicas: ${replicas}` : ''}
  selector: {matchLabels: {${labels}}}
  template:
    metadata: {labels: {${labels}}}
    spec:${extra}
      containers:${containers.replace(/\n/g, '\n    ')}
`;
const cronJob = (labels: string, namespace: string) => `apiVersion: batch/v1
kind: CronJob
metadata: {name: cronjob-test-1, namespace: ${namespace}}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {${labels}}}
        spec:
          containers: [{name: foobar, image: "foo:bar"}]
`;
const service = (selector: string, namespace = 'default', extra = '') => `---
kind: Service
apiVersion: v1
metadata: {name: my-service, namespace: ${namespace}}
spec: {selector: {${selector}}, ports: [{protocol: TCP, port: 80, targetPort: 8080}]${extra}}
`;
const pdb = (selector: string, policy = 'minAvailable: 2', namespace = 'default') => `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: app-budget, namespace: ${namespace}}
spec: {${policy ? `${policy}, ` : ''}selector: {${selector}}}
`;
const hpa = (apiVersion: string, target: string, minReplicas = 1) => `---
apiVersion: ${apiVersion}
kind: HorizontalPodAutoscaler
metadata: {name: php-apache, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ${target}}
  minReplicas: ${minReplicas}
  maxReplicas: 10
`;
const netpol = (namespace: string, selector: string, policy: string) => `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: testapp-netpol, namespace: ${namespace}}
spec:
  podSelector: ${selector}
${policy}
`;
const DNS_EGRESS = '  egress: [{ports: [{port: 53, protocol: TCP}, {port: 53, protocol: UDP}]}]';
const BOTH_TYPES = '  policyTypes: [Egress, Ingress]';

const image = (tag: string) => `\n  - name: foobar\n    image: "foo/bar:${tag}"`;
const withProbes = (probes: string) => `${image('latest')}${probes}`;
const http = (path: string) => `{httpGet: {path: ${path}, port: 8080}}`;
const secured = (context: string) => `${image('latest')}\n    securityContext: {${context}}`;
const resources = (spec: string) => `${image('123')}\n    resources: {${spec}}`;
const LIMITS = 'limits: {cpu: 200m, memory: 1Gi}';
const REQUESTS = 'requests: {cpu: 200m, memory: 1Gi}';

/** The Service-side finding of kubernetes/service (the workload side says "no Service selects"). */
const SELECTS_NOTHING = 'matches no pod';

const CASES: AnchorCase[] = [
  // Pod Probes (score/probe_test.go): kube-score only judges pods a Service targets.
  ...(
    [
      ['TestProbesPodAllMissing', pod('app: my-app', image('latest')) + service('app: my-app'), true],
      [
        'TestProbesPodMissingReady',
        pod('app: my-app', withProbes(`\n    livenessProbe: ${http('/ready')}`)) + service('app: my-app'),
        true,
      ],
      ['TestProbesTargetedByService', pod('app: my-app', image('latest')) + service('app: my-app'), true],
      [
        'TestProbesTargetedByServiceSameNamespace',
        pod('app: my-app', image('latest'), 'foospace') + service('app: my-app', 'foospace'),
        true,
      ],
      [
        'TestProbesTargetedByServiceSameNamespaceMultiLabels',
        pod('app: my-app, foo: bar', withProbes(`\n    livenessProbe: ${http('/ready')}`), 'foospace') +
          service('app: my-app, foo: bar', 'foospace'),
        true,
      ],
      [
        'TestProbesTargetedByServiceDifferentNamespace',
        pod('app: my-app', withProbes(`\n    livenessProbe: ${http('/ready')}`), 'foospace') +
          service('app: my-app', 'not-foospace'),
        false,
        'a serving pod needs a readiness probe whether or not a Service in these files targets it',
      ],
      [
        'TestProbesTargetedByServiceNotTargeted',
        pod('app: my-app', withProbes(`\n    livenessProbe: ${http('/ready')}`)) + service('app: not-my-app'),
        false,
        'a serving pod needs a readiness probe whether or not a Service in these files targets it',
      ],
      [
        'TestProbesTargetedByServiceNotTargetedMultiLabels',
        pod('app: my-app, otherLabel: foo', withProbes(`\n    livenessProbe: ${http('/ready')}`)) +
          service('app: my-app-not-matching, otherLabel: foo'),
        false,
        'a serving pod needs a readiness probe whether or not a Service in these files targets it',
      ],
      [
        'TestProbesMultipleContainers',
        pod(
          'app: test',
          `${withProbes(`\n    readinessProbe: ${http('/ready')}`)}${image('latest').replace('foobar', 'foobar2')}\n    livenessProbe: ${http('/live')}`,
        ) + service('app: test'),
        false,
      ],
      [
        'TestProbesMultipleContainersInit',
        pod(
          'app: test',
          withProbes(`\n    readinessProbe: ${http('/ready')}\n    livenessProbe: ${http('/live')}`),
          'default',
          '\n  initContainers: [{name: foobar2, image: "foo/bar:latest"}]',
        ) + service('app: test'),
        false,
      ],
    ] as Array<[string, string, boolean, string?]>
  ).map(([test, manifest, flags, differs]) => ({
    anchor: `pod-probes ${test}`,
    manifest,
    rule: 'readiness-probe',
    flags,
    ...(differs ? { differs } : {}),
  })),
  // Pod Probes Identical
  ...(
    [
      ['HTTP', `{httpGet: {path: /ready, port: 8080}}`],
      ['TCP', `{tcpSocket: {port: 8080}}`],
      ['Exec', `{exec: {command: [/bin/sh, -c, "test -f /tmp/ok"]}}`],
    ] as const
  ).map(([kind, probe]) => ({
    anchor: `pod-probes-identical TestProbesPodIdentical${kind}`,
    manifest:
      pod('app: my-app', withProbes(`\n    readinessProbe: ${probe}\n    livenessProbe: ${probe}`)) +
      service('app: my-app'),
    rule: 'probes-identical',
    flags: true,
  })),
  // Container Resources (score/score_test.go)
  {
    anchor: 'container-resources TestPodContainerNoResources',
    manifest: pod('', image('123')),
    rule: 'resources',
    flags: true,
  },
  {
    anchor: 'container-resources TestPodContainerResourceLimits (only limits: Warning)',
    manifest: pod('', resources(LIMITS)),
    rule: 'resources',
    flags: true,
  },
  {
    anchor: 'container-resources TestPodContainerResourceLimitsAndRequests',
    manifest: pod('', resources(`${LIMITS}, ${REQUESTS}`)),
    rule: 'resources',
    flags: false,
  },
  {
    anchor: 'container-resources TestPodContainerResourceLimitCpuNotRequired (--ignore-container-cpu-limit)',
    manifest: pod('', resources(`limits: {memory: 1Gi}, ${REQUESTS}`)),
    rule: 'resources',
    flags: false,
    differs:
      'mlgate has no switch to waive CPU limits for every container; accept one with `mlgate-ignore kubernetes/resources: reason`',
  },
  {
    anchor: 'container-resources TestPodContainerResourceLimitCpuRequired',
    manifest: pod('', resources(`limits: {memory: 1Gi}, ${REQUESTS}`)),
    rule: 'resources',
    flags: true,
  },
  {
    anchor: 'container-resources TestPodContainerResourceNoLimitRequired (--ignore-container-*-limit)',
    manifest: pod('', resources(REQUESTS)),
    rule: 'resources',
    flags: false,
    differs:
      'mlgate has no switch to waive limits for every container; accept one with `mlgate-ignore kubernetes/resources: reason`',
  },
  {
    anchor: 'container-resources TestDeploymentResources (only limits: Warning)',
    manifest: controller('Deployment', 'app: foo', resources(LIMITS)),
    rule: 'resources',
    flags: true,
  },
  {
    anchor: 'container-resources TestStatefulSetResources (only limits: Warning)',
    manifest: controller('StatefulSet', 'app: foo', resources(LIMITS)),
    rule: 'resources',
    flags: true,
  },
  // Container Image Tag
  {
    anchor: 'container-image-tag TestPodContainerTagLatest',
    manifest: pod('', image('latest')),
    rule: 'image-tag',
    flags: true,
  },
  {
    anchor: 'container-image-tag TestPodContainerTagFixed',
    manifest: pod('', image('123')),
    rule: 'image-tag',
    flags: false,
  },
  // Security context (score/security_test.go)
  {
    anchor: 'container-security-context-user-group-id TestContainerSecurityContextUserGroupIDAllGood',
    manifest: pod(
      '',
      secured('privileged: False, runAsUser: 30000, runAsGroup: 30000, readOnlyRootFilesystem: True'),
    ),
    rule: 'run-as-non-root',
    flags: false,
  },
  {
    anchor: 'container-security-context-user-group-id TestContainerSecurityContextUserGroupIDLowGroup',
    manifest: pod('', secured('runAsUser: 15000, runAsGroup: 0')),
    rule: 'run-as-non-root',
    flags: true,
    differs:
      'UID 15000 is not root; mlgate asks for a non-root user, not a UID/GID range (GID 0 is not root)',
  },
  {
    anchor: 'container-security-context-user-group-id TestContainerSecurityContextUserGroupIDLowUser',
    manifest: pod('', secured('runAsUser: 0, runAsGroup: 20000')),
    rule: 'run-as-non-root',
    flags: true,
  },
  {
    anchor:
      'container-security-context-user-group-id TestContainerSecurityContextUserGroupIDNoSecurityContext',
    manifest: pod('', image('latest')),
    rule: 'run-as-non-root',
    flags: true,
  },
  {
    anchor: 'container-security-context-privileged TestContainerSecurityContextPrivilegedAllGood',
    manifest: pod(
      '',
      secured('privileged: False, runAsUser: 30000, runAsGroup: 30000, readOnlyRootFilesystem: True'),
    ),
    rule: 'privileged',
    flags: false,
  },
  {
    anchor: 'container-security-context-privileged TestContainerSecurityContextPrivilegedPrivileged',
    manifest: pod('', secured('privileged: True')),
    rule: 'privileged',
    flags: true,
  },
  {
    anchor:
      'container-security-context-readonlyrootfilesystem TestContainerSecurityContextReadOnlyRootFilesystemAllGood',
    manifest: pod(
      '',
      secured('privileged: False, runAsUser: 30000, runAsGroup: 30000, readOnlyRootFilesystem: True'),
    ),
    rule: 'read-only-root-fs',
    flags: false,
  },
  {
    anchor:
      'container-security-context-readonlyrootfilesystem TestContainerSecurityContextReadOnlyRootFilesystemWriteable',
    manifest: pod('', secured('readOnlyRootFilesystem: False')),
    rule: 'read-only-root-fs',
    flags: true,
  },
  {
    anchor:
      'container-security-context-readonlyrootfilesystem TestContainerSecurityContextReadOnlyRootFilesystemNoSecurityContext',
    manifest: pod('', image('latest')),
    rule: 'read-only-root-fs',
    flags: true,
  },
  // Service Targets Pod (score/service_test.go)
  ...(
    [
      [
        'TestServiceTargetsPodDeployment',
        controller('Deployment', 'app: my-app', image('123')) + service('app: my-app'),
        false,
      ],
      [
        'TestServiceNotTargetsPodDeployment',
        controller('Deployment', 'app: my-app', image('123')) + service('app: my-app-no-match'),
        true,
      ],
      ['TestServiceTargetsPodRaw', pod('app: my-app', image('latest')) + service('app: my-app'), false],
      ['TestServiceNotTargetsPodRaw', pod('app: my-app', image('latest')) + service('app: not-my-app'), true],
      [
        'TestServiceTargetsPodRawMultiLabel',
        pod('app: my-app, foo: bar', image('latest')) + service('app: my-app, foo: bar'),
        false,
      ],
      [
        'TestServiceNotTargetsPodRawMultiLabel',
        pod('app: my-app, foo: bar', image('latest')) + service('app: my-app, foo: not-bar'),
        true,
      ],
      [
        'TestServiceTargetsPodRawSameNamespace',
        pod('app: my-app', image('latest'), 'foospace') + service('app: my-app', 'foospace'),
        false,
      ],
      [
        'TestServiceTargetsPodRawDifferentNamespace',
        pod('app: my-app', image('latest'), 'foospace') + service('app: my-app', 'not-foospace'),
        true,
      ],
      [
        'TestServiceTargetsPodDeploymentSameNamespace',
        controller('Deployment', 'app: my-app', image('123'), { namespace: 'foospace' }) +
          service('app: my-app', 'foospace'),
        false,
      ],
      [
        'TestServiceTargetsPodDeploymentDifferentNamespace',
        controller('Deployment', 'app: my-app', image('123'), { namespace: 'foospace' }) +
          service('app: my-app', 'not-foospace'),
        true,
      ],
      [
        'TestServiceExternalName',
        `apiVersion: v1\nkind: Service\nmetadata: {name: wp-site, namespace: site}\nspec: {type: ExternalName, externalName: wp.example.com, ports: [{name: http, port: 80}]}\n---\n${pod('app: other', image('1'), 'site')}`,
        false,
      ],
    ] as Array<[string, string, boolean]>
  ).map(([test, manifest, flags]) => ({
    anchor: `service-targets-pod ${test}`,
    manifest,
    rule: 'service',
    about: SELECTS_NOTHING,
    flags,
  })),
  // PodDisruptionBudget (score/poddisruptionbudget_test.go)
  ...(
    [
      [
        'statefulset-has-poddisruptionbudget TestStatefulSetPodDisruptionBudgetMatches',
        'StatefulSet',
        pdb('matchLabels: {app: foo}'),
        false,
      ],
      [
        'statefulset-has-poddisruptionbudget TestStatefulSetPodDisruptionBudgetExpressionMatches',
        'StatefulSet',
        pdb('matchExpressions: [{key: app, operator: In, values: [foo, bar]}]'),
        false,
      ],
      [
        'statefulset-has-poddisruptionbudget TestStatefulSetPodDisruptionBudgetExpressionNoMatch',
        'StatefulSet',
        pdb('matchExpressions: [{key: app, operator: In, values: [not-foo, not-foo2]}]'),
        true,
      ],
      [
        'statefulset-has-poddisruptionbudget TestStatefulSetPodDisruptionBudgetNoMatch',
        'StatefulSet',
        pdb('matchLabels: {app: not-foo}'),
        true,
      ],
      [
        'deployment-has-poddisruptionbudget TestDeploymentPodDisruptionBudgetMatches',
        'Deployment',
        pdb('matchLabels: {app: foo}'),
        false,
      ],
      [
        'deployment-has-poddisruptionbudget TestDeploymentPodDisruptionBudgetExpressionMatches',
        'Deployment',
        pdb('matchExpressions: [{key: app, operator: In, values: [foo, bar]}]'),
        false,
      ],
      [
        'deployment-has-poddisruptionbudget TestDeploymentPodDisruptionBudgetExpressionNoMatch',
        'Deployment',
        pdb('matchExpressions: [{key: app, operator: NotIn, values: [foo]}]'),
        true,
      ],
      [
        'deployment-has-poddisruptionbudget TestDeploymentPodDisruptionBudgetNoMatch',
        'Deployment',
        pdb('matchLabels: {app: not-foo}'),
        true,
      ],
      [
        'poddisruptionbudget-has-policy TestDeploymentPodDisruptionBudgetNoPolicy',
        'Deployment',
        pdb('matchLabels: {app: foo}', ''),
        true,
      ],
      [
        'poddisruptionbudget-has-policy TestDeploymentPodDisruptionBudgetV1NoPolicy',
        'Deployment',
        pdb('matchLabels: {app: foo}', ''),
        true,
      ],
      [
        'deployment-has-poddisruptionbudget TestDeploymentPodDisruptionBudgetV1Matches',
        'Deployment',
        pdb('matchLabels: {app: foo}', 'maxUnavailable: 1'),
        false,
      ],
      [
        'deployment-has-poddisruptionbudget TestDeploymentPodDisruptionBudgetV1NoMatch',
        'Deployment',
        pdb('matchLabels: {app: not-foo}'),
        true,
      ],
      [
        'deployment-has-poddisruptionbudget TestDeploymentPodDisruptionBudgetV1NoMatchMatchInOtherNamespace',
        'Deployment',
        pdb('matchLabels: {app: foo}', 'minAvailable: 2', 'other-namespace'),
        true,
      ],
    ] as Array<[string, string, string, boolean]>
  ).map(([test, kind, budget, flags]) => ({
    anchor: test,
    manifest: controller(kind, 'app: foo', image('bar')) + budget,
    rule: 'pdb',
    flags,
  })),
  // HorizontalPodAutoscaler (score/hpa_test.go)
  ...(['autoscaling/v1', 'autoscaling/v2', 'autoscaling/v2beta1', 'autoscaling/v2beta2'] as const).map(
    (apiVersion) => ({
      anchor: `horizontalpodautoscaler-has-target TestHorizontalPodAutoscaler${apiVersion.split('/')[1]!.replace(/^v/, 'V')}TargetsDeployment`,
      manifest:
        controller('Deployment', 'app: my-app', image('latest')).replace('deployment-test-1', 'php-apache') +
        hpa(apiVersion, 'php-apache'),
      rule: 'hpa',
      about: 'scaleTargetRef',
      flags: false,
    }),
  ),
  {
    anchor: 'horizontalpodautoscaler-has-target TestHorizontalPodAutoscalerHasNoTarget',
    manifest:
      controller('Deployment', 'app: my-app', image('latest')).replace(
        'deployment-test-1',
        'php-not-apache',
      ) + hpa('autoscaling/v1', 'php-apache'),
    rule: 'hpa',
    about: 'scaleTargetRef',
    flags: true,
  },
  ...(
    [
      ['TestHorizontalPodAutoscalerMinReplicasOk', 2, {}, false],
      ['TestHorizontalPodAutoscalerMinReplicasNok (min 2)', 1, { min_replicas: 2 }, true],
      ['TestHorizontalPodAutoscalerMinReplicasMin5ReplicasNotOk (min 5)', 1, { min_replicas: 5 }, true],
      ['TestHorizontalPodAutoscalerMinReplicasMin1ReplicaOk (min 1)', 1, { min_replicas: 1 }, false],
    ] as Array<[string, number, Record<string, unknown>, boolean]>
  ).map(([test, minReplicas, params, flags]) => ({
    anchor: `horizontalpodautoscaler-replicas ${test}`,
    manifest:
      controller('Deployment', 'app: my-app', image('latest')).replace('deployment-test-1', 'php-apache') +
      hpa('autoscaling/v2', 'php-apache', minReplicas),
    rule: 'replicas',
    flags,
    params,
  })),
  // Deployment Replicas (score/deployment_test.go)
  ...(
    [
      ['TestServiceTargetsDeploymentReplicasOk', '10', 'app: my-app', {}, false],
      ['TestServiceTargetsDeploymentReplicasNok (min 2)', '1', 'app: my-app', { min_replicas: 2 }, true],
      ['TestServiceTargetsDeploymentReplicasNok1 (min 1)', '1', 'app: my-app', { min_replicas: 1 }, false],
      ['TestServiceTargetsDeploymentReplicasNok5 (min 5)', '1', 'app: my-app', { min_replicas: 5 }, true],
      [
        'TestServiceNotTargetsDeploymentReplicasNotRelevant (skipped: no Service targets it)',
        '',
        'app: my-app-no-match',
        {},
        false,
        'a serving Deployment needs replicas whether or not a Service in these files selects it',
      ],
    ] as Array<[string, string, string, Record<string, unknown>, boolean, string?]>
  ).map(([test, replicas, selector, params, flags, differs]) => ({
    anchor: `deployment-replicas ${test}`,
    manifest: controller('Deployment', 'app: my-app', image('123'), { replicas }) + service(selector),
    rule: 'replicas',
    flags,
    params,
    ...(differs ? { differs } : {}),
  })),
  // NetworkPolicy (score/networkpolicy_test.go): both directions must be covered for AllOK.
  {
    anchor: 'pod-networkpolicy TestPodHasNoMatchingNetworkPolicy',
    manifest: pod('app: not-testapp', image('latest')) + netpol('testspace', '{app: testapp}', ''),
    rule: 'network-policy',
    about: 'no NetworkPolicy selects',
    flags: true,
  },
  {
    anchor: 'pod-networkpolicy TestPodHasMatchingNetworkPolicy',
    manifest:
      pod('app: testapp', image('latest'), 'testspace') +
      netpol('testspace', '{matchLabels: {app: testapp}}', `${DNS_EGRESS}\n  policyTypes: [Ingress, Egress]`),
    rule: 'network-policy',
    flags: false,
  },
  {
    anchor: 'pod-networkpolicy TestPodHasMatchingIngressNetworkPolicy (Warning: no egress policy)',
    manifest:
      pod('app: testapp', image('latest'), 'testspace') +
      netpol(
        'testspace',
        '{matchLabels: {app: testapp}}',
        '  ingress: [{ports: [{port: 53, protocol: TCP}]}]\n  policyTypes: [Ingress]',
      ),
    rule: 'network-policy',
    flags: true,
  },
  {
    anchor: 'pod-networkpolicy TestPodHasMatchingEgressNetworkPolicy (Warning: no ingress policy)',
    manifest:
      pod('app: testapp', image('latest'), 'testspace') +
      netpol('testspace', '{matchLabels: {app: testapp}}', `${DNS_EGRESS}\n  policyTypes: [Egress]`),
    rule: 'network-policy',
    flags: true,
  },
  {
    anchor: 'networkpolicy-targets-pod TestNetworkPolicyTargetsPod',
    manifest:
      pod('app: testapp', image('latest'), 'testspace') +
      netpol('testspace', '{matchLabels: {app: testapp}}', `${DNS_EGRESS}\n  policyTypes: [Egress]`),
    rule: 'network-policy',
    about: 'matches no pod',
    flags: false,
  },
  {
    anchor: 'networkpolicy-targets-pod TestNetworkPolicyTargetsPodInDeployment',
    manifest:
      controller('Deployment', 'app: foo', image('bar'), { namespace: 'testspace' }) +
      netpol('testspace', '{matchLabels: {app: foo}}', `${DNS_EGRESS}\n  policyTypes: [Egress]`),
    rule: 'network-policy',
    about: 'matches no pod',
    flags: false,
  },
  {
    anchor: 'networkpolicy-targets-pod TestNetworkPolicyTargetsPodNotMatching',
    manifest:
      pod('app: testapp', image('latest'), 'testspace') +
      netpol('testspace', '{matchLabels: {app: not-testapp}}', `${DNS_EGRESS}\n  policyTypes: [Egress]`),
    rule: 'network-policy',
    about: 'matches no pod',
    flags: true,
  },
  ...(['Deployment', 'StatefulSet', 'CronJob'] as const).flatMap((kind) =>
    ([true, false] as const).flatMap((matching) => {
      const workload =
        kind === 'CronJob'
          ? cronJob(`app: ${matching ? 'foo' : 'not-foo'}`, 'testspace')
          : controller(kind, `app: ${matching ? 'foo' : 'not-foo'}`, image('bar'), {
              namespace: 'testspace',
            });
      const manifest = workload + netpol('testspace', '{matchLabels: {app: foo}}', BOTH_TYPES);
      const test = `TestNetworkPolicy${kind}Namespace${matching ? 'Matching' : 'NotMatchingSelector'}`;
      return [
        {
          anchor: `networkpolicy-targets-pod ${test}`,
          manifest,
          rule: 'network-policy',
          about: 'matches no pod',
          flags: !matching,
        },
        {
          anchor: `pod-networkpolicy ${test}`,
          manifest,
          rule: 'network-policy',
          about: 'no NetworkPolicy selects',
          flags: !matching,
        },
      ];
    }),
  ),
  ...(
    [
      ['networkpolicy-targets-pod', 'matches no pod'],
      ['pod-networkpolicy', 'NetworkPolicy'],
    ] as const
  ).map(([check, about]) => ({
    anchor: `${check} TestNetworkPolicyEmptyPodSelector`,
    manifest:
      pod('app: testapp', image('latest'), 'testspace') +
      netpol('testspace', '{}', '  ingress: [{}]\n  egress: [{}]\n  policyTypes: [Ingress, Egress]'),
    rule: 'network-policy',
    about,
    // ingress: [{}] and egress: [{}] allow all traffic: kube-score reads only policyTypes.
    flags: false,
    ...(check === 'pod-networkpolicy'
      ? {
          differs:
            'an ingress/egress rule {} allows all traffic, so the policy protects nothing (kube-score reads only policyTypes)',
        }
      : {}),
  })),
];

describeAnchor('kube-score', CASES);
