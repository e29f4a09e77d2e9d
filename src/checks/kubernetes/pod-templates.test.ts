import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { discoverPodTemplates, isWorkloadKind, podTemplates, WALK_DEPTH } from './pod-templates.js';

const templatesOf = (yaml: string) => {
  const object = parse(yaml) as Record<string, unknown>;
  const metadata = object.metadata as { name: string };
  return podTemplates(String(object.kind), String(object.apiVersion), metadata.name, object);
};

describe('pod templates of workloads and operator resources', () => {
  test('a KServe predictor: the framework shorthand is the first container, its image the runtime’s', () => {
    const [predictor] = templatesOf(`
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: iris}
spec:
  predictor:
    sklearn: {storageUri: "gs://models/iris"}
    containers: [{name: sidecar, image: "envoy:1.30"}]
    hostNetwork: true`);
    expect(predictor!.part).toBe('predictor');
    expect(predictor!.spec.hostNetwork).toBe(true);
    expect(predictor!.containers.map((c) => [c.path, c.imageSupplied])).toEqual([
      [['spec', 'predictor', 'sklearn'], true],
      [['spec', 'predictor', 'containers', 0], undefined],
    ]);
    expect(predictor!.labels).toMatchObject({
      'serving.kserve.io/inferenceservice': 'iris',
      component: 'predictor',
    });
  });

  test('Seldon componentSpecs and KubeRay groups, with the labels their operators add', () => {
    const seldon = templatesOf(`
apiVersion: machinelearning.seldon.io/v1
kind: SeldonDeployment
metadata: {name: income}
spec:
  predictors:
    - name: default
      componentSpecs: [{metadata: {labels: {tier: model}}, spec: {containers: [{name: c, image: "c:1"}]}}]`);
    expect(seldon.map((t) => [t.specPath, t.labels])).toEqual([
      [
        ['spec', 'predictors', 0, 'componentSpecs', 0, 'spec'],
        { tier: 'model', 'seldon-deployment-id': 'income' },
      ],
    ]);
    const ray = templatesOf(`
apiVersion: ray.io/v1
kind: RayJob
metadata: {name: batch}
spec:
  rayClusterSpec:
    headGroupSpec: {template: {spec: {containers: [{name: head, image: "ray:2"}]}}}
    workerGroupSpecs: [{groupName: gpu, template: {spec: {containers: [{name: w, image: "ray:2"}]}}}]
  submitterPodTemplate: {spec: {containers: [{name: submit, image: "ray:2"}]}}`);
    expect(ray.map((t) => [t.part, t.labels['ray.io/node-type'], t.specPath.join('.')])).toEqual([
      ['headGroupSpec', 'head', 'spec.rayClusterSpec.headGroupSpec.template.spec'],
      ['workerGroupSpecs[0] (gpu)', 'worker', 'spec.rayClusterSpec.workerGroupSpecs.0.template.spec'],
      ['submitterPodTemplate', undefined, 'spec.submitterPodTemplate.spec'],
    ]);
  });

  test('kinds are recognised by API group; a workload with no template is an empty pod', () => {
    expect(isWorkloadKind('Service', 'v1')).toBe(false);
    expect(isWorkloadKind('Service', 'serving.knative.dev/v1')).toBe(true);
    expect(isWorkloadKind('InferenceService', 'example.com/v1')).toBe(false);
    expect(templatesOf('{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}}')).toEqual([
      { labels: {}, spec: {}, specPath: ['spec', 'template', 'spec'], containers: [], initContainers: [] },
    ]);
  });
});

describe('pod specs found by shape in any object', () => {
  const discover = (yaml: string) => {
    const object = parse(yaml) as Record<string, unknown>;
    return discoverPodTemplates(object, String(object.kind), String(object.apiVersion));
  };

  test('Kubeflow replica specs, JobSet jobs and a bare podSpec are pods, named by their path', () => {
    const { templates, unjudged } = discover(`
apiVersion: kubeflow.org/v1
kind: TFJob
metadata: {name: t}
spec:
  tfReplicaSpecs:
    PS: {template: {metadata: {labels: {role: ps}}, spec: {containers: [{name: tf, image: "tf:2"}]}}}
    Worker: {template: {spec: {containers: [{name: tf, image: "tf:2"}]}}}
  extra:
    replicatedJobs: [{template: {spec: {template: {spec: {containers: [{name: j, image: "j:1"}]}}}}}]
    podSpec: {hostNetwork: true}`);
    expect(templates.map((t) => [t.part, t.labels])).toEqual([
      // With the labels the training operator puts on the pods it creates.
      [
        'spec.tfReplicaSpecs.PS.template',
        { role: 'ps', 'training.kubeflow.org/job-name': 't', 'training.kubeflow.org/replica-type': 'ps' },
      ],
      [
        'spec.tfReplicaSpecs.Worker.template',
        { 'training.kubeflow.org/job-name': 't', 'training.kubeflow.org/replica-type': 'worker' },
      ],
      ['spec.extra.replicatedJobs[0].template.spec.template', {}],
      ['spec.extra.podSpec', {}],
    ]);
    expect(unjudged).toEqual([]);
  });

  test('Argo templates: container, script and containerSet, with the workflow securityContext', () => {
    const { templates } = discover(`
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: w}
spec:
  securityContext: {runAsNonRoot: true}
  templates:
    - {name: a, container: {image: "a:1"}}
    - {name: b, script: {image: "python:3.12", source: "print(1)"}}
    - {name: c, containerSet: {containers: [{name: x, image: "x:1"}, {name: y, image: "y:1"}]}}
    - {name: d, steps: [[{name: s, template: a}]]}`);
    expect(templates.map((t) => [t.part, t.containers.map((c) => c.container.name)])).toEqual([
      ['spec.templates[0] (a)', ['main']],
      ['spec.templates[1] (b)', ['main']],
      ['spec.templates[2] (c)', ['x', 'y']],
    ]);
    expect(templates[0]!.podSecurity?.path).toEqual(['spec', 'securityContext']);
  });

  test('policies and schemas describe pods without running them; too deep or unreadable is said', () => {
    expect(
      discover(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec: {rules: [{validate: {pattern: {spec: {containers: [{image: "!*:latest"}]}}}}]}`).templates,
    ).toEqual([]);
    let deep = '{containers: [{name: c, image: "c:1"}]}';
    for (let i = 0; i < WALK_DEPTH + 1; i++) deep = `{a: ${deep}}`;
    const found = discover(`{apiVersion: x.io/v1, kind: Deep, metadata: {name: d}, spec: ${deep}}`);
    expect(found.templates).toEqual([]);
    expect(found.unjudged.map((u) => u.why)).toEqual([expect.stringContaining('deeper than')]);
    expect(
      discover('{apiVersion: x.io/v1, kind: X, spec: {template: {spec: {containers: [a, b]}}}}').unjudged,
    ).toEqual([
      { path: ['spec', 'template', 'spec', 'containers'], why: 'containers is not a list of containers' },
    ]);
  });
});
