import { describe, expect, test } from 'vitest';
import { formatSpecError } from '../cli/problems.js';
import { makeStyle } from '../cli/style.js';
import { loadBuiltinChecks } from '../engine/registry.js';
import { SpecError } from './errors.js';
import { parseSpec } from './load.js';

const registry = await loadBuiltinChecks();

/** "line:column message" for each problem, in order. */
function problems(yaml: string): string[] {
  try {
    parseSpec(yaml, '/project/mlgate.yaml', registry);
  } catch (error) {
    if (error instanceof SpecError) {
      return error.problems.map((p) => `${p.position?.line}:${p.position?.column} ${p.message}`);
    }
    throw error;
  }
  return [];
}

const HEAD = `version: 1
project: { name: demo }
`;

describe('spec loading: valid specs', () => {
  test('a minimal spec loads, with defaults applied', () => {
    const loaded = parseSpec(
      `${HEAD}sections:
  - title: Model
    items:
      - id: model-file
        title: Model exists
        check: { kind: file, path: model.onnx }
`,
      '/project/mlgate.yaml',
      registry,
    );
    expect(loaded.root).toBe('/project');
    expect(loaded.items).toHaveLength(1);
    const [item] = loaded.items;
    expect(item).toMatchObject({
      id: 'model-file',
      kind: 'file',
      severity: 'required',
      sectionPath: ['Model'],
      needs: [],
    });
    expect(item!.check!.params).toEqual({ path: 'model.onnx', exists: true, non_empty: true });
    expect(item!.definitionDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  test('${artifacts.NAME} is replaced by the artifact path in check params', () => {
    const loaded = parseSpec(
      `${HEAD}artifacts:
  model: { path: model/model.onnx, description: the exported model }
sections:
  - title: Model
    items:
      - id: model-file
        title: Model exists
        check: { kind: file, path: "\${artifacts.model}" }
`,
      '/project/mlgate.yaml',
      registry,
    );
    expect(loaded.items[0]!.check!.params).toMatchObject({ path: 'model/model.onnx' });
  });

  test('nested sections and section `when` are carried to items', () => {
    const loaded = parseSpec(
      `${HEAD}profiles: { dev: {}, prod: {} }
sections:
  - title: Service
    when: prod
    sections:
      - title: Probes
        items:
          - id: health
            title: Health
            manual: {}
`,
      '/project/mlgate.yaml',
      registry,
    );
    expect(loaded.items[0]).toMatchObject({
      sectionPath: ['Service', 'Probes'],
      when: [['prod']],
      kind: 'manual',
    });
  });
});

describe('spec loading: every problem, with file:line:column and a fix', () => {
  test('malformed YAML', () => {
    expect(problems(`${HEAD}sections: [\n  - title: x\n`)).toEqual([
      '4:3 YAML syntax: Block collections are not allowed within flow collections (1 more parse error follows from it; fix this one first)',
    ]);
  });

  test('duplicate YAML keys', () => {
    expect(problems(`${HEAD}project: { name: again }\nsections: []\n`)).toEqual([
      '3:1 YAML syntax: Map keys must be unique',
    ]);
  });

  test('empty file', () => {
    expect(problems('')).toEqual([
      'undefined:undefined the spec is empty: it needs version, project and sections',
    ]);
  });

  test('unknown check kind suggests the closest', () => {
    expect(
      problems(`${HEAD}sections:
  - title: Eval
    items:
      - id: acc
        title: Accuracy
        check: { kind: metrc, file: m.json, key: a, expect: "> 1" }
`),
    ).toEqual([
      '8:24 unknown check kind "metrc". Did you mean "metric"? Known kinds: alerts, baseline, command, compose, coverage, dependencies, dockerfile, docs, drift, env-file, file, http, http-contract, kubernetes, load, log, metric, onnx-model, predictions, secrets, service-log, service-shutdown, test-results (see `mlgate list-checks`).',
    ]);
  });

  test('bad params name the param and what is expected', () => {
    expect(
      problems(`${HEAD}sections:
  - title: Model
    items:
      - id: model-file
        title: Model small
        check:
          kind: file
          path: model.onnx
          max_size: huge
`),
    ).toEqual(['11:21 expected a size such as 500 MB, 2GiB or 1024 (bytes)']);
  });

  test('unknown keys point at the key, suggest, and list the allowed keys', () => {
    expect(
      problems(`${HEAD}sections:
  - title: Model
    items:
      - id: model-file
        title: Model exists
        sevrity: required
        check: { kind: file, pth: model.onnx }
`),
    ).toEqual([
      '8:9 unknown key "sevrity". Did you mean "severity"? Allowed keys: id, title, description, severity, check, manual, remediation, timeout, allow_outside_project, needs, when, tags.',
    ]);
    expect(
      problems(`${HEAD}sections:
  - title: Model
    items:
      - id: model-file
        title: Model exists
        check: { kind: file, pth: model.onnx }
`),
    ).toEqual([
      // A missing key is reported where its parent is written.
      '8:9 missing required key "path" (a string)',
      '8:30 unknown key "pth". Did you mean "path"? Allowed keys: path, exists, non_empty, min_size, max_size, sha256.',
    ]);
  });

  test('duplicate ids', () => {
    expect(
      problems(`${HEAD}sections:
  - title: A
    items:
      - { id: acc, title: One, manual: {} }
  - title: B
    items:
      - { id: acc, title: Two, manual: {} }
`),
    ).toEqual(['9:15 duplicate item id "acc" (first used at line 6); ids must be unique across the spec']);
  });

  test('wrong types and missing keys', () => {
    expect(
      problems(`${HEAD}sections:
  - title: A
    items:
      - id: acc
        title: 5
        timeout: soon
        manual: {}
      - id: b
        manual: {}
`),
    ).toEqual([
      '7:16 expected a string, got the number 5',
      '8:18 expected a duration such as 30s, 2m, 500ms or 1h (a bare number is seconds)',
      '10:9 missing required key "title" (a string)',
    ]);
    expect(problems(`${HEAD}sections: { title: A }\n`)).toEqual(['3:11 expected a list, got a mapping']);
    expect(problems(`version: 2\nproject: { name: demo }\nsections: [{title: A}]\n`)).toEqual([
      '1:10 expected 1, got the number 2',
    ]);
  });

  test('an item needs exactly one of check and manual', () => {
    expect(
      problems(`${HEAD}sections:
  - title: A
    items:
      - { id: a, title: Neither }
      - { id: b, title: Both, manual: {}, check: { kind: file, path: x } }
`),
    ).toEqual([
      '6:9 an item needs either "check" (automated) or "manual" (a sign-off)',
      '7:9 an item has either "check" or "manual", not both: split it into two items',
    ]);
  });

  test('needs: unknown ids and cycles', () => {
    expect(
      problems(`${HEAD}sections:
  - title: A
    items:
      - { id: build, title: Build, manual: {}, needs: [tset] }
      - { id: test, title: Test, manual: {}, needs: [deploy] }
      - { id: deploy, title: Deploy, manual: {}, needs: [test] }
`),
    ).toEqual([
      '6:56 needs unknown item "tset". Did you mean "test"?',
      '8:57 "needs" forms a cycle: test -> deploy -> test',
    ]);
  });

  test('profiles: unknown names in when, severity and default_profile', () => {
    expect(
      problems(`${HEAD}profiles: { dev: {}, prod: {} }
default_profile: staging
sections:
  - title: A
    items:
      - id: a
        title: A
        when: prd
        severity: { default: optional, prod: required }
        manual: {}
      - id: b
        title: B
        severity: { prod: required }
        manual: {}
`),
    ).toEqual([
      '4:18 unknown profile "staging". Defined profiles: dev, prod.',
      '10:15 unknown profile "prd". Did you mean "prod"? Defined profiles: dev, prod.',
      '15:19 a per-profile severity needs a "default" entry for the other profiles',
    ]);
  });

  test('unknown artifact references', () => {
    expect(
      problems(`${HEAD}artifacts: { model: model.onnx }
sections:
  - title: A
    items:
      - id: a
        title: A
        check: { kind: file, path: "\${artifacts.modle}" }
`),
    ).toEqual([
      '9:36 unknown artifact "modle" in ${artifacts.modle}. Did you mean "model"? Artifacts: model.',
    ]);
  });

  test('the service section: an HTTP check without one, an ambiguous one, a load test longer than its timeout', () => {
    expect(
      problems(`${HEAD}sections:
  - title: S
    items:
      - { id: h, title: H, check: { kind: http, path: /health } }
      - { id: u, title: U, check: { kind: http, url: "http://127.0.0.1:9/health" } }
`),
    ).toEqual([
      '6:43 check kind "http" talks to the model\'s service, and the spec has no "service:" section: add service: {url: ...} or service: {start: {command: ...}}',
    ]);
    expect(
      problems(
        `${HEAD}service: { url: "http://127.0.0.1:8080", start: { command: x } }\nsections: [{ title: S, items: [{ id: f, title: F, check: { kind: file, path: x } }] }]\n`,
      ),
    ).toEqual(['3:10 give either url (running) or start (mlgate starts it)']);
    expect(
      problems(`${HEAD}service: { url: "http://127.0.0.1:8080" }
defaults: { timeout: 30s }
sections:
  - title: S
    items:
      - id: l
        title: L
        check: { kind: load, path: /, duration: 60s, thresholds: ["rps > 1"] }
`),
    ).toEqual([
      '10:16 defaults.timeout (30.0 s) is shorter than this check can take (1 m 17 s); set timeout: 77s on the item, or shorten it',
    ]);
  });

  test('the printed message: where, what, context and the line with a caret', () => {
    const yaml = `${HEAD}sections:
  - title: Eval
    items:
      - id: acc
        title: Accuracy
        check: { kind: metrc, file: m.json }
`;
    let printed = '';
    try {
      parseSpec(yaml, `${process.cwd()}/mlgate.yaml`, registry);
    } catch (error) {
      printed = formatSpecError(error as SpecError, makeStyle(false));
    }
    expect(printed).toBe(
      [
        'mlgate.yaml:8:24: error: unknown check kind "metrc". Did you mean "metric"? Known kinds: alerts, baseline, command, compose, coverage, dependencies, dockerfile, docs, drift, env-file, file, http, http-contract, kubernetes, load, log, metric, onnx-model, predictions, secrets, service-log, service-shutdown, test-results (see `mlgate list-checks`).',
        '  at sections[0].items[0].check.kind, in item "acc"',
        '    7 |         title: Accuracy',
        '  > 8 |         check: { kind: metrc, file: m.json }',
        '      |                        ^',
        '',
        '1 problem in mlgate.yaml; nothing was checked. Fix it and run `mlgate validate`.',
        '',
      ].join('\n'),
    );
  });
});
