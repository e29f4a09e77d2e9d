// The digits classifier as an HTTP service: node:http + onnxruntime-node, no framework.
//
//   GET  /health       liveness: the process answers
//   GET  /ready        readiness: 503 until the model is loaded (and while shutting down)
//   GET  /info         model name, version, digest, input/output spec, reported metrics
//   POST /predict      {"input": [64]} or {"inputs": [[64], ...]} -> predictions + probabilities
//   GET  /metrics      Prometheus text format
//   GET  /ping, POST /invocations   the SageMaker names for /ready and /predict
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import * as ort from 'onnxruntime-node';
import { Registry } from './metrics.mjs';
import { FEATURES, parsePredictRequest, RequestError } from './validate.mjs';

const CLASSES = 10;
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

/**
 * options: modelPath, modelName, modelVersion, metricsPath (reported metrics for /info),
 * token (bearer token for /predict; undefined only when allowAnonymous), maxBodyBytes,
 * maxBatch, corsOrigins, log(level, message, fields).
 */
export function createApp(options) {
  const log = options.log ?? (() => {});
  const registry = new Registry();
  const requests = registry.counter('http_requests_total', 'HTTP requests by method, route and status.', ['method', 'route', 'status']);
  const duration = registry.histogram(
    'http_request_duration_seconds',
    'Time to answer, by route.',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ['route'],
  );
  const predictions = registry.counter('predictions_total', 'Images classified, by predicted class.', ['class']);
  const state = { session: undefined, info: undefined, loading: undefined, draining: false, inFlight: 0 };
  registry.gauge('model_loaded', '1 when the model is loaded and the service is ready.', () => (state.session && !state.draining ? 1 : 0));
  registry.gauge('http_requests_in_flight', 'Requests being answered.', () => state.inFlight);
  registry.gauge('process_resident_memory_bytes', 'Resident memory of the process.', () => process.memoryUsage.rss());

  async function load() {
    const started = performance.now();
    const bytes = await readFile(options.modelPath);
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    let reported = null;
    if (options.metricsPath) {
      try {
        const metrics = JSON.parse(await readFile(options.metricsPath, 'utf8'));
        reported = { source: 'reported by training (metrics.json)', test_accuracy: metrics.test?.accuracy ?? null, test_f1_macro: metrics.test?.f1_macro ?? null };
      } catch (error) {
        log('warn', 'metrics.json not readable; /info will not report metrics', { error: error.message });
      }
    }
    state.info = {
      model: { name: options.modelName, version: options.modelVersion, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length },
      input: { name: session.inputNames[0], dtype: 'float32', shape: ['batch', FEATURES], description: '8x8 grey levels, 0..16, row by row' },
      output: { name: session.outputNames[0], dtype: 'float32', shape: ['batch', CLASSES], description: 'logits of the digits 0..9' },
      limits: { max_batch: options.maxBatch, max_body_bytes: options.maxBodyBytes },
      metrics: reported,
    };
    state.session = session;
    log('info', 'model loaded', { path: options.modelPath, ms: Math.round(performance.now() - started) });
  }

  async function classify(rows) {
    const data = new Float32Array(rows.length * FEATURES);
    rows.forEach((row, r) => data.set(row, r * FEATURES));
    const input = new ort.Tensor('float32', data, [rows.length, FEATURES]);
    const output = await state.session.run({ [state.session.inputNames[0]]: input });
    const logits = output[state.session.outputNames[0]].data;
    return rows.map((_, r) => {
      const row = Array.from(logits.subarray(r * CLASSES, (r + 1) * CLASSES));
      const max = Math.max(...row);
      const exps = row.map((value) => Math.exp(value - max));
      const total = exps.reduce((a, b) => a + b, 0);
      const probabilities = exps.map((value) => value / total);
      const prediction = probabilities.indexOf(Math.max(...probabilities));
      predictions.inc({ class: prediction });
      return { prediction, probabilities };
    });
  }

  function send(req, res, status, body, extraHeaders = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const headers = {
      'content-type': typeof body === 'string' ? 'text/plain; version=0.0.4; charset=utf-8' : 'application/json',
      'content-length': Buffer.byteLength(text),
      ...SECURITY_HEADERS,
      ...corsHeaders(req),
      ...extraHeaders,
    };
    if (state.draining) headers.connection = 'close';
    res.writeHead(status, headers);
    res.end(text);
  }

  function corsHeaders(req) {
    const origin = req.headers.origin;
    if (!origin || !options.corsOrigins.includes(origin)) return {};
    return { 'access-control-allow-origin': origin, vary: 'Origin', 'access-control-allow-headers': 'authorization, content-type', 'access-control-allow-methods': 'GET, POST' };
  }

  function authorize(req) {
    if (options.token === undefined) return;
    const header = req.headers.authorization ?? '';
    if (!/^Bearer\s+\S/i.test(header)) throw new RequestError(401, 'unauthorized', 'send Authorization: Bearer <token>');
    const given = Buffer.from(header.replace(/^Bearer\s+/i, ''));
    const expected = Buffer.from(options.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new RequestError(403, 'forbidden', 'the token is not valid');
  }

  function readJson(req) {
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      return Promise.reject(new RequestError(415, 'unsupported_media_type', 'send the body as application/json'));
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > options.maxBodyBytes) {
      // Read and drop the body: closing with it unread resets the connection, and the client
      // would never see the 413.
      req.resume();
      return Promise.reject(new RequestError(413, 'payload_too_large', `the body is over ${options.maxBodyBytes} bytes`));
    }
    return new Promise((resolve, reject) => {
      const chunks = [];
      let size = 0;
      req.on('data', (chunk) => {
        size += chunk.length;
        if (size > options.maxBodyBytes) {
          req.removeAllListeners('data');
          req.resume();
          reject(new RequestError(413, 'payload_too_large', `the body is over ${options.maxBodyBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(new RequestError(400, 'invalid_json', `the body is not valid JSON: ${error.message}`));
        }
      });
      req.on('error', reject);
    });
  }

  const routes = {
    '/health': { GET: (req, res) => send(req, res, 200, { status: 'healthy', model_loaded: Boolean(state.session) }) },
    '/ready': { GET: ready },
    '/ping': { GET: ready },
    '/info': {
      GET: (req, res) => (state.info ? send(req, res, 200, state.info) : send(req, res, 503, { error: { code: 'loading', message: 'the model is loading' } })),
    },
    '/predict': { POST: predict },
    '/invocations': { POST: predict },
    '/metrics': { GET: (req, res) => send(req, res, 200, registry.text()) },
  };

  function ready(req, res) {
    if (state.draining) return send(req, res, 503, { status: 'shutting down' });
    return state.session ? send(req, res, 200, { status: 'ready' }) : send(req, res, 503, { status: 'loading' });
  }

  async function predict(req, res) {
    authorize(req);
    if (!state.session) throw new RequestError(503, 'loading', 'the model is loading; retry shortly');
    const body = await readJson(req);
    const { rows, single } = parsePredictRequest(body, options.maxBatch);
    const results = await classify(rows);
    const model = { name: options.modelName, version: options.modelVersion };
    if (single) return send(req, res, 200, { ...results[0], model });
    return send(req, res, 200, { predictions: results.map((r) => r.prediction), probabilities: results.map((r) => r.probabilities), model });
  }

  const server = createServer(async (req, res) => {
    const started = performance.now();
    const path = new URL(req.url ?? '/', 'http://service').pathname;
    const route = routes[path];
    const routeLabel = route ? path : 'unmatched';
    state.inFlight += 1;
    res.on('finish', () => {
      state.inFlight -= 1;
      requests.inc({ method: req.method, route: routeLabel, status: res.statusCode });
      duration.observe({ route: routeLabel }, (performance.now() - started) / 1000);
    });
    try {
      if (req.method === 'OPTIONS') return send(req, res, 204, '');
      if (!route) throw new RequestError(404, 'not_found', `no route ${path}`);
      const handler = route[req.method];
      if (!handler) {
        const allowed = Object.keys(route).join(', ');
        return send(req, res, 405, { error: { code: 'method_not_allowed', message: `${path} accepts ${allowed}` } }, { allow: allowed });
      }
      await handler(req, res);
    } catch (error) {
      if (error instanceof RequestError) {
        return send(req, res, error.status, { error: { code: error.code, message: error.message } });
      }
      log('error', 'request failed', { path, error: error.message });
      if (!res.headersSent) send(req, res, 500, { error: { code: 'internal', message: 'the request could not be completed' } });
    }
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  return {
    server,
    /** Starts loading the model; resolves when it is ready. */
    load: () => (state.loading ??= load()),
    /** Stops taking requests, answers those in progress, closes. */
    async shutdown() {
      state.draining = true;
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeIdleConnections();
      });
      await state.session?.release();
    },
  };
}
