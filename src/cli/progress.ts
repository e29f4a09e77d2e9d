/**
 * Progress while items run, on stderr so stdout stays the report: a live status line on a
 * colour TTY, one plain line per finished item otherwise. A long step's own progress (a load
 * test's elapsed time, rate and p95, as k6 shows it) is on the live line as it changes, and
 * on a plain stream at most one line per item every few seconds, so CI logs stay short.
 */
import type { PlannedItem } from '../engine/plan.js';
import { inlineText } from '../redact/clean.js';
import type { RunEvents } from '../engine/run.js';
import type { ItemResult } from '../domain/run-report.js';
import { statusLabel } from '../report/text.js';
import { formatDuration } from '../util/units.js';
import type { Style } from './style.js';

export interface Progress extends RunEvents {
  stop(): void;
}

export interface ProgressOptions {
  /** Plain stream: the least time between two progress lines of one item (default 5 s). */
  plainEveryMs?: number;
  /** The clock, in milliseconds (tests give their own). */
  now?: () => number;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const PLAIN_EVERY_MS = 5000;
/** The live line's progress text at most (the line must not wrap). */
const LIVE_TEXT = 90;

export function makeProgress(
  stream: NodeJS.WritableStream,
  total: number,
  style: Style,
  live: boolean,
  options: ProgressOptions = {},
): Progress {
  const now = options.now ?? (() => performance.now());
  const running = new Map<string, number>();
  /** The latest progress text of each running item. */
  const latest = new Map<string, string>();
  let done = 0;
  if (!live) {
    const every = options.plainEveryMs ?? PLAIN_EVERY_MS;
    const lastShown = new Map<string, number>();
    return {
      onItemStart(planned: PlannedItem) {
        running.set(planned.item.id, now());
      },
      onItemProgress(itemId: string, text: string) {
        const started = running.get(itemId);
        if (started === undefined) return; // late word from an item that has finished
        const at = now();
        // The first line after `every` of running, then one per `every`: short steps say nothing.
        if (at - (lastShown.get(itemId) ?? started) < every) return;
        lastShown.set(itemId, at);
        stream.write(`        ${inlineText(itemId)}: ${inlineText(text)}\n`);
      },
      onItemEnd(result: ItemResult) {
        running.delete(result.id);
        lastShown.delete(result.id);
        done++;
        const status = result.applicable ? result.status : 'n/a';
        stream.write(
          `[${done}/${total}] ${status.toUpperCase().padEnd(7)} ${inlineText(result.id)} (${formatDuration(result.durationMs)})\n`,
        );
      },
      stop() {},
    };
  }
  let frame = 0;
  const draw = () => {
    const names = [...running.keys()];
    // One item telling its progress: show that; otherwise which items are running.
    const talking = names.find((name) => latest.has(name));
    let detail: string;
    if (talking) {
      const text = inlineText(latest.get(talking)!);
      const others = names.length > 1 ? ` +${names.length - 1}` : '';
      detail = ` · ${inlineText(talking)}: ${text.length > LIVE_TEXT ? `${text.slice(0, LIVE_TEXT - 1)}…` : text}${others}`;
    } else {
      const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ` +${names.length - 3}` : '');
      detail = shown ? style.dim(` · running ${shown}`) : '';
    }
    stream.write(`\r\u001b[K${style.blue(FRAMES[frame++ % FRAMES.length]!)} ${done}/${total} done${detail}`);
  };
  const timer = setInterval(draw, 100);
  timer.unref();
  return {
    onItemStart(planned: PlannedItem) {
      running.set(planned.item.id, now());
      draw();
    },
    onItemProgress(itemId: string, text: string) {
      if (!running.has(itemId)) return;
      latest.set(itemId, text);
    },
    onItemEnd(result: ItemResult) {
      running.delete(result.id);
      latest.delete(result.id);
      done++;
      const status = result.applicable ? result.status : ('n/a' as const);
      if (result.applicable && result.status !== 'pass') {
        // The result is redacted already (the runner does it); one line, no escapes of its own.
        stream.write(
          `\r\u001b[K${statusLabel(status, style)} ${inlineText(result.id)}: ${inlineText(result.summary)}\n`,
        );
      }
      draw();
    },
    stop() {
      clearInterval(timer);
      stream.write('\r\u001b[K');
    },
  };
}
