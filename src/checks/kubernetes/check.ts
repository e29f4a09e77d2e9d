import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import {
  type Finding,
  IgnoreParam,
  LevelsParam,
  mask,
  parseInlineIgnores,
  type RuleSet,
  ruleOutcome,
  rulesParam,
} from '../../rules/findings.js';
import { DEFAULT_CAPABILITIES } from '../../rules/capabilities.js';
import { parseImage } from '../../rules/image.js';
import { expandPaths } from '../../util/walk.js';
import { YamlSource } from '../../util/yaml-source.js';
import {
  discoverPodTemplates,
  get,
  pathText,
  WALK_DEPTH,
  isWorkloadKind,
  list,
  NATIVE_WORKLOADS,
  type Obj,
  OPERATOR_KINDS,
  operatorOf,
  type PodContainer,
  type PodTemplate,
  podTemplates,
} from './pod-templates.js';
import {
  decodeBase64,
  isPlaceholder,
  isSecretValue,
  PRIVATE_KEY,
  secretsInConfigEntry,
  tokenIn,
} from './secret-values.js';

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

interface Resource {
  kind: string;
  apiVersion: string;
  name: string;
  namespace: string;
  data: Obj;
  source: YamlSource;
  /** Path to this object within its document (for List items). */
  base: Array<string | number>;
  file: string;
}

/** A workload and the pods it runs; `operator` for a custom resource (KServe, Seldon, KubeRay). */
interface Workload {
  resource: Resource;
  operator?: string;
  templates: PodTemplate[];
}

const SERVING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Pod', 'Rollout']);
const SCALABLE = new Set(['Deployment', 'StatefulSet', 'Rollout']);
/** Argo Rollouts replace a Deployment: the serving rules (probes, replicas, HPA, PDB, Service) apply. */
const ARGO_ROLLOUT = (kind: string, apiVersion: string) =>
  kind === 'Rollout' && /^argoproj\.io\//.test(apiVersion);
/** Kustomization keys that change what is applied; any other key only lists the files. */
const KUSTOMIZE_PLAIN = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'resources',
  'bases',
  'sortOptions',
  'buildMetadata',
  'generatorOptions',
  'openapi',
]);
/**
 * Helm's template syntax: its objects (.Values, .Release …), include/toYaml/nindent, and the
 * trim markers ({{- … -}}) at a line's edge. Go templates in other manifests ({{ $labels.pod }}
 * in an alert, {{inputs.parameters.x}} in an Argo Workflow) are values, not a chart.
 */
const HELM_SYNTAX =
  /\{\{-?\s*(\$?\.Values\b|\.Release\b|\.Chart\b|\.Capabilities\b|\.Files\b|include\s+"|template\s+"|toYaml\b|tpl\s)|^\s*\{\{-|-\}\}\s*$|\|\s*n?indent\s+\d+\s*-?\}\}/m;
/** Templates of other pods, not pods of their own: no NetworkPolicy or Service selects them. */
const RUNTIME_TEMPLATES = new Set(['ServingRuntime', 'ClusterServingRuntime']);

/** What the error says mlgate reads, when it finds no workload. */
const READS = `${Object.keys(NATIVE_WORKLOADS).join(', ')}, any object with a pod spec, found by shape up to ${WALK_DEPTH} levels deep (spec.template, spec.podSpec, Kubeflow *ReplicaSpecs.<role>.template, JobSet replicatedJobs[].template.spec.template, Argo Workflows templates[].container/script/containerSet), and the pod templates of ${[
  ...new Set(Object.values(OPERATOR_KINDS).map((o) => o.operator)),
]
  .map(
    (operator) =>
      `${operator} (${Object.entries(OPERATOR_KINDS)
        .filter(([, o]) => o.operator === operator)
        .map(([kind]) => (kind === 'Service' ? 'Service of serving.knative.dev' : kind))
        .join(', ')})`,
  )
  .join(', ')}`;

/** Why an added capability matters, for the message. */
const CAPABILITY_RISK: Record<string, string> = {
  ALL: 'every capability: root-equivalent on the node',
  SYS_ADMIN: 'near root on the node (mounts, namespaces, BPF)',
  NET_ADMIN: 'can reconfigure the network, sniff or redirect traffic',
  NET_RAW: 'can craft raw packets and spoof traffic',
  SYS_PTRACE: "can read other processes' memory",
  SYS_MODULE: 'can load kernel modules',
  DAC_READ_SEARCH: 'can read any file',
  DAC_OVERRIDE: 'bypasses file permission checks',
};
const capability = (value: unknown) => String(value).toUpperCase().replace(/^CAP_/, '');

