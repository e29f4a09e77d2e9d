import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { IgnoreParam, LevelsParam, type RuleSet, rulesParam } from '../../rules/findings.js';
import { runIn } from '../_shared/run-module.js';

export const RULES: RuleSet = {
  prefix: 'kubernetes',
  rules: [
    {
      id: 'kubernetes/readiness-probe',
      title: 'Serving pods have a readiness probe',
      level: 'error',
      fix: 'readinessProbe: {httpGet: {path: /ready, port: http}} — ready only once the model is loaded.',
      refs: [
        'kube-score pod-probes (kube-score skips pods no Service targets; we judge every long-running workload)',
        'Polaris readinessProbeMissing',
      ],
    },
    {
      id: 'kubernetes/liveness-probe',
      title: 'Serving pods have a liveness probe',
      level: 'error',
      fix: 'livenessProbe: {httpGet: {path: /health, port: http}}, distinct from the readiness probe.',
      refs: [
        'kube-score pod-probes (kube-score only warns for a missing liveness probe)',
        'Polaris livenessProbeMissing',
      ],
    },
    {
      id: 'kubernetes/probes-identical',
      title: 'Readiness and liveness probes differ',
      level: 'error',
      fix: 'Point liveness at a cheap "alive" endpoint and readiness at "ready to serve".',
      refs: ['kube-score pod-probes-identical'],
    },
    {
      id: 'kubernetes/startup-probe',
      title: 'A slow-loading model has a startup probe',
      level: 'error',
      fix: 'startupProbe: {httpGet: {path: /ready, port: http}, failureThreshold: 30, periodSeconds: 10}',
      refs: [],
    },
    {
      id: 'kubernetes/resources',
      title: 'Containers set CPU and memory requests and limits',
      level: 'error',
      fix: 'resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: "2", memory: 2Gi}}',
      refs: [
        'kube-score container-resources',
        'Polaris cpuRequestsMissing, cpuLimitsMissing, memoryRequestsMissing, memoryLimitsMissing',
      ],
    },
    {
      id: 'kubernetes/image-tag',
      title: 'Images name an explicit tag that is not latest',
      level: 'error',
      fix: 'image: registry/model-server:1.4.2 (or @sha256:...)',
      refs: ['kube-score container-image-tag', 'Polaris tagNotSpecified'],
    },
    {
      id: 'kubernetes/run-as-non-root',
      title: 'Containers run as non-root',
      level: 'error',
      fix: 'securityContext: {runAsNonRoot: true, runAsUser: 10001}',
      refs: [
        'kube-score container-security-context-user-group-id (kube-score wants UID/GID > 10000; we want a non-root user)',
        'Polaris runAsRootAllowed',
      ],
    },
    {
      id: 'kubernetes/read-only-root-fs',
      title: 'Containers have a read-only root filesystem',
      level: 'error',
      fix: 'securityContext: {readOnlyRootFilesystem: true}; mount an emptyDir for scratch space.',
      refs: [
        'kube-score container-security-context-readonlyrootfilesystem',
        'Polaris notReadOnlyRootFilesystem',
      ],
    },
    {
      id: 'kubernetes/no-privilege-escalation',
      title: 'Containers forbid privilege escalation',
      level: 'error',
      fix: 'securityContext: {allowPrivilegeEscalation: false}',
      refs: ['Polaris privilegeEscalationAllowed'],
    },
    {
      id: 'kubernetes/privileged',
      title: 'No privileged containers',
      level: 'error',
      fix: 'Remove securityContext.privileged: true.',
      refs: ['kube-score container-security-context-privileged', 'Polaris runAsPrivileged'],
    },
    {
      id: 'kubernetes/drop-capabilities',
      title: 'Containers drop ALL capabilities',
      level: 'error',
      fix: 'securityContext: {capabilities: {drop: [ALL]}}',
      refs: ['Polaris insecureCapabilities (dropping every default capability by name counts too)'],
    },
    {
      id: 'kubernetes/replicas',
      title: 'Serving workloads run enough replicas',
      level: 'error',
      fix: 'replicas: 2 (or an HPA with minReplicas: 2).',
      refs: [
        'kube-score deployment-replicas',
        'kube-score horizontalpodautoscaler-replicas',
        'Polaris deploymentMissingReplicas, hpaMinAvailability',
      ],
    },
    {
      id: 'kubernetes/hpa',
      title: 'A HorizontalPodAutoscaler targets each serving workload',
      level: 'error',
      fix: 'Add an autoscaling/v2 HorizontalPodAutoscaler whose scaleTargetRef names the Deployment.',
      refs: ['kube-score horizontalpodautoscaler-has-target'],
    },
    {
      id: 'kubernetes/pdb',
      title: 'A PodDisruptionBudget with a policy selects each serving workload',
      level: 'error',
      fix: 'Add a policy/v1 PodDisruptionBudget with minAvailable: 1 selecting the pods.',
      refs: [
        'kube-score deployment-has-poddisruptionbudget',
        'kube-score poddisruptionbudget-has-policy',
        'Polaris missingPodDisruptionBudget',
      ],
    },
    {
      id: 'kubernetes/service',
      title: 'A Service selects each serving workload, and every Service selects pods',
      level: 'error',
      fix: 'Add a Service whose selector matches the pod labels.',
      refs: ['kube-score service-targets-pod'],
    },
    {
      id: 'kubernetes/network-policy',
      title:
        "NetworkPolicies restrict each workload's ingress and egress, and every NetworkPolicy selects pods",
      level: 'error',
      fix: 'Add a NetworkPolicy whose podSelector matches the pods with policyTypes: [Ingress, Egress], allowing only the traffic they need.',
      refs: [
        'kube-score pod-networkpolicy (kube-score warns for ingress-only or egress-only coverage; we fail)',
        'kube-score networkpolicy-targets-pod',
        'Polaris missingNetworkPolicy (Polaris also wants ingress and egress rules listed; a type with no rules denies all, which we accept)',
      ],
    },
    {
      id: 'kubernetes/ingress-tls',
      title: 'Ingresses terminate TLS',
      level: 'error',
      fix: 'spec.tls: [{hosts: [...], secretName: ...}]',
      refs: ['Polaris tlsSettingsMissing'],
    },
    {
      id: 'kubernetes/inline-secret',
      title: 'Secrets come from Secret objects, not inline env values',
      level: 'error',
      fix: 'env: [{name: API_TOKEN, valueFrom: {secretKeyRef: {name: model-api, key: token}}}]',
      refs: ['Polaris sensitiveContainerEnvVar'],
    },
    {
      id: 'kubernetes/host-network',
      title: "Pods do not share the node's network namespace",
      level: 'error',
      fix: 'Remove hostNetwork: true; expose the port through a Service instead.',
      refs: ['Polaris hostNetworkSet', 'Pod Security Standards baseline: host namespaces'],
    },
    {
      id: 'kubernetes/host-pid',
      title: "Pods do not share the node's process namespace",
      level: 'error',
      fix: 'Remove hostPID: true.',
      refs: ['Polaris hostPIDSet', 'Pod Security Standards baseline: host namespaces'],
    },
    {
      id: 'kubernetes/host-ipc',
      title: "Pods do not share the node's IPC namespace",
      level: 'error',
      fix: 'Remove hostIPC: true; for shared memory between containers mount an emptyDir with medium: Memory at /dev/shm.',
      refs: ['Polaris hostIPCSet', 'Pod Security Standards baseline: host namespaces'],
    },
    {
      id: 'kubernetes/host-path',
      title: "Pods do not mount the node's filesystem (hostPath volumes)",
      level: 'error',
      fix: 'Use a PersistentVolumeClaim, an emptyDir, or a CSI volume for model files instead of a hostPath.',
      refs: ['Polaris hostPathSet', 'Pod Security Standards baseline: hostPath volumes'],
    },
    {
      id: 'kubernetes/added-capabilities',
      title: 'Containers add no Linux capabilities (NET_BIND_SERVICE at most)',
      level: 'error',
      fix: 'Remove securityContext.capabilities.add (SYS_ADMIN, NET_ADMIN, ALL …); listen on a port above 1024 instead of adding NET_BIND_SERVICE where you can.',
      refs: [
        'Polaris dangerousCapabilities (ALL, SYS_ADMIN, NET_ADMIN)',
        'Pod Security Standards restricted: only NET_BIND_SERVICE may be added',
      ],
    },
    {
      id: 'kubernetes/plaintext-secret',
      title: 'No Secret with its values is committed in a manifest',
      level: 'error',
      fix: 'Commit a SealedSecret (bitnami sealed-secrets), an ExternalSecret (external-secrets.io) or a SOPS-encrypted file instead, or create the Secret at deploy time (kubectl create secret … from your CI secret store); rotate the values that were committed.',
      refs: ['kube-score has no such check; gitleaks/secretlint find the same values as text'],
    },
    {
      id: 'kubernetes/secret-in-configmap',
      title: 'ConfigMaps hold no credentials',
      level: 'error',
      fix: 'Move the value into a Secret (delivered as above) and reference it with valueFrom.secretKeyRef or a secret volume; ConfigMaps are readable by anyone who may read the namespace.',
      refs: [
        'Polaris sensitiveConfigmapContent (Polaris flags the key names whatever the value; placeholders such as xxxxx we accept)',
      ],
    },
  ],
};

