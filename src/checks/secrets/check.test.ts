import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { loadBuiltinChecks } from '../../engine/registry.js';
import type { Finding, InlineIgnore } from '../../rules/findings.js';
import { describeFixtures, fixtureFolders, runFixture } from '../../testing/fixtures.js';
import { tempFiles } from '../../testing/temp.js';
import { walkFiles } from '../../util/walk.js';
import { entropy } from './check.js';
import { type ReadTotals, scanFile } from './read.js';
import { DEFAULT_WINDOW, scanText, TextScanner } from './scanner.js';
import { Redactor } from '../../redact/redactor.js';

describeFixtures(import.meta.url);

describe('secrets never leave the file they are in', () => {
  const folder = fileURLToPath(new URL('.', import.meta.url));
  test.each(fixtureFolders(folder).filter((f) => f.includes('/ng.')))(
    '%s: the report holds no secret',
    async (fixture) => {
      const definition = (await loadBuiltinChecks()).get('secrets')!;
      const outcome = await runFixture(definition, fixture);
      const report = JSON.stringify(outcome);
      const planted =
        readFileSync(join(fixture, 'check.yaml'), 'utf8') &&
        outcome.evidence!.filter((e) => e.type === 'finding');
      expect(planted.length).toBeGreaterThan(0);
      // Every long token-like string in the fixture's files (gzip unpacked) must be absent from
      // the report. Binary files and zip archives are left out: their members are in plain text
      // in no other place.
      const project = join(fixture, 'project');
      for (const file of walkFiles(project)) {
        let bytes = readFileSync(join(project, file));
        if (file.endsWith('.gz')) bytes = gunzipSync(bytes);
        if (bytes.subarray(0, 8192).includes(0) || file.endsWith('.whl')) continue;
        const text = bytes.toString('utf8');
        for (const token of text.match(/[A-Za-z0-9_/+.=-]{20,}/g) ?? []) {
          if (/^(os|create_engine|from|huggingface|secrets\/)/.test(token) || entropy(token) < 3.5) continue;
          if (/^[a-z0-9_./-]+$/.test(token)) continue; // paths, hosts and names
          expect(report.includes(token), `${token.slice(0, 6)}… leaked`).toBe(false);
        }
      }
    },
  );

  test('entropy: random tokens score high, words and repeats low', () => {
    expect(entropy('9f8aB7c6D5e4F3g2H1i0JkLmNoPqRsTu')).toBeGreaterThan(4.5);
    expect(entropy('changeme-changeme')).toBeLessThan(3.5);
    expect(entropy('aaaaaaaaaaaaaaaa')).toBe(0);
  });
});

test('a long line of name characters (a minified bundle) is scanned in linear time and still finds the secret', async () => {
  // Before the generic rule's runs were bounded, backtracking was cubic on a run of keywords:
  // 3 KB took 4 s and 9.5 KB two minutes, so the item timed out. Now milliseconds.
  const filler = 'token'.repeat(2000);
  const secret = 'Zx8Qp2Lm7Rt4Vw9Ks3Nb6Hy1';
  const dir = tempFiles({
    'case/check.yaml': 'path: project\n',
    'case/project/bundle.min.js': `${filler} ${filler}x;var api_key="${secret}";${filler}\n`,
  });
  const definition = (await loadBuiltinChecks()).get('secrets')!;
  const outcome = await runFixture(definition, join(dir, 'case'), 120_000);
  expect(outcome.status).toBe('fail');
  expect(JSON.stringify(outcome)).toContain('bundle.min.js:1');
  expect(JSON.stringify(outcome)).not.toContain(secret);
});

/** Findings as `rule@line`, sorted. */
function where(findings: Finding[]): string[] {
  return findings.map((f) => `${f.rule}@${f.line}`).sort();
}

