/**
 * Whether a threshold can tell a good value from a bad one. Every threshold form (<, >=,
 * between, within, ==, !=) is judged the same way, by what it does on the quantity's scale:
 * a threshold that passes an unmistakably bad value ("ks_pvalue between 0 and 0.01", "psi
 * within 100 of 0", "drifted_share <= 100%") would let exactly what it is meant to stop
 * through; one that fails the best value would block everything. Both are refused when the
 * spec is read, whatever the form — checking only the operator of `<`/`>` forms leaves the
 * others open.
 */
import { formatNumber, meets, type Threshold } from './threshold.js';

export interface Scale {
  /** Which way is better. */
  better: 'higher' | 'lower';
  /** The best value the quantity takes (parity, no drift). */
  best: number;
  /** A value that is unmistakably bad (the worst, or far past any sensible limit). */
  bad: number;
  /** The quantity is a share in [0, 1] (a percent below 1% is then most likely a slip). */
  share?: boolean;
}

export function thresholdSanityProblem(name: string, threshold: Threshold, scale: Scale): string | undefined {
  const written = threshold.text;
  if (meets(scale.bad, threshold))
    return `${name}: "${written}" passes ${formatNumber(scale.bad)}, ${scale.better === 'higher' ? 'the lowest' : 'a very high'} value — it would pass what it is meant to stop (or judge nothing). Bound it from ${scale.better === 'higher' ? 'below, e.g. ">= …"' : 'above, e.g. "< …"'}`;
  if (!meets(scale.best, threshold))
    return `${name}: "${written}" fails ${formatNumber(scale.best)}, the best value — it would block every model. Bound it from ${scale.better === 'higher' ? 'below' : 'above'}`;
  if (
    scale.share &&
    threshold.kind === 'compare' &&
    threshold.percent &&
    threshold.value > 0 &&
    threshold.value < 0.01
  )
    return `${name}: "${written}" is ${formatNumber(threshold.value)}: did you mean ${formatNumber(threshold.value * 100)}% or ${formatNumber(threshold.value * 100)}?`;
  return undefined;
}
