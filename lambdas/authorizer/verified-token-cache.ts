/**
 * The authorizer's memory of tokens it has already verified, so that a
 * client reusing its token (as clients do, until it expires) costs a map
 * lookup instead of an ECDSA verification.
 *
 * What makes it safe:
 * - keyed by the exact token string: a hit means these very bytes passed
 *   every check before;
 * - successes only: a refusal is never remembered, so it is always judged
 *   afresh (and a flood of bad tokens cannot fill or flush the cache);
 * - an entry never outlives the token's `exp` (the clock tolerance is not
 *   stretched here: a token within its tolerance window is verified again);
 * - `clear()` when a key is withdrawn or replaced (PublicKeyRing's `onChange`), and a
 *   verification that started before the change cannot put its result back
 *   (the generation ticket);
 * - bounded: at most `maxEntries`, the oldest dropped first.
 */

/** The default bound: ~1 KB an entry (a ~450-byte token and its claims), so ~10 MB at most. */
export const VERIFIED_TOKEN_CACHE_MAX_ENTRIES = 10_000;

export interface VerifiedTokenCacheOptions {
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export class VerifiedTokenCache<Claims extends { readonly exp: number }> {
  private readonly entries = new Map<string, Claims>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private generation = 0;

  constructor(options: VerifiedTokenCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? VERIFIED_TOKEN_CACHE_MAX_ENTRIES;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new TypeError('maxEntries must be a positive integer');
    this.now = options.now ?? Date.now;
  }

  /** The claims of a token verified before and not yet expired, or undefined. */
  get(token: string): Claims | undefined {
    const claims = this.entries.get(token);
    if (claims === undefined) return undefined;
    if (this.now() >= claims.exp * 1000) {
      this.entries.delete(token);
      return undefined;
    }
    return claims;
  }

  /** Take a ticket before verifying, hand it to `set`: a result from before a `clear()` is then dropped. */
  ticket(): number {
    return this.generation;
  }

  /** Remembers a successful verification (only call it with claims the verifier returned). */
  set(token: string, claims: Claims, ticket: number): void {
    if (ticket !== this.generation || this.now() >= claims.exp * 1000) return;
    if (!this.entries.has(token) && this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: the first key is the oldest entry, and usually the first to expire.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, claims);
  }

  /** Forgets every entry (the key set changed: a token verified with a key now gone must be checked again). */
  clear(): void {
    this.entries.clear();
    this.generation += 1;
  }

  get size(): number {
    return this.entries.size;
  }
}
