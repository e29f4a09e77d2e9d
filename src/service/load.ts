/**
 * The load generator: keep-alive HTTP/1.1 over raw sockets, one request in flight per
 * connection, latencies in an HDR histogram (microseconds, 3 significant digits).
 *
 * - Closed loop (`concurrency`): N connections, each sends its next request when the last
 *   answer arrives. Measures service time at a fixed concurrency, like wrk and autocannon.
 * - Open loop (`rate`): requests are due at fixed times (i / rate) whatever the service does.
 *   Latency counts from when a request was due, not when a free connection sent it, so a
 *   service that stalls cannot hide the wait it caused (coordinated omission, as wrk2 and k6's
 *   arrival-rate executors correct it).
 *
 * Failed requests are never left out of the latency. Every measured request that failed —
 * no answer within the timeout, a connection refused, reset or closed, a status that does not
 * count as success — is counted in `failed` (and so in the error rate) and enters the latency
 * of all requests at the request timeout, as k6 records a timed-out request at its timeout
 * (mlgate places every failure there, so a fast error never makes latency look better).
 * `latency` keeps the successful answers alone, for the evidence.
 *
 * No per-request objects or timers: a request is a pre-encoded buffer, timeouts are found by
 * a sweep every 50 ms. mlgate measures the service, not itself (see the load benchmark).
 */
import { connect, type Socket } from 'node:net';
import { lazyRequire } from '../util/lazy.js';
import { type ParsedResponse, ResponseParser } from './http1.js';

/** Loaded when a load test runs, not when the load kind is imported (startup). */
const hdr = lazyRequire<typeof import('hdr-histogram-js')>('hdr-histogram-js');

export interface LoadPlan {
  host: string;
  port: number;
  /** Encoded request bytes (keep-alive). */
  request: Buffer;
  method: string;
  mode: { kind: 'closed'; concurrency: number } | { kind: 'open'; rate: number; maxConnections: number };
  /** Measured requests: stop issuing after this many. */
  requests: number;
  /** Measured time: stop issuing after this. */
  durationMs: number;
  warmupMs: number;
  timeoutMs: number;
  /** Which statuses count as success. */
  isSuccess(status: number): boolean;
  signal?: AbortSignal;
  /** About once a second while it runs: how far it is, for live progress (never judged). */
  onProgress?(progress: LoadProgress): void;
}

/** A load test as it runs, so far: what k6 prints on its live line. */
export interface LoadProgress {
  phase: 'warmup' | 'measuring';
  /** Time in the phase, and the phase's length. */
  elapsedMs: number;
  phaseMs: number;
  /** Measured requests sent so far, and the most that will be. */
  issued: number;
  maxRequests: number;
  succeeded: number;
  failed: number;
  /** p95 of every measured request so far (failures at the timeout); null before the first. */
  p95Ms: number | null;
}

