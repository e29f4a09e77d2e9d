/**
 * MLflow integration: webhook signatures as MLflow computes them (vector made with Python's
 * hmac, the way mlflow/webhooks/delivery.py does), and the verdict written back as
 * model-version tags through the REST API — against a fake of MLflow's registry endpoints
 * (src/testing/mlflow-fake.ts; a real MLflow server is a Python service CI does not have).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { checkCommand } from '../../cli/commands/check.js';
import { bufferedIO } from '../../testing/io.js';
import { type FakeMlflow, startFakeMlflow } from '../../testing/mlflow-fake.js';
import { parseModelVersionRef } from './registry.js';
import { signMlflowDelivery, verifyMlflowWebhook } from './webhook.js';

const BODY =
  '{"entity":"model_version","action":"created","timestamp":"2025-11-30T12:00:00+00:00","data":{"name":"digits","version":"3","source":"models:/m-1","run_id":"abc","tags":{},"description":null}}';
const PYTHON_SIGNATURE = 'v1,7HN8zDZrXkaaEYCORd3v2s+drw75WITu4rJdQH6C1OA=';
const AT = new Date(1764504000 * 1000);
const headers = (overrides: Record<string, string> = {}) => ({
  'x-mlflow-delivery-id': 'd1f3',
  'x-mlflow-timestamp': '1764504000',
  'x-mlflow-signature': PYTHON_SIGNATURE,
  ...overrides,
});

describe('MLflow webhook deliveries', () => {
  test('the signature equals the one MLflow (Python hmac) computes, and the version to gate is read', () => {
    expect(signMlflowDelivery('whsec-test', 'd1f3', '1764504000', BODY)).toBe(PYTHON_SIGNATURE);
    const check = verifyMlflowWebhook(headers(), BODY, 'whsec-test', AT);
    expect(check).toMatchObject({
      ok: true,
      deliveryId: 'd1f3',
      event: {
        entity: 'model_version',
        action: 'created',
        modelVersion: { name: 'digits', version: '3', runId: 'abc' },
      },
    });
  });

  test('a changed body, another secret, a replay, a missing header or no secret is refused', () => {
    const refused = (check: ReturnType<typeof verifyMlflowWebhook>) => (check.ok ? 'accepted' : check.reason);
    expect(refused(verifyMlflowWebhook(headers(), BODY.replace('"3"', '"4"'), 'whsec-test', AT))).toMatch(
      /does not match/,
    );
    expect(refused(verifyMlflowWebhook(headers(), BODY, 'other', AT))).toMatch(/does not match/);
    expect(
      refused(verifyMlflowWebhook(headers(), BODY, 'whsec-test', new Date(AT.getTime() + 301_000))),
    ).toMatch(/away from now/);
    expect(
      refused(verifyMlflowWebhook(headers({ 'x-mlflow-timestamp': '1764504001' }), BODY, 'whsec-test', AT)),
    ).toMatch(/does not match/);
    const { 'x-mlflow-signature': _, ...unsigned } = headers();
    expect(refused(verifyMlflowWebhook(unsigned, BODY, 'whsec-test', AT))).toMatch(/missing/);
    expect(refused(verifyMlflowWebhook(headers(), BODY, '', AT))).toMatch(/no webhook secret/);
  });
});

describe('check --mlflow-model NAME/VERSION', () => {
  let fake: FakeMlflow | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  function project(passing: boolean): string {
    const dir = mkdtempSync(join(tmpdir(), 'mlgate-mlflow-'));
    writeFileSync(join(dir, 'model.onnx'), 'bytes');
    writeFileSync(
      join(dir, 'mlgate.yaml'),
      [
        'version: 1',
        'project: { name: mlflow-test }',
        'artifacts: { model: model.onnx }',
        'sections:',
        '  - title: Model',
        '    items:',
        `      - { id: model-file, title: The model is there, check: { kind: file, path: ${passing ? 'model.onnx' : 'missing.onnx'} } }`,
        '',
      ].join('\n'),
    );
    return dir;
  }

  async function check(dir: string, env: NodeJS.ProcessEnv, extra: Record<string, unknown> = {}) {
    const cli = bufferedIO(dir, env);
    const code = await checkCommand(
      '.',
      { format: 'text', quiet: true, noStore: true, mlflowModel: 'digits/3', ...extra },
      cli.io,
    );
    return { code, stderr: cli.stderr(), stdout: cli.stdout() };
  }

  test('tags the version with the verdict of its profile and what it was decided on; PENDING before the run, the verdict last', async () => {
    fake = await startFakeMlflow([{ name: 'digits', version: '3' }], { token: 's3cret-token' });
    const env = { MLFLOW_TRACKING_URI: fake.url, MLFLOW_TRACKING_TOKEN: 's3cret-token' };
    const passed = await check(project(true), env);
    expect(passed.code, passed.stderr).toBe(0);
    const tags = fake.tags.get('digits/3')!;
    expect(tags.get('mlgate.verdict.default')).toBe('PASS');
    // Never a bare "PASS": a promotion step checking for its own profile cannot mistake it.
    expect(tags.get('mlgate.verdict')).toBe('PASS (default)');
    expect(JSON.parse(tags.get('mlgate.artifacts')!)).toEqual({
      model: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const writes = fake.calls
      .filter((c) => c.path.endsWith('set-tag'))
      .map((c) => c.body as { key: string; value: string });
    expect(writes[0]).toMatchObject({ key: 'mlgate.verdict.default', value: 'PENDING' });
    expect(writes.filter((w) => w.key === 'mlgate.verdict.default').at(-1)).toMatchObject({ value: 'PASS' });
    expect(passed.stderr).toContain('tagged mlgate.verdict.default=PASS');
    expect(passed.stderr).not.toContain('s3cret-token');

    const blocked = await check(project(false), env);
    expect(blocked.code).toBe(1);
    expect(tags.get('mlgate.verdict.default')).toBe('BLOCKED');
    expect(tags.get('mlgate.reasons')).toContain('model-file');
  });

  test('a write cut short leaves PENDING, never the earlier PASS, and a PASS not written fails the job', async () => {
    fake = await startFakeMlflow([{ name: 'digits', version: '3' }]);
    const env = { MLFLOW_TRACKING_URI: fake.url };
    expect((await check(project(true), env)).code).toBe(0);
    fake.failSetTagAt = fake.calls.filter((c) => c.path.endsWith('set-tag')).length + 4;
    const cut = await check(project(true), env);
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/not written to MLflow.*500.*INTERNAL_ERROR/);
    expect(fake.tags.get('digits/3')!.get('mlgate.verdict.default')).toBe('PENDING');
  });

  test('a proxy that answers 200 without writing, or echoes the token, is not taken for MLflow', async () => {
    const { createServer } = await import('node:http');
    const proxy = createServer((req, res) => {
      if (req.url?.includes('model-versions/get')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ model_version: { name: 'digits', version: '3', tags: [] } }));
      } else if (req.url?.includes('set-tag') && req.headers.authorization?.includes('echo')) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error_code: 'BAD_GATEWAY',
            message: `upstream refused ${req.headers.authorization}`,
          }),
        );
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>signed in</html>');
      }
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    try {
      const html = await check(project(true), { MLFLOW_TRACKING_URI: url });
      expect(html.code).toBe(2);
      expect(html.stderr).toMatch(/not JSON/);
      const echo = await check(project(true), {
        MLFLOW_TRACKING_URI: url,
        MLFLOW_TRACKING_TOKEN: 'echo-secret-123',
      });
      expect(echo.code).toBe(2);
      expect(echo.stderr).toMatch(/BAD_GATEWAY/);
      expect(echo.stderr + echo.stdout).not.toContain('echo-secret-123');
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  test('credentials are not sent in the clear or in the URL', async () => {
    const dir = project(true);
    expect(
      (
        await check(dir, {
          MLFLOW_TRACKING_URI: 'http://mlflow.example.com',
          MLFLOW_TRACKING_TOKEN: 'abcd1234',
        })
      ).stderr,
    ).toMatch(/plain http/);
    expect((await check(dir, { MLFLOW_TRACKING_URI: 'https://u:p@mlflow.example.com' })).stderr).toMatch(
      /MLFLOW_TRACKING_USERNAME/,
    );
  });

  test('an unknown version, a missing tracking URI, a bad reference or --only stop before anything runs', async () => {
    fake = await startFakeMlflow([{ name: 'digits', version: '3' }]);
    const dir = project(true);
    const unknown = await check(dir, { MLFLOW_TRACKING_URI: fake.url }, { mlflowModel: 'digits/9' });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/digits\/9.*404.*RESOURCE_DOES_NOT_EXIST/);
    expect((await check(dir, {})).stderr).toMatch(/needs MLFLOW_TRACKING_URI/);
    expect((await check(dir, { MLFLOW_TRACKING_URI: fake.url }, { mlflowModel: 'digits' })).stderr).toMatch(
      /not NAME\/VERSION/,
    );
    const partial = await check(dir, { MLFLOW_TRACKING_URI: fake.url }, { only: ['model-file'] });
    expect(partial.code).toBe(2);
    expect(partial.stderr).toMatch(/--only/);
    expect(fake.calls.filter((c) => c.path.endsWith('set-tag'))).toEqual([]);
  });

  test('model names with slashes keep them; the version is after the last one', () => {
    expect(parseModelVersionRef('team/digits-mlp/12')).toEqual({ name: 'team/digits-mlp', version: '12' });
  });
});
