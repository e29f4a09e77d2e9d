/**
 * Secrets never leave the process: the built CLI as a real process, a real managed service on
 * loopback that echoes request headers and its environment (in response bodies and its log),
 * and a real command that prints its environment and two well-known token shapes. Every
 * output — stdout, stderr, the JSON, Markdown, HTML, JUnit and SARIF reports, the GitHub job
 * summary and annotations, and the SQLite store's bytes — must hold none of the secrets,
 * whatever the verdict.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runCli } from '../testing/cli.js';

/** Echoes what it got and what it was started with; tells the test its secrets by a side file. */
const SERVICE = `
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
const session = randomBytes(16).toString('hex');
const env = { API_TOKEN: process.env.API_TOKEN, DB_PASSWORD: process.env.DB_PASSWORD, LOG_LEVEL: process.env.LOG_LEVEL };
writeFileSync('seen.json', JSON.stringify({ ...env, session }));
console.log('starting with API_TOKEN=' + env.API_TOKEN + ' DB_PASSWORD=' + env.DB_PASSWORD + ' LOG_LEVEL=' + env.LOG_LEVEL);
createServer((req, res) => {
  console.log(req.method + ' ' + req.url + ' headers=' + JSON.stringify(req.headers));
  console.error('Set-Cookie: session=' + session);
  if (req.url === '/health') return res.end('ok');
  res.setHeader('set-cookie', 'session=' + session + '; HttpOnly');
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ headers: req.headers, env }));
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const AWS_KEY = 'AKIAIOSFODNN7EXAMPL3';
const reversed = (text: string) => [...text].reverse().join('');

test('no secret reaches any report format, stdout, stderr or the store', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlgate-leak-'));
  const clientToken = `ct-${randomBytes(18).toString('base64url')}`;
  const dbPassword = `pw-${randomBytes(18).toString('hex')}`;
  const deployKey = `dk-${randomBytes(18).toString('hex')}`;
  // Assembled by the script (the spec holds it reversed): only the GitHub-token rule can catch it.
  const githubToken = `ghp_${randomBytes(27)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 36)}`;
  expect(githubToken).toMatch(/^ghp_[A-Za-z0-9]{36}$/);
  const otherGithubToken = `ghp_${'Zq9'.repeat(12)}`;
  writeFileSync(join(dir, 'service.mjs'), SERVICE);
  writeFileSync(
    join(dir, 'mlgate.yaml'),
    `version: 1
project: { name: leak-test }
service:
  start:
    command: node service.mjs
    env:
      API_TOKEN: \${random}
      DB_PASSWORD: \${env.LEAK_DB_PASSWORD}
      LOG_LEVEL: info
    ready: { path: /health, timeout: 60s }
sections:
  - title: Service
    items:
      - id: echo-with-auth
        title: The service answers a client that sends its token
        check:
          kind: http
          path: /echo
          headers: { Authorization: "Bearer \${env.LEAK_CLIENT_TOKEN}", X-Api-Key: "\${env.LEAK_CLIENT_TOKEN}" }
          expect: { status: 200 }
      - id: echo-plain
        title: Another check reads a body that echoes the service's environment
        check: { kind: http, path: /other, expect: { status: 201 } }
      - id: service-log-clean
        title: The service log has no token lines
        severity: recommended
        check: { kind: service-log, not_matches: ["API_TOKEN", "Set-Cookie", "authorization"] }
  - title: Commands
    items:
      - id: print-env
        title: A command that prints its environment and some keys
        check:
          kind: command
          run: |
            env | sort
            echo "aws key ${AWS_KEY}"
            printf 'github ghp_%s\\n' "$(echo ${reversed(githubToken.slice(4))} | rev)"
            printf 'again %s\\n' "$GH" >&2
            exit 3
          env: { DEPLOY_KEY: "${deployKey}", GH: "${otherGithubToken}", MODE: production }
          tail_lines: 500
`,
  );
  const outputs = ['report.json', 'r.md', 'r.html', 'r.xml', 'r.sarif'].map((name) => join(dir, name));
  const summary = join(dir, 'summary.md');
  const result = await runCli(
    [
      'check',
      dir,
      '--verbose',
      '--out',
      outputs[0]!,
      '--report',
      `md=${outputs[1]}`,
      '--report',
      `html=${outputs[2]}`,
      '--report',
      `junit=${outputs[3]}`,
      '--report',
      `sarif=${outputs[4]}`,
    ],
    {
      cwd: dir,
      env: {
        LEAK_DB_PASSWORD: dbPassword,
        LEAK_CLIENT_TOKEN: clientToken,
        // The store beside the spec, as users have it.
        MLGATE_STORE: join(dir, '.mlgate'),
        GITHUB_ACTIONS: 'true',
        GITHUB_STEP_SUMMARY: summary,
      },
    },
  );
  // The verdict does not matter here (the command exits 3 on purpose); a crash does.
  expect([0, 1], result.stderr).toContain(result.code);
  const seen = JSON.parse(readFileSync(join(dir, 'seen.json'), 'utf8')) as Record<string, string>;
  // The service really got its secrets, so there was something to leak.
  expect(seen.API_TOKEN).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(seen.DB_PASSWORD).toBe(dbPassword);
  const secrets: Record<string, string> = {
    'service.start.env.API_TOKEN (${random})': seen.API_TOKEN!,
    'service.start.env.DB_PASSWORD (${env.X})': dbPassword,
    'http header token (${env.X})': clientToken,
    'command env DEPLOY_KEY': deployKey,
    'GitHub token made by the command': githubToken,
    'GitHub token in command env': otherGithubToken,
    'AWS key in command output': AWS_KEY,
    'Set-Cookie session from the service': seen.session!,
  };
  const store = join(dir, '.mlgate', 'mlgate.db');
  expect(existsSync(store)).toBe(true);
  const places: Record<string, string> = {
    stdout: result.stdout,
    stderr: result.stderr,
    ...Object.fromEntries(
      [...outputs, summary, store, `${store}-wal`, `${store}-shm`]
        .filter((file) => existsSync(file))
        .map((file) => [file.slice(dir.length + 1), readFileSync(file).toString('latin1')]),
    ),
  };
  expect(Object.keys(places)).toEqual(
    expect.arrayContaining(['report.json', 'r.md', 'r.html', 'r.xml', 'r.sarif', 'summary.md']),
  );
  const leaks: string[] = [];
  for (const [what, secret] of Object.entries(secrets)) {
    for (const [where, text] of Object.entries(places)) {
      const count = text.split(secret).length - 1;
      if (count > 0) leaks.push(`${what} ×${count} in ${where}`);
    }
  }
  expect(leaks).toEqual([]);
  // Redacted, not dropped: the evidence is still there and says what was taken out.
  const report = readFileSync(outputs[0]!, 'utf8');
  expect(report).toContain('[REDACTED:service.start.env.API_TOKEN]');
  expect(report).toContain('[REDACTED:service.start.env.DB_PASSWORD]');
  expect(report).toContain('[REDACTED:command.env.DEPLOY_KEY]');
  expect(report).toContain('[REDACTED:aws-access-key]');
  // Trivial values stay readable: the report would be useless if "info" were hidden.
  expect(report).toContain('LOG_LEVEL=info');
  expect(report).toContain('MODE=production');
});
