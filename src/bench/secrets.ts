/** The secrets scan over a generated 20,000-file, 200 MB tree, beside secretlint on the same tree. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { executeCheck } from '../engine/execute.js';
import { loadBuiltinChecks } from '../engine/registry.js';
import { BENCH_DIR, type Benchmark, fmt, row, timeIt } from './harness.js';

const FILES = Number(process.env.BENCH_SECRET_FILES ?? 20_000);
const FILE_BYTES = 10_000;
const PLANTED = 40;

function generate(root: string): void {
  if (existsSync(join(root, '.done'))) return;
  let seed = 11;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const words = [
    'model',
    'tensor',
    'batch',
    'config',
    'token_count',
    'password_policy',
    'def',
    'return',
    'import',
    'numpy',
    'self',
    'loss',
    'optimizer',
    'secret_sauce',
    'api',
    'key',
  ];
  for (let i = 0; i < FILES; i++) {
    const dir = join(root, `pkg${i % 200}`, `mod${i % 7}`);
    mkdirSync(dir, { recursive: true });
    let text = '';
    while (text.length < FILE_BYTES) {
      const line = Array.from({ length: 8 }, () => words[Math.floor(random() * words.length)]).join(' ');
      text += `${line} = ${Math.floor(random() * 1e6)}\n`;
    }
    if (i % Math.floor(FILES / PLANTED) === 0)
      text += `GITHUB_TOKEN = "ghp_${'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ'
        .split('')
        .sort(() => random() - 0.5)
        .join('')}"\n`;
    writeFileSync(join(dir, `file${i}.py`), text);
  }
  writeFileSync(join(root, '.done'), '');
}

const BUNDLE_BYTES = 48_000_000;

/** One minified bundle on a single line (streamed in windows) and its gzip, a token in each. */
function generateBundle(root: string): void {
  if (existsSync(join(root, '.done'))) return;
  mkdirSync(root, { recursive: true });
  const piece = 'function(e,t){return e&&e.__esModule?e:{default:e,token:t.next()}};';
  const filler = piece.repeat(Math.ceil(BUNDLE_BYTES / 2 / piece.length));
  const token = 'ghp_k3Jd9Q2mZx7Lr5Tb1Vw8Yc4Nf6Hp0Sa2Ge7U';
  const bundle = `!function(){${filler}var t="${token}";${filler}}();\n`;
  writeFileSync(join(root, 'main.min.js'), bundle);
  writeFileSync(join(root, 'vendor.min.js.gz'), gzipSync(bundle));
  writeFileSync(join(root, '.done'), '');
}

const SHARDS = 8;
const SHARD_BYTES = 24_000_000;

/**
 * Binary files, read for their printable strings: weight shards of pseudo-random bytes (as
 * float16 weights look) and a pickle holding a token, as `torch.save` of a config would.
 */
function generateBinary(root: string): void {
  if (existsSync(join(root, '.done'))) return;
  mkdirSync(join(root, 'weights'), { recursive: true });
  let seed = 7;
  for (let i = 0; i < SHARDS; i++) {
    const shard = Buffer.allocUnsafe(SHARD_BYTES);
    for (let at = 0; at < SHARD_BYTES; at += 4) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      shard.writeUInt32LE(seed, at);
    }
    writeFileSync(join(root, 'weights', `shard-${i}.bin`), shard);
  }
  const token = Buffer.from('ghp_Qm7Vx2Kp9Lr4Tz8Wn3Bc6Hd1Fs5Gj0Ya2UeR');
  // PROTO 4, SHORT_BINUNICODE of 41 bytes, MEMOIZE, then more pickled tensors.
  const pickle = Buffer.concat([Buffer.from([0x80, 4, 0x8c, token.length]), token, Buffer.from([0x94])]);
  writeFileSync(join(root, 'model.pkl'), Buffer.concat([pickle, Buffer.alloc(1_000_000, 0x3f)]));
  writeFileSync(join(root, '.done'), '');
}

function ensureSecretlint(): string | undefined {
  const prefix = join(BENCH_DIR, 'secretlint');
  const bin = join(prefix, 'node_modules', '.bin', 'secretlint');
  if (!existsSync(bin)) {
    const install = spawnSync(
      'npm',
      [
        'install',
        '--no-save',
        '--prefix',
        prefix,
        'secretlint@9',
        '@secretlint/secretlint-rule-preset-recommend@9',
      ],
      { stdio: 'ignore' },
    );
    if (install.status !== 0) return undefined;
  }
  return existsSync(bin) ? bin : undefined;
}

