// A small model service for the service kinds' tests: it behaves well by default, and each
// fault in TOY_FAULTS (comma-separated) makes it misbehave the way real services do. It is a
// real HTTP server on loopback; only the "model" is a stand-in (argmax of a fixed projection).
//
//   500-on-bad-input    invalid JSON crashes the handler: 500 with a stack trace
//   hang-on-bad-input   invalid JSON gets no answer at all
//   no-auth             API_TOKEN is ignored: anyone may predict
//   crash-after=N       the process exits (code 1) on the Nth prediction
//   slow=MS             every prediction takes MS longer
//   slow-every=N:MS     every Nth prediction takes MS longer (a latency tail)
//   error-status-every=N  every Nth prediction answers 500
//   no-security-headers no nosniff / frame / cache headers
//   cors-wildcard       Access-Control-Allow-Origin: * with credentials
//   no-body-limit       accepts bodies of any size
//   bad-metrics         /metrics is not valid Prometheus text
//   plain-errors        errors are text/plain, not JSON
//   not-found-200       unknown paths answer 200
//   ignore-sigterm      SIGTERM is ignored (only SIGKILL ends it)
//   slow-shutdown=MS    on SIGTERM, waits MS before exiting
//   drop-inflight       on SIGTERM, exits at once, dropping requests in flight
//   error-logs          logs an ERROR line at start and on each prediction
//   health-500          /health answers 500
//   slow-start=MS       listens only after MS
//   exit-at-start       exits with code 3 before listening
import { createServer } from 'node:http';

const faults = new Map(
  (process.env.TOY_FAULTS ?? '')
    .split(',')
    .map((fault) => fault.trim())
    .filter(Boolean)
    .map((fault) => {
      const [name, value] = fault.split('=');
      return [name, value ?? 'true'];
    }),
);
const token = process.env.API_TOKEN;
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const bodyLimit = 64 * 1024;
const FEATURES = 64;
const CLASSES = 10;
let predictions = 0;
let inFlight = 0;
const started = Date.now();
const counters = { requests: new Map(), latencySum: 0, latencyCount: 0 };

const log = (level, message) => process.stdout.write(`${new Date().toISOString()} ${level} ${message}\n`);

function predict(row) {
  // A fixed projection: deterministic and cheap, not a real model.
  const scores = Array.from({ length: CLASSES }, (_, k) =>
    row.reduce((sum, x, i) => sum + x * Math.sin((i + 1) * (k + 1)), 0),
  );
  const max = Math.max(...scores);
  const exps = scores.map((s) => Math.exp((s - max) / 16));
  const total = exps.reduce((a, b) => a + b, 0);
  const probabilities = exps.map((e) => e / total);
  return { prediction: probabilities.indexOf(Math.max(...probabilities)), probabilities };
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const base = {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(text),
  };
  if (!faults.has('no-security-headers')) {
    base['x-content-type-options'] = 'nosniff';
    base['x-frame-options'] = 'DENY';
    base['cache-control'] = 'no-store';
  }
  if (faults.has('cors-wildcard')) {
    base['access-control-allow-origin'] = '*';
    base['access-control-allow-credentials'] = 'true';
  }
  res.writeHead(status, { ...base, ...headers });
  res.end(text);
}

function fail(res, status, code, message) {
  if (faults.has('plain-errors')) return send(res, status, `${code}: ${message}\n`);
  return send(res, status, { error: { code, message } });
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(Object.assign(new Error('too large'), { tooLarge: true }));
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handlePredict(req, res) {
  if (token && !faults.has('no-auth')) {
    const given = req.headers.authorization ?? '';
    if (!given.startsWith('Bearer ')) return fail(res, 401, 'unauthorized', 'a bearer token is required');
    if (given.slice(7) !== token) return fail(res, 403, 'forbidden', 'the token is not valid');
  }
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    return fail(res, 415, 'unsupported_media_type', 'send application/json');
  }
  let text;
  try {
    text = await readBody(req, faults.has('no-body-limit') ? Infinity : bodyLimit);
  } catch (error) {
    if (error.tooLarge) {
      fail(res, 413, 'payload_too_large', `the body is over ${bodyLimit} bytes`);
      req.resume();
      return;
    }
    throw error;
  }
  let input;
  try {
    input = JSON.parse(text);
  } catch (error) {
    if (faults.has('hang-on-bad-input')) return; // never answers
    if (faults.has('500-on-bad-input')) {
      return send(res, 500, `Internal Server Error\nTraceback (most recent call last):\n  ${error.stack}\n`);
    }
    return fail(res, 400, 'invalid_json', `the body is not JSON: ${error.message}`);
  }
  const rows = Array.isArray(input?.inputs) ? input.inputs : undefined;
  if (!rows) return fail(res, 422, 'missing_field', 'expected {"inputs": [[64 numbers], ...]}');
  if (rows.length === 0 || rows.length > 256)
    return fail(res, 422, 'invalid_batch', 'between 1 and 256 rows');
  for (const [index, row] of rows.entries()) {
    if (
      !Array.isArray(row) ||
      row.length !== FEATURES ||
      !row.every((x) => typeof x === 'number' && Number.isFinite(x))
    ) {
      return fail(res, 422, 'invalid_row', `inputs[${index}] must be ${FEATURES} finite numbers`);
    }
  }
  predictions += 1;
  const crashAfter = Number(faults.get('crash-after') ?? 0);
  if (crashAfter && predictions >= crashAfter) {
    log('ERROR', 'model runtime aborted');
    process.exit(1);
  }
  if (faults.has('error-logs'))
    log('ERROR', 'Traceback (most recent call last): RuntimeError: CUDA out of memory');
  const errorEvery = Number(faults.get('error-status-every') ?? 0);
  if (errorEvery && predictions % errorEvery === 0) return fail(res, 500, 'internal', 'inference failed');
  let delay = Number(faults.get('slow') ?? 0);
  const slowEvery = faults.get('slow-every');
  if (slowEvery) {
    const [every, ms] = slowEvery.split(':').map(Number);
    if (predictions % every === 0) delay += ms;
  }
  if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
  const results = rows.map(predict);
  return send(res, 200, {
    model: 'toy',
    version: '1.0.0',
    predictions: results.map((r) => r.prediction),
    probabilities: results.map((r) => r.probabilities),
  });
}