export interface SecondStats {
  /** Seconds since measurement began. */
  t: number;
  requests: number;
  errors: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export interface LatencyStats {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LoadResult {
  /** Requests answered (any status) and failed (no answer or an unexpected status). */
  completed: number;
  succeeded: number;
  failed: number;
  issued: number;
  durationMs: number;
  /** The request timeout: where failed requests sit in `overall`. */
  timeoutMs: number;
  /** Latency of successful answers, in milliseconds. */
  latency: LatencyStats | null;
  /**
   * Latency of every measured request, in milliseconds: successful answers at their latency,
   * failed requests (timeouts, connection errors, unexpected statuses) at the timeout.
   */
  overall: LatencyStats | null;
  /** Latency of answers that counted as errors (a fast 500 is not a fast answer). */
  failedLatency: { count: number; p50: number; max: number } | null;
  statuses: Record<string, number>;
  /** Why requests failed: "status 500", "timeout", "connection reset", ... */
  errors: Record<string, number>;
  series: SecondStats[];
  /** Percentile distribution for pictures: [percentile, ms]. */
  distribution: Array<[number, number]>;
  /** Open loop: the most requests that were due and waiting for a connection. */
  maxBacklog: number;
  connectionsOpened: number;
  /** Stopped early: Ctrl-C or the item's timeout. */
  interrupted: boolean;
  /** Any percentile (0-100] of successful latency in ms; null without data. */
  percentile(p: number): number | null;
  /** Any percentile (0-100] of the latency of all requests (failures at the timeout) in ms. */
  overallPercentile(p: number): number | null;
}

interface Connection {
  socket: Socket;
  parser: ResponseParser;
  /** When the current request was due (open loop) or sent (closed loop); 0 when idle. */
  dueAt: number;
  sentAt: number;
  measured: boolean;
  connected: boolean;
  closed: boolean;
}

const RESERVOIR = 512;

export function runLoad(plan: LoadPlan): Promise<LoadResult> {
  return new Promise((resolvePromise) => {
    const histogram = hdr().build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
    });
    // Every measured request: successes at their latency, failures at the timeout.
    const overallHistogram = hdr().build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
    });
    const timeoutUs = Math.min(3_600_000_000, Math.max(1, Math.round(plan.timeoutMs * 1000)));
    const failedHistogram = hdr().build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 2,
    });
    const statuses = new Map<number, number>();
    const errors = new Map<string, number>();
    const seconds: Array<{ requests: number; errors: number; max: number; samples: number[]; seen: number }> =
      [];
    const connections = new Set<Connection>();
    const idle: Connection[] = [];
    const backlog: number[] = []; // due times of open-loop requests waiting for a connection
    const began = performance.now();
    const measureFrom = began + plan.warmupMs;
    const measureUntil = measureFrom + plan.durationMs;
    let issued = 0;
    let completed = 0;
    let succeeded = 0;
    let failed = 0;
    let maxBacklog = 0;
    let opened = 0;
    let stopping = false;
    let finished = false;
    let interrupted = false;
    let scheduled = 0; // open loop: requests scheduled so far (warm-up included)
    let lastError = 0;

    const secondOf = (now: number) => {
      const index = Math.floor((now - measureFrom) / 1000);
      while (seconds.length <= index) seconds.push({ requests: 0, errors: 0, max: 0, samples: [], seen: 0 });
      return seconds[index]!;
    };
    /** A measured request failed: an error, and a latency of (at least) the timeout. */
    const countFailure = (reason: string, now: number) => {
      failed++;
      errors.set(reason, (errors.get(reason) ?? 0) + 1);
      secondOf(now).errors++;
      overallHistogram.recordValue(timeoutUs);
    };
    const countError = (reason: string, connection: Connection, now: number) => {
      if (connection.measured) countFailure(reason, now);
    };
    const record = (connection: Connection, response: ParsedResponse) => {
      const now = performance.now();
      const latencyUs = Math.max(1, Math.round((now - connection.dueAt) * 1000));
      if (connection.measured) {
        completed++;
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const bucket = secondOf(now);
        bucket.requests++;
        if (plan.isSuccess(response.status)) {
          succeeded++;
          histogram.recordValue(latencyUs);
          overallHistogram.recordValue(latencyUs);
          if (latencyUs > bucket.max) bucket.max = latencyUs;
          // Reservoir sample per second: percentiles over time without a histogram per second.
          bucket.seen++;
          if (bucket.samples.length < RESERVOIR) bucket.samples.push(latencyUs);
          else {
            const slot = Math.floor(Math.random() * bucket.seen);
            if (slot < RESERVOIR) bucket.samples[slot] = latencyUs;
          }
        } else {
          failedHistogram.recordValue(latencyUs);
          countError(`status ${response.status}`, connection, now);
        }
      }
      connection.dueAt = 0;
      if (response.close) {
        connection.closed = true;
        connection.socket.destroy();
        connections.delete(connection);
        if (!stopping) replace();
        return;
      }
      next(connection);
    };

    const open = (): Connection => {
      opened++;
      const socket = connect({ host: plan.host, port: plan.port, noDelay: true });
      const connection: Connection = {
        socket,
        parser: undefined as never,
        dueAt: 0,
        sentAt: 0,
        measured: false,
        connected: false,
        closed: false,
      };
      connection.parser = new ResponseParser((response) => record(connection, response), false, false);
      connections.add(connection);
      socket.on('connect', () => {
        connection.connected = true;
        next(connection);
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          connection.parser.push(chunk);
        } catch (error) {
          fail(connection, `unreadable answer: ${(error as Error).message}`);
        }
      });
      const onGone = (reason: string) => {
        if (connection.closed) return;
        fail(connection, reason);
      };
      socket.on('error', (error: NodeJS.ErrnoException) =>
        onGone(
          error.code === 'ECONNREFUSED'
            ? 'connection refused'
            : error.code === 'ECONNRESET' || error.code === 'EPIPE'
              ? 'connection reset'
              : (error.code ?? error.message),
        ),
      );
      socket.on('close', () => onGone('connection closed by the service'));
      return connection;
    };

    /** A connection broke: its request (if any) failed; a new connection takes its place. */
    const fail = (connection: Connection, reason: string) => {
      connection.closed = true;
      connection.socket.destroy();
      connections.delete(connection);
      const index = idle.indexOf(connection);
      if (index !== -1) idle.splice(index, 1);
      if (connection.dueAt !== 0) {
        countError(reason, connection, performance.now());
        connection.dueAt = 0;
      } else if (!connection.connected) {
        // Refused before any request: count it against the request it would have carried.
        if (performance.now() >= measureFrom && !stopping) {
          connection.measured = true;
          issued++;
          countError(reason, connection, performance.now());
        }
      }
      if (!stopping && performance.now() >= measureFrom && !budgetLeft()) stop();
      if (!stopping) {
        // Do not spin when the service is down: at most one reconnect per millisecond.
        const now = performance.now();
        const wait = now - lastError < 1 ? 1 : 0;
        lastError = now;
        setTimeout(replace, wait);
      } else maybeFinish();
    };

    const replace = () => {
      if (stopping) return maybeFinish();
      if (plan.mode.kind === 'closed') {
        if (connections.size < plan.mode.concurrency) open();
      } else if (backlog.length > 0 && connections.size < plan.mode.maxConnections) open();
    };

    const budgetLeft = () => issued < plan.requests && performance.now() < measureUntil;

    /**
     * `waited`: the request sat in the backlog because every connection was busy — the
     * service's doing, so its latency counts from when it was due. A request sent on the
     * ticker's first chance counts from when it was sent: the ticker's own lateness (timers
     * fire up to a millisecond late) is mlgate's, not the service's.
     */
    const send = (connection: Connection, dueAt: number, waited = true) => {
      const now = performance.now();
      connection.measured = dueAt >= measureFrom;
      if (connection.measured) issued++;
      connection.dueAt = waited ? dueAt : now;
      connection.sentAt = now;
      if (plan.method === 'HEAD') connection.parser.expectHead = true;
      connection.socket.write(plan.request);
    };

    /** The connection is free: send its next request, or park it. */
    const next = (connection: Connection) => {
      if (connection.closed) return;
      if (stopping) return maybeFinish();
      if (performance.now() >= measureFrom && !budgetLeft()) return stop();
      if (plan.mode.kind === 'closed') {
        send(connection, performance.now());
        return;
      }
      const due = backlog.shift();
      if (due !== undefined) send(connection, due);
      else idle.push(connection);
    };

    // Open loop: a ticker releases the requests that are due.
    const interval = plan.mode.kind === 'open' ? 1000 / plan.mode.rate : 0;
    const tick = () => {
      if (stopping || plan.mode.kind !== 'open') return;
      const now = performance.now();
      while (began + scheduled * interval <= now) {
        const due = began + scheduled * interval;
        scheduled++;
        if (due >= measureFrom && (issued + backlog.length >= plan.requests || due >= measureUntil)) {
          if (backlog.length === 0 && idle.length === connections.size) return stop();
          break;
        }
        const connection = idle.pop();
        if (connection) send(connection, due, false);
        else {
          backlog.push(due);
          if (backlog.length > maxBacklog) maxBacklog = backlog.length;
          if (connections.size < plan.mode.maxConnections) open();
        }
      }
      // Sleep until the next request is due (timers have millisecond resolution).
      setTimeout(tick, Math.max(0, began + scheduled * interval - performance.now()));
    };

    // Timeouts, Ctrl-C and the end of the measured time, checked every 50 ms.
    const sweep = setInterval(() => {
      const now = performance.now();
      if (plan.signal?.aborted && !stopping) {
        interrupted = true;
        stop();
      }
      for (const connection of connections) {
        if (connection.dueAt !== 0 && now - connection.sentAt > plan.timeoutMs) fail(connection, 'timeout');
      }
      // Open-loop requests that waited for a connection longer than the timeout failed too.
      while (backlog.length > 0 && now - backlog[0]! > plan.timeoutMs) {
        const due = backlog.shift()!;
        if (due >= measureFrom) {
          issued++;
          countFailure('timeout', now);
        }
      }
      if (now >= measureUntil && !stopping) stop();
      if (stopping) maybeFinish();
      else if (plan.onProgress && now - lastProgress >= 1000) {
        lastProgress = now;
        reportProgress(now);
      }
    }, 50);
    let lastProgress = began;
    const reportProgress = (now: number) => {
      const measuring = now >= measureFrom;
      try {
        plan.onProgress!({
          phase: measuring ? 'measuring' : 'warmup',
          elapsedMs: measuring ? now - measureFrom : now - began,
          phaseMs: measuring ? plan.durationMs : plan.warmupMs,
          issued,
          maxRequests: plan.requests,
          succeeded,
          failed,
          p95Ms:
            overallHistogram.totalCount > 0
              ? Math.min(overallHistogram.getValueAtPercentile(95), overallHistogram.maxValue) / 1000
              : null,
        });
      } catch {
        // Progress is for the eyes only: it never breaks the measurement.
      }
    };

    let stoppedAt = 0;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      stoppedAt = performance.now();
      for (const connection of idle.splice(0)) {
        connection.closed = true;
        connection.socket.destroy();
        connections.delete(connection);
      }
      maybeFinish();
    };

    const maybeFinish = () => {
      if (finished) return;
      const busy = [...connections].filter((connection) => connection.dueAt !== 0);
      // Requests in flight when we stopped get their answer, up to the timeout.
      if (busy.length > 0 && performance.now() - stoppedAt < plan.timeoutMs && !interrupted) {
        for (const connection of connections) {
          if (connection.dueAt === 0) {
            connection.closed = true;
            connection.socket.destroy();
            connections.delete(connection);
          }
        }
        return;
      }
      finished = true;
      clearInterval(sweep);
      const now = performance.now();
      for (const connection of connections) {
        // A request still without an answer is a failure, never left out of the counts.
        if (connection.dueAt !== 0 && !interrupted)
          countError(
            now - connection.sentAt >= plan.timeoutMs ? 'timeout' : 'no answer when the test ended',
            connection,
            now,
          );
        connection.closed = true;
        connection.socket.destroy();
      }
      connections.clear();
      const end = Math.min(performance.now(), Math.max(stoppedAt, measureFrom));
      const durationMs = Math.max(1, (stoppedAt || end) - measureFrom);
      resolvePromise(summarize(durationMs));
    };

    const summarize = (durationMs: number): LoadResult => {
      const ms = (us: number) => Math.round(us) / 1000;
      // HDR reports a bucket's highest equivalent value, which can exceed the largest recorded.
      const valueAt = (h: typeof histogram, p: number) => ms(Math.min(h.getValueAtPercentile(p), h.maxValue));
      const at = (p: number) => valueAt(histogram, p);
      const stats = (h: typeof histogram): LatencyStats | null =>
        h.totalCount > 0
          ? {
              count: h.totalCount,
              min: ms(h.minNonZeroValue),
              mean: Math.round(h.mean) / 1000,
              p50: valueAt(h, 50),
              p90: valueAt(h, 90),
              p95: valueAt(h, 95),
              p99: valueAt(h, 99),
              p999: valueAt(h, 99.9),
              max: ms(h.maxValue),
            }
          : null;
      const latency = stats(histogram);
      const distribution: Array<[number, number]> = [];
      if (histogram.totalCount > 0) {
        for (const percentile of [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100]) {
          distribution.push([percentile, at(percentile)]);
        }
      }
      const failedLatency =
        failedHistogram.totalCount > 0
          ? {
              count: failedHistogram.totalCount,
              p50: ms(failedHistogram.getValueAtPercentile(50)),
              max: ms(failedHistogram.maxValue),
            }
          : null;
      const series = seconds.map((bucket, t) => {
        const sorted = bucket.samples.sort((a, b) => a - b);
        const at = (q: number) =>
          sorted.length ? ms(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!) : null;
        return {
          t,
          requests: bucket.requests,
          errors: bucket.errors,
          p50Ms: at(0.5),
          p99Ms: at(0.99),
          maxMs: bucket.samples.length ? ms(bucket.max) : null,
        };
      });
      return {
        percentile: (p: number) => (histogram.totalCount > 0 ? at(p) : null),
        overallPercentile: (p: number) =>
          overallHistogram.totalCount > 0 ? valueAt(overallHistogram, p) : null,
        completed,
        succeeded,
        failed,
        issued,
        durationMs,
        timeoutMs: plan.timeoutMs,
        latency,
        overall: stats(overallHistogram),
        failedLatency,
        statuses: Object.fromEntries(
          [...statuses].sort((a, b) => a[0] - b[0]).map(([status, count]) => [String(status), count]),
        ),
        errors: Object.fromEntries([...errors].sort((a, b) => b[1] - a[1])),
        series,
        distribution,
        maxBacklog,
        connectionsOpened: opened,
        interrupted,
      };
    };

    if (plan.mode.kind === 'closed') {
      for (let i = 0; i < plan.mode.concurrency; i++) open();
    } else {
      // A few connections up front; more open as the backlog needs them.
      for (
        let i = 0;
        i < Math.min(plan.mode.maxConnections, Math.max(1, Math.ceil(plan.mode.rate / 1000)));
        i++
      )
        open();
      tick();
    }
  });
}
