/**
 * The server under load: one replica (`mlgate server`, a child process, so its memory is its
 * own) over SQLite and over PostgreSQL, 50 concurrent clients on keep-alive connections.
 * Uploads of a 1,000-item run report (goal: p99 < 100 ms), then reads of the pending sign-offs
 * (goal: 500/s on 2 cores), p50/p99 latency, and the replica's resident memory after each.
 * PostgreSQL is $MLGATE_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/test), in a
 * schema of its own, dropped after; skipped with a note when it does not answer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Agent, request } from 'undici';
import { createToken } from '../server/auth.js';
import { openStoreFile, type Store } from '../store/db.js';
import { openPostgresStore } from '../store/postgres.js';
import { MANUAL_ITEM, sampleReport } from '../store/sample-report.js';
import { BENCH_DIR, type Benchmark, fmt, row } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/mlgate.js', import.meta.url));
const POSTGRES = process.env.MLGATE_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLIENTS = 50;
const UPLOADS = Number(process.env.MLGATE_BENCH_UPLOADS ?? 400);
const READ_SECONDS = Number(process.env.MLGATE_BENCH_READ_SECONDS ?? 5);

interface Target {
  dialect: 'sqlite' | 'postgres';
  database: string;
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

async function postgresTarget(): Promise<Target | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES, connectionTimeoutMillis: 2000 });
  const schema = `mlgate_bench_${process.pid}`;
  try {
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
  } catch (error) {
    console.log(`  (PostgreSQL at ${POSTGRES} skipped: ${(error as Error).message})`);
    await client.end().catch(() => undefined);
    return undefined;
  }
  await client.end();
  const url = new URL(POSTGRES);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    dialect: 'postgres',
    database: url.toString(),
    open: () => openPostgresStore(url.toString()),
    async cleanup() {
      const c = new pg.Client({ connectionString: POSTGRES });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

function sqliteTarget(): Target {
  const file = join(BENCH_DIR, `server-${process.pid}.db`);
  return {
    dialect: 'sqlite',
    database: file,
    open: async () => (await openStoreFile(file, { create: true }))!,
    cleanup: async () => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    },
  };
}

async function startServer(database: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [BIN, 'server', '--database', database, '--listen', '127.0.0.1:0', '--rate-limit', '1000000'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /mlgate server on (http:\/\/\S+)/.exec(text);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
  });
  return { child, url };
}

/** Resident memory of a process, from /proc (Linux). */
function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** `clients` workers each take the next job until none are left (or time is up); latencies in ms. */
async function load(
  job: (i: number) => Promise<void>,
  until: { count?: number; seconds?: number },
  clients = CLIENTS,
) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const deadline = until.seconds ? started + until.seconds * 1000 : Number.POSITIVE_INFINITY;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if ((until.count !== undefined && i >= until.count) || performance.now() >= deadline) return;
      const t = performance.now();
      await job(i);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function benchOne(target: Target): Promise<void> {
  const store = await target.open();
  const { token } = await createToken(store, { name: 'bench', roles: ['runner'], createdBy: 'bench' });
  await store.close();
  const { child, url } = await startServer(target.database);
  const dispatcher = new Agent({ connections: CLIENTS, pipelining: 1 });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  try {
    const body = JSON.stringify({
      report: sampleReport({ project: 'bench', items: 1000, pendingRoles: ['release-manager'] }),
      manual: { [MANUAL_ITEM]: { roles: ['release-manager'] } },
    });
    const upload = async () => {
      const response = await request(`${url}/api/v1/projects/bench/runs`, {
        method: 'POST',
        headers,
        body,
        dispatcher,
      });
      await response.body.text();
      if (response.statusCode !== 201) throw new Error(`upload answered ${response.statusCode}`);
    };
    await upload(); // warm-up, and creates the project
    // One upload at a time: the latency a CI job sees (the goal).
    const alone = await load(upload, { count: 50 }, 1);
    row(
      `${target.dialect}: upload 1,000 items, 1 client`,
      fmt.rate(alone.perSecond, '/s'),
      `p50 ${fmt.ms(alone.p50)}`,
      `p99 ${fmt.ms(alone.p99)}`,
      alone.p99 < 100 ? 'goal met' : 'goal MISSED',
    );
    const uploads = await load(upload, { count: UPLOADS });
    const rssAfterUploads = rssMiB(child.pid!);
    row(
      `${target.dialect}: upload 1,000 items, ${CLIENTS} clients`,
      fmt.rate(uploads.perSecond, '/s'),
      `p50 ${fmt.ms(uploads.p50)}`,
      `p99 ${fmt.ms(uploads.p99)}`,
    );
    row(
      `  (${(body.length / 1024).toFixed(0)} KiB each, ${uploads.count} uploads)`,
      `RSS ${rssAfterUploads.toFixed(0)} MiB`,
    );
    const read = async () => {
      const response = await request(`${url}/api/v1/projects/bench/signoffs/pending`, {
        headers,
        dispatcher,
      });
      const text = await response.body.text();
      if (response.statusCode !== 200 || !text.includes(MANUAL_ITEM))
        throw new Error(`pending answered ${response.statusCode}`);
    };
    const reads = await load(read, { seconds: READ_SECONDS });
    row(
      `${target.dialect}: read pending sign-offs`,
      fmt.rate(reads.perSecond, '/s'),
      `p50 ${fmt.ms(reads.p50)}`,
      `p99 ${fmt.ms(reads.p99)}`,
      reads.perSecond >= 500 ? 'goal met' : 'goal MISSED',
    );
    row(`  (${reads.count} reads in ${READ_SECONDS} s)`, `RSS ${rssMiB(child.pid!).toFixed(0)} MiB`);
  } finally {
    await dispatcher.close();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await target.cleanup();
  }
}

export const serverBenchmark: Benchmark = {
  name: 'server',
  goal: `a 1,000-item run report uploads in < 100 ms p99 and 500 pending-sign-off reads/s, ${CLIENTS} concurrent clients, one replica`,
  async run() {
    await benchOne(sqliteTarget());
    const postgres = await postgresTarget();
    if (postgres) await benchOne(postgres);
  },
};

// `node dist/bench/server.js` runs it alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`\n${serverBenchmark.name}\n  goal: ${serverBenchmark.goal}`);
  await serverBenchmark.run();
}