function metricsText() {
  if (faults.has('bad-metrics')) return 'requests total 12\nthis is not prometheus\n';
  const lines = [
    '# HELP http_requests_total Requests by path and status.',
    '# TYPE http_requests_total counter',
    ...[...counters.requests].map(([key, count]) => {
      const [path, status] = key.split(' ');
      return `http_requests_total{path="${path}",status="${status}"} ${count}`;
    }),
    '# HELP predictions_total Predictions served.',
    '# TYPE predictions_total counter',
    `predictions_total ${predictions}`,
    '# HELP process_uptime_seconds Seconds since start.',
    '# TYPE process_uptime_seconds gauge',
    `process_uptime_seconds ${((Date.now() - started) / 1000).toFixed(3)}`,
  ];
  return `${lines.join('\n')}\n`;
}

const server = createServer(async (req, res) => {
  inFlight += 1;
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  res.on('finish', () => {
    inFlight -= 1;
    const key = `${path} ${res.statusCode}`;
    counters.requests.set(key, (counters.requests.get(key) ?? 0) + 1);
  });
  try {
    if (path === '/health') {
      if (faults.has('health-500')) return fail(res, 500, 'unhealthy', 'model not loaded');
      return req.method === 'GET'
        ? send(res, 200, { status: 'healthy' })
        : fail(res, 405, 'method_not_allowed', 'use GET');
    }
    if (path === '/predict') {
      if (req.method !== 'POST') return fail(res, 405, 'method_not_allowed', 'use POST', { allow: 'POST' });
      return await handlePredict(req, res);
    }
    if (path === '/metrics') {
      return send(res, 200, metricsText(), { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    }
    if (path === '/echo-auth') return send(res, 200, { authorization: req.headers.authorization ?? null });
    if (path === '/echo') {
      const body = await readBody(req, 16 * 1024 * 1024);
      return send(res, 200, {
        method: req.method,
        content_type: req.headers['content-type'] ?? null,
        bytes: Buffer.byteLength(body),
        query: Object.fromEntries(new URL(req.url, 'http://x').searchParams),
      });
    }
    if (faults.has('not-found-200')) return send(res, 200, { ok: true });
    return fail(res, 404, 'not_found', `no route ${path}`);
  } catch (error) {
    log('ERROR', error.stack);
    if (!res.headersSent) fail(res, 500, 'internal', 'unexpected error');
  }
});
server.keepAliveTimeout = 5000;

function shutdown() {
  if (faults.has('ignore-sigterm')) {
    log('INFO', 'SIGTERM ignored');
    return;
  }
  log('INFO', `SIGTERM: draining ${inFlight} request(s)`);
  if (faults.has('drop-inflight')) process.exit(0);
  const wait = Number(faults.get('slow-shutdown') ?? 0);
  setTimeout(() => {
    server.close(() => {
      log('INFO', 'stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  }, wait);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

if (faults.has('error-logs')) log('ERROR', 'could not read the tokenizer cache; rebuilding it');
if (faults.has('exit-at-start')) {
  log('ERROR', 'cannot load model: file not found');
  process.exit(3);
}
setTimeout(
  () => server.listen(port, host, () => log('INFO', `listening on http://${host}:${port}`)),
  Number(faults.get('slow-start') ?? 0),
);
