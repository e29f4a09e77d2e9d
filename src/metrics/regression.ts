/**
 * Regression metrics in one streaming pass, float64, with scikit-learn's definitions.
 * Means and variances use Welford's updates (stable in one pass); the median needs every
 * error, kept in SortedRuns (spilled to disk past a budget).
 */
import { SortedRuns, SpillDirectory } from './sorted-runs.js';

export const EPS = 2.220446049250313e-16;

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

  /** The summary the metrics are a function of (the median read from the sorted errors). */
  summary(): RegressionSummary {
    const n = this.n;
    return {
      n,
      sumAbs: this.sumAbs,
      sumSquared: this.sumSquared,
      sumPercentage: this.sumPercentage,
      maxError: this.maxError,
      m2Y: this.m2Y,
      m2Residual: this.m2Residual,
      medianAbsoluteError: n % 2 === 1 ? this.errors.at((n - 1) / 2) : medianOfEven(this.errors, n),
    };
  }

  finish(): RegressionResult {
    try {
      return finishRegression(this.summary());
    } finally {
      this.spill.dispose();
    }
  }
}

/**
 * Everything the regression metrics are a function of: sums over rows of the residual
 * r = y − ŷ, the squared deviations of y and of r from their means (n × population
 * variance), and the median of |r|. The streaming path fills it row by row (Welford); the SQL
 * path from one aggregate query (var_pop, median).
 */
export interface RegressionSummary {
  n: number;
  sumAbs: number;
  sumSquared: number;
  /** Σ |r| / max(|y|, eps). */
  sumPercentage: number;
  maxError: number;
  m2Y: number;
  m2Residual: number;
  medianAbsoluteError: number;
}

/** The metrics of a summary: the one finisher of the streaming and the SQL paths. */
export function finishRegression(summary: RegressionSummary): RegressionResult {
  const { n, sumSquared: sse, m2Y: sst } = summary;
  const mse = sse / n;
  // scikit-learn's force_finite: a constant target gives 1.0 for a perfect fit, else 0.0.
  const r2 = sst === 0 ? (sse === 0 ? 1 : 0) : 1 - sse / sst;
  const explained = sst === 0 ? (summary.m2Residual === 0 ? 1 : 0) : 1 - summary.m2Residual / sst;
  return {
    task: 'regression',
    n,
    metrics: {
      mae: summary.sumAbs / n,
      mse,
      rmse: Math.sqrt(mse),
      r2,
      mape: summary.sumPercentage / n,
      median_ae: summary.medianAbsoluteError,
      max_error: summary.maxError,
      explained_variance: explained,
    },
    notes:
      sst === 0
        ? ['the target is constant: r2 and explained_variance follow scikit-learn (1.0 if perfect, else 0.0)']
        : [],
  };
}

function medianOfEven(errors: SortedRuns, n: number): number {
  const reader = errors.reader();
  let lower = Number.NaN;
  for (let i = 0; i < n / 2; i++) lower = reader.next();
  const upper = reader.next();
  reader.close();
  return (lower + upper) / 2;
}
