/**
 * What `GET /.well-known/jwks.json` serves, and for how long it may be
 * cached: the published key set, reread at most every
 * JWKS_HANDLER_CACHE_SECONDS, with `Cache-Control: max-age` of
 * JWKS_MAX_AGE_SECONDS. Together they bound how old a key set a verifier
 * outside the stack can hold, which is what KEY_PUBLISH_LEAD_SECONDS covers.
 */
import { JWKS_HANDLER_CACHE_SECONDS, JWKS_MAX_AGE_SECONDS } from '../contract/settings';
import { toJwks, type PublicJwk, type PublicKeyDocument } from './key-set';
import type { PublicKeySource } from './key-store';

export const JWKS_CACHE_CONTROL = `public, max-age=${JWKS_MAX_AGE_SECONDS}`;

export interface PublishedJwks {
  readonly jwks: { keys: PublicJwk[] };
  readonly cacheControl: string;
}

export class JwksPublisher {
  private cached: { doc: PublicKeyDocument; at: number } | undefined;

  constructor(
    private readonly source: PublicKeySource,
    private readonly now: () => number = Date.now,
  ) {}

  async current(): Promise<PublishedJwks> {
    return { jwks: toJwks(await this.publicKeys()), cacheControl: JWKS_CACHE_CONTROL };
  }

  private async publicKeys(): Promise<PublicKeyDocument> {
    const cached = this.cached;
    if (cached && this.now() - cached.at < JWKS_HANDLER_CACHE_SECONDS * 1000) return cached.doc;
    try {
      this.cached = { doc: await this.source.loadPublicKeys(), at: this.now() };
    } catch (error) {
      // A stale set beats an outage: keys are published long before they sign and kept long after.
      if (!cached) throw error;
    }
    return this.cached!.doc;
  }
}
