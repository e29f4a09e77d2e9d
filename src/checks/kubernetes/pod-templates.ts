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
