/**
 * The CLI as a real process on the bundled examples and on broken input: exit codes, the
 * JSON report, the messages people read.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RunReport } from '../domain/run-report.js';
import { REPO_ROOT, runCli } from '../testing/cli.js';
import { TOY_MODEL } from '../testing/fixtures.js';
import { TOOL_VERSION } from '../version.js';

const EXAMPLE = 'examples/digits-classifier';
const BLOCKED = 'examples/digits-classifier-blocked';
const sha256 = (path: string) =>
  createHash('sha256')
    .update(readFileSync(join(REPO_ROOT, path)))
    .digest('hex');

function tempProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlgate-cli-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

// Each example runs once (it starts its service and load-tests it); the tests share the run.
let passingRun: Promise<{ text: Awaited<ReturnType<typeof runCli>>; report: RunReport }> | undefined;
function runPassingExample() {
  passingRun ??= (async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mlgate-out-')), 'report.json');
    const text = await runCli(['check', EXAMPLE, '--out', out]);
    return { text, report: RunReport.parse(JSON.parse(readFileSync(out, 'utf8'))) };
  })();
  return passingRun;
}

describe('mlgate check on the bundled examples', () => {
  test('the passing example: exit 0, PASS with the pending sign-off as a warning', async () => {
    const { text: result } = await runPassingExample();
    // Not a TTY: no colour codes, on either stream.
    expect(result.stderr.includes('\u001b[')).toBe(false);
    expect(result.stdout.includes('\u001b[')).toBe(false);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Verdict: PASS with 1 warning');
    expect(result.stdout).toContain('tech-lead-approval (pending): awaiting sign-off by technical-lead');
    expect(result.stdout).toMatch(
      /^service http:\/\/127\.0\.0\.1:\d+ \(ready in [\d.]+ m?s; stopped \(exit 0\)\)$/m,
    );
    // Progress goes to stderr, one plain line per item when not on a TTY; a long step (a load
    // test) adds a line of its own progress every 5 s at most.
    const progress = result.stderr.trim().split('\n');
    expect(progress.filter((line) => /^\[\d+\/39\] /.test(line))).toHaveLength(39);
    expect(
      progress
        .filter((line) => !/^\[\d+\/39\] /.test(line))
        .every((line) => /^ {8}service-[\w-]+: /.test(line)),
    ).toBe(true);
  });

  test('the JSON report follows its schema and carries digests and evidence', async () => {
    const { report } = await runPassingExample();
    expect(report).toMatchObject({
      schemaVersion: 1,
      tool: { name: 'mlgate', version: TOOL_VERSION },
      project: { name: 'digits-classifier', model: { name: 'digits-mlp', version: '1.0.0' } },
      profile: 'dev',
      complete: true,
      verdict: { status: 'PASS', warnings: 1, blocking: [] },
      counts: { total: 39, pass: 38, pending: 1, fail: 0, error: 0 },
      service: {
        managed: true,
        command: 'node service/src/main.mjs',
        exit: { code: 0, signal: null, expected: true },
      },
    });
    expect(report.spec.sha256).toBe(sha256(`${EXAMPLE}/mlgate.yaml`));
    const model = report.artifacts.find((a) => a.name === 'model');
    expect(model).toMatchObject({
      path: 'model/model.onnx',
      sha256: sha256(`${EXAMPLE}/model/model.onnx`),
      size: 70225,
    });
    const accuracy = report.items.find((i) => i.id === 'test-accuracy')!;
    expect(accuracy).toMatchObject({
      sectionPath: ['Test set evaluation'],
      kind: 'predictions',
      severity: 'required',
      status: 'pass',
      source: 'measured',
      measured: { accuracy: 0.9722222222222222, rows: 360 },
      threshold: { accuracy: '>= 0.97' },
    });
    expect(accuracy.evidence[0]).toMatchObject({ type: 'table', title: 'thresholds' });
    const valLoss = report.items.find((i) => i.id === 'final-val-loss')!;
    expect(valLoss).toMatchObject({ kind: 'metric', source: 'reported', measured: { val_loss: 0.145877 } });
    expect(valLoss.evidence[0]).toMatchObject({ type: 'location', path: 'logs/history.csv', line: 61 });
    // The service items: an exchange as evidence, the token never in the report.
    const predict = report.items.find((i) => i.id === 'service-predict')!;
    expect(predict.evidence[0]).toMatchObject({
      type: 'http',
      request: {
        method: 'POST',
        headers: { authorization: 'Bearer ***' },
        body: '(file data/sample-request.json, 647 B)',
      },
      response: { status: 200 },
    });
    expect(JSON.stringify(report)).not.toMatch(/Bearer (?!\*\*\*)/);
    const load = report.items.find((i) => i.id === 'service-latency')!;
    expect(load.measured).toMatchObject({ requests: 2000, errors: 0 });
    expect(load.evidence.map((e) => e.type === 'data' && e.name).filter(Boolean)).toEqual([
      'load-timeseries',
      'latency-percentiles',
    ]);
    expect(report.sections.map((s) => [s.path.join('/'), s.counts.total])).toEqual([
      ['Model artifacts', 3],
      ['Training completion', 2],
      ['Test set evaluation', 9],
      ['Exported model (ONNX)', 3],
      ['Model service', 10],
      ['Service code', 4],
      ['Container and deployment', 5],
      ['Documentation', 2],
      ['Sign-off', 1],
    ]);
  });

  test('the blocked example: exit 1, and every reason visible', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mlgate-out-')), 'reports', 'gate.json');
    // Its own store: the passing example (same project name) has no say in its baselines.
    const result = await runCli(['check', BLOCKED, '--out', out, '--quiet'], {
      env: { MLGATE_STORE: mkdtempSync(join(tmpdir(), 'mlgate-store-')) },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Verdict: BLOCKED — 20 reasons:');
    const report = RunReport.parse(JSON.parse(readFileSync(out, 'utf8')));
    // alert-rules reads /metrics after the load tests: on a loaded machine the hurried service may
    // still be working through their backlog and not answer in time — an error; it blocks either way.
    const seen = (r: { itemId: string | null; status: string }) =>
      r.itemId === 'alert-rules' && r.status === 'error' ? 'fail' : r.status;
    expect(report.verdict.blocking.map((r) => [r.itemId, seen(r)])).toEqual([
      ['model-checksum', 'fail'],
      ['test-accuracy', 'fail'],
      ['onnx-parity', 'fail'],
      ['service-info', 'fail'],
      ['service-predict', 'fail'],
      ['service-sagemaker', 'fail'],
      ['service-contract', 'fail'],
      ['alert-rules', 'fail'],
      ['service-latency', 'fail'],
      ['service-log-clean', 'fail'],
      ['service-shutdown', 'fail'],
      ['service-tests', 'fail'],
      ['service-tests-passed', 'skip'],
      ['service-coverage', 'skip'],
      ['service-dependencies', 'fail'],
      ['dockerfile', 'fail'],
      ['compose', 'fail'],
      ['kubernetes', 'fail'],
      ['no-secrets', 'fail'],
      ['model-card', 'fail'],
    ]);
    const reasons = Object.fromEntries(report.verdict.blocking.map((r) => [r.itemId, r.message]));
    expect(reasons['test-accuracy']).toBe(
      '360 rows of data/predictions_test.csv, measured: accuracy = 0.961111 fails >= 0.97; f1_macro = 0.960888 fails >= 0.97',
    );
    expect(reasons['onnx-parity']).toContain(
      '4 of 360 rows change their predicted class (argmax agreement 98.89%, needs 100.00%)',
    );
    expect(reasons['onnx-parity']).toContain(
      'accuracy 96.11% vs 97.22% from data/torch_logits_test.npy: 1.111 pp apart > 0.5 pp',
    );
    expect(reasons['model-card']).toBe('docs/MODEL_CARD.md: missing heading "Limitations"');
    expect(reasons['model-checksum']).toBe(
      '`cd model && sha256sum --check --strict SHA256SUMS` exited 1 (expected 0)',
    );
    // The service fails for different reasons, each named.
    expect(reasons['service-info']).toBe('GET /info: status 404, expected 200');
    expect(reasons['service-predict']).toContain(
      'does not match the JSON Schema: at /: Instance does not have required property "probabilities"',
    );
    expect(reasons['service-contract']).toContain(
      'malformed-json: malformed JSON: answered 500: a server error, where 400/422 was expected',
    );
    expect(reasons['service-shutdown']).toBe(
      'on SIGTERM: it did not handle SIGTERM: the signal ended it (SIGTERM) without a clean exit; the request in flight was dropped (the service closed the connection without an answer)',
    );
    expect(reasons['service-log-clean']).toMatch(/^the service's output: \d+ error lines \(line \d+: ERROR /);
    // Every request stalls 150 ms (a back-off left in), so p95 < 100 ms fails on any machine.
    expect(reasons['service-latency']).toMatch(/^POST \/predict: .*p\(95\) /);
    expect(reasons['dockerfile']).toContain('Dockerfile:2 base image "node:latest" uses :latest');
    expect(reasons['no-secrets']).toContain('service/config/settings.json:3 GitHub token: ghp_…(40 chars)');
    const contract = report.items.find((i) => i.id === 'service-contract')!;
    const findings = contract.evidence
      .filter((e) => e.type === 'finding')
      .map((e) => e.type === 'finding' && e.rule);
    expect(findings).toEqual(
      expect.arrayContaining([
        'http-contract/no-credentials',
        'http-contract/cors-credentials',
        'http-contract/no-stack-traces',
        'http-contract/metrics-format',
      ]),
    );
    const checksum = report.items.find((i) => i.id === 'model-checksum')!;
    expect(checksum.evidence[0]).toMatchObject({
      type: 'output',
      exitCode: 1,
      stdoutTail: 'model.onnx: FAILED',
    });
    expect(report.verdict.warningReasons.map((r) => r.itemId)).toEqual([
      'accuracy-not-luck',
      'every-class-f1',
      'fairness-stroke-weight',
      'service-steady-rate',
      'tech-lead-approval',
    ]);
    // No secret in the report, and the service is gone.
    expect(readFileSync(out, 'utf8')).not.toContain('ghp_R7mX');
    expect(report.service?.exit).toMatchObject({ signal: 'SIGTERM', expected: true });
  });

  test('profile prod makes the pending sign-off required: BLOCKED', async () => {
    const result = await runCli([
      'check',
      EXAMPLE,
      '--profile',
      'prod',
      '--only',
      'tech-lead-approval',
      '--format',
      'json',
      '--quiet',
    ]);
    expect(result.code).toBe(1);
    const report = RunReport.parse(JSON.parse(result.stdout));
    expect(report.verdict.blocking).toEqual([
      {
        itemId: 'tech-lead-approval',
        severity: 'required',
        status: 'pending',
        message: 'awaiting sign-off by technical-lead',
      },
    ]);
  });

  test('--only runs a part and says the verdict covers only that part', async () => {
    const result = await runCli(['check', BLOCKED, '--only', 'model-file,training-complete', '--quiet']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'partial run: --only model-file,training-complete; the verdict covers these items only',
    );
  });
});

describe('bad input: a clear message and exit code 2, never a stack trace', () => {
  test('an invalid spec lists every problem with file:line:column', async () => {
    const dir = tempProject({
      'mlgate.yaml':
        'version: 1\nproject: { name: x }\nsections:\n  - title: A\n    items:\n      - { id: a, title: A, check: { kind: fiel, path: m } }\n      - { id: a, title: B, manual: {} }\n',
    });
    const result = await runCli(['check', dir]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'mlgate.yaml:6:43: error: unknown check kind "fiel". Did you mean "file"?',
    );
    expect(result.stderr).toContain('mlgate.yaml:7:15: error: duplicate item id "a" (first used at line 6)');
    expect(result.stderr).toContain('2 problems in');
    expect(result.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  test("the service's environment names a variable that is not set", async () => {
    const dir = tempProject({
      'mlgate.yaml':
        'version: 1\nproject: { name: x }\nservice: { start: { command: node server.js, env: { TOKEN: "${env.MLGATE_TEST_UNSET}" } } }\nsections:\n  - title: A\n    items:\n      - { id: h, title: H, check: { kind: http, path: /health } }\n',
    });
    const result = await runCli(['check', dir], { env: { MLGATE_TEST_UNSET: undefined } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: service.start.env.TOKEN uses ${env.MLGATE_TEST_UNSET}, which is not set\n  set MLGATE_TEST_UNSET in the environment mlgate runs in\n',
    );
  });

  test('no spec in the folder', async () => {
    const dir = tempProject({});
    const result = await runCli(['check', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error: no spec in .*: no mlgate\.yaml or mlgate\.yml there\n/);
    expect(result.stderr).toContain('start one:  mlgate init ');
    expect(result.stderr).toContain('mlgate import CHECKLIST.md --out ');
  });

  test('an unknown profile suggests the closest', async () => {
    const result = await runCli(['check', EXAMPLE, '--profile', 'prd']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: unknown profile "prd". Did you mean "prod"?\n  profiles in this spec: dev, prod\n',
    );
  });

  test('unknown options and commands', async () => {
    expect((await runCli(['check', '--frmat', 'json'])).code).toBe(2);
    const unknown = await runCli(['chek']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'chek'");
    expect((await runCli(['check', EXAMPLE, '--format', 'xml'])).code).toBe(2);
  });
});

describe('the other commands', () => {
  test('validate summarises the spec', async () => {
    const result = await runCli(['validate', EXAMPLE]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        '✓ examples/digits-classifier/mlgate.yaml is valid: 9 sections, 39 items',
        '  automated 38 (alerts 1, baseline 1, command 2, compose 1, coverage 1, dependencies 1, dockerfile 1, docs 2, drift 1, env-file 1, file 2, http 4, http-contract 1, kubernetes 1, load 2, log 1, metric 1, onnx-model 3, predictions 7, secrets 1, service-log 1, service-shutdown 1, test-results 1), manual 1',
        '  artifacts: model, checksums, metrics, training_log, model_card, test_predictions',
        '  profiles: dev, prod (default dev)',
        '',
      ].join('\n'),
    );
  });

  test('schema prints a JSON Schema with every check kind', async () => {
    const result = await runCli(['schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout);
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const text = JSON.stringify(schema);
    for (const kind of ['command', 'docs', 'file', 'log', 'metric'])
      expect(text).toContain(`"const":"${kind}"`);
    const report = JSON.parse((await runCli(['schema', '--report'])).stdout);
    expect(report.properties.schemaVersion).toMatchObject({ const: 1 });
  });

  test('list-checks documents every kind; --version; --help', async () => {
    const list = await runCli(['list-checks', '--format', 'json']);
    const kinds = JSON.parse(list.stdout) as Array<{ kind: string; params: unknown[] }>;
    expect(kinds.map((k) => k.kind)).toEqual([
      'alerts',
      'baseline',
      'command',
      'compose',
      'coverage',
      'dependencies',
      'dockerfile',
      'docs',
      'drift',
      'env-file',
      'file',
      'http',
      'http-contract',
      'kubernetes',
      'load',
      'log',
      'metric',
      'onnx-model',
      'predictions',
      'secrets',
      'service-log',
      'service-shutdown',
      'test-results',
    ]);
    expect((await runCli(['--version'])).stdout.trim()).toBe(TOOL_VERSION);
    const help = await runCli(['check', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 PASS, 1 BLOCKED, 2 spec or usage error, 130 interrupted');
  });
});

describe('Ctrl-C', () => {
  /** Runs the spec in `dir`, sends Ctrl-C once the item "quick" has finished, reads the report. */
  async function interruptAfterQuick(dir: string, delayMs: number) {
    const out = join(dir, 'report.json');
    const result = await runCli(['check', dir, '--out', out], {
      onSpawn: (child) => {
        child.stderr?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('quick')) setTimeout(() => child.kill('SIGINT'), delayMs);
        });
      },
    });
    return { result, report: RunReport.parse(JSON.parse(readFileSync(out, 'utf8'))) };
  }

  const processesWith = (marker: string) =>
    execFileSync('ps', ['-eo', 'args'])
      .toString()
      .split('\n')
      .filter((line) => line.includes(marker));
  test('during a load test: the service is stopped and no process is left', async () => {
    const marker = `mlgate-service-${process.pid}-${Date.now()}`;
    const dir = tempProject({
      'mlgate.yaml': [
        'version: 1',
        'project: { name: interrupt-service }',
        'service:',
        `  start: { command: 'node "${TOY_MODEL}" ${marker}' }`,
        'sections:',
        '  - title: A',
        '    items:',
        '      - { id: quick, title: Quick, check: { kind: http, path: /health } }',
        '      - id: load',
        '        title: Load',
        '        check: { kind: load, path: /health, concurrency: 4, requests: 10000000, duration: 30s, warmup: 0s, thresholds: ["rps > 1"] }',
        '',
      ].join('\n'),
    });
    const { result, report } = await interruptAfterQuick(dir, 500);
    expect(result.code).toBe(130);
    expect(report.items.map((i) => [i.id, i.status])).toEqual([
      ['quick', 'pass'],
      ['load', 'error'],
    ]);
    expect(report.service?.exit).toMatchObject({ expected: true });
    expect(processesWith(marker)).toEqual([]);
  });

  test('stops the checks, kills what they started, writes a partial BLOCKED report', async () => {
    const marker = `mlgate-sigint-${process.pid}-${Date.now()}`;
    const dir = tempProject({
      'mlgate.yaml': [
        'version: 1',
        'project: { name: interrupt }',
        'sections:',
        '  - title: A',
        '    items:',
        '      - { id: quick, title: Quick, check: { kind: file, path: mlgate.yaml } }',
        `      - { id: slow, title: Slow, check: { kind: command, run: "sleep 300 # ${marker}" } }`,
        '      - { id: after, title: After, needs: [slow], check: { kind: file, path: mlgate.yaml } }',
        '',
      ].join('\n'),
    });
    // Interrupt once the slow command is running.
    const { result, report } = await interruptAfterQuick(dir, 300);
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('Interrupted: stopping checks and writing a partial report');
    expect(report.complete).toBe(false);
    expect(report.verdict.status).toBe('BLOCKED');
    expect(report.items.map((i) => [i.id, i.status])).toEqual([
      ['quick', 'pass'],
      ['slow', 'error'],
      ['after', 'skip'],
    ]);
    expect(processesWith(marker)).toEqual([]);
  });
});
