/**
 * What the kubernetes check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import { type Finding, mask, parseInlineIgnores, ruleOutcome } from '../../rules/findings.js';
import { DEFAULT_CAPABILITIES } from '../../rules/capabilities.js';
import { parseImage } from '../../rules/image.js';
import { expandPaths } from '../../util/walk.js';
import { YamlSource } from '../../util/yaml-source.js';
import {
  discoverPodTemplates,
  get,
  pathText,
  isWorkloadKind,
  list,
  NATIVE_WORKLOADS,
  type Obj,
  OPERATOR_KINDS,
  operatorOf,
  type PodContainer,
  type PodTemplate,
  podTemplates,
  WALK_DEPTH,
} from './pod-templates.js';
import {
  decodeBase64,
  isPlaceholder,
  isSecretValue,
  PRIVATE_KEY,
  secretsInConfigEntry,
  tokenIn,
} from './secret-values.js';
import { fullRuleId, type KubernetesParams, PROBE_TYPES, PROBES, type ProbeType, RULES } from './check.js';

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

/** The probes a spec requires: require_probes, or liveness and readiness; startup too with slow_start. */
function requiredProbes(params: { require_probes?: ProbeType[]; slow_start: boolean }): ProbeType[] {
  const required = new Set<ProbeType>(params.require_probes ?? ['liveness', 'readiness']);
  if (params.slow_start) required.add('startup');
  return PROBE_TYPES.filter((type) => required.has(type));
}

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

export async function run(ctx: CheckContext, params: KubernetesParams): Promise<CheckOutcome> {
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

  const finding = (resource: Resource, rule: string, message: string, path: Array<string | number> = []) => {
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
    const nonRoot = runAsNonRoot === true ? runAsUser !== 0 : typeof runAsUser === 'number' && runAsUser > 0;
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
    if (security.readOnlyRootFilesystem !== true && (!inherits || security.readOnlyRootFilesystem === false))
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
      finding(service, 'service', `selector ${JSON.stringify(selector)} matches no pod in these manifests`, [
        'spec',
        'selector',
      ]);
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
          found.line === 0 && !blockStart ? position.line : position.line + found.line + (blockStart ? 1 : 0);
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
        unread.length ? ', or write the pod template (componentSpecs) with resources and securityContext' : ''
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
}

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