describe('large files are scanned in windows', () => {
  // Secrets shorter than overlap − margin, planted so that window ends fall inside them.
  const secrets = [
    'GITHUB_TOKEN=ghp_k3Jd9Q2mZx7Lr5Tb1Vw8Yc4Nf6Hp0Sa2Ge7U',
    'aws_access_key_id = "AKIAZ7Q3XK5MB2NVLP4W"',
    'JWT_SECRET = "9f8aB7c6D5e4F3g2H1i0JkLmNoPqRsTu"',
  ];
  const small = { window: 400, overlap: 160, margin: 40 };

  test('every secret is found once, at its line, wherever the window boundaries fall', () => {
    for (let shift = 0; shift < 120; shift += 7) {
      const lines: string[] = [];
      for (let i = 0; i < 60; i++) {
        const filler = `var a${i}=${'q'.repeat((i * 13 + shift) % 90)};`;
        lines.push(i % 9 === 4 ? `${filler}${secrets[i % 3]}` : filler);
      }
      const text = lines.join('\n');
      const whole: Finding[] = [];
      scanText('f.js', text, whole, []);
      expect(whole.length).toBe(7);
      for (const size of [1, 37, 400, 4096]) {
        const found: Finding[] = [];
        const scanner = new TextScanner('f.js', found, [], small);
        for (let at = 0; at < text.length; at += size) scanner.push(text.slice(at, at + size));
        scanner.end();
        expect(where(found), `shift ${shift}, pushes of ${size}`).toEqual(where(whole));
      }
    }
  });

  test('a minified bundle on one line: a secret across a window boundary, found once', () => {
    const filler = 'function(e){return e&&e.__esModule?e:{default:e}};'.repeat(200);
    const secret = 'ghp_k3Jd9Q2mZx7Lr5Tb1Vw8Yc4Nf6Hp0Sa2Ge7U';
    for (let cut = 0; cut < secret.length + 4; cut += 3) {
      const before = filler.slice(0, small.window - small.margin - cut);
      const text = `${before}var t="${secret}";${filler}`;
      const found: Finding[] = [];
      const scanner = new TextScanner('bundle.min.js', found, [], small);
      scanner.push(text);
      scanner.end();
      expect(where(found)).toEqual(['secrets/github-token@1']);
    }
  });

  test('inline ignores in a streamed file are read once, at their lines', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `line_${i} = ${i}`);
    lines[120] = '# mlgate-ignore secrets/github-token: a revoked token kept as a test vector';
    lines[121] = 'T = "ghp_k3Jd9Q2mZx7Lr5Tb1Vw8Yc4Nf6Hp0Sa2Ge7U"';
    const found: Finding[] = [];
    const inline: InlineIgnore[] = [];
    const scanner = new TextScanner('t.py', found, inline, small);
    scanner.push(lines.join('\n'));
    scanner.end();
    expect(where(found)).toEqual(['secrets/github-token@122']);
    expect(inline.map((ignore) => [ignore.line, ignore.covers])).toEqual([[121, [121, 122]]]);
  });

  test('a 2.8 MB bundle and a 9 MB install YAML: secrets found at their lines, in default windows', async () => {
    const line = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: operator-config\n';
    const yamlLines = Math.ceil((9 << 20) / line.length);
    let yaml = line.repeat(yamlLines);
    // Right across the first window's limit, and near the end.
    const limit = DEFAULT_WINDOW.window - DEFAULT_WINDOW.margin;
    const lineAt = (text: string, offset: number) => text.slice(0, offset).split('\n').length;
    const at = yaml.lastIndexOf('\n', limit - 10) + 1;
    yaml = `${yaml.slice(0, at)}  GITHUB_TOKEN: ghp_k3Jd9Q2mZx7Lr5Tb1Vw8Yc4Nf6Hp0Sa2Ge7U\n${yaml.slice(at)}`;
    const first = lineAt(yaml, at);
    yaml += '  hf_token: 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\n';
    const last = yaml.split('\n').length - 1;
    const bundle = `!function(){${'var n=function(e){return e&&e.__esModule?e:{default:e}};'.repeat(50_000)}var k="AKIAZ7Q3XK5MB2NVLP4W";}();\n`;
    const dir = tempFiles({
      'case/check.yaml': 'path: project\n',
      'case/project/install.yaml': yaml,
      'case/project/static/main.min.js': bundle,
    });
    const definition = (await loadBuiltinChecks()).get('secrets')!;
    const outcome = await runFixture(definition, join(dir, 'case'), 120_000);
    const findings = (outcome.evidence ?? []).filter((e) => e.type === 'finding');
    expect(findings.map((e) => `${e.location?.path}:${e.location?.line} ${e.rule}`).sort()).toEqual([
      `project/install.yaml:${first} secrets/github-token`,
      `project/install.yaml:${last} secrets/huggingface-token`,
      'project/static/main.min.js:1 secrets/aws-access-key',
    ]);
    expect(outcome.measured).toMatchObject({ files: 2, skipped: 0 });
  });
});

