import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { isWorkloadKind, podTemplates } from './pod-templates.js';

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
