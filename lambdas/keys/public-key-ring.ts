/**
 * The verifiers' in-memory copy of the published keys. Loaded once per cold
 * start, reread when a token names a kid we do not know (at most once per
 * cooldown, one read at a time), and refreshed in the background when old.
 * If a reread fails while keys are known, the known keys stay in use; with
 * no keys at all, verification fails closed with KeySourceError.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { PUBLIC_KEYS_MAX_AGE_SECONDS, PUBLIC_KEYS_REFETCH_COOLDOWN_SECONDS } from '../contract/settings';
import { KeySourceError, type PublicKeySource } from './key-store';
import type { PublicJwk, PublicKeyDocument } from './key-set';

export interface PublicKeyRingOptions {
  readonly refetchCooldownMs?: number;
  readonly maxAgeMs?: number;
  readonly now?: () => number;
  /** Called when a key is withdrawn or replaced: what it verified may no longer verify (verified-token caches listen). */
  readonly onChange?: () => void;
}

/** A node:crypto public key: verifying with it is one synchronous OpenSSL call, no WebCrypto promise. */
type VerifyKey = KeyObject;

export class PublicKeyRing {
  private keys = new Map<string, VerifyKey>();
  private loadedAt: number | undefined;
  private lastAttemptAt: number | undefined;
  private inflight: Promise<void> | undefined;
  private readonly cooldownMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: PublicKeySource,
    private readonly options: PublicKeyRingOptions = {},
  ) {
    this.cooldownMs = options.refetchCooldownMs ?? PUBLIC_KEYS_REFETCH_COOLDOWN_SECONDS * 1000;
    this.maxAgeMs = options.maxAgeMs ?? PUBLIC_KEYS_MAX_AGE_SECONDS * 1000;
    this.now = options.now ?? Date.now;
  }

  /** Loads the keys now (cold start warm-up). Throws KeySourceError if none can be loaded. */
  hydrate(): Promise<void> {
    return this.refresh();
  }

  /** The key for `kid`, or undefined if the stack has no such key. */
  async get(kid: string): Promise<VerifyKey | undefined> {
    if (this.loadedAt === undefined) {
      await this.refresh();
      if (this.loadedAt === undefined) throw new KeySourceError('public keys unavailable');
    } else {
      this.refreshIfStale();
    }
    const known = this.keys.get(kid);
    if (known) return known;
    // A read is already under way (another unknown kid, or the background refresh): its result may hold this kid.
    if (this.inflight) {
      await this.inflight.catch(() => undefined);
      return this.keys.get(kid);
    }
    if (this.coolingDown()) return undefined;
    await this.refresh();
    return this.keys.get(kid);
  }

  /**
   * Old but usable keys: refresh in the background, without making anyone
   * wait (and, if the source is failing, at most once per cooldown). Cheap
   * enough for every request: callers that answer from a cache of verified
   * tokens call it so that a key set change is still noticed in time.
   */
  refreshIfStale(): void {
    if (this.loadedAt !== undefined && this.now() - this.loadedAt > this.maxAgeMs && !this.inflight && !this.coolingDown()) {
      void this.refresh().catch(() => undefined);
    }
  }

  private coolingDown(): boolean {
    return this.lastAttemptAt !== undefined && this.now() - this.lastAttemptAt < this.cooldownMs;
  }

  /** Kids currently trusted (for tests and diagnostics). */
  kids(): string[] {
    return [...this.keys.keys()];
  }

  private refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async load(): Promise<void> {
    this.lastAttemptAt = this.now();
    const next = new Map<string, VerifyKey>();
    try {
      const doc: PublicKeyDocument = await this.source.loadPublicKeys();
      // A key that does not import (not a point on the curve) makes the document unusable, like a parse error.
      for (const { jwk } of doc.keys) {
        next.set(jwk.kid, this.keys.get(jwk.kid) ?? importKey(jwk));
      }
    } catch (error) {
      // Known keys stay trusted; the first load failing leaves loadedAt unset, and callers fail closed.
      if (this.loadedAt === undefined) throw error instanceof KeySourceError ? error : new KeySourceError('public keys unavailable', error);
      return;
    }
    // Only a withdrawn or replaced key can undo an earlier verification; an added key (and so the
    // first load) undoes none, and clearing then would drop the first token of every cold start.
    const withdrawn = [...this.keys].some(([kid, key]) => !next.get(kid)?.equals(key));
    this.keys = next;
    this.loadedAt = this.now();
    if (withdrawn) this.options.onChange?.();
  }
}

/**
 * A published JWK as a verification key. The key set parser has already
 * refused anything but EC P-256 for ES256; this checks the key OpenSSL
 * built, too (a point not on the curve does not import at all).
 */
function importKey(jwk: PublicJwk): VerifyKey {
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' });
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not a P-256 key');
  return key;
}