/** The three probe types, the rule that requires each, and what is lost without it. */
const PROBES = {
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
type ProbeType = keyof typeof PROBES;
const PROBE_TYPES = Object.keys(PROBES) as ProbeType[];

/** The probes a spec requires: require_probes, or liveness and readiness; startup too with slow_start. */
function requiredProbes(params: { require_probes?: ProbeType[]; slow_start: boolean }): ProbeType[] {
  const required = new Set<ProbeType>(params.require_probes ?? ['liveness', 'readiness']);
  if (params.slow_start) required.add('startup');
  return PROBE_TYPES.filter((type) => required.has(type));
}

/** "startup-probe" or "kubernetes/startup-probe" → the full rule id. */
const fullRuleId = (rule: string) => (rule.startsWith('kubernetes/') ? rule : `kubernetes/${rule}`);

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
  params: z
    .strictObject({
      paths: z
        .union([z.string(), z.array(z.string()).min(1)])
        .transform((v) => (Array.isArray(v) ? v : [v]))
        .describe('Manifest files, folders (their .yaml/.yml files) or globs.'),
      min_replicas: z
        .number()
        .int()
        .min(1)
        .default(2)
        .describe('Fewest replicas a serving workload may run.'),
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
    }),
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
  async run(ctx, params) {
    // kubectl apply -f <folder> reads .json manifests as well as .yaml/.yml.
    const { files, missing } = expandPaths(ctx.root, params.paths, /\.(ya?ml|json)$/i);
    const required = requiredProbes(params);
    // A probe type that is not required is off, unless levels says otherwise; levels may use short ids.
    // A probe type not required is not run at all (the kind's default), not a finding marked off.
    const defaults: Record<string, 'error' | 'warning' | 'off'> = {};
    for (const type of PROBE_TYPES)
      if (!required.includes(type)) defaults[`kubernetes/${PROBES[type].rule}`] = 'off';
    const levels: Record<string, 'error' | 'warning' | 'off'> = {};
    for (const [rule, level] of Object.entries(params.levels)) levels[fullRuleId(rule)] = level;
    if (files.length === 0) {
      // No input at all: an error (nothing judged is never a pass).
      return ruleOutcome({
        ruleset: RULES,
        only: params.rules,
        findings: [],
        inline: [],
        spec: params.ignore,
        levels,
        defaults,
        judged: [],
        nothing: `no manifests found at ${params.paths.join(', ')}${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`,
      });
    }
    if (missing.length > 0)
      // A named path that is not there is a manifest nobody judged: a typo must not hide it.
      return {
        status: 'error',
        summary: `${missing.join(', ')} named in paths but not found (the other paths were found): fix the path, or remove it`,
      };
    const resources: Resource[] = [];
    const findings: Finding[] = [];
    const inline: ReturnType<typeof parseInlineIgnores>['ignores'] = [];
    /** Files with no Kubernetes object in them (values.yaml, a compose file, an empty file). */
    const skipped: Array<{ file: string; why: string }> = [];
    /** Files that do not parse: the check is an error, with every one of them listed. */
    const unparseable: Array<{ file: string; at: string; why: string }> = [];
    let documents = 0;
    /** Documents with no kind (values, settings) in files that also hold objects, or in none. */
    let kindless = 0;
    /** Files that are not the manifests kubectl applies: a Helm chart's templates, a patching kustomization. */
    const unrendered: Array<{ file: string; why: string }> = [];
    const charts = new Set<string>();
    for (const file of files) {
      // A chart's inputs: Chart.yaml and values*.yaml beside it, and what is under its templates/.
      const parts = file.split('/');
      for (let n = parts.length - 1; n >= 0; n--) {
        const folder = parts.slice(0, n).join('/');
        const below = parts[n];
        const input =
          n === parts.length - 1 ? /^(Chart|values[^/]*)\.ya?ml$/.test(below!) : below === 'templates';
        if (input && existsSync(join(ctx.resolve(folder || '.'), 'Chart.yaml'))) {
          charts.add(file);
          break;
        }
      }
    }
    for (const file of files) {
      const text = readFileSync(ctx.resolve(file), 'utf8');
      const before = resources.length;
      let read = 0;
      const chart = charts.has(file);
      if (chart || HELM_SYNTAX.test(text.replace(/^\s*#.*$/gm, ''))) {
        unrendered.push({
          file,
          why: chart
            ? `part of a Helm chart (Chart.yaml): render it with \`helm template\` first and point mlgate at the output`
            : 'a Helm template ({{ … }}): render it with `helm template` first and point mlgate at the output',
        });
        continue;
      }
      for (const source of YamlSource.all(file, text, { version: '1.1' })) {
        const problem = source.syntaxProblems[0];
        if (problem) {
          // A file that does not parse may hold a workload: an error, but every such file is named.
          unparseable.push({
            file,
            at: `${file}:${problem.line}:${problem.column}`,
            why: `not valid YAML: ${problem.message}${/\{\{.*\}\}/.test(text) ? ' (a Helm template? render it with `helm template` first)' : ''}`,
          });
          break;
        }
        const data = source.toJS();
        if (!data || typeof data !== 'object') continue;
        read++;
        const add = (object: Obj, base: Array<string | number>) => {
          const kind = typeof object.kind === 'string' ? object.kind : '';
          // List, and typed lists (DeploymentList, ConfigMapList …) as kubectl get -o yaml writes them.
          if ((kind === 'List' || kind.endsWith('List')) && Array.isArray(object.items)) {
            list(object.items).forEach((item, index) => add(item, [...base, 'items', index]));
            return;
          }
          if (!kind) return;
          resources.push({
            kind,
            apiVersion: String(object.apiVersion ?? ''),
            name: String(get(object, 'metadata', 'name') ?? '(unnamed)'),
            namespace: String(get(object, 'metadata', 'namespace') ?? 'default'),
            data: object,
            source,
            base,
            file,
          });
        };
        // A kustomization that patches or transforms: the files are not what kubectl applies.
        if (
          !Array.isArray(data) &&
          ((data as Obj).kind === 'Kustomization' ||
            /^(kustomization\.ya?ml|Kustomization)$/.test(file.split('/').pop()!))
        ) {
          const changes = Object.keys(data as Obj).filter((key) => !KUSTOMIZE_PLAIN.has(key));
          if (changes.length > 0)
            unrendered.push({
              file,
              why: `a kustomization that changes its resources (${changes.join(', ')}): these files are not what is applied; run \`kubectl kustomize ${file.split('/').slice(0, -1).join('/') || '.'}\` (or \`kustomize build\`) to a file and point mlgate at the output`,
            });
        }
        if (Array.isArray(data) || typeof (data as Obj).kind !== 'string') kindless++;
        else add(data as Obj, []);
      }
      documents += read;
      if (unparseable.some((u) => u.file === file)) {
        resources.splice(before);
        continue;
      }
      if (resources.length === before) {
        skipped.push({
          file,
          why:
            read === 0
              ? 'empty'
              : `not Kubernetes: ${read === 1 ? 'its document has no kind' : `none of its ${read} documents has a kind`}`,
        });
        continue;
      }
      const parsed = parseInlineIgnores(file, text.split(/\r?\n/), 'kubernetes');
      inline.push(...parsed.ignores);
      findings.push(...parsed.problems);
    }
    if (unrendered.length > 0) {
      // Judging the inputs of a render would pass what the render changes: never a pass.
      const [first, ...rest] = unrendered;
      return {
        status: 'error',
        summary: `${first!.file}: ${first!.why}${rest.length ? `; ${rest.length} more file${rest.length === 1 ? '' : 's'} not rendered (${rest.map((u) => u.file).join(', ')})` : ''}`,
        measured: { files: files.length, files_unrendered: unrendered.length },
        evidence: [
          {
            type: 'table',
            title: 'files that are not rendered manifests (nothing was judged)',
            columns: ['file', 'why'],
            rows: unrendered.map((u) => [u.file, u.why]),
          },
        ],
      };
    }
    if (unparseable.length > 0) {
      const [first, ...rest] = unparseable;
      return {
        status: 'error',
        summary: `${first!.at}: ${first!.why}${rest.length ? `; ${rest.length} more file${rest.length === 1 ? '' : 's'} not valid YAML (${rest.map((u) => u.at).join(', ')})` : ''}`,
        measured: {
          files: files.length,
          files_unparseable: unparseable.length,
          files_skipped: skipped.length,
        },
        evidence: [
          {
            type: 'table',
            title: 'files that do not parse (nothing in them was judged)',
            columns: ['at', 'problem'],
            rows: unparseable.map((u) => [u.at, u.why]),
          },
        ],
      };
    }
    const judgedFiles = files.filter((file) => !skipped.some((s) => s.file === file));
    const skippedNote = skipped.length
      ? `${skipped.length} file${skipped.length === 1 ? '' : 's'} skipped (${skipped
          .slice(0, 3)
          .map((s) => `${s.file}: ${s.why}`)
          .join('; ')}${skipped.length > 3 ? '; …' : ''})`
      : '';
    const skippedEvidence = skipped.length
      ? [
          {
            type: 'table' as const,
            title: 'files skipped: no Kubernetes object in them',
            columns: ['file', 'why'],
            rows: skipped.map((s) => [s.file, s.why]),
          },
        ]
      : [];

    const finding = (
      resource: Resource,
      rule: string,
      message: string,
      path: Array<string | number> = [],
    ) => {
      const position = resource.source.locate([...resource.base, ...path]);
      findings.push({
        rule: `kubernetes/${rule}`,
        message: `${resource.kind}/${resource.name}: ${message}`,
        path: resource.file,
        line: position.line,
        excerpt: resource.source.lines[position.line - 1]?.trim(),
      });
    };

    const byKind = (kind: string) => resources.filter((r) => r.kind === kind);
    // Core Services only: a Knative Service (serving.knative.dev) is a workload.
    const services = byKind('Service').filter((s) => !operatorOf(s.kind, s.apiVersion));
    const pdbs = [...byKind('PodDisruptionBudget')];
    const hpas = byKind('HorizontalPodAutoscaler');
    const policies = byKind('NetworkPolicy');
    const workloads: Workload[] = [];
    /** Operator resources with no pod template written: nothing of them can be judged. */
    const unread: Resource[] = [];
    /** Objects with pod templates that could not be judged: never a silent pass. */
    const unjudged: Array<{ resource: Resource; path: Array<string | number>; why: string }> = [];
    const noContainers = (templates: PodTemplate[]) =>
      templates.every((t) => t.containers.length === 0 && t.initContainers.length === 0);
    for (const resource of resources) {
      if (!isWorkloadKind(resource.kind, resource.apiVersion)) {
        // Any other object with a pod template runs pods: judged by shape, never skipped.
        const found = discoverPodTemplates(resource.data, resource.kind, resource.apiVersion);
        const templates = found.templates;
        unjudged.push(...found.unjudged.map((u) => ({ resource, ...u })));
        if (templates.length === 0) continue;
        if (noContainers(templates))
          unjudged.push({
            resource,
            path: templates[0]!.specPath,
            why: 'its pod template lists no containers, so none could be judged',
          });
        const rollout = ARGO_ROLLOUT(resource.kind, resource.apiVersion);
        workloads.push({
          resource,
          ...(rollout ? {} : { operator: `${resource.kind} (${resource.apiVersion || 'no apiVersion'})` }),
          templates,
        });
        continue;
      }
      const templates = podTemplates(resource.kind, resource.apiVersion, resource.name, resource.data);
      const operator = operatorOf(resource.kind, resource.apiVersion);
      if (operator) {
        // Pod specs the operator's named handler does not know (a newer field) are judged too.
        const known = new Set(templates.map((t) => t.specPath.join('.')));
        const found = discoverPodTemplates(resource.data, resource.kind, resource.apiVersion);
        templates.push(...found.templates.filter((t) => !known.has(t.specPath.join('.'))));
        unjudged.push(...found.unjudged.map((u) => ({ resource, ...u })));
      }
      if (operator && templates.every((t) => t.containers.length === 0 && t.initContainers.length === 0)) {
        unread.push(resource);
        continue;
      }
      workloads.push({ resource, operator, templates });
    }
    /** Pods NetworkPolicies and Services can select: every template but serving-runtime ones. */
    const pods = workloads.flatMap((w) =>
      RUNTIME_TEMPLATES.has(w.resource.kind)
        ? []
        : w.templates
            .filter((t) => !t.podLevelOnly)
            .map((t) => ({ namespace: w.resource.namespace, labels: t.labels })),
    );

    const probeRows: Array<Array<string | number>> = [];
    for (const { resource: workload, operator, templates } of workloads) {
      for (const template of templates) {
        judgePod(workload, template);
        if (!RUNTIME_TEMPLATES.has(workload.kind) && !template.podLevelOnly)
          judgeNetworkPolicy(workload, template);
      }
      // Probes, scaling, disruption budgets and Services of custom resources are their operator's.
      if (operator) continue;
      const { labels, specPath, containers: podContainers } = templates[0]!;
      const containers = podContainers.map((c) => c.container);
      const serving = SERVING.has(workload.kind);

      if (serving) {
        for (const type of PROBE_TYPES) {
          const { field, rule, why } = PROBES[type];
          if (containers.some((container) => container[field])) continue;
          // Name the container(s) and point at the first: that is where the probe goes.
          const names = containers.map((container) => `"${String(container.name ?? '(unnamed)')}"`);
          finding(
            workload,
            rule,
            names.length === 1
              ? `container ${names[0]} has no ${field}: ${why}`
              : names.length === 0
                ? `the pod has no containers, so no ${field}`
                : `no container (${names.join(', ')}) has a ${field}: ${why}`,
            names.length === 0 ? specPath : [...specPath, 'containers', 0],
          );
        }
        containers.forEach((container, index) => {
          if (
            container.readinessProbe &&
            container.livenessProbe &&
            sameProbe(container.readinessProbe as Obj, container.livenessProbe as Obj)
          ) {
            finding(
              workload,
              'probes-identical',
              `container "${container.name}" uses the same readiness and liveness probe`,
              [...specPath, 'containers', index, 'livenessProbe'],
            );
          }
        });
        containers.forEach((container, index) => {
          const at = workload.source.locate([...workload.base, ...specPath, 'containers', index]);
          probeRows.push([
            `${workload.file}:${at.line}`,
            `${workload.kind}/${workload.name}`,
            String(container.name ?? '(unnamed)'),
            ...PROBE_TYPES.map((type) => (container[PROBES[type].field] ? 'yes' : 'no')),
          ]);
        });
      }

      if (SCALABLE.has(workload.kind)) {
        const hpa = hpas.find(
          (h) =>
            h.namespace === workload.namespace &&
            get(h.data, 'spec', 'scaleTargetRef', 'kind') === workload.kind &&
            get(h.data, 'spec', 'scaleTargetRef', 'name') === workload.name,
        );
        if (hpa) {
          const min = Number(get(hpa.data, 'spec', 'minReplicas') ?? 1);
          if (min < params.min_replicas)
            finding(
              hpa,
              'replicas',
              `minReplicas ${min} < ${params.min_replicas} for ${workload.kind}/${workload.name}`,
              ['spec'],
            );
        } else {
          const replicas = Number(get(workload.data, 'spec', 'replicas') ?? 1);
          if (replicas < params.min_replicas)
            finding(
              workload,
              'replicas',
              `${replicas} replica${replicas === 1 ? '' : 's'} < ${params.min_replicas}: one node failure takes the model down`,
              ['spec'],
            );
          finding(workload, 'hpa', 'no HorizontalPodAutoscaler targets it', []);
        }
      }
      if (serving && workload.kind !== 'Pod') {
        const pdb = pdbs.find(
          (p) => p.namespace === workload.namespace && selects(get(p.data, 'spec', 'selector'), labels),
        );
        if (!pdb) finding(workload, 'pdb', 'no PodDisruptionBudget selects its pods', []);
        else if (
          get(pdb.data, 'spec', 'minAvailable') === undefined &&
          get(pdb.data, 'spec', 'maxUnavailable') === undefined
        ) {
          finding(pdb, 'pdb', 'has neither minAvailable nor maxUnavailable', ['spec']);
        }
        if (
          !services.some(
            (s) => s.namespace === workload.namespace && matchesMap(get(s.data, 'spec', 'selector'), labels),
          )
        ) {
          finding(workload, 'service', 'no Service selects its pods', []);
        }
      }
    }

    /** The pod and container rules, the same for built-in workloads and operator resources. */
    function judgePod(workload: Resource, template: PodTemplate) {
      const { spec, specPath, part } = template;
      const at = (message: string) => (part ? `${part}: ${message}` : message);
      for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
        if (spec[field] !== true) continue;
        const rule = { hostNetwork: 'host-network', hostPID: 'host-pid', hostIPC: 'host-ipc' }[field];
        const why = {
          hostNetwork:
            "the pod uses the node's network: it can reach node-local services and bypasses NetworkPolicies",
          hostPID: 'the pod sees every process on the node and can signal or inspect them',
          hostIPC: "the pod shares the node's IPC: it can read other processes' shared memory",
        }[field];
        finding(workload, rule, at(`${field}: true — ${why}`), [...specPath, field]);
      }
      list(spec.volumes).forEach((volume, index) => {
        if (volume.hostPath === undefined || volume.hostPath === null) return;
        const hostPath = String(get(volume, 'hostPath', 'path') ?? '(no path)');
        finding(
          workload,
          'host-path',
          at(
            `volume "${String(volume.name ?? index)}" mounts the node's ${hostPath}: the pod reads (or writes) the node's filesystem`,
          ),
          [...specPath, 'volumes', index, 'hostPath'],
        );
      });
      const own = spec.securityContext !== undefined && spec.securityContext !== null;
      const podSecurity = {
        value: (own ? spec.securityContext : (template.podSecurity?.value ?? {})) as Obj,
        path: own || !template.podSecurity ? [...specPath, 'securityContext'] : template.podSecurity.path,
      };
      for (const entry of [...template.containers, ...template.initContainers])
        judgeContainer(workload, entry, podSecurity, at);
    }

    function judgeContainer(
      workload: Resource,
      { container, path, imageSupplied }: PodContainer,
      pod: { value: Obj; path: Array<string | number> },
      at: (message: string) => string,
    ) {
      const podSecurity = pod.value;
      const name = `container "${String(container.name ?? '(unnamed)')}"`;
      // A KServe framework container inherits what it does not set from its serving runtime.
      const inherits = imageSupplied === true;
      const resources = (container.resources ?? {}) as Obj;
      const absent = ['requests', 'limits'].flatMap((kind) =>
        ['cpu', 'memory'].filter((r) => get(resources, kind, r) === undefined).map((r) => `${kind}.${r}`),
      );
      if (absent.length > 0 && !inherits)
        finding(workload, 'resources', at(`${name} has no ${absent.join(', ')}`), path);
      const image = typeof container.image === 'string' ? container.image : '';
      const reference = parseImage(image);
      if (!image) {
        if (!inherits) finding(workload, 'image-tag', at(`${name} has no image`), path);
      } else if (image.startsWith('ko://')) {
        // ko builds the Go package and writes the image by digest at deploy time.
      } else if (!reference.digest && (!reference.tag || /^latest([-_.]|$)/i.test(reference.tag)))
        // latest-gpu, latest-cpu: moving tags too.
        finding(
          workload,
          'image-tag',
          at(
            `${name} image "${image}" ${reference.tag ? `uses the moving tag :${reference.tag}` : 'has no tag'}`,
          ),
          [...path, 'image'],
        );
      const security = (container.securityContext ?? {}) as Obj;
      const effective = (key: string) => (security[key] !== undefined ? security[key] : podSecurity[key]);
      const runAsUser = effective('runAsUser');
      const runAsNonRoot = effective('runAsNonRoot');
      // Security findings point into securityContext (or at the missing field's nearest parent).
      const field = (key: string) => [...path, 'securityContext', key];
      // A uid or gid that is not an integer: kubectl rejects it, or Go's YAML reads 0o0 as root.
      let invalidId = false;
      for (const key of ['runAsUser', 'runAsGroup'] as const) {
        const value = effective(key);
        const problem = idProblem(value);
        if (!problem) continue;
        invalidId = true;
        finding(
          workload,
          'run-as-non-root',
          at(`${name} ${key} ${problem}`),
          security[key] !== undefined ? field(key) : [...pod.path, key],
        );
      }
      const nonRoot =
        runAsNonRoot === true ? runAsUser !== 0 : typeof runAsUser === 'number' && runAsUser > 0;
      const explicitlyRoot = runAsUser === 0 || runAsNonRoot === false;
      if (!invalidId && !nonRoot && (!inherits || explicitlyRoot)) {
        finding(
          workload,
          'run-as-non-root',
          at(
            runAsUser === 0
              ? `${name} runs as UID 0`
              : runAsNonRoot === false
                ? `${name} sets runAsNonRoot: false`
                : `${name} does not set runAsNonRoot: true (nor a non-zero runAsUser)`,
          ),
          field(runAsUser === 0 ? 'runAsUser' : 'runAsNonRoot'),
        );
      }
      if (
        security.readOnlyRootFilesystem !== true &&
        (!inherits || security.readOnlyRootFilesystem === false)
      )
        finding(
          workload,
          'read-only-root-fs',
          at(`${name} has a writable root filesystem`),
          field('readOnlyRootFilesystem'),
        );
      if (
        security.allowPrivilegeEscalation !== false &&
        (!inherits || security.allowPrivilegeEscalation === true)
      )
        finding(
          workload,
          'no-privilege-escalation',
          at(`${name} does not set allowPrivilegeEscalation: false`),
          field('allowPrivilegeEscalation'),
        );
      if (security.privileged === true)
        finding(workload, 'privileged', at(`${name} is privileged`), field('privileged'));
      const drop = (get(security, 'capabilities', 'drop') ?? []) as unknown;
      const dropped = new Set((Array.isArray(drop) ? drop : []).map(capability));
      const dropsAll = dropped.has('ALL') || DEFAULT_CAPABILITIES.every((c) => dropped.has(c));
      if (!dropsAll && (!inherits || security.capabilities !== undefined))
        finding(
          workload,
          'drop-capabilities',
          at(
            dropped.size
              ? `${name} drops ${[...dropped].join(', ')} but not ALL (still has ${DEFAULT_CAPABILITIES.filter((c) => !dropped.has(c)).join(', ')})`
              : `${name} does not drop ALL capabilities`,
          ),
          field('capabilities'),
        );
      const added = get(security, 'capabilities', 'add');
      (Array.isArray(added) ? added : []).forEach((value, index) => {
        const cap = capability(value);
        if (cap === 'NET_BIND_SERVICE') return;
        finding(
          workload,
          'added-capabilities',
          at(`${name} adds ${cap}${CAPABILITY_RISK[cap] ? `: ${CAPABILITY_RISK[cap]}` : ''}`),
          [...path, 'securityContext', 'capabilities', 'add', index],
        );
      });
      judgeArgs(workload, container, path, name, at);
      list(container.env).forEach((variable, index) => {
        const value = variable.value;
        if (typeof variable.name !== 'string' || typeof value !== 'string') return;
        const token = tokenIn(value);
        if (token)
          finding(
            workload,
            'inline-secret',
            at(
              `${name} sets ${variable.name} to a ${token.label} inline (${mask(token.value)}): use valueFrom.secretKeyRef`,
            ),
            [...path, 'env', index, 'value'],
          );
        else if (PRIVATE_KEY.test(value))
          finding(
            workload,
            'inline-secret',
            at(`${name} sets ${variable.name} to a private key inline: use valueFrom.secretKeyRef`),
            [...path, 'env', index, 'value'],
          );
        else if (isSecretValue(variable.name, value))
          finding(
            workload,
            'inline-secret',
            at(`${name} sets ${variable.name} inline (${mask(value)}): use valueFrom.secretKeyRef`),
            [...path, 'env', index, 'value'],
          );
      });
    }

    /** Tokens of known formats on the command line: visible in the pod spec and in `ps`. */
    function judgeArgs(
      workload: Resource,
      container: Obj,
      path: Array<string | number>,
      name: string,
      at: (m: string) => string,
    ) {
      for (const field of ['command', 'args'] as const) {
        const values = container[field];
        (Array.isArray(values) ? values : []).forEach((value, index) => {
          const token = typeof value === 'string' ? tokenIn(value) : undefined;
          if (token)
            finding(
              workload,
              'inline-secret',
              at(
                `${name} passes a ${token.label} in ${field} (${mask(token.value)}): read it from a Secret (env valueFrom.secretKeyRef, then $(VAR) in args)`,
              ),
              [...path, field, index],
            );
        });
      }
    }

    /**
     * kube-score's pod-networkpolicy, with policyTypes as Kubernetes reads them: a policy always
     * restricts ingress unless policyTypes lists only Egress; it restricts egress when policyTypes
     * lists Egress, or (no policyTypes) when it has egress rules.
     */
    function judgeNetworkPolicy(workload: Resource, template: PodTemplate) {
      const selecting = policies.filter(
        (p) =>
          p.namespace === workload.namespace && selects(get(p.data, 'spec', 'podSelector'), template.labels),
      );
      const covers = (policy: Resource, direction: 'Ingress' | 'Egress') => {
        // A rule that allows everything (ingress: [{}]) restricts nothing in that direction.
        if (openRule(policy, direction) !== undefined) return false;
        const types = get(policy.data, 'spec', 'policyTypes');
        if (Array.isArray(types) && types.length > 0) return types.map(String).includes(direction);
        return direction === 'Ingress' || list(get(policy.data, 'spec', 'egress')).length > 0;
      };
      const ingress = selecting.some((p) => covers(p, 'Ingress'));
      const egress = selecting.some((p) => covers(p, 'Egress'));
      const part = template.part ? `${template.part}: ` : '';
      // A custom resource's finding points at the pod template it is about.
      const where = template.part ? template.specPath : [];
      if (!ingress && !egress)
        finding(
          workload,
          'network-policy',
          selecting.length
            ? `${part}NetworkPolicy ${selecting.map((p) => p.name).join(', ')} selects its pods but allows all traffic: every pod in the cluster can reach it`
            : `${part}no NetworkPolicy selects its pods: every pod in the cluster can reach it`,
          where,
        );
      else if (!ingress || !egress) {
        const names = selecting.map((p) => p.name).join(', ');
        finding(
          workload,
          'network-policy',
          !egress
            ? `${part}NetworkPolicy ${names} restricts only ingress: its egress is open (a compromised model server can reach anything); add Egress to policyTypes with the traffic it needs`
            : `${part}NetworkPolicy ${names} restricts only egress: any pod can reach it; add Ingress to policyTypes`,
          where,
        );
      }
    }

    /**
     * The index of a rule that allows all traffic in a direction the policy applies to: no peers
     * and no ports (`ingress: [{}]`), or a peer list that is itself open (an empty podSelector
     * with an empty namespaceSelector, or ipBlock 0.0.0.0/0 or ::/0 with no except) and no ports.
     */
    function openRule(policy: Resource, direction: 'Ingress' | 'Egress'): number | undefined {
      const field = direction === 'Ingress' ? 'ingress' : 'egress';
      const peers = direction === 'Ingress' ? 'from' : 'to';
      const empty = (value: unknown) =>
        value === undefined ||
        value === null ||
        (Array.isArray(value) && value.length === 0) ||
        (typeof value === 'object' && !Array.isArray(value) && Object.keys(value as Obj).length === 0);
      const openPeer = (peer: Obj) => {
        const cidr = String(get(peer, 'ipBlock', 'cidr') ?? '');
        if ((cidr === '0.0.0.0/0' || cidr === '::/0') && list(get(peer, 'ipBlock', 'except')).length === 0)
          return true;
        return (
          peer.ipBlock === undefined &&
          peer.podSelector !== undefined &&
          peer.namespaceSelector !== undefined &&
          empty(peer.podSelector) &&
          empty(peer.namespaceSelector)
        );
      };
      const rules = get(policy.data, 'spec', field);
      if (!Array.isArray(rules)) return undefined;
      const index = rules.findIndex(
        (rule) =>
          rule !== null &&
          typeof rule === 'object' &&
          empty((rule as Obj).ports) &&
          (empty((rule as Obj)[peers]) || list((rule as Obj)[peers]).some(openPeer)),
      );
      return index === -1 ? undefined : index;
    }

    for (const policy of policies) {
      for (const direction of ['Ingress', 'Egress'] as const) {
        const index = openRule(policy, direction);
        if (index === undefined) continue;
        const field = direction === 'Ingress' ? 'ingress' : 'egress';
        finding(
          policy,
          'network-policy',
          `${field}[${index}] allows all ${field} traffic (${JSON.stringify((get(policy.data, 'spec', field) as unknown[])[index])}): the policy does not restrict ${field}`,
          ['spec', field, index],
        );
      }
      const selector = get(policy.data, 'spec', 'podSelector');
      if (!pods.some((pod) => pod.namespace === policy.namespace && selects(selector, pod.labels)))
        finding(
          policy,
          'network-policy',
          `podSelector ${JSON.stringify(selector ?? null)} matches no pod in these manifests: the pods it was meant for are unprotected`,
          ['spec', 'podSelector'],
        );
    }
    for (const service of services) {
      const selector = get(service.data, 'spec', 'selector');
      if (!selector || get(service.data, 'spec', 'type') === 'ExternalName') continue;
      const targets = pods.some(
        (pod) => pod.namespace === service.namespace && matchesMap(selector, pod.labels),
      );
      if (!targets)
        finding(
          service,
          'service',
          `selector ${JSON.stringify(selector)} matches no pod in these manifests`,
          ['spec', 'selector'],
        );
    }
    for (const hpa of hpas) {
      const kind = get(hpa.data, 'spec', 'scaleTargetRef', 'kind');
      const name = get(hpa.data, 'spec', 'scaleTargetRef', 'name');
      if (!resources.some((r) => r.kind === kind && r.name === name && r.namespace === hpa.namespace)) {
        finding(hpa, 'hpa', `scaleTargetRef ${String(kind)}/${String(name)} is not in these manifests`, [
          'spec',
          'scaleTargetRef',
        ]);
      }
    }
    for (const ingress of byKind('Ingress')) {
      if (list(get(ingress.data, 'spec', 'tls')).length === 0)
        finding(ingress, 'ingress-tls', 'has no spec.tls: traffic to the model is not encrypted', ['spec']);
    }
    for (const volume of byKind('PersistentVolume')) judgePersistentVolume(volume);
    for (const secret of byKind('Secret')) judgeSecret(secret);

    /**
     * A PersistentVolume backed by hostPath: whatever pod claims it mounts the node's files, so
     * the pod's own volumes look safe (a persistentVolumeClaim). Said with the claim and its pods.
     */
    function judgePersistentVolume(volume: Resource) {
      const hostPath = get(volume.data, 'spec', 'hostPath');
      if (hostPath === undefined || hostPath === null) return;
      const path = String(get(hostPath, 'path') ?? '(no path)');
      const claimRef = get(volume.data, 'spec', 'claimRef');
      const claims = byKind('PersistentVolumeClaim').filter(
        (claim) =>
          get(claim.data, 'spec', 'volumeName') === volume.name ||
          (get(claimRef, 'name') === claim.name &&
            String(get(claimRef, 'namespace') ?? 'default') === claim.namespace),
      );
      const users = workloads.filter(({ resource, templates }) =>
        templates.some((t) =>
          list(t.spec.volumes).some((v) =>
            claims.some(
              (claim) =>
                claim.namespace === resource.namespace &&
                get(v, 'persistentVolumeClaim', 'claimName') === claim.name,
            ),
          ),
        ),
      );
      const by = claims.length
        ? `, bound by PersistentVolumeClaim ${claims.map((c) => `${c.namespace}/${c.name}`).join(', ')}${
            users.length
              ? ` that ${users.map((u) => `${u.resource.kind}/${u.resource.name}`).join(', ')} mount${users.length === 1 ? 's' : ''}`
              : ''
          }`
        : '';
      finding(
        volume,
        'host-path',
        `PersistentVolume "${volume.name}" is a hostPath volume on the node's ${path}${by}: every pod that claims it reads (or writes) the node's filesystem${path === '/' ? ', all of it' : ''}`,
        ['spec', 'hostPath'],
      );
    }
    for (const configMap of byKind('ConfigMap')) judgeConfigMap(configMap);

    /** A Secret committed with values: base64 is an encoding, not encryption. */
    function judgeSecret(secret: Resource) {
      const type = String(get(secret.data, 'type') ?? 'Opaque');
      // The token controller fills these in the cluster; the manifest holds none.
      if (type === 'kubernetes.io/service-account-token') return;
      const real: Array<{ field: string; key: string }> = [];
      for (const field of ['data', 'stringData'] as const) {
        const values = get(secret.data, field);
        if (!values || typeof values !== 'object') continue;
        for (const [key, raw] of Object.entries(values as Obj)) {
          if (raw === null || raw === undefined) continue;
          const text = String(raw);
          const value = field === 'data' ? (decodeBase64(text) ?? text) : text;
          if (!isPlaceholder(value) && !isPlaceholder(text)) real.push({ field, key });
        }
      }
      if (real.length === 0) return;
      const first = real[0]!;
      finding(
        secret,
        'plaintext-secret',
        `${type} Secret committed with ${real.length} value${real.length === 1 ? '' : 's'} (${real
          .slice(0, 5)
          .map((r) => `${r.field}.${r.key}`)
          .join(', ')}${real.length > 5 ? ', …' : ''}): anyone who can read the repository has them`,
        [first.field, first.key],
      );
    }

    /** Credentials in a ConfigMap: a secret-like key, a private key, a secret line in a config file. */
    function judgeConfigMap(configMap: Resource) {
      const data = get(configMap.data, 'data');
      if (!data || typeof data !== 'object') return;
      for (const [key, raw] of Object.entries(data as Obj)) {
        if (raw === null || raw === undefined) continue;
        const value = String(raw);
        for (const found of secretsInConfigEntry(key, value)) {
          const position = configMap.source.locate([...configMap.base, 'data', key]);
          // A block scalar's content starts on the line after its key.
          const blockStart = /[|>][-+0-9]*\s*$/.test(configMap.source.lines[position.line - 1] ?? '');
          const line =
            found.line === 0 && !blockStart
              ? position.line
              : position.line + found.line + (blockStart ? 1 : 0);
          findings.push({
            rule: 'kubernetes/secret-in-configmap',
            message: `ConfigMap/${configMap.name}: ${
              found.kind === 'private-key'
                ? `data.${key} holds a private key`
                : found.name === key
                  ? `data.${key} holds a credential (${mask(value.trim())})`
                  : `data.${key} sets ${found.name} to a credential`
            }`,
            path: configMap.file,
            line,
            excerpt: configMap.source.lines[line - 1]?.trim(),
          });
        }
      }
    }

    const objectsTable = {
      type: 'table' as const,
      title: 'objects read',
      columns: ['file', 'kind', 'namespace', 'name', 'pods judged'],
      rows: resources.map((r) => {
        const workload = workloads.find((w) => w.resource === r);
        return [
          r.file,
          r.kind,
          r.namespace,
          r.name,
          workload
            ? workload.templates.map((t) => t.part ?? 'pod').join(', ')
            : unread.includes(r)
              ? 'none: no pod template written'
              : '',
        ];
      }),
    };
    const outcome = ruleOutcome({
      ruleset: RULES,
      only: params.rules,
      findings,
      inline,
      spec: params.ignore,
      levels,
      defaults,
      judged: judgedFiles,
      measured: {
        objects: resources.length,
        workloads: workloads.length,
        documents,
        documents_skipped: kindless,
        files_skipped: skipped.length,
      },
      evidence: [
        objectsTable,
        ...(probeRows.length
          ? [
              {
                type: 'table' as const,
                title: `probes of serving containers (required: ${required.join(', ') || 'none'})`,
                columns: ['at', 'workload', 'container', ...PROBE_TYPES],
                rows: probeRows,
              },
            ]
          : []),
        ...skippedEvidence,
      ],
    });
    if (workloads.length === 0) {
      // Fail closed: rules about pods hold vacuously when no pod was read.
      const kinds = [...new Set(resources.map((r) => r.kind))];
      const where = judgedFiles.length ? judgedFiles.join(', ') : params.paths.join(', ');
      const noTemplate = unread.length
        ? ` ${unread.map((r) => `${r.kind}/${r.name}`).join(', ')} ha${unread.length === 1 ? 's' : 've'} no pod template written (containers left to the operator's defaults), so nothing of ${unread.length === 1 ? 'it' : 'them'} can be judged;`
        : '';
      return {
        ...outcome,
        status: 'error',
        summary: `nothing judged: no workload found in ${where}: read ${documents} document${documents === 1 ? '' : 's'}${
          kinds.length ? ` (kinds: ${kinds.join(', ')})` : ''
        }${skipped.length ? `, ${skippedNote}` : ''};${noTemplate} mlgate reads ${READS}. Add the workload's manifest to paths (render Helm or Kustomize output to a file first)${
          unread.length
            ? ', or write the pod template (componentSpecs) with resources and securityContext'
            : ''
        }.`,
      };
    }
    const withSkipped = skipped.length
      ? { ...outcome, summary: `${outcome.summary}; ${skippedNote}` }
      : outcome;
    if (unjudged.length === 0) return withSkipped;
    // Pods seen but not judged: an error (fail closed), or said beside the failures already found.
    const where = (u: (typeof unjudged)[number]) =>
      `${u.resource.file}:${u.resource.source.locate([...u.resource.base, ...u.path]).line}`;
    const note = `${unjudged.length} pod template${unjudged.length === 1 ? '' : 's'} not judged (${unjudged
      .slice(0, 3)
      .map((u) => `${u.resource.kind}/${u.resource.name} ${pathText(u.path)} at ${where(u)}: ${u.why}`)
      .join('; ')}${unjudged.length > 3 ? '; …' : ''})`;
    return {
      ...withSkipped,
      status: withSkipped.status === 'fail' ? 'fail' : 'error',
      summary: `${withSkipped.summary}; ${note}`,
      evidence: [
        ...(withSkipped.evidence ?? []),
        {
          type: 'table' as const,
          title: 'pod templates not judged',
          columns: ['at', 'object', 'path', 'why'],
          rows: unjudged.map((u) => [
            where(u),
            `${u.resource.kind}/${u.resource.name}`,
            pathText(u.path),
            u.why,
          ]),
        },
      ],
    };
  },
});