/** The three probe types, the rule that requires each, and what is lost without it. */
export const PROBES = {
  readiness: {
    field: 'readinessProbe',
    rule: 'readiness-probe',
    why: 'traffic arrives before the model is loaded',
  },
  liveness: { field: 'livenessProbe', rule: 'liveness-probe', why: 'a hung server is never restarted' },
  startup: {
    field: 'startupProbe',
    rule: 'startup-probe',
    why: 'a slow model load can trip the liveness probe into a restart loop',
  },
} as const;
export type ProbeType = keyof typeof PROBES;
export const PROBE_TYPES = Object.keys(PROBES) as ProbeType[];

/** "startup-probe" or "kubernetes/startup-probe" → the full rule id. */
export const fullRuleId = (rule: string) => (rule.startsWith('kubernetes/') ? rule : `kubernetes/${rule}`);

const params = z
  .strictObject({
    paths: z
      .union([z.string(), z.array(z.string()).min(1)])
      .transform((v) => (Array.isArray(v) ? v : [v]))
      .describe('Manifest files, folders (their .yaml/.yml files) or globs.'),
    min_replicas: z.number().int().min(1).default(2).describe('Fewest replicas a serving workload may run.'),
    slow_start: z
      .boolean()
      .default(false)
      .describe('The model loads slowly: require a startupProbe (adds startup to require_probes).'),
    require_probes: z
      .array(z.enum(['liveness', 'readiness', 'startup']))
      .optional()
      .describe(
        'Probe types every serving workload must have (some container of its pod); default [liveness, readiness], plus startup with slow_start. A type not listed is not required.',
      ),
    ignore: IgnoreParam,
    levels: LevelsParam,
    rules: rulesParam(RULES),
  })
  .superRefine((params, ctx) => {
    const known = new Set(RULES.rules.map((rule) => rule.id));
    for (const [rule, level] of Object.entries(params.levels)) {
      if (!known.has(fullRuleId(rule))) {
        ctx.addIssue({
          code: 'custom',
          path: ['levels', rule],
          message: `unknown rule "${rule}" (known: ${[...known].join(', ')})`,
        });
      } else if (level === 'off') {
        const type = PROBE_TYPES.find((probe) => `kubernetes/${PROBES[probe].rule}` === fullRuleId(rule));
        // Turning off a probe required only by default is how specs opted out before require_probes.
        const asked =
          type && (params.require_probes?.includes(type) || (type === 'startup' && params.slow_start));
        if (asked)
          ctx.addIssue({
            code: 'custom',
            path: ['levels', rule],
            message: `${type} probes are required (${params.require_probes?.includes(type) ? 'require_probes' : 'slow_start'}) and this turns their rule off; drop one of the two`,
          });
      }
    }
  });

