/**
 * The pods a manifest object will run: the pod template of a built-in workload, and those the
 * ML-serving operators build from their custom resources, so the same container and pod rules
 * apply to both. Schemas read from the operators' own API types and samples:
 * - KServe (github.com/kserve/kserve, pkg/apis/serving/v1beta1): an InferenceService's
 *   predictor/transformer/explainer inline a PodSpec (`containers:`, `volumes:`, `hostNetwork:` …);
 *   the predictor's framework keys (`sklearn:`, `model:` …) and the explainer's `art:`/`alibi:`
 *   inline a Container whose image the serving runtime supplies; `workerSpec:` is another PodSpec.
 *   A (Cluster)ServingRuntime's spec inlines the pod spec of every model server it starts.
 * - Seldon Core v1 (SeldonDeployment): spec.predictors[].componentSpecs[] are PodTemplateSpecs.
 * - KubeRay (github.com/ray-project/kuberay, ray-operator/apis/ray/v1): a RayCluster's
 *   headGroupSpec.template and workerGroupSpecs[].template; a RayService's under
 *   spec.rayClusterConfig; a RayJob's under spec.rayClusterSpec, plus its submitterPodTemplate.
 * - Knative Serving (serving.knative.dev Service): spec.template is a PodTemplateSpec.
 * Labels the operators put on the pods they create are added, so label selectors
 * (NetworkPolicies, Services) see the pods as the cluster will.
 */

export type Obj = Record<string, unknown>;
export type Path = Array<string | number>;

export interface PodContainer {
  container: Obj;
  /** Path to the container within the object. */
  path: Path;
  /** The image comes from elsewhere (a KServe serving runtime): a missing `image:` is not a finding. */
  imageSupplied?: boolean;
}

export interface PodTemplate {
  /** Which pod of the object, for messages: "predictor", "workerGroupSpecs[0] (small-group)". */
  part?: string;
  labels: Record<string, string>;
  /** The pod spec (hostNetwork, volumes, securityContext …). */
  spec: Obj;
  specPath: Path;
  containers: PodContainer[];
  initContainers: PodContainer[];
  /** The pod securityContext when the spec sets none (an Argo template inherits its workflow's). */
  podSecurity?: { value: Obj; path: Path };
  /** Pod-level fields every pod of the object gets (an Argo workflow spec), not a pod of its own. */
  podLevelOnly?: boolean;
}