describe('archives', () => {
  /** A zip archive of deflated members, written by hand (central directory and all). */
  function zip(members: Record<string, string>): Buffer {
    const locals: Buffer[] = [];
    const central: Buffer[] = [];
    let offset = 0;
    for (const [name, text] of Object.entries(members)) {
      const data = Buffer.from(text);
      const packed = deflateRawSync(data);
      const nameBytes = Buffer.from(name);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(8, 8);
      local.writeUInt32LE(packed.length, 18);
      local.writeUInt32LE(data.length, 22);
      local.writeUInt16LE(nameBytes.length, 26);
      const entry = Buffer.alloc(46);
      entry.writeUInt32LE(0x02014b50, 0);
      entry.writeUInt16LE(8, 10);
      entry.writeUInt32LE(packed.length, 20);
      // A bomb lies about its size: the reader must not trust it.
      entry.writeUInt32LE(Math.min(data.length, 100), 24);
      entry.writeUInt16LE(nameBytes.length, 28);
      entry.writeUInt32LE(offset, 42);
      locals.push(local, nameBytes, packed);
      central.push(entry, nameBytes);
      offset += 30 + nameBytes.length + packed.length;
    }
    const cd = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Object.keys(members).length, 8);
    end.writeUInt16LE(Object.keys(members).length, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(offset, 16);
    return Buffer.concat([...locals, cd, end]);
  }

  test('a member that unpacks past max_file_size is read up to it, and reported as not scanned', async () => {
    const dir = tempFiles({
      'case/check.yaml': 'path: project\nmax_file_size: 100000\n',
      'case/project/model.jar': zip({
        'META-INF/MANIFEST.MF': 'Manifest-Version: 1.0\n',
        'bomb.txt': `token = "ghp_k3Jd9Q2mZx7Lr5Tb1Vw8Yc4Nf6Hp0Sa2Ge7U"\n${'0'.repeat(5_000_000)}`,
      }),
    });
    const definition = (await loadBuiltinChecks()).get('secrets')!;
    const outcome = await runFixture(definition, join(dir, 'case'));
    expect(outcome.status).toBe('fail');
    expect(outcome.measured).toMatchObject({ files: 1, unpacked: 1, skipped_large: 1 });
    expect(outcome.evidence).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'finding',
          rule: 'secrets/github-token',
          location: { path: 'project/model.jar!bomb.txt', line: 1 },
        }),
        expect.objectContaining({
          type: 'table',
          title: 'Not scanned',
          rows: [['project/model.jar!bomb.txt', 'too large', 'more than 100 kB unpacked']],
        }),
      ]),
    );
  });

  test('members past the limit of one archive are listed as not scanned', async () => {
    const members = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`m${i}.txt`, `line ${i}\n`]));
    const dir = tempFiles({ 'a.zip': zip(members) });
    const totals: ReadTotals = { scanned: 0, unpacked: 0, binary: 0, bytes: 0, skipped: [] };
    await scanFile(join(dir, 'a.zip'), 'a.zip', {
      maxFileSize: 1e6,
      findings: [],
      inline: [],
      totals,
      maxMembers: 4,
    });
    expect(totals.scanned).toBe(4);
    expect(totals.skipped).toEqual([
      { path: 'a.zip!m4.txt', reason: 'compressed', note: 'past the first 4 members' },
      { path: 'a.zip!m5.txt', reason: 'compressed', note: 'past the first 4 members' },
    ]);
  });

  test('a damaged archive is reported as unreadable, not passed over', async () => {
    const dir = tempFiles({
      'case/check.yaml': 'path: project\n',
      'case/project/weights.zip': Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(40, 7)]),
    });
    const definition = (await loadBuiltinChecks()).get('secrets')!;
    const outcome = await runFixture(definition, join(dir, 'case'));
    expect(outcome.status).toBe('error');
    expect(outcome.summary).toContain('every file was skipped: 1 unreadable');
  });
});

test('what the scan finds, redaction blanks whole: a PEM in a YAML block and a base64 tls.key', () => {
  const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
  for (const file of [
    'ng.private-key-yaml-block/project/helm/values.yaml',
    'ng.kubernetes-tls-secret/project/k8s/ingress-tls.yaml',
    'ng.private-key-json-escaped/project/credentials/service-account.json',
    'ng.private-key-notebook/project/notebooks/fetch_eval_data.ipynb',
  ]) {
    const text = readFileSync(join(fixtures, file), 'utf8');
    const redacted = new Redactor().redactText(text);
    expect(redacted, file).toContain('[REDACTED:private-key]');
    // No line of the key's body is left (certificates are not secrets, and stay).
    const begin = text.indexOf('PRIVATE KEY-----');
    const key =
      begin === -1 ? /tls\.key: (\S+)/.exec(text)![1]! : text.slice(begin, text.indexOf('-----END', begin));
    const runs = key.match(/[A-Za-z0-9+/]{20,}/g) ?? [];
    expect(runs.length, file).toBeGreaterThan(0);
    for (const run of runs) expect(redacted, file).not.toContain(run);
  }
});

