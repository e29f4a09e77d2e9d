// The service's own tests: the real model, real HTTP on loopback.
// Run: node --test test/   (mlgate runs them with JUnit and lcov reporters; see ../mlgate.yaml)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createApp } from '../src/app.mjs';
import { parsePredictRequest } from '../src/validate.mjs';

const modelPath = fileURLToPath(new URL('../../model/model.onnx', import.meta.url));
const metricsPath = fileURLToPath(new URL('../../metrics.json', import.meta.url));
const TOKEN = 'test-token-for-unit-tests';

function readNpy(path) {
  const bytes = readFileSync(fileURLToPath(new URL(path, import.meta.url)));
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  const shape = /'shape': \(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  const data = new Uint8Array(bytes.subarray(10 + headerLength)).buffer;
  return /'descr': '<f4'/.test(header) ? { shape, values: new Float32Array(data) } : { shape, values: Array.from(new BigInt64Array(data), Number) };
}

const images = readNpy('../../data/X_test.npy');
const labels = readNpy('../../data/y_test.npy');
const image = (i) => Array.from(images.values.subarray(i * 64, (i + 1) * 64));

let app;
let base;
const logged = [];

before(async () => {
  app = createApp({
    modelPath,
    metricsPath,
    modelName: 'digits-mlp',
    modelVersion: '1.0.0',
    token: TOKEN,
    maxBodyBytes: 100_000,
    maxBatch: 64,
    corsOrigins: ['https://app.example.com'],
    log: (level, message) => logged.push(`${level} ${message}`),
  });
  await new Promise((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${app.server.address().port}`;
});

after(async () => {
  await app.shutdown();
});

const post = (path, body, headers = {}) =>
  fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('before the model is loaded', () => {
  test('/health answers, /ready and /ping say 503, /predict says 503', async () => {
    assert.equal((await fetch(`${base}/health`)).status, 200);
    assert.equal((await fetch(`${base}/ready`)).status, 503);
    assert.equal((await fetch(`${base}/ping`)).status, 503);
    assert.equal((await fetch(`${base}/info`)).status, 503);
    assert.equal((await post('/predict', { input: image(0) })).status, 503);
  });
});

describe('with the model loaded', () => {
  before(() => app.load());

  test('/ready says ready', async () => {
    const response = await fetch(`${base}/ready`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ready' });
  });

  test('/info describes the model and labels its metrics as reported', async () => {
    const info = await (await fetch(`${base}/info`)).json();
    assert.equal(info.model.name, 'digits-mlp');
    assert.match(info.model.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(info.input.shape, ['batch', 64]);
    assert.match(info.metrics.source, /reported/);
  });

  test('a batch is classified as the labels say (at least 19 of the first 20)', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => image(i));
    const response = await post('/predict', { inputs: rows });
    assert.equal(response.status, 200);
    const body = await response.json();
    const correct = body.predictions.filter((p, i) => p === labels.values[i]).length;
    assert.ok(correct >= 19, `${correct} of 20 correct`);
    for (const probabilities of body.probabilities) {
      assert.equal(probabilities.length, 10);
      assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    }
  });

  test('one image, and the SageMaker route', async () => {
    const single = await (await post('/predict', { input: image(0) })).json();
    assert.equal(single.prediction, labels.values[0]);
    const invocations = await (await post('/invocations', { input: image(0) })).json();
    assert.deepEqual(invocations, single);
  });

  test('bad requests get a 4xx JSON error naming the problem', async () => {
    const cases = [
      [post('/predict', '{"inputs": [[1, 2'), 400, 'invalid_json'],
      [post('/predict', { inputs: [[1, 2, 3]] }), 422, 'invalid_shape'],
      [post('/predict', { inputs: 'x' }), 422, 'invalid_type'],
      [post('/predict', {}), 422, 'missing_field'],
      [post('/predict', { inputs: [image(0).map(() => 99)] }), 422, 'out_of_range'],
      [post('/predict', { input: image(0) }, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
      [post('/predict', { inputs: Array.from({ length: 65 }, () => image(0)) }), 422, 'batch_too_large'],
      [post('/predict', { padding: 'x'.repeat(200_000) }), 413, 'payload_too_large'],
      [fetch(`${base}/nope`), 404, 'not_found'],
      [fetch(`${base}/predict`), 405, 'method_not_allowed'],
    ];
    for (const [pending, status, code] of cases) {
      const response = await pending;
      assert.equal(response.status, status, code);
      assert.match(response.headers.get('content-type'), /^application\/json/);
      assert.equal((await response.json()).error.code, code);
    }
  });

  test('the token is required and checked', async () => {
    assert.equal((await post('/predict', { input: image(0) }, { authorization: '' })).status, 401);
    assert.equal((await post('/predict', { input: image(0) }, { authorization: 'Bearer wrong' })).status, 403);
  });

  test('security headers on every answer; CORS only for listed origins', async () => {
    const allowed = await fetch(`${base}/health`, { headers: { origin: 'https://app.example.com' } });
    assert.equal(allowed.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com');
    const other = await fetch(`${base}/health`, { headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    assert.equal((await fetch(`${base}/predict`, { method: 'OPTIONS' })).status, 204);
  });

  test('/metrics counts requests and predictions', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /^# TYPE http_requests_total counter$/m);
    assert.match(text, /^predictions_total\{class="\d"\} \d+$/m);
    assert.match(text, /^http_request_duration_seconds_bucket\{route="\/predict",le="\+Inf"\} \d+$/m);
    assert.match(text, /^model_loaded 1$/m);
  });
});

describe('request validation', () => {
  test('rejects both input and inputs, non-objects, non-lists and empty batches', () => {
    assert.throws(() => parsePredictRequest({ input: [], inputs: [] }, 8), /either "input" or "inputs"/);
    assert.throws(() => parsePredictRequest([1], 8), /JSON object/);
    assert.throws(() => parsePredictRequest({ inputs: [] }, 8), /empty/);
    assert.throws(() => parsePredictRequest({ inputs: [5] }, 8), /must be a list/);
    assert.throws(() => parsePredictRequest({ input: ['a', ...Array(63).fill(0)] }, 8), /input\[0\] must be a number/);
  });
});