/** Go's strconv.ParseInt(s, 0, 64), which go-yaml uses for plain scalars: 0o0, 0x0, 1_000. */
const GO_INT = /^[+-]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/;
function goInt(text: string): number | undefined {
  if (!GO_INT.test(text)) return undefined;
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.replace(/^[+-]/, '').replace(/_/g, '');
  const prefixed = /^0[xXoObB]/.test(digits);
  const value = prefixed
    ? Number(digits.toLowerCase())
    : /^0[0-7]+$/.test(digits)
      ? parseInt(digits, 8)
      : Number(digits);
  return Number.isNaN(value) ? undefined : sign * value;
}

/** Why a runAsUser/runAsGroup is not a valid id (an integer), or undefined when it is or is unset. */
function idProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number')
    return Number.isInteger(value) ? undefined : `${value} is not a valid id: not an integer`;
  if (typeof value === 'string') {
    const read = goInt(value.trim());
    return read === undefined
      ? `${JSON.stringify(value)} is not a valid id (a string; kubectl rejects it)`
      : `${JSON.stringify(value)} is not a valid id: a string here; kubectl rejects it quoted, and Go's YAML reads it unquoted as ${read}${read === 0 ? ' (root)' : ''}`;
  }
  return `${JSON.stringify(value)} is not a valid id`;
}

