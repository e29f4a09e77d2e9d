/**
 * What an error looks like in a service's output, for the runtimes ML services are written in.
 * A stack trace is flagged line by line (every frame is an error line), so a trace printed
 * without an ERROR prefix — Node's `console.error(err)`, an uncaught exception, a Go panic —
 * is not missed, and the evidence shows where it points. Patterns are case-sensitive and
 * anchored where a loose match would catch ordinary log text.
 */

/** Log levels and out-of-memory, whatever the runtime. */
export const LEVEL_PATTERNS = [
  '\\b(ERROR|CRITICAL|FATAL)\\b',
  'Unhandled(PromiseRejection| exception| rejection)',
  '\\bOutOfMemoryError\\b|\\bout of memory\\b',
];

/** Node.js: `Error: ...`-headed lines and `    at fn (file.js:1:2)` / `    at file.js:1:2` frames. */
export const NODE_PATTERNS = [
  // "TypeError: x is undefined", "Error [ERR_MODULE_NOT_FOUND]: ...", "Uncaught Error: ..."
  '^(Uncaught )?([A-Z][A-Za-z]*)?Error( \\[[A-Z0-9_]+\\])?: ',
  // "    at predict (/app/model.js:12:7)", "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)"
  '^\\s+at .+ \\([^()]*[./\\\\][^()]*:\\d+:\\d+\\)\\s*$',
  // "    at /app/server.js:10:3", "    at file:///app/main.mjs:4:1" (a path: not "at 10:15:30")
  '^\\s+at (async )?\\S*[./\\\\]\\S*:\\d+:\\d+\\s*$',
];

/** Python: the traceback header, its `File "...", line N` frames and the chained-exception banners. */
export const PYTHON_PATTERNS = [
  'Traceback \\(most recent call last\\)',
  '^\\s*File "[^"]+", line \\d+',
  '^During handling of the above exception, another exception occurred:',
  '^The above exception was the direct cause of the following exception:',
  // The exception line that ends a traceback: "ValueError: ...", "torch.cuda.OutOfMemoryError: ..."
  '^([a-z_][\\w]*\\.)*[A-Z]\\w*(Error|Exception)(: |$)',
];

/** JVM: the thread banner, `\tat com.x.Y(Y.java:12)` frames and `Caused by:`. */
export const JAVA_PATTERNS = [
  'Exception in thread',
  '^\\s+at [\\w$.<>/-]+\\((([\\w$-]+\\.(java|kt|scala|groovy|clj)):\\d+|Native Method|Unknown Source)\\)',
  '^Caused by: ',
  '^\\s+\\.\\.\\. \\d+ more$',
];

/** Go: `panic:`, goroutine headers, `.go:NN +0x..` frame locations and runtime fatal errors. */
export const GO_PATTERNS = [
  '^panic: ',
  // net/http recovers a handler's panic and logs it: "2024/05/14 10:32:11 http: panic serving 10.0.0.1:53122: ..."
  '\\bhttp: panic serving ',
  '^goroutine \\d+ \\[[^\\]]+\\]:$',
  '\\.go:\\d+ \\+0x[0-9a-f]+$',
  '^fatal error: ',
  // Rust, for services with a native core: "thread 'main' panicked at src/main.rs:4:5:"
  "^thread '[^']*' panicked at ",
];

export const DEFAULT_ERROR_PATTERNS = [
  ...LEVEL_PATTERNS,
  ...NODE_PATTERNS,
  ...PYTHON_PATTERNS,
  ...JAVA_PATTERNS,
  ...GO_PATTERNS,
];