// Files .gitignore excludes cannot live in a committed fixture (git would leave them out), so
// these projects are written at test time.
describe('files .gitignore excludes', () => {
  const token = 'ghp_Qm7Vx2Kp9Lr4Tz8Wn3Bc6Hd1Fs5Gj0Ya2UeR';

  test.skipIf(spawnSync('git', ['--version']).status !== 0)(
    'a file git tracks is scanned though .gitignore names it (git still ships it)',
    async () => {
      const dir = tempFiles({
        'case/check.yaml': 'path: project\n',
        'case/project/app.py': `token = "${token}"\n`,
        'case/project/main.py': 'print(1)\n',
        'case/project/.env': `GITHUB_TOKEN=${token}\n`,
      });
      const project = join(dir, 'case', 'project');
      const git = (...args: string[]) => {
        const result = spawnSync(
          'git',
          ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args],
          { cwd: project, encoding: 'utf8' },
        );
        expect(result.status, result.stderr).toBe(0);
      };
      git('init', '-q');
      git('add', 'app.py', 'main.py');
      git('commit', '-qm', 'first');
      // Named in .gitignore after it was committed: still in every clone.
      writeFileSync(join(project, '.gitignore'), 'app.py\n.env\n');
      const definition = (await loadBuiltinChecks()).get('secrets')!;
      const outcome = await runFixture(definition, join(dir, 'case'));
      expect(outcome.status).toBe('fail');
      expect(outcome.measured).toMatchObject({ gitignored: 1, gitignored_tracked: 1 });
      expect(outcome.evidence).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            type: 'finding',
            rule: 'secrets/github-token',
            level: 'error',
            location: { path: 'project/app.py', line: 1 },
          }),
          // The untracked .env is still only a warning.
          expect.objectContaining({
            type: 'finding',
            rule: 'secrets/github-token',
            level: 'warning',
            location: { path: 'project/.env', line: 1 },
          }),
        ]),
      );
      expect(JSON.stringify(outcome)).toContain('1 more named in .gitignore but tracked by git: scanned');
      expect(JSON.stringify(outcome)).not.toContain(token);
    },
  );

  test('a .gitignore that excludes everything but itself judges nothing: an error, every file listed', async () => {
    const dir = tempFiles({
      'case/check.yaml': 'path: project\n',
      'case/project/.gitignore': '*\n!.gitignore\n',
      'case/project/app.py': `token = "${token}"\n`,
      'case/project/main.py': 'print(1)\n',
    });
    const definition = (await loadBuiltinChecks()).get('secrets')!;
    const outcome = await runFixture(definition, join(dir, 'case'));
    expect(outcome.status).toBe('error');
    expect(outcome.summary).toMatch(
      /^nothing judged under .*: no file but \.gitignore was scanned \(2 ignored by \.gitignore\)/,
    );
    expect(outcome.measured).toMatchObject({ files: 1, gitignored: 2, gitignored_read: 0 });
    expect(outcome.evidence).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'table',
          title: 'Ignored by .gitignore',
          rows: [
            ['project/app.py', 'not read'],
            ['project/main.py', 'not read'],
          ],
        }),
      ]),
    );
    expect(JSON.stringify(outcome)).not.toContain(token);
  });

  test('a gitignored .env is read anyway: its secret is a warning (not committed), the item holds', async () => {
    const dir = tempFiles({
      'case/check.yaml': 'path: project\n',
      'case/project/.gitignore': '.env\nmodels/\n',
      'case/project/.env': `GITHUB_TOKEN=${token}\n`,
      'case/project/serve.py': 'import os\nTOKEN = os.environ["GITHUB_TOKEN"]\n',
      'case/project/models/model.safetensors': Buffer.from([1, 2, 3, 0, 0, 0, 4]),
    });
    const definition = (await loadBuiltinChecks()).get('secrets')!;
    const outcome = await runFixture(definition, join(dir, 'case'));
    expect(outcome.status).toBe('pass');
    expect(outcome.summary).toContain(
      '2 ignored by .gitignore, 1 of them read anyway (.env, key or config files): 1 secret found, as warnings',
    );
    expect(outcome.measured).toMatchObject({ files: 2, gitignored: 2, gitignored_read: 1, warnings: 1 });
    expect(outcome.evidence).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'finding',
          rule: 'secrets/github-token',
          level: 'warning',
          location: { path: 'project/.env', line: 1 },
        }),
        expect.objectContaining({
          type: 'table',
          title: 'Ignored by .gitignore',
          rows: [
            ['project/.env', 'read anyway'],
            ['project/models/model.safetensors', 'not read'],
          ],
        }),
      ]),
    );
    expect(JSON.stringify(outcome)).not.toContain(token);
  });
});

