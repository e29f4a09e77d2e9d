/**
 * The load test's live line, as k6 shows one: where it is in time, requests so far, the rate
 * of good answers and the p95 so far. For the terminal only; the report has the real figures.
 */
import type { LoadProgress } from '../../service/load.js';
import { formatNumber } from '../../util/threshold.js';

export function loadProgressLine(progress: LoadProgress): string {
  const elapsed = seconds(progress.elapsedMs);
  const total = seconds(progress.phaseMs);
  if (progress.phase === 'warmup') return `warm-up ${elapsed} of ${total}`;
  const rate = progress.elapsedMs > 0 ? progress.succeeded / (progress.elapsedMs / 1000) : 0;
  const parts = [
    `${elapsed} of ${total}`,
    `${progress.issued} of ${progress.maxRequests} requests`,
    `${Math.round(rate)} req/s`,
    progress.p95Ms === null ? 'p95 —' : `p95 ${formatNumber(Number(progress.p95Ms.toPrecision(3)))} ms`,
    `${progress.failed} error${progress.failed === 1 ? '' : 's'}`,
  ];
  return parts.join(' · ');
}

/** Whole seconds under a minute ("12s"), minutes and seconds above ("2m05s"). */
function seconds(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
