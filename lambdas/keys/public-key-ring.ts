/**
 * The verifiers' in-memory copy of the published keys. Loaded once per cold
 * start, reread when a token names a kid we do not know (at most once per
 * cooldown, one read at a time), and refreshed in the background when old.
 * If a reread fails while keys are known, the known keys stay in use; with
 * no keys at all, verification fails closed with KeySourceError.
 */
import { importJWK } from 'jose';
import { PUBLIC_KEYS_MAX_AGE_SECONDS, PUBLIC_KEYS_REFETCH_COOLDOWN_SECONDS } from '../shared/settings';
import { KeySourceError, type PublicKeySource } from './key-store';
import { SIGNING_ALGORITHM, type PublicKeyDocument } from './key-set';

export interface PublicKeyRingOptions {
  readonly refetchCooldownMs?: number;
  readonly maxAgeMs?: number;
  readonly now?: () => number;
  /** Called whenever the set of kids changes (verified-token caches listen). */
  readonly onChange?: () => void;
}

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

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
    } else if (this.now() - this.loadedAt > this.maxAgeMs && !this.coolingDown()) {
      // Old but usable: refresh without making this request wait (and, if the source is failing, at most once per cooldown).
      void this.refresh().catch(() => undefined);
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
        next.set(jwk.kid, this.keys.get(jwk.kid) ?? (await importJWK({ ...jwk }, SIGNING_ALGORITHM)));
      }
    } catch (error) {
      // Known keys stay trusted; the first load failing leaves loadedAt unset, and callers fail closed.
      if (this.loadedAt === undefined) throw error instanceof KeySourceError ? error : new KeySourceError('public keys unavailable', error);
      return;
    }
    const changed = next.size !== this.keys.size || [...next.keys()].some((kid) => !this.keys.has(kid));
    this.keys = next;
    this.loadedAt = this.now();
    if (changed) this.options.onChange?.();
  }
}
