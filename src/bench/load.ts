/**
 * The load generator as an instrument: against a trivial local endpoint at the same
 * concurrency, mlgate's requests/s and percentiles beside wrk's (the Debian package) and
 * autocannon's (installed into .bench), in rounds that alternate the three tools.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRequest } from '../service/http1.js';
import { runLoad } from '../service/load.js';
import { freePort } from '../service/managed.js';
import { BENCH_DIR, type Benchmark, fmt, row } from './harness.js';

const CONCURRENCY = 32;
const SECONDS = 5;
const ROUNDS = 5;

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  /** mlgate only: CPU time of the generator per wall-clock second. */
  cpu?: number;
}

const latency = (ms: number) => `${ms.toFixed(ms < 1 ? 3 : 2)} ms`;

const TRIVIAL_SERVER = `
const http = require('node:http');
http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }); res.end('ok'); })
  .listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

async function startServer(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', TRIVIAL_SERVER], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return child;
}

async function mlgate(port: number): Promise<Figures> {
  const cpu = process.cpuUsage();
  const result = await runLoad({
    host: '127.0.0.1',
    port,
    request: encodeRequest('GET', '/', `127.0.0.1:${port}`, {}),
    method: 'GET',
    mode: { kind: 'closed', concurrency: CONCURRENCY },
    requests: 100_000_000,
    durationMs: SECONDS * 1000,
    warmupMs: 0,
    timeoutMs: 10_000,
    isSuccess: (status) => status === 200,
  });
  const used = process.cpuUsage(cpu);
  return {
    rps: result.completed / (result.durationMs / 1000),
    p50: result.latency!.p50,
    p99: result.latency!.p99,
    cpu: (used.user + used.system) / 1000 / result.durationMs,
  };
}

function wrk(port: number): Figures | undefined {
  const run = spawnSync(
    'wrk',
    ['-t2', `-c${CONCURRENCY}`, `-d${SECONDS}s`, '--latency', `http://127.0.0.1:${port}/`],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) return undefined;
  const ms = (text: string) => {
    const match = /([\d.]+)(us|ms|s)/.exec(text)!;
    return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's'];
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(run.stdout)![1]);
  return {
    rps,
    p50: ms(/ 50%\s+(\S+)/.exec(run.stdout)![1]!),
    p99: ms(/ 99%\s+(\S+)/.exec(run.stdout)![1]!),
  };
}

function ensureAutocannon(): string | undefined {
  const prefix = join(BENCH_DIR, 'autocannon');
  const bin = join(prefix, 'node_modules', '.bin', 'autocannon');
  if (!existsSync(bin))
    spawnSync('npm', ['install', '--no-save', '--prefix', prefix, 'autocannon@8'], { stdio: 'ignore' });
  return existsSync(bin) ? bin : undefined;
}

function autocannon(bin: string, port: number): Figures | undefined {
  const run = spawnSync(
    bin,
    ['-c', String(CONCURRENCY), '-d', String(SECONDS), '-j', `http://127.0.0.1:${port}/`],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) return undefined;
  const report = JSON.parse(run.stdout);
  return { rps: report.requests.average, p50: report.latency.p50, p99: report.latency.p99 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export const loadBenchmark: Benchmark = {
  name: `load generator vs wrk and autocannon: GET of a trivial endpoint, ${CONCURRENCY} connections, ${SECONDS} s, ${ROUNDS} rounds`,
  goal: ">= 0.9x wrk's requests/s, and p50/p99 within 10% of wrk's at equal load",
  async run() {
    const port = await freePort('127.0.0.1');
    const server = await startServer(port);
    const cannon = ensureAutocannon();
    const samples: Record<string, Figures[]> = { mlgate: [], wrk: [], autocannon: [] };
    try {
      const tools: Array<[string, () => Promise<Figures | undefined> | Figures | undefined]> = [
        ['wrk', () => wrk(port)],
        ['mlgate', () => mlgate(port)],
        ['autocannon', () => (cannon ? autocannon(cannon, port) : undefined)],
      ];
      for (let round = 0; round < ROUNDS; round++) {
        // A different tool goes first each round: no tool always gets the warmest server.
        for (let i = 0; i < tools.length; i++) {
          const [name, measure] = tools[(round + i) % tools.length]!;
          const figures = await measure();
          if (figures) samples[name]!.push(figures);
        }
      }
    } finally {
      server.kill();
    }
    const summary = Object.fromEntries(
      Object.entries(samples)
        .filter(([, list]) => list.length > 0)
        .map(([tool, list]) => [
          tool,
          {
            rps: median(list.map((f) => f.rps)),
            p50: median(list.map((f) => f.p50)),
            p99: median(list.map((f) => f.p99)),
            cpu: median(list.map((f) => f.cpu ?? 0)),
          },
        ]),
    );
    row('tool (median of rounds)', 'requests/s', 'p50', 'p99');
    for (const [tool, figures] of Object.entries(summary)) {
      row(
        tool === 'autocannon'
          ? 'autocannon 8 (ms resolution)'
          : tool === 'wrk'
            ? 'wrk (Debian, 2 threads)'
            : 'mlgate load (closed loop)',
        fmt.rate(figures.rps, 'rps'),
        latency(figures.p50),
        latency(figures.p99),
      );
    }
    if (!cannon) console.log('  autocannon: not installed (npm install into .bench failed); skipped');
    const ours = summary.mlgate!;
    const reference = summary.wrk;
    if (!reference) {
      console.log('  wrk: not installed (apt-get install wrk); no ratios');
      return;
    }
    row(
      'mlgate ÷ wrk',
      fmt.ratio(ours.rps / reference.rps),
      fmt.ratio(ours.p50 / reference.p50),
      fmt.ratio(ours.p99 / reference.p99),
    );
    if (summary.autocannon) row('mlgate ÷ autocannon', fmt.ratio(ours.rps / summary.autocannon.rps), '', '');
    // When the generators tie, the server is the limit; the generator's CPU shows its headroom.
    row(
      'mlgate generator CPU',
      `${(ours.cpu! * 100).toFixed(0)}% of a core`,
      `${((ours.cpu! * 1e6) / ours.rps).toFixed(1)} µs/req`,
      '',
    );
  },
};