describe('reading', () => {
  test('the strings of binary bytes: short runs dropped, line feeds kept, runs across chunks whole', async () => {
    const { StringsDecoder } = await import('./read.js');
    const bytes = Buffer.concat([
      Buffer.from([0x80, 4, 0x95]),
      Buffer.from('short'),
      Buffer.from([0, 10, 0x8c, 0x29]),
      Buffer.from('ghp_Qm7Vx2Kp9Lr4Tz8Wn3Bc6Hd1Fs5Gj0Ya2UeR'),
      Buffer.from([0x94, 10]),
    ]);
    const whole = new StringsDecoder();
    const all = whole.write(bytes) + whole.end();
    for (let cut = 1; cut < bytes.length; cut++) {
      const decoder = new StringsDecoder();
      expect(decoder.write(bytes.subarray(0, cut)) + decoder.write(bytes.subarray(cut)) + decoder.end()).toBe(
        all,
      );
    }
    expect(all.split('\n')).toEqual(['', ')ghp_Qm7Vx2Kp9Lr4Tz8Wn3Bc6Hd1Fs5Gj0Ya2UeR ', '']);
  });
});

describe('tar archives', () => {
  /** One ustar header block for a regular file of `size` bytes, its checksum right. */
  function header(name: string, size: number): Buffer {
    const block = Buffer.alloc(512);
    block.write(name, 0, 'latin1');
    block.write('0000644\0', 100, 'latin1');
    block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    block.write('0', 156, 'latin1');
    block.write('ustar\x0000', 257, 'latin1');
    block.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of block) sum += byte;
    block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    return block;
  }
  const data = (text: string) => Buffer.concat([Buffer.from(text), Buffer.alloc(512 - (text.length % 512))]);

  test('a truncated tar is an input not judged: the item is an error, not a pass', async () => {
    const member = 'LOG_LEVEL=info\n'.repeat(100);
    const whole = Buffer.concat([header('conf/app.env', member.length), data(member)]);
    const dir = tempFiles({
      'case/check.yaml': 'path: project\n',
      'case/project/serve.py': 'import os\n',
      'case/project/conf.tar': whole.subarray(0, 512 + 700),
    });
    const definition = (await loadBuiltinChecks()).get('secrets')!;
    const outcome = await runFixture(definition, join(dir, 'case'));
    expect(outcome.status).toBe('error');
    expect(outcome.summary).toMatch(
      /^1 file could not be scanned: project\/conf\.tar \(unreadable: tar: truncated member/,
    );
  });

  test('members past the limit of one archive are listed, and a source file with "ustar" at 257 is text', async () => {
    const members = Array.from({ length: 6 }, (_, i) => [header(`m${i}.txt`, 7), data(`line ${i}\n`)]).flat();
    const source = `${' '.repeat(257)}ustar\0 = "ghp_Qm7Vx2Kp9Lr4Tz8Wn3Bc6Hd1Fs5Gj0Ya2UeR"\n${' '.repeat(300)}\n`;
    const dir = tempFiles({ 'a.tar': Buffer.concat([...members, Buffer.alloc(1024)]), 'headers.js': source });
    const totals: ReadTotals = { scanned: 0, unpacked: 0, binary: 0, bytes: 0, skipped: [] };
    const findings: Finding[] = [];
    const options = { maxFileSize: 1e6, findings, inline: [], totals, maxMembers: 4 };
    await scanFile(join(dir, 'a.tar'), 'a.tar', options);
    expect(totals.scanned).toBe(4);
    expect(totals.skipped).toEqual([
      { path: 'a.tar!…', reason: 'compressed', note: 'members past the first 4' },
    ]);
    await scanFile(join(dir, 'headers.js'), 'headers.js', options);
    expect(where(findings)).toEqual(['secrets/github-token@1']);
  });
});
