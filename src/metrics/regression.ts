/**
 * Regression metrics in one streaming pass, float64, with scikit-learn's definitions.
 * Means and variances use Welford's updates (stable in one pass); the median needs every
 * error, kept in SortedRuns (spilled to disk past a budget).
 */
import { SortedRuns, SpillDirectory } from './sorted-runs.js';

const EPS = 2.220446049250313e-16;

export interface RegressionResult {
  task: 'regression';
  n: number;
  metrics: Record<string, number>;
  notes: string[];
}

export class RegressionAccumulator {
  n = 0;
  private sumAbs = 0;
  private sumSquared = 0;
  private sumPercentage = 0;
  private maxError = 0;
  private meanY = 0;
  private m2Y = 0;
  private meanResidual = 0;
  private m2Residual = 0;
  private readonly spill = new SpillDirectory();
  private readonly errors = new SortedRuns(this.spill);

  constructor(private readonly memoryValues = 32_000_000) {}

  add(y: number, predicted: number): void {
    this.n++;
    const residual = y - predicted;
    const absolute = Math.abs(residual);
    this.sumAbs += absolute;
    this.sumSquared += residual * residual;
    this.sumPercentage += absolute / Math.max(Math.abs(y), EPS);
    if (absolute > this.maxError) this.maxError = absolute;
    const dy = y - this.meanY;
    this.meanY += dy / this.n;
    this.m2Y += dy * (y - this.meanY);
    const dr = residual - this.meanResidual;
    this.meanResidual += dr / this.n;
    this.m2Residual += dr * (residual - this.meanResidual);
    this.errors.push(absolute);
    if (this.errors.buffered >= this.memoryValues) this.errors.spillToDisk();
  }

  finish(): RegressionResult {
    try {
      const n = this.n;
      const mse = this.sumSquared / n;
      const sst = this.m2Y;
      const sse = this.sumSquared;
      // scikit-learn's force_finite: a constant target gives 1.0 for a perfect fit, else 0.0.
      const r2 = sst === 0 ? (sse === 0 ? 1 : 0) : 1 - sse / sst;
      const explained = sst === 0 ? (this.m2Residual === 0 ? 1 : 0) : 1 - this.m2Residual / sst;
      const middle = n % 2 === 1 ? this.errors.at((n - 1) / 2) : medianOfEven(this.errors, n);
      return {
        task: 'regression',
        n,
        metrics: {
          mae: this.sumAbs / n,
          mse,
          rmse: Math.sqrt(mse),
          r2,
          mape: this.sumPercentage / n,
          median_ae: middle,
          max_error: this.maxError,
          explained_variance: explained,
        },
        notes:
          sst === 0
            ? [
                'the target is constant: r2 and explained_variance follow scikit-learn (1.0 if perfect, else 0.0)',
              ]
            : [],
      };
    } finally {
      this.spill.dispose();
    }
  }
}

function medianOfEven(errors: SortedRuns, n: number): number {
  const reader = errors.reader();
  let lower = Number.NaN;
  for (let i = 0; i < n / 2; i++) lower = reader.next();
  const upper = reader.next();
  reader.close();
  return (lower + upper) / 2;
}
