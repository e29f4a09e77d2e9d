/**
 * The one line of a crashed program's output that says why: `Error: listen EADDRINUSE: …`
 * rather than the first lines of the stack trace printed around it. Node, Python, Java and
 * Go print the cause in different places; each gets a score, and the best-scoring line
 * (the latest on a tie: the final error of a chain) is the cause.
 */

/** Stack frames and headers: context, never the cause. */
const NOT_A_CAUSE = [
  /^\s+at\s/, // Node, Java
  /^\s+File "/, // Python
  /^\s*Traceback \(most recent call last\)/,
  /^\s*\.\.\. \d+ more/,
  /^goroutine \d+ \[/,
  /^\s*throw er; \/\/ Unhandled/,
  /^\s*Emitted 'error' event/,
  /^Node\.js v\d/,
  /^\s*\^+\s*$/,
  /^\s*(code|errno|syscall|address|port|path):/, // the fields of a printed Node error object
];

/** An error named as such: `Error: …`, `TypeError: …`, `java.net.BindException: …`, `panic: …`. */
const ERROR_LINE = /(^|\s)([\w.$]*(Error|Exception)\b:?|panic:|fatal error:|FATAL|Fatal|Exception in thread)/;
/** An error code: EADDRINUSE, ENOENT, [Errno 98], "address already in use". */
const ERROR_CODE = /\bE[A-Z]{3,}\b|\[Errno \d+\]|address already in use|out of memory|permission denied/i;
/** A log line at error level, or a word that usually means failure. */
const ERROR_WORD = /\b(ERROR|CRITICAL|error|failed|cannot|could not|unable to)\b/i;

export function rootCauseLine(lines: readonly string[]): string | undefined {
  let best: { line: string; score: number } | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || NOT_A_CAUSE.some((pattern) => pattern.test(raw))) continue;
    const score =
      (ERROR_LINE.test(line) ? 2 : ERROR_WORD.test(line) ? 1 : 0) + (ERROR_CODE.test(line) ? 2 : 0);
    if (score > 0 && score >= (best?.score ?? 0)) best = { line, score };
  }
  if (!best) return undefined;
  return best.line.length > 300 ? `${best.line.slice(0, 299)}…` : best.line;
}