export const secretsBenchmark: Benchmark = {
  name: `secrets scan of a generated tree: ${FILES} files, ${((FILES * FILE_BYTES) / 1e6).toFixed(0)} MB, ${PLANTED} planted tokens`,
  goal: 'the whole scan under 10 s on this machine; large files streamed; secretlint on the same tree for comparison',
  async run() {
    const root = join(BENCH_DIR, `secrets-tree-${FILES}`);
    generate(root);
    const definition = (await loadBuiltinChecks()).get('secrets')!;
    const params = definition.params.parse({ path: '.' });
    const ours = await timeIt(() =>
      executeCheck(
        definition,
        params,
        { root, itemId: 'bench', profile: null, artifacts: new Map() },
        600_000,
      ),
    );
    const found = (ours.value.evidence ?? []).filter(
      (e) => e.type === 'finding' && e.rule === 'secrets/github-token',
    ).length;
    const megabytes = Number(ours.value.measured?.bytes_scanned ?? 0) / 1e6;
    row('', 'time', 'files/s', 'MB/s', 'found');
    row(
      'mlgate secrets',
      fmt.ms(ours.ms),
      fmt.rate(FILES / (ours.ms / 1000), 'files/s'),
      fmt.rate(megabytes / (ours.ms / 1000), 'MB/s'),
      `${found}/${PLANTED}`,
    );
    const skipped = Number(ours.value.measured?.skipped ?? 0);
    if (skipped > 0) console.log(`  not scanned: ${skipped} (${ours.value.summary})`);
    // Large files are streamed, not skipped: one line of 48 MB, and the same gzipped.
    const bundleRoot = join(BENCH_DIR, 'secrets-bundle');
    generateBundle(bundleRoot);
    const big = await timeIt(() =>
      executeCheck(
        definition,
        params,
        { root: bundleRoot, itemId: 'bench', profile: null, artifacts: new Map() },
        600_000,
      ),
    );
    const bigFound = (big.value.evidence ?? []).filter(
      (e) => e.type === 'finding' && e.rule === 'secrets/github-token',
    ).length;
    const bigMegabytes = Number(big.value.measured?.bytes_scanned ?? 0) / 1e6;
    row(
      'mlgate secrets, 48 MB bundle + .gz',
      fmt.ms(big.ms),
      '',
      fmt.rate(bigMegabytes / (big.ms / 1000), 'MB/s'),
      `${bigFound}/2`,
    );
    // Binary files are read for printable strings (a token in a pickle), not skipped.
    const binaryRoot = join(BENCH_DIR, 'secrets-binary-files');
    generateBinary(binaryRoot);
    const binary = await timeIt(() =>
      executeCheck(
        definition,
        params,
        { root: binaryRoot, itemId: 'bench', profile: null, artifacts: new Map() },
        600_000,
      ),
    );
    const binaryFound = (binary.value.evidence ?? []).filter(
      (e) => e.type === 'finding' && e.rule === 'secrets/github-token',
    ).length;
    const binaryMegabytes = Number(binary.value.measured?.bytes_scanned ?? 0) / 1e6;
    row(
      `mlgate secrets, ${SHARDS} binary shards + a pickle`,
      fmt.ms(binary.ms),
      '',
      fmt.rate(binaryMegabytes / (binary.ms / 1000), 'MB/s'),
      `${binaryFound}/1`,
    );
    const secretlint = ensureSecretlint();
    if (!secretlint) {
      console.log('  secretlint: not installed (npm install into .bench failed); skipped');
      return;
    }
    writeFileSync(
      join(root, '.secretlintrc.json'),
      JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] }),
    );
    // secretlint on the whole tree (bounded), and on a tenth of it so there is a rate to compare.
    const runSecretlint = async (patterns: string[], timeout: number) => {
      const result = await timeIt(() =>
        // "unix" prints one line per finding (its JSON format embeds every file's source).
        spawnSync(secretlint, [...patterns, '--format', 'unix'], {
          cwd: root,
          maxBuffer: 1 << 26,
          timeout,
          env: { ...process.env, NODE_PATH: join(BENCH_DIR, 'secretlint', 'node_modules') },
        }),
      );
      if (result.value.signal) return { ms: result.ms, found: undefined };
      return {
        ms: result.ms,
        found: result.value.stdout
          .toString()
          .split('\n')
          .filter((line) => /:\d+:\d+:/.test(line)).length,
      };
    };
    const tenth = await runSecretlint(['pkg[0-9]/**/*.py', 'pkg1[0-9]/**/*.py'], 300_000);
    const tenthFiles = FILES / 10;
    // Tokens are planted in every (FILES / PLANTED)th file; count those inside the tenth.
    let plantedInTenth = 0;
    for (let i = 0; i < FILES; i += Math.floor(FILES / PLANTED)) if (i % 200 < 20) plantedInTenth++;
    row(
      'secretlint 9, a tenth of the tree',
      fmt.ms(tenth.ms),
      fmt.rate(tenthFiles / (tenth.ms / 1000), 'files/s'),
      fmt.rate(megabytes / 10 / (tenth.ms / 1000), 'MB/s'),
      `${tenth.found ?? 'stopped'}/${plantedInTenth}`,
    );
    const whole = await runSecretlint(['**/*.py'], 120_000);
    row(
      'secretlint 9, the whole tree',
      whole.found === undefined ? `> ${fmt.ms(whole.ms)}` : fmt.ms(whole.ms),
      whole.found === undefined ? 'stopped' : fmt.rate(FILES / (whole.ms / 1000), 'files/s'),
      '',
      `${whole.found ?? '—'}`,
    );
    row('mlgate files/s ÷ secretlint files/s', fmt.ratio(FILES / ours.ms / (tenthFiles / tenth.ms)));
  },
};
