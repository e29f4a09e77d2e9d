/**
 * Agreement with Polaris on its own test material: every success/failure case under
 * test/checks/<check>/ of github.com/FairwindsOps/polaris whose check (pkg/config/checks/*.yaml)
 * corresponds to a rule of ours, restated here as manifests (not copied). A Polaris "failure"
 * case is "flags", a "success" case "passes"; deliberate differences say why.
 */
import { type AnchorCase, describeAnchor } from './anchors.js';

const pod = (spec: string, labels = 'app.kubernetes.io/name: nginx') => `apiVersion: v1
kind: Pod
metadata: {name: nginx, labels: {${labels}}}
spec:
${spec}
`;
/** A Pod with one nginx container carrying `extra` (indented container fields). */
const nginx = (extra = '', podSpec = '') =>
  pod(`${podSpec}  containers:\n  - name: nginx\n    image: nginx${extra}`);
const caps = (body: string) => `\n    securityContext:\n      capabilities: ${body}`;
const DEFAULTS_AND_NET_ADMIN = [
  'NET_ADMIN',
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
];
const containers = (...contexts: string[]) =>
  `  containers:\n${contexts.map((c, i) => `  - name: c${i}\n    image: nginx:1.25${c ? `\n    securityContext: ${c}` : ''}`).join('\n')}`;
const deployment = (
  template: string,
  { name = 'zookeeper', namespace = '', labels = '', replicas = '' } = {},
) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}${namespace ? `, namespace: ${namespace}` : ''}${labels ? `, labels: {${labels}}` : ''}}
spec:${replicas ? `\n  replicas: ${replicas}` : ''}
  template:
${template}
      containers: [{name: ${name}, image: ${name}}]
`;
const budget = (selector: string, { name = 'zk-pdb', namespace = '' } = {}) => `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: ${name}${namespace ? `, namespace: ${namespace}` : ''}}
spec: {minAvailable: 2, selector: {matchLabels: {${selector}}}}
`;
const netpolPod = (selector: string, body: string) => `${pod(
  '  containers:\n  - {name: nginx, image: nginx, ports: [{containerPort: 80}]}',
  'security: medium',
)}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: test}
spec:
  podSelector: {matchLabels: {security: ${selector}}}
${body}
`;
const INGRESS_RULES =
  '  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{protocol: TCP, port: 8080}]}]';
const EGRESS_RULES =
  '  egress: [{to: [{podSelector: {matchLabels: {security: medium}}}], ports: [{protocol: TCP, port: 80}]}]';
const configMap = (data: string) => `apiVersion: v1
kind: ConfigMap
metadata: {name: test-config}
${data}
`;
const envPod = (env: string) =>
  pod(
    `  containers:\n  - name: nginx\n    image: nginx\n    ports: [{containerPort: 80}]${env ? `\n    env:\n${env}` : ''}`,
  );
const hpa = (minReplicas: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: php-apache}
spec:
  replicas: 1
  selector: {matchLabels: {app: php-apache}}
  template:
    metadata: {labels: {app: php-apache}}
    spec:
      containers: [{name: php-apache, image: "registry.k8s.io/hpa-example:1.0"}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: php-apache}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: php-apache}${minReplicas ? `\n  minReplicas: ${minReplicas}` : ''}
  maxReplicas: 10
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]
`;
const ingress = (tls: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: minimal-ingress, annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}}
spec:${tls}
  rules:
  - http:
      paths: [{path: /testpath, pathType: Prefix, backend: {service: {name: test, port: {number: 80}}}}]