/** Built-in kinds whose pods mlgate reads, and where their pod template is. */
export const NATIVE_WORKLOADS: Record<string, Path> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** Custom resources whose pod templates mlgate reads, by kind (API groups checked below). */
export const OPERATOR_KINDS: Record<string, { group: RegExp; operator: string }> = {
  InferenceService: { group: /^serving\.kserve\.io\//, operator: 'KServe' },
  ServingRuntime: { group: /^serving\.kserve\.io\//, operator: 'KServe' },
  ClusterServingRuntime: { group: /^serving\.kserve\.io\//, operator: 'KServe' },
  SeldonDeployment: { group: /^machinelearning\.seldon\.io\//, operator: 'Seldon' },
  RayCluster: { group: /^ray\.io\//, operator: 'KubeRay' },
  RayService: { group: /^ray\.io\//, operator: 'KubeRay' },
  RayJob: { group: /^ray\.io\//, operator: 'KubeRay' },
  // KServe's serverless mode and TorchServe/BentoML guides deploy models as Knative Services.
  Service: { group: /^serving\.knative\.dev\//, operator: 'Knative' },
};

/** KServe predictor keys that inline a Container for a model server the runtime supplies. */
const KSERVE_PREDICTOR_FRAMEWORKS = [
  'model',
  'sklearn',
  'xgboost',
  'tensorflow',
  'pytorch',
  'triton',
  'onnx',
  'huggingface',
  'pmml',
  'lightgbm',
  'paddle',
];
const KSERVE_EXPLAINER_FRAMEWORKS = ['art', 'alibi'];

export const get = (value: unknown, ...path: Path): unknown =>
  path.reduce<unknown>(
    (current, key) => (current && typeof current === 'object' ? (current as Obj)[key as string] : undefined),
    value,
  );
export const list = (value: unknown): Obj[] =>
  Array.isArray(value) ? (value.filter((v) => v && typeof v === 'object') as Obj[]) : [];
const isObj = (value: unknown): value is Obj => !!value && typeof value === 'object' && !Array.isArray(value);
const stringMap = (value: unknown): Record<string, string> =>
  isObj(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)])) : {};

function containersOf(spec: Obj, specPath: Path, field: 'containers' | 'initContainers'): PodContainer[] {
  return list(spec[field]).map((container, index) => ({ container, path: [...specPath, field, index] }));
}

/** A PodTemplateSpec-shaped value ({metadata: {labels}, spec}) at `path`. */
function fromTemplate(
  object: Obj,
  path: Path,
  part?: string,
  extraLabels: Record<string, string> = {},
): PodTemplate | undefined {
  const template = path.length ? get(object, ...path) : object;
  if (!isObj(template)) return undefined;
  const spec = isObj(template.spec) ? template.spec : {};
  const specPath = [...path, 'spec'];
  return {
    part,
    labels: { ...stringMap(get(template, 'metadata', 'labels')), ...extraLabels },
    spec,
    specPath,
    containers: containersOf(spec, specPath, 'containers'),
    initContainers: containersOf(spec, specPath, 'initContainers'),
  };
}

/** An inline PodSpec (KServe components): the spec is the value at `path` itself. */
function fromInlineSpec(object: Obj, path: Path, part: string, labels: Record<string, string>): PodTemplate {
  const spec = get(object, ...path) as Obj;
  return {
    part,
    labels,
    spec,
    specPath: path,
    containers: containersOf(spec, path, 'containers'),
    initContainers: containersOf(spec, path, 'initContainers'),
  };
}

/**
 * Where any other object carries a pod template (Argo Rollouts, an in-house operator's custom
 * resource, a PodTemplate): the shapes Kubernetes itself uses — spec.template, a CronJob-like
 * spec.jobTemplate.spec.template, a Pod-like spec (containers directly under spec), or a
 * top-level template. Whatever runs those pods, their containers are judged like any other.
 */
const GENERIC_TEMPLATE_PATHS: Path[] = [
  ['spec', 'template'],
  ['spec', 'jobTemplate', 'spec', 'template'],
  ['template'],
];

/** The pod templates of an object mlgate knows nothing else about, found by shape. */
export function genericPodTemplates(object: Obj): PodTemplate[] {
  for (const path of GENERIC_TEMPLATE_PATHS) {
    if (!Array.isArray(get(object, ...path, 'spec', 'containers'))) continue;
    const template = fromTemplate(object, path);
    if (template) return [template];
  }
  if (Array.isArray(get(object, 'spec', 'containers'))) {
    const template = fromTemplate(object, []);
    if (template) return [template];
  }
  return [];
}

/** Whether `kind`/`apiVersion` is a built-in workload or an operator resource mlgate reads. */
export function isWorkloadKind(kind: string, apiVersion: string): boolean {
  if (kind in NATIVE_WORKLOADS) return true;
  const operator = OPERATOR_KINDS[kind];
  return !!operator && operator.group.test(apiVersion);
}

/** The operator whose resource this is, or undefined for a built-in workload. */
export function operatorOf(kind: string, apiVersion: string): string | undefined {
  const operator = OPERATOR_KINDS[kind];
  return operator && operator.group.test(apiVersion) ? operator.operator : undefined;
}

/** Every pod template of a workload object (built-in or operator resource). */
export function podTemplates(kind: string, apiVersion: string, name: string, object: Obj): PodTemplate[] {
  const native = NATIVE_WORKLOADS[kind];
  if (native) {
    // A workload with no template written still runs a pod: judged as an empty one.
    const empty = { labels: {}, spec: {}, specPath: [...native, 'spec'], containers: [], initContainers: [] };
    return [fromTemplate(object, native) ?? empty];
  }
  switch (operatorOf(kind, apiVersion) && kind) {
    case 'InferenceService':
      return inferenceService(object, name);
    case 'ServingRuntime':
    case 'ClusterServingRuntime':
      return servingRuntime(object);
    case 'SeldonDeployment':
      return seldonDeployment(object, name);
    case 'Service': {
      const template = fromTemplate(object, ['spec', 'template'], undefined, {
        'serving.knative.dev/service': name,
      });
      return template ? [template] : [];
    }
    case 'RayCluster':
      return rayCluster(object, ['spec'], { 'ray.io/cluster': name });
    case 'RayService':
      // The operator names the cluster it creates (name-raycluster-xxxxx): no ray.io/cluster label.
      return rayCluster(object, ['spec', 'rayClusterConfig'], {});
    case 'RayJob': {
      const templates = rayCluster(object, ['spec', 'rayClusterSpec'], {});
      const submitter = fromTemplate(object, ['spec', 'submitterPodTemplate'], 'submitterPodTemplate');
      if (isObj(get(object, 'spec', 'submitterPodTemplate')) && submitter) templates.push(submitter);
      return templates;
    }
    default:
      return [];
  }
}

function inferenceService(object: Obj, name: string): PodTemplate[] {
  const templates: PodTemplate[] = [];
  const metadataLabels = stringMap(get(object, 'metadata', 'labels'));
  for (const component of ['predictor', 'transformer', 'explainer'] as const) {
    const spec = get(object, 'spec', component);
    if (!isObj(spec)) continue;
    const path = ['spec', component];
    const labels = {
      ...metadataLabels,
      ...stringMap(spec.labels),
      'serving.kserve.io/inferenceservice': name,
      component,
    };
    const template = fromInlineSpec(object, path, component, labels);
    const frameworks =
      component === 'predictor'
        ? KSERVE_PREDICTOR_FRAMEWORKS
        : component === 'explainer'
          ? KSERVE_EXPLAINER_FRAMEWORKS
          : [];
    // The framework shorthand is the model server's container (kserve-container), placed first.
    const shorthand = frameworks
      .filter((key) => isObj(spec[key]))
      .map((key) => ({
        container: { name: `kserve-container (${key})`, ...(spec[key] as Obj) },
        path: [...path, key],
        imageSupplied: true,
      }));
    template.containers = [...shorthand, ...template.containers];
    templates.push(template);
    if (component === 'predictor' && isObj(spec.workerSpec))
      templates.push(fromInlineSpec(object, [...path, 'workerSpec'], 'predictor.workerSpec', labels));
  }
  return templates;
}

function servingRuntime(object: Obj): PodTemplate[] {
  if (!isObj(object.spec)) return [];
  const templates = [fromInlineSpec(object, ['spec'], 'runtime', stringMap(get(object, 'spec', 'labels')))];
  if (isObj(get(object, 'spec', 'workerSpec')))
    templates.push(fromInlineSpec(object, ['spec', 'workerSpec'], 'runtime.workerSpec', {}));
  return templates;
}

function seldonDeployment(object: Obj, name: string): PodTemplate[] {
  const templates: PodTemplate[] = [];
  list(get(object, 'spec', 'predictors')).forEach((predictor, p) => {
    list(predictor.componentSpecs).forEach((_component, c) => {
      const template = fromTemplate(
        object,
        ['spec', 'predictors', p, 'componentSpecs', c],
        `predictors[${p}]${predictor.name ? ` (${String(predictor.name)})` : ''}.componentSpecs[${c}]`,
        { ...stringMap(predictor.labels), 'seldon-deployment-id': name },
      );
      if (template) templates.push(template);
    });
  });
  return templates;
}

function rayCluster(object: Obj, base: Path, clusterLabels: Record<string, string>): PodTemplate[] {
  const templates: PodTemplate[] = [];
  const head = fromTemplate(object, [...base, 'headGroupSpec', 'template'], 'headGroupSpec', {
    ...clusterLabels,
    'ray.io/node-type': 'head',
  });
  if (head && isObj(get(object, ...base, 'headGroupSpec', 'template'))) templates.push(head);
  list(get(object, ...base, 'workerGroupSpecs')).forEach((group, index) => {
    const template = fromTemplate(
      object,
      [...base, 'workerGroupSpecs', index, 'template'],
      `workerGroupSpecs[${index}]${group.groupName ? ` (${String(group.groupName)})` : ''}`,
      {
        ...clusterLabels,
        'ray.io/node-type': 'worker',
        ...(group.groupName ? { 'ray.io/group': String(group.groupName) } : {}),
      },
    );
    if (template && isObj(group.template)) templates.push(template);
  });
  return templates;
}

/** How deep (in map keys below the object) a pod spec is looked for: JobSet's is 6 deep. */
export const WALK_DEPTH = 8;
/** Objects that describe pods without running them: policies match patterns, CRDs hold schemas. */
const NOT_RUNNING = (kind: string, apiVersion: string) =>
  ['CustomResourceDefinition', 'ConfigMap', 'Secret'].includes(kind) ||
  /(^|\.)(kyverno\.io|gatekeeper\.sh)\//.test(apiVersion);

/** "spec.replicatedJobs[0].template" for messages. */
export const pathText = (path: Path) =>
  path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? key : `.${key}`)).join('');

/** A map that is a pod spec: a list of containers, or pod-only fields such as hostNetwork: true. */
function isPodSpec(value: Obj): boolean {
  const entries = (field: string) =>
    Array.isArray(value[field]) && (value[field] as unknown[]).every((entry) => isObj(entry));
  return (
    entries('containers') ||
    (Array.isArray(value.initContainers) && entries('initContainers')) ||
    value.hostNetwork === true ||
    value.hostPID === true ||
    value.hostIPC === true
  );
}

/** An Argo Workflows template entry that runs a pod: container, script or containerSet. */
function isArgoTemplate(value: unknown): value is Obj {
  return isObj(value) && (isObj(value.container) || isObj(value.script) || isObj(value.containerSet));
}

/** Classic places (spec.template …) keep unnamed parts, so messages read as they did before. */
const CLASSIC_SPEC_PATHS = new Set(
  [...GENERIC_TEMPLATE_PATHS.map((p) => [...p, 'spec']), ['spec']].map((p) => p.join('.')),
);

export interface Discovery {
  templates: PodTemplate[];
  /** Pod templates seen that could not be judged, with why (never a silent pass). */
  unjudged: Array<{ path: Path; why: string }>;
}

/**
 * The pods any object runs, found by shape wherever they are (bounded depth): a pod spec
 * (Kubeflow's pytorchReplicaSpecs.Worker.template.spec, JobSet's
 * replicatedJobs[].template.spec.template.spec, an operator's spec.podSpec) or an Argo Workflows
 * template (templates[].container / script / containerSet.containers, with the workflow spec's
 * pod-level fields). Whatever runs those pods, their containers are judged like any other.
 */
export function discoverPodTemplates(object: Obj, kind = '', apiVersion = ''): Discovery {
  const found: Discovery = { templates: [], unjudged: [] };
  if (NOT_RUNNING(kind, apiVersion)) return found;
  const mentionsContainers = (value: unknown, depth: number): boolean =>
    depth < 32 &&
    (Array.isArray(value)
      ? value.some((v) => mentionsContainers(v, depth + 1))
      : isObj(value) &&
        Object.entries(value).some(
          ([key, v]) => key === 'containers' || key === 'container' || mentionsContainers(v, depth + 1),
        ));
  const walk = (value: unknown, path: Path, depth: number) => {
    if (Array.isArray(value)) {
      value.forEach((entry, index) => walk(entry, [...path, index], depth));
      return;
    }
    if (!isObj(value)) return;
    // A workflow spec with hostNetwork and Argo templates is not itself a pod: its steps are.
    const argoHolder = Array.isArray(value.templates) && value.templates.some(isArgoTemplate);
    if (path.length > 0 && !argoHolder && isPodSpec(value)) {
      found.templates.push(podSpecAt(object, path));
      return;
    }
    const containers = value.containers;
    if (
      typeof containers === 'string' ||
      (Array.isArray(containers) && containers.some((entry) => !isObj(entry)))
    )
      found.unjudged.push({
        path: [...path, 'containers'],
        why: 'containers is not a list of containers',
      });
    if (Array.isArray(value.templates)) {
      const argo = value.templates
        .map((entry, index) => ({ entry: entry as unknown, index }))
        .filter(({ entry }) => isArgoTemplate(entry));
      for (const { entry, index } of argo)
        found.templates.push(argoTemplate(path, value, entry as Obj, index));
      if (argo.length > 0) {
        const holder = argoPodDefaults(path, value);
        if (holder) found.templates.push(holder);
      }
    }
    if (depth >= WALK_DEPTH) {
      if (mentionsContainers(value, 0))
        found.unjudged.push({ path, why: `containers nested deeper than ${WALK_DEPTH} levels, not read` });
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      if (key === 'metadata' || (path.length === 0 && key === 'status')) continue;
      if (key === 'templates' && Array.isArray(child))
        child.forEach((entry, index) => {
          if (!isArgoTemplate(entry)) walk(entry, [...path, key, index], depth + 1);
        });
      else walk(child, [...path, key], depth + 1);
    }
  };
  walk(object, [], 0);
  // The classic places first: the serving rules of an Argo Rollout read its first template.
  const classic = (t: PodTemplate) => (t.part === undefined ? 0 : 1);
  found.templates.sort((a, b) => classic(a) - classic(b));
  for (const template of found.templates)
    template.labels = { ...template.labels, ...operatorLabels(object, apiVersion, template) };
  return found;
}

function podSpecAt(object: Obj, specPath: Path): PodTemplate {
  const spec = get(object, ...specPath) as Obj;
  const last = specPath[specPath.length - 1];
  // A PodTemplateSpec ({metadata, spec}) names the pod by its template; a bare pod spec by itself.
  const templatePath = last === 'spec' ? specPath.slice(0, -1) : specPath;
  const holder = templatePath.length ? get(object, ...templatePath) : object;
  return {
    part: CLASSIC_SPEC_PATHS.has(specPath.join('.')) ? undefined : pathText(templatePath),
    labels: last === 'spec' ? stringMap(get(holder, 'metadata', 'labels')) : {},
    spec,
    specPath,
    containers: containersOf(spec, specPath, 'containers'),
    initContainers: containersOf(spec, specPath, 'initContainers'),
  };
}

/** An Argo template: its container(s) in one pod; the workflow's securityContext unless it sets one. */
function argoTemplate(holderPath: Path, holder: Obj, entry: Obj, index: number): PodTemplate {
  const path = [...holderPath, 'templates', index];
  const containers: PodContainer[] = [];
  for (const field of ['container', 'script'] as const)
    // Argo names the container of a container/script template "main".
    if (isObj(entry[field]))
      containers.push({ container: { name: 'main', ...(entry[field] as Obj) }, path: [...path, field] });
  list(get(entry, 'containerSet', 'containers')).forEach((container, i) =>
    containers.push({ container, path: [...path, 'containerSet', 'containers', i] }),
  );
  const initContainers = [
    ...containersOf(entry, path, 'initContainers'),
    ...list(entry.sidecars).map((container, i) => ({ container, path: [...path, 'sidecars', i] })),
  ];
  return {
    part: `${pathText(path)}${entry.name ? ` (${String(entry.name)})` : ''}`,
    labels: stringMap(get(entry, 'metadata', 'labels')),
    spec: entry,
    specPath: path,
    containers,
    initContainers,
    ...(isObj(holder.securityContext)
      ? { podSecurity: { value: holder.securityContext, path: [...holderPath, 'securityContext'] } }
      : {}),
  };
}

/** The workflow spec's own pod fields (hostNetwork, volumes), which every step's pod gets. */
function argoPodDefaults(holderPath: Path, holder: Obj): PodTemplate | undefined {
  const podLevel =
    holder.hostNetwork === true ||
    holder.hostPID === true ||
    holder.hostIPC === true ||
    list(holder.volumes).some((v) => v.hostPath !== undefined && v.hostPath !== null);
  if (!podLevel) return undefined;
  return {
    part: `${pathText(holderPath) || '(object)'} (every step's pod)`,
    labels: {},
    spec: holder,
    specPath: holderPath,
    containers: [],
    initContainers: [],
    podLevelOnly: true,
  };
}

/**
 * Labels the operators put on the pods they create (so NetworkPolicy selectors see them):
 * Kubeflow training-operator (kubeflow/common constants), JobSet, Argo Workflows.
 */
function operatorLabels(object: Obj, apiVersion: string, template: PodTemplate): Record<string, string> {
  const name = String(get(object, 'metadata', 'name') ?? '');
  const path = template.specPath;
  if (/^kubeflow\.org\//.test(apiVersion) && /ReplicaSpecs$/.test(String(path[1])) && path[3] === 'template')
    return {
      'training.kubeflow.org/job-name': name,
      'training.kubeflow.org/replica-type': String(path[2]).toLowerCase(),
    };
  if (/^jobset\.x-k8s\.io\//.test(apiVersion) && path[1] === 'replicatedJobs') {
    const job = get(object, 'spec', 'replicatedJobs', path[2] as number, 'name');
    return {
      'jobset.sigs.k8s.io/jobset-name': name,
      ...(job ? { 'jobset.sigs.k8s.io/replicatedjob-name': String(job) } : {}),
    };
  }
  if (/^argoproj\.io\//.test(apiVersion) && String(object.kind) === 'Workflow')
    return { 'workflows.argoproj.io/workflow': name };
  return {};
}
