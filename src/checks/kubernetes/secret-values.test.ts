import { describe, expect, test } from 'vitest';
import {
  decodeBase64,
  isPlaceholder,
  isSecretValue,
  secretsInConfigEntry,
  tokenIn,
} from './secret-values.js';

describe('credentials in ConfigMaps and env values', () => {
  test.each([
    ['db_password', 'abc123', true],
    ['WANDB_API_KEY', '6f1c2e9a4b7d8e0f3a5c1b2d4e6f8a0b9c7d5e3f', true],
    ['AZURE_BATCH_KEY', 'q9Xk2mP4vR7tY1wZ', true],
    ['OCI_CLI_KEY_CONTENT', 'MIIEvQIBADANBgkq', true],
    ['SECRET_KEY', 'django-insecure-8f0a', true],
    ['Authorization_Bearer', 'eyJhbGciOiJIUzI1NiJ9', true],
    // references, placeholders and settings that only sound like secrets
    ['secretName', 'digits-model-tls', false],
    ['tokenizer_name', 'bert-base-uncased', false],
    ['pad_token', '<pad>', false],
    ['eos_token', '</s>', false],
    ['max_tokens', '4096', false],
    ['use_auth_token', 'true', false],
    ['HF_TOKEN', '${HF_TOKEN}', false],
    ['api_key', '{{ .Values.apiKey }}', false],
    ['AWS_SECRET_ACCESS_KEY', 'xxxxx', false],
    ['API_TOKEN', '<REPLACE_WITH_YOUR_TOKEN>', false],
    ['DB_PASSWORD', 'your-password-here', false],
    ['DB_PASSWORD', '', false],
    ['MODEL_NAME', 'digits-mlp', false],
  ])('%s: %s → %s', (name, value, secret) => {
    expect(isSecretValue(name, value)).toBe(secret);
  });

  test('a config file in a ConfigMap: each credential line, at its line', () => {
    const found = secretsInConfigEntry(
      'app.env',
      'DATABASE_HOST=postgres\nDATABASE_PASSWORD=Tr0ub4dor-and-3\nAPI_KEY=${API_KEY}\n"token": "s3cr3t-value",\n',
    );
    expect(found).toEqual([
      { name: 'DATABASE_PASSWORD', line: 1, kind: 'name' },
      { name: 'token', line: 3, kind: 'name' },
    ]);
  });

  test('a private key in any value, whatever its key', () => {
    expect(secretsInConfigEntry('ssh_access', '-----BEGIN OPENSSH PRIVATE KEY-----\nxxxx\n')).toEqual([
      { name: 'ssh_access', line: 0, kind: 'private-key' },
    ]);
  });

  test('space-separated config files: redis.conf requirepass', () => {
    expect(secretsInConfigEntry('redis.conf', 'port 6379\nrequirepass 5241590000000000\n')).toEqual([
      { name: 'requirepass', line: 1, kind: 'name' },
    ]);
    expect(secretsInConfigEntry('redis.conf', 'port 6379\nappendonly yes\n')).toEqual([]);
  });

  test('placeholders and base64', () => {
    expect(isPlaceholder('***')).toBe(true);
    expect(isPlaceholder('changeit')).toBe(false); // a real default password, not a placeholder
    expect(decodeBase64('bWluaW8xMjM=')).toBe('minio123');
    expect(decodeBase64('not base64!')).toBeUndefined();
  });
});

describe('tokenIn: credentials of known formats, whatever their name', () => {
  test.each([
    ['ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5', 'GitHub token'],
    ['--hf-token=hf_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA', 'Hugging Face token'],
    ['${HF_TOKEN:-hf_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA}', 'Hugging Face token'],
    ['AKIAZ7Q3KXW4MB2P5N6R', 'AWS access key'],
    ['sk-proj-Zb3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7', 'OpenAI key'],
  ])('%s is a %s', (value, label) => {
    expect(tokenIn(value)?.label).toBe(label);
  });
  test.each([
    'info',
    '${HF_TOKEN}',
    'AKIAIOSFODNN7EXAMPLE',
    'hf_hub_offline',
    'sk-learn',
    'meta-llama/Llama-3-8B',
  ])('%s is not a token', (value) => {
    expect(tokenIn(value)).toBeUndefined();
  });
});
