/**
 * The redaction layer and the terminal cleaning on their own: what is redacted and what is
 * left readable, the secrets check's rules reused, cut secrets, credential headers, input that
 * would make a careless regex quadratic, and escape sequences in people's input.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { makeProgress } from '../cli/progress.js';
import { makeStyle } from '../cli/style.js';
import { makePlan } from '../engine/plan.js';
import { CheckRegistry, loadBuiltinChecks } from '../engine/registry.js';
import { runPlan } from '../engine/run.js';
import { defineCheck } from '../engine/types.js';
import { signoffLines } from '../report/format.js';
import { renderText } from '../report/text.js';
import { resolveServiceEnv } from '../service/controller.js';
import { parseSpec } from '../spec/load.js';
import { fixtureReport } from '../testing/report-fixture.js';
import { cleanText, hasControlCharacters, inlineText, showControls } from './clean.js';
import { looksLikeConfiguration, redactorForRun } from './from-spec.js';
import { isTrivialValue, Redactor } from './redactor.js';

const TOKEN = 'q8Zr3LwT0pXv6NcY2bHs9KmA';

describe('Redactor', () => {
  test('a registered value is replaced wherever it is, also JSON- and URL-encoded', () => {
    const redactor = new Redactor();
    expect(redactor.add(TOKEN, 'service.start.env.API_TOKEN')).toBe(true);
    expect(redactor.add('p@ss "w/rd" 42!', 'command.env.DB_PASSWORD')).toBe(true);
    expect(redactor.redactText(`token=${TOKEN}; again ${TOKEN}.`)).toBe(
      'token=[REDACTED:service.start.env.API_TOKEN]; again [REDACTED:service.start.env.API_TOKEN].',
    );
    expect(redactor.redactText(JSON.stringify({ pw: 'p@ss "w/rd" 42!' }))).toBe(
      '{"pw":"[REDACTED:command.env.DB_PASSWORD]"}',
    );
    expect(redactor.redactText(`?pw=${encodeURIComponent('p@ss "w/rd" 42!')}&x=1`)).toBe(
      '?pw=[REDACTED:command.env.DB_PASSWORD]&x=1',
    );
  });

  test('the encodings services write a secret back in: JSON of several libraries, URL, form, twice, base64, hex', () => {
    const secret = 'Pa$s"w\\ord/é<&>!~(q) 42 zz-Kx9';
    const redactor = new Redactor();
    redactor.add(secret, 'env.MY_WEIRD');
    const bytes = Buffer.from(secret, 'utf8');
    const json = JSON.stringify(secret).slice(1, -1);
    const forms = {
      'JSON with \\/': json.replace(/\//g, '\\/'),
      "Python's json.dumps": json.replace(/é/g, '\\u00e9'),
      "Go's encoding/json": json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026'),
      'form encoding': new URLSearchParams({ q: secret }).toString().slice(2),
      "Python's quote()": encodeURIComponent(secret).replace(/%2F/g, '/'),
      'lower-case hex': encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
      'URL-encoded twice': encodeURIComponent(encodeURIComponent(secret)),
      base64: bytes.toString('base64'),
      base64url: bytes.toString('base64url'),
      hex: bytes.toString('hex'),
    };
    for (const [name, form] of Object.entries(forms))
      expect(redactor.redactText(`echo ${form} end`), name).toBe('echo [REDACTED:env.MY_WEIRD] end');
  });

  test('short and trivial values are never registered, so reports stay readable', () => {
    const redactor = new Redactor();
    for (const value of ['', 'abc', 'secret1', '12345678', '3.14159265', 'true', 'disabled', '0.0.0.0'])
      expect(redactor.add(value, 'x'), value).toBe(false);
    for (const value of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', 'fe80::1:2:3'])
      expect(isTrivialValue(value), value).toBe(true);
    expect(redactor.size).toBe(0);
    expect(redactor.redactText('listening on 0.0.0.0:8080, debug true')).toBe(
      'listening on 0.0.0.0:8080, debug true',
    );
  });

  test("the secrets check's rules: AWS and GitHub keys, private keys, passwords in URLs, JWTs", () => {
    const redactor = new Redactor();
    const key = [
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
      'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK',
      '-----END RSA PRIVATE KEY-----',
    ].join('\n');
    const jwt =
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    const text = [
      'aws key AKIAIOSFODNN7EXAMPL3 in use',
      'token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 pushed',
      key,
      'db postgres://app:Sup3rS3cretPw@db.internal:5432/models',
      `auth ${jwt}`,
      'config api_key = "Zx8Qw2Er4Ty6Ui8Op0As"',
    ].join('\n');
    const redacted = redactor.redactText(text);
    expect(redacted).toBe(
      [
        'aws key [REDACTED:aws-access-key] in use',
        'token [REDACTED:github-token] pushed',
        // The rule's body class takes the dashes of the END line too.
        '-----BEGIN RSA PRIVATE KEY-----\n[REDACTED:private-key] RSA PRIVATE KEY-----',
        'db postgres://app:[REDACTED:connection-string]@db.internal:5432/models',
        'auth [REDACTED:jwt]',
        'config api_key = "[REDACTED:generic-secret]"',
      ].join('\n'),
    );
  });

  test('credential headers: whole values in headers records, and written out in text', () => {
    const redactor = new Redactor();
    const evidence = {
      type: 'http',
      request: { headers: { authorization: 'Bearer abc.def-ghi_jkl', 'x-api-key': '***', accept: '*/*' } },
      response: {
        headers: { 'set-cookie': 'sid=0123456789abcdef; HttpOnly', 'content-type': 'text/plain' },
        body: 'echo: {"authorization":"Basic dXNlcjpwYXNzd29yZA==","cookie":"sid=0123456789abcdef"}',
      },
    };
    expect(redactor.redact(evidence)).toEqual({
      type: 'http',
      request: {
        headers: {
          authorization: 'Bearer [REDACTED:header.authorization]',
          'x-api-key': '***',
          accept: '*/*',
        },
      },
      response: {
        headers: { 'set-cookie': '[REDACTED:header.set-cookie]', 'content-type': 'text/plain' },
        body: 'echo: {"authorization":"Basic [REDACTED:header.authorization]","cookie":"[REDACTED:header.cookie]"}',
      },
    });
    // Values checks masked already stay as they were.
    expect(redactor.redactText('Authorization: Bearer ***')).toBe('Authorization: Bearer ***');
    expect(redactor.redactText('X-Api-Key: 0f1e2d3c4b5a69788796a5b4')).toBe(
      'X-Api-Key: [REDACTED:header.x-api-key]',
    );
    // Headers in a request dump and a log; prose that mentions a header is left alone.
    expect(redactor.redactText('> GET /x\n> Authorization: abcdef123456789\n')).toBe(
      '> GET /x\n> Authorization: [REDACTED:header.authorization]\n',
    );
    expect(redactor.redactText('sent with authorization: Bearer abcdef123456789 ok')).toBe(
      'sent with authorization: Bearer [REDACTED:header.authorization] ok',
    );
    expect(redactor.redactText('Set-Cookie: session=0123456789abcdef; Path=/')).toBe(
      'Set-Cookie: [REDACTED:header.set-cookie]',
    );
    const prose = 'without authorization: accepted it (200); the cookie: required everywhere';
    expect(redactor.redactText(prose)).toBe(prose);
    // The input is not changed.
    expect(evidence.request.headers.authorization).toBe('Bearer abc.def-ghi_jkl');
  });

  test('a secret a check cut short (at the end, or before/after "…") is still redacted', () => {
    const redactor = new Redactor();
    redactor.add(TOKEN, 'service.start.env.API_TOKEN');
    expect(redactor.redactText(`{"token":"${TOKEN.slice(0, 10)}`)).toBe(
      '{"token":"[REDACTED:service.start.env.API_TOKEN]',
    );
    expect(redactor.redactText(`line 1: token ${TOKEN.slice(0, 9)}… (3 more)`)).toBe(
      'line 1: token [REDACTED:service.start.env.API_TOKEN]… (3 more)',
    );
    expect(redactor.redactText(`…${TOKEN.slice(7)} end`)).toBe('…[REDACTED:service.start.env.API_TOKEN] end');
    // A word that happens to begin a structured secret, where it ends anyway, is not a cut.
    redactor.add('postgres://app:Sup3rS3cret@db/models', 'command.env.DATABASE_URL');
    expect(redactor.redactText('the engine is postgres')).toBe('the engine is postgres');
    expect(redactor.redactText('url postgres://app:Sup3r')).toBe('url [REDACTED:command.env.DATABASE_URL]');
    // Five characters of a secret are not enough to use it, and too common to hide.
    expect(redactor.redactText(`ends with ${TOKEN.slice(0, 5)}`)).toBe(`ends with ${TOKEN.slice(0, 5)}`);
  });

  test('megabytes of hostile text are redacted in bounded work (no quadratic regex)', () => {
    const redactor = new Redactor();
    redactor.add(TOKEN, 'x');
    // A long run of name characters full of keywords: unbounded, the generic rule would take
    // hours on this. No clock here: a regression shows as the test never finishing.
    const hostile = `${'token_secret_passwd'.repeat(100_000)}=${'A'.repeat(100_000)} ${TOKEN}`;
    const redacted = redactor.redactText(hostile);
    expect(redacted.endsWith(' [REDACTED:x]')).toBe(true);
    const manyKeys = `${'AKIAIOSFODNN7EXAMPL3 ghp_ eyJ sk- xox authorization: '.repeat(50_000)}`;
    expect(redactor.redactText(manyKeys)).not.toContain('AKIAIOSFODNN7EXAMPL3');
  });
});

