/**
 * The local stand-in for the stack's WAF rate rule (lib/constructs/wristband-waf.ts):
 * per source IP, the requests to the abuse-limited routes in the trailing
 * window; past the limit, the same 429 too_many_requests with CORS and
 * Retry-After. Like WAF's rate, the count includes the requests it refused,
 * so a client that keeps hammering stays refused until it slows down.
 *
 * Off unless AUTH_RATE_LIMIT is set: the tests, `npm run timing` and the
 * benchmarks log in many times from one address.
 */
import { abuseLimitedRoutes, type Route } from '../lambdas/contract/routes';
import { AUTH_RATE_LIMIT, AUTH_RATE_LIMIT_WINDOW, authRateLimitProblems } from '../lambdas/contract/settings';

export interface RateLimitOptions {
  readonly limit: number;
  readonly windowSeconds: number;
  readonly now?: () => number;
}

/** Sources tracked before idle ones are swept (a local stack sees few). */
const SWEEP_AT = 10_000;

export class LocalRateLimiter {
  readonly limit: number;
  readonly windowSeconds: number;
  private readonly now: () => number;
  private readonly limited = new Set<Route>(abuseLimitedRoutes());
  /** Per source: request counts per second, oldest first. */
  private readonly hits = new Map<string, Map<number, number>>();

  constructor(options: RateLimitOptions) {
    this.limit = options.limit;
    this.windowSeconds = options.windowSeconds;
    this.now = options.now ?? Date.now;
  }

  /** Counts a request from `source` to `route`; false when the source is over the limit (answer 429). */
  admit(source: string, route: Route): boolean {
    if (!this.limited.has(route)) return true;
    const second = Math.floor(this.now() / 1000);
    if (this.hits.size >= SWEEP_AT) this.sweep(second);
    let buckets = this.hits.get(source);
    if (!buckets) this.hits.set(source, (buckets = new Map()));
    let count = 0;
    for (const [at, n] of buckets) {
      if (at <= second - this.windowSeconds) buckets.delete(at);
      else count += n;
    }
    buckets.set(second, (buckets.get(second) ?? 0) + 1);
    return count < this.limit;
  }

  private sweep(second: number): void {
    for (const [source, buckets] of this.hits) {
      if ([...buckets.keys()].every((at) => at <= second - this.windowSeconds)) this.hits.delete(source);
    }
  }
}

/** The limiter AUTH_RATE_LIMIT and AUTH_RATE_LIMIT_WINDOW_SECONDS ask for, or undefined (unset or 0: off). Throws on a value WAF would refuse. */
export function rateLimiterFromEnv(env: Readonly<Record<string, string | undefined>>): LocalRateLimiter | undefined {
  const rawLimit = env[AUTH_RATE_LIMIT.env]?.trim();
  if (!rawLimit) return undefined;
  const rawWindow = env[AUTH_RATE_LIMIT_WINDOW.env]?.trim();
  const limit = /^\d{1,10}$/.test(rawLimit) ? Number(rawLimit) : Number.NaN;
  const windowSeconds = !rawWindow ? AUTH_RATE_LIMIT_WINDOW.default : /^\d{1,4}$/.test(rawWindow) ? Number(rawWindow) : Number.NaN;
  const problems = authRateLimitProblems(limit, windowSeconds);
  if (problems.length > 0) {
    const given = `${AUTH_RATE_LIMIT.env}=${JSON.stringify(rawLimit)}, ${AUTH_RATE_LIMIT_WINDOW.env}=${JSON.stringify(rawWindow ?? '')}`;
    throw new Error(`${given}: ${problems.join('; ')}`);
  }
  return limit === AUTH_RATE_LIMIT.off ? undefined : new LocalRateLimiter({ limit, windowSeconds });
}