`;

type Row = [string, string, boolean, string?];
const check = (polaris: string, rule: string, rows: Row[], about?: string): AnchorCase[] =>
  rows.map(([file, manifest, flags, differs]) => ({
    anchor: `${polaris} ${file}`,
    manifest,
    rule,
    flags,
    ...(about ? { about } : {}),
    ...(differs ? { differs } : {}),
  }));

const PLACEHOLDER =
  'the value "xxxxx" is a placeholder, not a credential: a ConfigMap key that names a secret is flagged only with a real-looking value (no false alarms on templates)';
const RULES_NOT_TYPES =
  'a policy type listed with no rules denies all traffic that way: mlgate reads policyTypes as Kubernetes does (the strictest policy is no missing one)';

const CASES: AnchorCase[] = [
  ...check(
    'cpuRequestsMissing',
    'resources',
    [
      ['failure.yaml', nginx('\n    resources: {requests: {memory: 128Mi}}'), true],
      ['success.yaml', nginx('\n    resources: {requests: {memory: 128Mi, cpu: 100m}}'), false],
    ],
    'requests.cpu',
  ),
  ...check(
    'cpuLimitsMissing',
    'resources',
    [
      ['failure.yaml', nginx('\n    resources: {limits: {memory: 128Mi}}'), true],
      ['success.yaml', nginx('\n    resources: {limits: {memory: 128Mi, cpu: 100m}}'), false],
    ],
    'limits.cpu',
  ),
  ...check(
    'memoryRequestsMissing',
    'resources',
    [
      ['failure.yaml', nginx('\n    resources: {requests: null}'), true],
      ['success.yaml', nginx('\n    resources: {requests: {memory: 512Mi}}'), false],
    ],
    'requests.memory',
  ),
  ...check(
    'memoryLimitsMissing',
    'resources',
    [
      ['failure.cpu.yaml', nginx('\n    resources: {limits: {cpu: 100m}}'), true],
      ['failure.yaml', nginx('\n    resources: {limits: null}'), true],
      ['success.yaml', nginx('\n    resources: {limits: {memory: 512Mi}}'), false],
    ],
    'limits.memory',
  ),
  ...check('dangerousCapabilities', 'added-capabilities', [
    ['failure.all-caps.yaml', nginx(caps('{add: ["all"]}')), true],
    ['failure.all.yaml', nginx(caps('{add: ["ALL"]}')), true],
    ['failure.case.yaml', nginx(caps('{add: [nEt_aDmIn]}')), true],
    ['failure.yaml', nginx(caps('{add: [NET_ADMIN]}')), true],
    ['success.yaml', nginx(caps('{add: null}')), false],
  ]),
  ...check('insecureCapabilities', 'drop-capabilities', [
    ['failure.add.yaml', nginx(caps('{add: [ALL]}')), true],
    [
      'failure.drop-most.yaml',
      nginx(caps(`{drop: [${DEFAULTS_AND_NET_ADMIN.slice(0, -1).join(', ')}]}`)),
      true,
    ],
    ['failure.pod.yaml', nginx('', '  securityContext: {capabilities: {drop: [ALL]}}\n'), true],
    ['failure.yaml', nginx(), true],
    ['success.all.yaml', nginx(caps('{drop: [All]}')), false],
    [
      'success.case.yaml',
      nginx(
        caps(`{drop: [${DEFAULTS_AND_NET_ADMIN.map((c, i) => (i % 2 ? c.toLowerCase() : c)).join(', ')}]}`),
      ),
      false,
    ],
    ['success.drop.yaml', nginx(caps('{drop: [ALL]}')), false],
    [
      'success.pod.yaml',
      nginx(
        caps(`{drop: [${DEFAULTS_AND_NET_ADMIN.join(', ')}]}`),
        '  securityContext: {capabilities: {drop: null}}\n',
      ),
      false,
    ],
    ['success.yaml', nginx(caps(`{drop: [${DEFAULTS_AND_NET_ADMIN.join(', ')}]}`)), false],
  ]),
  ...(
    [
      ['hostIPCSet', 'hostIPC', 'host-ipc'],
      ['hostNetworkSet', 'hostNetwork', 'host-network'],
      ['hostPIDSet', 'hostPID', 'host-pid'],
    ] as const
  ).flatMap(([polaris, field, rule]) =>
    check(polaris, rule, [
      ['failure.yaml', nginx('', `  ${field}: true\n`), true],
      ['success.yaml', nginx('', `  ${field}: false\n`), false],
    ]),
  ),
  ...check('hostPathSet', 'host-path', [
    ['failure.yaml', nginx('', '  volumes: [{name: log-volume, hostPath: {path: /var/log}}]\n'), true],
    ['success.yaml', nginx('', '  volumes: [{name: log-volume}]\n'), false],
  ]),
  ...check('livenessProbeMissing', 'liveness-probe', [
    ['failure.yaml', nginx('\n    args: [/bin/sh, -c, "touch /tmp/healthy; sleep 600"]'), true],
    [
      'success.yaml',
      nginx(
        '\n    livenessProbe: {exec: {command: [cat, /tmp/healthy]}, initialDelaySeconds: 5, periodSeconds: 5}',
      ),
      false,
    ],
  ]),
  ...check('readinessProbeMissing', 'readiness-probe', [
    ['failure.yaml', nginx('\n    args: [/bin/sh, -c, "touch /tmp/healthy; sleep 600"]'), true],
    [
      'success.yaml',
      nginx(
        '\n    readinessProbe: {exec: {command: [cat, /tmp/healthy]}, initialDelaySeconds: 5, periodSeconds: 5}',
      ),
      false,
    ],
  ]),
  ...check('missingNetworkPolicy', 'network-policy', [
    [
      'failure.netpol_missing_egress_in_policytypes.yaml',
      netpolPod('medium', `  policyTypes: [Ingress]\n${INGRESS_RULES}\n${EGRESS_RULES}`),
      true,
    ],
    [
      'failure.netpol_missing_egress_rules.yaml',
      netpolPod('medium', `  policyTypes: [Egress, Ingress]\n${INGRESS_RULES}`),
      true,
      RULES_NOT_TYPES,
    ],
    [
      'failure.netpol_missing_ingress_in_policytypes.yaml',
      netpolPod('medium', `  policyTypes: [Egress]\n${INGRESS_RULES}\n${EGRESS_RULES}`),
      true,
    ],
    [
      'failure.netpol_missing_ingress_rules.yaml',
      netpolPod('medium', `  policyTypes: [Egress, Ingress]\n${EGRESS_RULES}`),
      true,
      RULES_NOT_TYPES,
    ],
    [
      'failure.netpol_targets_wrong_pod_label.yaml',
      netpolPod('high', `  policyTypes: [Egress, Ingress]\n${INGRESS_RULES}\n${EGRESS_RULES}`),
      true,
    ],
    [
      'success.yaml',
      netpolPod('medium', `  policyTypes: [Egress, Ingress]\n${INGRESS_RULES}\n${EGRESS_RULES}`),
      false,
    ],
  ]),
  ...check('missingPodDisruptionBudget', 'pdb', [
    [
      'failure-bad-ns.yaml',
      deployment('    metadata: {labels: {app: zookeeper}}\n    spec:', { namespace: 'rightnamespace' }) +
        budget('app: zookeeper', { namespace: 'wrongnamespace' }),
      true,
    ],
    [
      'failure.bad-name.yaml',
      deployment('    metadata: {labels: {app: zookeeper}}\n    spec:') + budget('app: asdfasf'),
      true,
    ],
    [
      'failure.empty-labels.yaml',
      deployment('    metadata: {labels: {}}\n    spec:') + budget('app.kubernetes.io/name: zookeeper'),
      true,
    ],
    [
      'failure.no-labels.yaml',
      deployment('    metadata: {}\n    spec:') + budget('app.kubernetes.io/name: zookeeper'),
      true,
    ],
    ['failure.no-metadata.yaml', deployment('    spec:') + budget('app.kubernetes.io/name: zookeeper'), true],
    [
      'failure.wrong-place.yaml (labels on the Deployment, not its pods)',
      deployment('    spec:', { labels: 'app.kubernetes.io/name: zookeeper, foo: bar' }) +
        budget('app.kubernetes.io/name: zookeeper'),
      true,
    ],
    ['failure.yaml', deployment('    spec:', { labels: 'app: zookeeper' }), true],
    [
      'success.many.yaml',
      deployment('    metadata: {labels: {app.kubernetes.io/name: zookeeper}}\n    spec:') +
        budget('app.kubernetes.io/name: zookeeper', { name: 'zookeeper-pdb' }) +
        budget('app.kubernetes.io/name: abcd', { name: 'abcd-pdb' }) +
        budget('app.kubernetes.io/name: fghi', { name: 'fghi-pdb' }),
      false,
    ],
    [
      'success.yaml',
      deployment('    metadata: {labels: {app.kubernetes.io/name: zookeeper, foo: bar}}\n    spec:') +
        budget('app.kubernetes.io/name: zookeeper'),
      false,
    ],
  ]),
  ...check('notReadOnlyRootFilesystem', 'read-only-root-fs', [
    [
      'failure.pod.yaml',
      pod(
        `  securityContext: {readOnlyRootFilesystem: false}\n${containers('{readOnlyRootFilesystem: true}', '{readOnlyRootFilesystem: false}')}`,
      ),
      true,
    ],
    [
      'failure.two_cont_one_unspecified.yaml',
      pod(
        `  securityContext: {readOnlyRootFilesystem: false}\n${containers('{readOnlyRootFilesystem: true}', '')}`,
      ),
      true,
    ],
    ['failure.yaml', pod(containers('{readOnlyRootFilesystem: false}')), true],
    [
      'success.pod.yaml',
      pod(
        `  securityContext: {readOnlyRootFilesystem: false}\n${containers('{readOnlyRootFilesystem: true}')}`,
      ),
      false,
    ],
    ['success.yaml', pod(containers('{readOnlyRootFilesystem: true}')), false],
  ]),
  ...check('privilegeEscalationAllowed', 'no-privilege-escalation', [
    [
      'failure.pod.yaml',
      pod(
        `  securityContext: {allowPrivilegeEscalation: false}\n${containers('{allowPrivilegeEscalation: true}')}`,
      ),
      true,
    ],
    [
      'failure.pod_unspecified.yaml',
      pod(`  securityContext: {allowPrivilegeEscalation: false}\n${containers('null')}`),
      true,
    ],
    ['failure.unspecified.yaml', pod(containers('')), true],
    ['failure.yaml', pod(containers('{allowPrivilegeEscalation: true}')), true],
    [
      'success.pod.yaml',
      pod(
        `  securityContext: {allowPrivilegeEscalation: true}\n${containers('{allowPrivilegeEscalation: false}')}`,
      ),
      false,
    ],
    ['success.yaml', pod(containers('{allowPrivilegeEscalation: false}')), false],
  ]),
  ...check('runAsPrivileged', 'privileged', [
    [
      'failure.pod.yaml',
      pod(`  securityContext: {privileged: false}\n${containers('{privileged: true}')}`),
      true,
    ],
    [
      'failure.two_cont.yaml',
      pod(
        `  securityContext: {privileged: false}\n${containers('{privileged: true}', '{privileged: false}')}`,
      ),
      true,
    ],
    [
      'failure.two_cont_one_unspecified.yaml',
      pod(`  securityContext: {privileged: false}\n${containers('{privileged: true}', 'null')}`),
      true,
    ],
    ['failure.yaml', pod(containers('{privileged: true}')), true],
    [
      'success.pod.yaml',
      pod(`  securityContext: {privileged: true}\n${containers('{privileged: false}')}`),
      false,
    ],
    ['success.pod_no_cont.yaml', pod(`  securityContext: {privileged: false}\n${containers('null')}`), false],
    ['success.yaml', pod(containers('{privileged: false}')), false],
  ]),
  ...check('runAsRootAllowed', 'run-as-non-root', [
    [
      'failure.yaml',
      deployment('    spec:').replace(
        'containers: [{name: zookeeper, image: zookeeper}]',
        'containers: [{name: nginx, image: nginx, securityContext: {runAsNonRoot: false}}]',
      ),
      true,
    ],
    [
      'success.yaml',
      deployment('    spec:').replace(
        'containers: [{name: zookeeper, image: zookeeper}]',
        'containers: [{name: nginx, image: nginx, securityContext: {runAsNonRoot: true}}]',
      ),
      false,
    ],
  ]),
  ...check('sensitiveConfigmapContent', 'secret-in-configmap', [
    [
      'failure.key_aws_secret_access_key.yaml',
      configMap('data:\n  AWS_SECRET_ACCESS_KEY: xxxxx'),
      true,
      PLACEHOLDER,
    ],
    ['failure.key_azure_batch_key.yaml', configMap('data:\n  AZURE_BATCH_KEY: xxxxx'), true, PLACEHOLDER],
    [
      'failure.key_oci_cli_key_content.yaml',
      configMap('data:\n  OCI_CLI_KEY_CONTENT: xxxxx'),
      true,
      PLACEHOLDER,
    ],
    ['failure.key_password.yaml', configMap('data:\n  db_username: postgres\n  db_password: abc123'), true],
    [
      'failure.value_private_key.yaml',
      configMap(
        'data:\n  a_key: and value that are ok\n  ssh_access: |\n    -----BEGIN PRIVATE KEY-----\n    xxxxxxxx\n    -----END OPENSSH PRIVATE KEY-----',
      ),
      true,
    ],
    ['success.no_data.yaml', configMap('# no data'), false],
    [
      'success.valid_keys_and_values.yaml',
      configMap('data:\n  message: This is a test\n  db_user: postgres'),
      false,
    ],
  ]),
  ...check('sensitiveContainerEnvVar', 'inline-secret', [
    [
      'failure.key_aws_secret_access_key.yaml',
      envPod('    - {name: password, value: abc123}\n    - {name: AWS_SECRET_ACCESS_KEY, value: xxx}'),
      true,
    ],
    [
      'failure.key_azure_batch_key.yaml',
      envPod('    - {name: password, value: abc123}\n    - {name: AZURE_BATCH_KEY, value: xxx}'),
      true,
    ],
    [
      'failure.key_oci_cli_key_content.yaml',
      envPod('    - {name: password, value: abc123}\n    - {name: OCI_CLI_KEY_CONTENT, value: xxx}'),
      true,
    ],
    [
      'failure.key_password.yaml',
      envPod('    - {name: user_name, value: postgres}\n    - {name: my_password, value: abc123}'),
      true,
    ],
    [
      'failure.value_private_key.yaml',
      envPod(
        '    - {name: user_name, value: postgres}\n    - name: the_good_stuff\n      value: |\n        ---BEGIN OPENSSH PRIVATE KEY---\n        xxxxx\n        ---END  OPENSSH PRIVATE KEY---',
      ),
      true,
    ],
    ['success.no_env_vars.yaml', envPod(''), false],
    [
      'success.sensitive_key_uses_valueFrom.yaml',
      envPod('    - {name: token, valueFrom: {secretKeyRef: {key: token, name: a-secret}}}'),
      false,
    ],
    ['success.valid_env_vars.yaml', envPod('    - {name: greeting, value: hello}'), false],
  ]),
  ...check('tagNotSpecified', 'image-tag', [
    ['failure.latest.yaml', pod('  containers: [{image: "nginx:latest"}]', 'env: test'), true],
    ['failure.yaml', pod('  containers: [{image: nginx}]', 'env: test'), true],
    ['success.yaml', pod('  containers: [{image: "nginx:v1.2.3"}]', 'env: test'), false],
  ]),
  ...check('tlsSettingsMissing', 'ingress-tls', [
    ['failure.yaml', ingress(''), true],
    ['success.yaml', ingress('\n  tls: [{secretName: example, hosts: [example.com]}]'), false],
  ]),
  ...check('deploymentMissingReplicas', 'replicas', [
    ['failure.yaml', deployment('    spec:', { name: 'nginx', labels: 'env: test', replicas: '1' }), true],
    ['success.yaml', deployment('    spec:', { name: 'nginx', labels: 'env: test', replicas: '3' }), false],
  ]),
  ...check('hpaMinAvailability', 'replicas', [
    ['failure.yaml', hpa('1'), true],
    [
      'success.minReplicaAbsent.yaml',
      hpa(''),
      false,
      'an HPA without minReplicas runs one replica (the Kubernetes default): one node failure takes the model down',
    ],
    ['success.yaml', hpa('2'), false],
  ]),
];

describeAnchor('polaris', CASES);