describe('terminal cleaning', () => {
  test('escape sequences, control characters and bidi overrides go; text, tabs and newlines stay', () => {
    expect(cleanText('\u001b[31mred\u001b[0m and \u001b]0;title\u0007plain')).toBe('red and plain');
    expect(cleanText('\u009b2Jcleared \u001bcreset \u0007bell\u0000nul')).toBe('cleared reset bellnul');
    expect(cleanText('alice\rmallory\r\nnext\tcol')).toBe('alice\nmallory\nnext\tcol');
    expect(cleanText('admin\u202egnp.exe')).toBe('admingnp.exe');
    expect(cleanText('ünïcödé — ✓ 日本')).toBe('ünïcödé — ✓ 日本');
    expect(inlineText('Jane\n\u001b[1A\u001b[2KVerdict: PASS\tok')).toBe('Jane\\nVerdict: PASS ok');
    expect(hasControlCharacters('Jane Doe <jane@example.com>')).toBe(false);
    expect(hasControlCharacters('Jane\nDoe')).toBe(true);
    expect(hasControlCharacters('line one\nline two', true)).toBe(false);
    expect(hasControlCharacters('bad \u001b[2K', true)).toBe(true);
    // Line separators break lines in pages and some terminals; invisible characters make one
    // name look like another ("ali\u200bce" reads as "alice"). Emoji joiners stay.
    expect(cleanText('bob\u2028Verdict: PASS\u2029x')).toBe('bob\nVerdict: PASS\nx');
    expect(inlineText('bob\u2028Verdict: PASS')).toBe('bob\\nVerdict: PASS');
    for (const invisible of ['\u200b', '\u2060', '\ufeff', '\u00ad', '\u115f', '\u3164'])
      expect(hasControlCharacters(`ali${invisible}ce`), JSON.stringify(invisible)).toBe(true);
    expect(cleanText('👨\u200d👩\u200d👧')).toBe('👨\u200d👩\u200d👧');
    expect(showControls('a\n\u001b[2K')).toBe('a\\n\\u001b[2K');
  });

  test('sign-off lines and the text report show names and comments on one line, without escapes', () => {
    const report = fixtureReport();
    const manual = report.items.find((item) => item.approvals?.length)!;
    manual.approvals![0]!.by = 'mallory\n\u001b[32mVerdict: PASS\u001b[0m';
    manual.approvals![0]!.comment = 'looks fine\r\u001b]0;pwned\u0007';
    manual.summary = `approved by ${manual.approvals![0]!.by}`;
    for (const line of signoffLines(manual)) {
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
    expect(signoffLines(manual)[0]).toContain('approved by mallory\\nVerdict: PASS');
    const text = renderText(report, { style: makeStyle(false), verbose: true });
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    // The forged verdict never starts a line; the real one is the only one.
    expect(text.split('\n').filter((line) => /^\s*Verdict: PASS/.test(line))).toEqual([]);
  });
});

describe('redactorForRun: the secrets of one run, from its spec', () => {
  test('service env after resolution, ${random} parts, ${env.X}, command env, headers, own credentials', async () => {
    const registry = await loadBuiltinChecks();
    const yaml = `version: 1
project: { name: redact-test }
service:
  start:
    command: node service.mjs
    env:
      API_TOKEN: \${random}
      SIGNED: "sig-\${random}-v1"
      UPSTREAM_PASSWORD: \${env.REDACT_TEST_UPSTREAM}
      LOG_LEVEL: info
      HOST_BIND: 0.0.0.0
      MODEL_PATH: /models/digits/model.onnx
      MODEL_NAME: bert-base-uncased
      CORS_ORIGINS: https://digits.example.com
      OPAQUE_SETTING: Zk29fLq0aPw7
      MODEL_DIR: \${env.REDACT_TEST_HOME}/models
sections:
  - title: S
    items:
      - id: call
        title: call
        check:
          kind: http
          path: /x
          headers: { Authorization: "Bearer literal-Token-123456", X-Trace: "trace-abcdef-123456" }
          body: { json: { key: "\${env.REDACT_TEST_BODY}" } }
      - id: cmd
        title: cmd
        check: { kind: command, run: "true", env: { DEPLOY_KEY: "dk_live_998877", MODE: production, CACHE_DIR: ./cache } }
`;
    const loaded = parseSpec(yaml, '/tmp/mlgate-redact-test/mlgate.yaml', registry);
    const outer = {
      REDACT_TEST_UPSTREAM: 'up-Str3am-pw-1',
      REDACT_TEST_BODY: 'body-Secret-77',
      REDACT_TEST_HOME: '/home/dev/work',
      GITHUB_TOKEN: 'gho_notARealToken1234567890',
      OPENAI_KEY: 'oai-Key-5566778899',
      MYSQL_PWD: 'mysql-Pw-13579',
      GH_PAT: 'pat-Value-24680',
      NPM_AUTH: 'npm-Auth-112233',
      SSH_AUTH_SOCK: '/tmp/ssh-agent.sock',
      PWD: '/home/dev/my project',
      GIT_AUTHOR_EMAIL: 'dev@example.com',
    };
    const serviceEnv = resolveServiceEnv(loaded.spec.service!.start!.env, outer);
    const random = serviceEnv.API_TOKEN!;
    const redactor = redactorForRun(loaded, { serviceEnv, outerEnvs: [outer] });
    const redact = (text: string) => redactor.redactText(text);
    expect(redact(`t=${random}`)).toBe('t=[REDACTED:service.start.env.API_TOKEN]');
    expect(redact(serviceEnv.SIGNED!)).toBe('[REDACTED:service.start.env.SIGNED]');
    expect(redact(`bare ${random} in another check's body`)).not.toContain(random);
    expect(redact('pw up-Str3am-pw-1')).toBe('pw [REDACTED:service.start.env.UPSTREAM_PASSWORD]');
    expect(redact('opaque Zk29fLq0aPw7')).toBe('opaque [REDACTED:service.start.env.OPAQUE_SETTING]');
    expect(redact('sent literal-Token-123456')).toBe('sent [REDACTED:header.authorization]');
    expect(redact('{"key":"body-Secret-77"}')).toBe('{"key":"[REDACTED:env.REDACT_TEST_BODY]"}');
    expect(redact('DEPLOY_KEY=dk_live_998877')).toBe('DEPLOY_KEY=[REDACTED:command.env.DEPLOY_KEY]');
    expect(redact('GITHUB_TOKEN=gho_notARealToken1234567890')).toBe(
      'GITHUB_TOKEN=[REDACTED:env.GITHUB_TOKEN]',
    );
    // Common names for credentials beyond *_TOKEN / *_PASSWORD; the working folder stays.
    for (const name of ['OPENAI_KEY', 'MYSQL_PWD', 'GH_PAT', 'NPM_AUTH'])
      expect(redact(`${name}=${outer[name as keyof typeof outer]}`)).toBe(`${name}=[REDACTED:env.${name}]`);
    expect(redact('PWD=/home/dev/my project')).toBe('PWD=/home/dev/my project');
    // Configuration stays readable.
    const plain = [
      'LOG_LEVEL=info HOST_BIND=0.0.0.0 MODEL_PATH=/models/digits/model.onnx',
      'MODEL_NAME=bert-base-uncased CORS_ORIGINS=https://digits.example.com',
      'MODE=production CACHE_DIR=./cache X-Trace: trace-abcdef-123456',
      'cwd /home/dev/my project by dev@example.com, models in /home/dev/work/models',
    ].join('\n');
    expect(redact(plain)).toBe(plain);
  });

  test('what counts as configuration (left readable when the name is not a credential’s)', () => {
    for (const value of ['/srv/model.onnx', './data', 'https://a.example.com/v1', 'INFO', 'text-embedding-3'])
      expect(looksLikeConfiguration(value), value).toBe(true);
    for (const value of [
      'https://u:p@host/',
      'https://host/?token=abc',
      '550e8400-e29b-41d4-a716-446655440000',
      'Zk29fLq0aPw7',
      'a8f7d6e5c4b3a291',
    ])
      expect(looksLikeConfiguration(value), value).toBe(false);
  });
});

describe('the runner redacts each result as it finishes', () => {
  const echo = defineCheck({
    kind: 'echo',
    title: 'Test kind: says what its params say',
    description: 'Only for redaction tests.',
    params: z.strictObject({ text: z.string(), status: z.enum(['pass', 'fail']).default('fail') }),
    examples: [{ title: 'echo', params: { text: 'hi' } }],
    async run(ctx, params) {
      const before = ctx.result?.('first');
      return {
        status: params.status,
        summary: before ? `${params.text} (first said: ${before.summary})` : params.text,
        evidence: [{ type: 'text', title: 'what the item it needs said', text: before?.summary ?? '' }],
      };
    },
  });

  test('progress lines, items that read other results, and the outcome see no secret', async () => {
    const registry = new CheckRegistry([echo]);
    const yaml = `version: 1
project: { name: redact-run }
sections:
  - title: S
    items:
      - { id: first, title: first, check: { kind: echo, status: pass, text: "leaked ${TOKEN}\\nsecond line \\u001b[2K" } }
      - { id: second, title: second, needs: [first], check: { kind: echo, text: "quiet" } }
`;
    const loaded = parseSpec(yaml, '/tmp/mlgate-redact-run/mlgate.yaml', registry);
    const plan = makePlan(loaded, {});
    const redactor = new Redactor();
    redactor.add(TOKEN, 'service.start.env.API_TOKEN');
    const stream = new PassThrough();
    let written = '';
    stream.on('data', (chunk: Buffer) => {
      written += chunk.toString('utf8');
    });
    const progress = makeProgress(stream, plan.items.length, makeStyle(false), true);
    const ended: string[] = [];
    const outcome = await runPlan(loaded, plan, {
      concurrency: 1,
      artifacts: [],
      redactor,
      onItemStart: progress.onItemStart,
      onItemEnd: (result) => {
        ended.push(result.summary);
        progress.onItemEnd!(result);
      },
    });
    progress.stop();
    expect(ended[0]).toBe('leaked [REDACTED:service.start.env.API_TOKEN]\nsecond line ');
    const second = outcome.items.find((item) => item.id === 'second')!;
    expect(second.evidence[0]).toMatchObject({ text: ended[0] });
    expect(JSON.stringify(outcome)).not.toContain(TOKEN);
    expect(written).not.toContain(TOKEN);
    // The live line: one line per item, the summary's newline shown, no escape of its own.
    // (Only items that do not pass get a line of their own.)
    expect(written).toContain(
      'second: quiet (first said: leaked [REDACTED:service.start.env.API_TOKEN]\\nsecond line )',
    );
    expect(written).not.toContain('\u001b[2K');
  });
});
