/**
 * Requests per caller: a token bucket per key (a token's hash, an OIDC subject, or the client
 * address when unauthenticated), in this process's memory. Each replica counts on its own, so
 * N replicas allow N times the rate: a guard against a runaway CI loop, not a quota. (A shared
 * limit would need the database or Redis; not worth it at this scale.)
 */
export interface RateLimitOptions {
  /** Requests a caller may make at once. */
  burst: number;
  /** Requests per second, refilled continuously. */
  perSecond: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 600, perSecond: 300 };

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly options: RateLimitOptions,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** 0 when allowed (and counted), else the seconds until a request would be. */
  take(key: string): number {
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: this.options.burst, at: now };
    bucket.tokens = Math.min(
      this.options.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * this.options.perSecond,
    );
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.sweep(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.options.perSecond));
  }

  /** Forget full buckets: memory stays bounded however many callers come and go. */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets)
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.options.perSecond >= this.options.burst)
        this.buckets.delete(key);
  }
}
