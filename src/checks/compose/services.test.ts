import { describe, expect, test } from 'vitest';
import { commandSecret } from './run.js';
import { composeBool, interpolate, parseDotenv, volumeParts } from './services.js';

describe('compose: reading values as Compose does', () => {
  test.each([
    ['ghcr.io/org/model:${TAG:-latest}', 'ghcr.io/org/model:latest'],
    ['ghcr.io/org/model:${TAG-1.2.0}', 'ghcr.io/org/model:1.2.0'],
    ['${REGISTRY}/model:${TAG:?set TAG}', '?/model:?'],
    ['$REGISTRY/model:1.0', '?/model:1.0'],
    ['echo $$HOME', 'echo $HOME'],
  ])('%s → %s', (text, expected) => {
    expect(interpolate(text, '?')).toBe(expected);
  });

  test.each([
    [
      '/var/run/docker.sock:/var/run/docker.sock:ro',
      { source: '/var/run/docker.sock', target: '/var/run/docker.sock' },
    ],
    [
      '${DOCKER_SOCK:-/var/run/docker.sock}:/var/run/docker.sock',
      { source: '${DOCKER_SOCK:-/var/run/docker.sock}', target: '/var/run/docker.sock' },
    ],
    ['C:\\models:/models:ro', { source: 'C:\\models', target: '/models' }],
    ['/models', { target: '/models' }],
    [
      { type: 'bind', source: '/run/containerd/containerd.sock', target: '/run/containerd/containerd.sock' },
      { type: 'bind', source: '/run/containerd/containerd.sock', target: '/run/containerd/containerd.sock' },
    ],
  ])('volume %j', (entry, expected) => {
    expect(volumeParts(entry)).toEqual(expected);
  });
});

describe('compose: credentials on a command line', () => {
  test.each([
    ['redis-server --requirepass testpw', 'testpw'],
    ['text-generation-launcher --model-id x --token hf_abcdefghijklmnop', 'hf_abcdefghijklmnop'],
    ['mlflow server --backend-store-uri postgresql://mlflow:pw123@db/mlflow', 'pw123'],
    ['app --api-key=sk-live-0123456789', 'sk-live-0123456789'],
    ['redis-server --requirepass ${REDIS_PASSWORD:?}', undefined],
    ['redis-server --requirepass $$REDIS_PASSWORD', undefined],
    ['vllm serve m --max-tokens 512 --max-num-batched-tokens 8192', undefined],
    ['app --password-file /run/secrets/db_password', undefined],
    ['mlflow server --backend-store-uri postgresql://mlflow:${POSTGRES_PASSWORD}@db/mlflow', undefined],
  ])('%s', (command, secret) => {
    expect(commandSecret(command)?.value).toBe(secret);
  });
});

describe('compose: .env and interpolation as compose-go does it', () => {
  const env = parseDotenv(
    [
      '# comment',
      'export PRIV=true',
      "QUOTED='${PRIV} literal'",
      'DOUBLE="a ${PRIV}\\n"',
      'TRAILING=on # why',
      'EMPTY=',
    ].join('\n'),
  );
  test('.env values', () => {
    expect(env.get('PRIV')).toBe('true');
    expect(env.get('QUOTED')).toBe('${PRIV} literal');
    expect(env.get('DOUBLE')).toBe('a true\n');
    expect(env.get('TRAILING')).toBe('on');
    expect(env.get('EMPTY')).toBe('');
  });
  test.each([
    ['${PRIV}', 'true'],
    ['${PRIV:-false}', 'true'],
    ['${EMPTY:-x}', 'x'],
    ['${EMPTY-x}', ''],
    ['${NOPE:-${PRIV}}', 'true'],
    ['${NOPE:-${ALSO_NOPE}}', '?'],
    ['${PRIV:+on}', 'on'],
    ['${NOPE:+on}', '?'],
    ['$PRIV', 'true'],
  ])('%s → %s', (text, expected) => {
    expect(interpolate(text, '?', env)).toBe(expected);
  });
  test.each([
    [true, true],
    ['yes', true],
    ['Y', true],
    ['On', true],
    ['${PRIV}', true],
    ['${X:-TRUE}', true],
    ['no', false],
    ['${X:-off}', false],
    ['${X}', 'unknown'],
    ['maybe', 'invalid'],
    [1, 'invalid'],
  ])('boolean %j', (value, expected) => {
    expect(composeBool(value, env)).toBe(expected);
  });
});