/** kube-score's notion of identical probes: same HTTP path and port, TCP port, or command. */
function sameProbe(a: Obj, b: Obj): boolean {
  if (a.httpGet && b.httpGet)
    return (
      get(a, 'httpGet', 'path') === get(b, 'httpGet', 'path') &&
      String(get(a, 'httpGet', 'port')) === String(get(b, 'httpGet', 'port'))
    );
  if (a.tcpSocket && b.tcpSocket)
    return String(get(a, 'tcpSocket', 'port')) === String(get(b, 'tcpSocket', 'port'));
  if (a.exec && b.exec)
    return JSON.stringify(get(a, 'exec', 'command')) === JSON.stringify(get(b, 'exec', 'command'));
  if (a.grpc && b.grpc) return JSON.stringify(a.grpc) === JSON.stringify(b.grpc);
  return false;
}

/** A Service selector: every key/value present in the labels. */
function matchesMap(selector: unknown, labels: Record<string, string>): boolean {
  if (!selector || typeof selector !== 'object') return false;
  const entries = Object.entries(selector as Record<string, unknown>);
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === String(value));
}

/** A LabelSelector (matchLabels and matchExpressions); an empty selector selects every pod. */
function selects(selector: unknown, labels: Record<string, string>): boolean {
  if (selector === undefined || selector === null) return false;
  const matchLabels = (get(selector, 'matchLabels') ?? {}) as Record<string, unknown>;
  const expressions = list(get(selector, 'matchExpressions'));
  if (!Object.entries(matchLabels).every(([key, value]) => labels[key] === String(value))) return false;
  return expressions.every((expression) => {
    const key = String(expression.key);
    const values = (Array.isArray(expression.values) ? expression.values : []).map(String);
    switch (expression.operator) {
      case 'In':
        return key in labels && values.includes(labels[key]!);
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key]!);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        return false;
    }
  });
}
