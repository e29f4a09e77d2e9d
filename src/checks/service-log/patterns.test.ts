/**
 * The default error patterns, line by line: the lines of real traces of each runtime that
 * must be flagged, and ordinary log lines that look a little like them and must not be.
 * (The fixtures run whole traces through a real service; this lists the shapes one by one.)
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_ERROR_PATTERNS } from './patterns.js';

const patterns = DEFAULT_ERROR_PATTERNS.map((pattern) => new RegExp(pattern));
const flagged = (line: string) => patterns.some((pattern) => pattern.test(line));

describe('service-log default patterns', () => {
  test.each([
    // Node.js
    "TypeError: Cannot read properties of undefined (reading 'map')",
    'Error: listen EADDRINUSE: address already in use 127.0.0.1:8080',
    "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'onnxruntime-node' imported from /app/src/main.mjs",
    'Uncaught RangeError: Maximum call stack size exceeded',
    '    at predict (/srv/app/src/predict.js:27:31)',
    '    at new Session (/srv/app/node_modules/onnxruntime-node/dist/session.js:12:7)',
    '    at async Server.<anonymous> (file:///srv/app/src/server.mjs:40:7)',
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    '    at /srv/app/src/server.js:18:5',
    '    at C:\\srv\\app\\server.js:18:5',
    '    at handler (/Users/Jane Doe/app/server.js:3:9)',
    // Python
    'Traceback (most recent call last):',
    '  File "/srv/app/server.py", line 88, in predict',
    'ValueError: expected 64 features, got 63',
    'torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB',
    'During handling of the above exception, another exception occurred:',
    // JVM
    'Exception in thread "main" java.lang.IllegalStateException: model not loaded',
    'java.lang.IllegalStateException: model session is closed',
    '\tat com.example.digits.Predictor.predict(Predictor.java:57)',
    '\tat java.base/java.lang.Thread.run(Thread.java:840)',
    '\tat ai.onnxruntime.OrtSession.run(Native Method)',
    '\tat com.example.Serve.invoke(Serve.kt:12)',
    'Caused by: java.io.FileNotFoundException: /models/model.onnx',
    '\t... 12 more',
    // Go
    'panic: runtime error: invalid memory address or nil pointer dereference',
    'goroutine 1 [running]:',
    'goroutine 34 [chan receive]:',
    '\t/src/cmd/server/server.go:88 +0x2c5',
    'fatal error: all goroutines are asleep - deadlock!',
    '2024/05/14 10:32:11 http: panic serving 127.0.0.1:53122: runtime error: index out of range',
    // Rust
    "thread 'main' panicked at src/main.rs:4:5:",
  ])('flags %j', (line) => {
    expect(flagged(line)).toBe(true);
  });

  test.each([
    '2024-05-14T10:32:11Z INFO  model loaded in 812 ms',
    '    at 10:15:30 the feature cache was refreshed',
    'ErrorBudget: 0.1% of requests',
    'Errors: 0, warnings: 0',
    'errors: none',
    '{"level":"info","msg":"retry policy","max":3}',
    'goroutines: 12, heap: 41 MiB',
    'File upload limit is 10 MB',
    'listening on http://127.0.0.1:8080',
  ])('leaves %j alone', (line) => {
    expect(flagged(line)).toBe(false);
  });
});