export type KubernetesParams = z.output<typeof params>;

export default defineCheck({
  kind: 'kubernetes',
  rules: RULES.rules,
  title: 'Kubernetes manifests run the model safely: probes, resources, security, scaling, network',
  description: [
    'Reads Kubernetes manifests as kubectl does (.yaml, .yml and .json files; multi-document YAML; YAML 1.1,',
    'so yes/on are true; List and typed lists such as DeploymentList; YAML merge keys; every workload kind,',
    'Argo Rollouts as Deployments, the pod templates of KServe InferenceServices and ServingRuntimes, Seldon',
    'SeldonDeployments and KubeRay RayClusters, RayServices and RayJobs, and the pod specs of any other',
    'object, found by shape up to 8 levels deep: spec.template, spec.podSpec, Kubeflow',
    '*ReplicaSpecs.<role>.template, JobSet replicatedJobs[].template.spec.template, Argo Workflows',
    'templates[].container/script/containerSet; a pod template seen but not readable is an error) and',
    'applies rules, each with an id, file:line and a fix:',
    'the probes `require_probes` lists on every serving workload (liveness and readiness by default,',
    'startup too with `slow_start`), naming the container that lacks one, with a table of which container',
    'has which probe; readiness and liveness probes that differ; CPU/memory requests and limits; image',
    'tags pinned, not latest; runAsNonRoot, readOnlyRootFilesystem, allowPrivilegeEscalation: false, no',
    'privileged, drop ALL capabilities and add none; runAsUser/runAsGroup integers (a string is a finding); no hostNetwork, hostPID, hostIPC or hostPath volumes (nor hostPath PersistentVolumes);',
    'replicas >= `min_replicas` (or an HPA with that minimum); an HPA, a PDB with a policy and a Service',
    'selecting each serving workload; NetworkPolicies covering ingress and egress of every workload, each',
    'policy selecting pods (label selectors and policyTypes evaluated, namespaces respected; a rule {}',
    'that allows all traffic restricts nothing); Ingresses with TLS; secret-like env values from Secret',
    'objects, not inline, and no value in a known token format (GitHub, Hugging Face, AWS, OpenAI …) in',
    'env or command/args whatever its name; no Secret with its values and no',
    'credential in a ConfigMap committed. Custom resources get the pod and container rules and the',
    'NetworkPolicy rule; their operator adds probes, Services and autoscaling. A KServe framework',
    'container (`sklearn:`, `model:` …) takes image, resources and securityContext from its serving',
    'runtime: only what it sets itself is judged there (the runtime is judged where it is in the files).',
    "Rules map to kube-score's and Polaris's checks where one exists (`refs`). Ignore one place with",
    '`# mlgate-ignore kubernetes/RULE: reason` above the line. No manifests found is nothing to judge;',
    'manifests with no workload mlgate reads are an error (nothing judged is never a pass); a file that',
    'does not parse is an error with its line; files with no Kubernetes object are counted as skipped.',
    'Helm templates ({{ .Values … }}, a chart with Chart.yaml) and a kustomization.yaml that patches or',
    'transforms its resources are an error: render them (`helm template`, `kubectl kustomize`) and point',
    'mlgate at the output. A --leader-elect flag exempts nothing: a controller that needs one replica says',
    'so with an ignore and its reason.',
  ].join(' '),
  params,
  examples: [
    { title: 'Production manifests', params: { paths: 'k8s/', min_replicas: 2 } },
    {
      title: 'A large model that takes minutes to load',
      params: { paths: ['deploy/model.yaml', 'deploy/network.yaml'], slow_start: true },
    },
    {
      title: 'Liveness, readiness and startup probes, each required',
      params: { paths: 'k8s/', require_probes: ['liveness', 'readiness', 'startup'] },
    },
  ],
  run: runIn(() => import('./run.js')),
});
