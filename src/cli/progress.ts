/**
 * Progress while items run, on stderr so stdout stays the report: a live status line on a
 * colour TTY, one plain line per finished item otherwise.
 */
import type { PlannedItem } from '../engine/plan.js';
import { inlineText } from '../redact/clean.js';
import type { RunEvents } from '../engine/run.js';
import type { ItemResult } from '../report/schema.js';
import { statusLabel } from '../report/text.js';
import { formatDuration } from '../util/units.js';
import type { Style } from './style.js';

export interface Progress extends RunEvents {
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function makeProgress(
  stream: NodeJS.WritableStream,
  total: number,
  style: Style,
  live: boolean,
): Progress {
  const running = new Map<string, number>();
  let done = 0;
  if (!live) {
    return {
      onItemEnd(result: ItemResult) {
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
    const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ` +${names.length - 3}` : '');
    stream.write(
      `\r\u001b[K${style.blue(FRAMES[frame++ % FRAMES.length]!)} ${done}/${total} done${shown ? style.dim(` · running ${shown}`) : ''}`,
    );
  };
  const timer = setInterval(draw, 100);
  timer.unref();
  return {
    onItemStart(planned: PlannedItem) {
      running.set(planned.item.id, performance.now());
      draw();
    },
    onItemEnd(result: ItemResult) {
      running.delete(result.id);
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
