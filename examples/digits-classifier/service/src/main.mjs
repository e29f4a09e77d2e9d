#!/usr/bin/env node
// Starts the service from its environment (documented in ../.env.example).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from './app.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;

function log(level, message, fields = {}) {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
}

const token = env.API_TOKEN;
if (!token && env.ALLOW_ANONYMOUS !== '1') {
  log('fatal', 'API_TOKEN is not set; set it, or ALLOW_ANONYMOUS=1 for a local demo');
  process.exit(2);
}

const app = createApp({
  modelPath: resolve(here, '..', env.MODEL_PATH ?? '../model/model.onnx'),
  metricsPath: resolve(here, '..', env.METRICS_PATH ?? '../metrics.json'),
  modelName: 'digits-mlp',
  modelVersion: env.MODEL_VERSION ?? '1.0.0',
  token: token || undefined,
  maxBodyBytes: Number(env.MAX_BODY_BYTES ?? 1_000_000),
  maxBatch: Number(env.MAX_BATCH ?? 256),
  corsOrigins: (env.CORS_ORIGINS ?? '').split(',').map((origin) => origin.trim()).filter(Boolean),
  log,
});

const port = Number(env.PORT ?? 8080);
const host = env.HOST ?? '0.0.0.0';
app.server.listen(port, host, () => log('info', 'listening', { url: `http://${host}:${port}` }));
app.load().catch((error) => {
  log('fatal', 'cannot load the model', { error: error.message });
  process.exit(1);
});

// Kubernetes sends SIGTERM and waits terminationGracePeriodSeconds (30 s by default).
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log('info', 'draining', { signal });
    const force = setTimeout(() => {
      log('warn', 'requests still running after 8 s; exiting anyway');
      process.exit(1);
    }, 8000);
    force.unref();
    app.shutdown().then(() => {
      log('info', 'stopped');
      process.exit(0);
    });
  });
}
