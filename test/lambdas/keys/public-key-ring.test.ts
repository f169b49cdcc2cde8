/**
 * The verifiers' key cache, with a fake source that counts reads and a
 * frozen clock: no fetch storms, no waiting on the network when the keys
 * are known, and failing closed only when no key was ever loaded.
 */
import { generateSigningKey, publicJwkOf, type PublicKeyDocument, type SigningKeyRecord } from '../../../lambdas/keys/key-set';
import { KeySourceError, type PublicKeySource } from '../../../lambdas/keys/key-store';
import { PublicKeyRing } from '../../../lambdas/keys/public-key-ring';

const COOLDOWN_MS = 10_000;
const MAX_AGE_MS = 600_000;

class FakeSource implements PublicKeySource {
  loads = 0;
  keys: SigningKeyRecord[] = [];
  failWith: Error | undefined;
  /** When set, loads wait for release() (to hold a load in flight). */
  private held: { promise: Promise<void>; release: () => void } | undefined;

  loadPublicKeys = async (): Promise<PublicKeyDocument> => {
    this.loads += 1;
    const snapshot = { keys: this.keys.map((k) => ({ jwk: publicJwkOf(k), publishedAt: k.createdAt })) };
    const failure = this.failWith;
    if (this.held) await this.held.promise;
    if (failure) throw failure;
    return snapshot;
  };

  hold(): void {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.held = { promise, release };
  }

  release(): void {
    this.held?.release();
    this.held = undefined;
  }
}

/** Lets pending promise callbacks (a background refresh) run to completion. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

let a: SigningKeyRecord;
let b: SigningKeyRecord;
let c: SigningKeyRecord;

beforeAll(async () => {
  [a, b, c] = await Promise.all([generateSigningKey(1), generateSigningKey(2), generateSigningKey(3)]);
});

let source: FakeSource;
let clock: number;
let changes: number;
let ring: PublicKeyRing;

beforeEach(() => {
  source = new FakeSource();
  source.keys = [a];
  clock = 1_000_000;
  changes = 0;
  ring = new PublicKeyRing(source, {
    refetchCooldownMs: COOLDOWN_MS,
    maxAgeMs: MAX_AGE_MS,
    now: () => clock,
    onChange: () => {
      changes += 1;
    },
  });
});

describe('PublicKeyRing', () => {
  it('hydrate loads the keys once; known kids are then served without another read', async () => {
    await ring.hydrate();

    const first = await ring.get(a.kid);
    clock += 1000;
    const second = await ring.get(a.kid);

    expect(first).toBeDefined();
    expect(second).toBe(first);
    expect(source.loads).toBe(1);
    expect(ring.kids()).toEqual([a.kid]);
  });

  it('loads lazily on first use, and concurrent first uses share one read', async () => {
    const keys = await Promise.all(Array.from({ length: 20 }, () => ring.get(a.kid)));

    expect(keys.every((k) => k !== undefined && k === keys[0])).toBe(true);
    expect(source.loads).toBe(1);
  });

  it('shares one in-flight read between hydrate and requests', async () => {
    source.hold();
    const hydrating = ring.hydrate();
    const lookups = [ring.get(a.kid), ring.get(b.kid), ring.get(a.kid)];
    source.release();

    await hydrating;
    const [ka, kb, ka2] = await Promise.all(lookups);

    expect(ka).toBeDefined();
    expect(ka2).toBe(ka);
    expect(kb).toBeUndefined();
    expect(source.loads).toBe(1);
  });

  it('rereads once for an unknown kid and finds a key published since', async () => {
    await ring.hydrate();
    source.keys = [a, b];
    clock += COOLDOWN_MS;

    const key = await ring.get(b.kid);

    expect(key).toBeDefined();
    expect(source.loads).toBe(2);
    expect(ring.kids().sort()).toEqual([a.kid, b.kid].sort());
  });

  it('does not reread for an unknown kid within the cooldown', async () => {
    await ring.hydrate();
    source.keys = [a, b];
    clock += COOLDOWN_MS - 1;

    expect(await ring.get(b.kid)).toBeUndefined();
    expect(source.loads).toBe(1);

    clock += 1;
    expect(await ring.get(b.kid)).toBeDefined();
    expect(source.loads).toBe(2);
  });

  it('makes one read for 100 concurrent lookups of unknown kids, and all of them see its result', async () => {
    // Prepare: a new key was published after the cold start.
    await ring.hydrate();
    source.keys = [a, b];
    clock += COOLDOWN_MS;

    // Act
    const found = await Promise.all(Array.from({ length: 100 }, () => ring.get(b.kid)));

    // Assess: one read, and no request refused a key that the read brought.
    expect(source.loads).toBe(2);
    expect(found.filter((k) => k === undefined)).toHaveLength(0);
  });

  it('makes one read per cooldown for a flood of garbage kids', async () => {
    await ring.hydrate();
    clock += COOLDOWN_MS;

    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => ring.get(`forged-${i}`)));
    expect(results.every((k) => k === undefined)).toBe(true);
    expect(source.loads).toBe(2);

    clock += COOLDOWN_MS - 1;
    await Promise.all(Array.from({ length: 100 }, (_, i) => ring.get(`forged-again-${i}`)));
    expect(source.loads).toBe(2);

    clock += 1;
    await ring.get('forged-later');
    expect(source.loads).toBe(3);
  });

  it('refreshes in the background when the keys are older than max age, without making the request wait', async () => {
    // Prepare
    await ring.hydrate();
    const oldKey = await ring.get(a.kid);
    source.keys = [b];
    clock += MAX_AGE_MS + 1;
    source.hold();

    // Act: the read is held in flight, yet the known key is served at once.
    const served = await ring.get(a.kid);
    expect(served).toBe(oldKey);
    expect(source.loads).toBe(2);
    source.release();
    await settle();

    // Assess: the refreshed set is in use (a removed key is gone, a new one is there) with no further read.
    expect(ring.kids()).toEqual([b.kid]);
    expect(await ring.get(a.kid)).toBeUndefined();
    expect(source.loads).toBe(2);
  });

  it('keeps the known keys when a reread fails', async () => {
    // Prepare
    await ring.hydrate();
    source.failWith = new Error('SSM is down');
    clock += MAX_AGE_MS + 1;

    // Act
    const known = await ring.get(a.kid);
    await settle();
    clock += COOLDOWN_MS;
    const unknown = await ring.get(b.kid);

    // Assess
    expect(known).toBeDefined();
    expect(unknown).toBeUndefined();
    expect(await ring.get(a.kid)).toBe(known);
    expect(ring.kids()).toEqual([a.kid]);
    expect(source.loads).toBe(3);
  });

  it('does not hammer a failing source: old keys and a failing reread still mean one read per cooldown', async () => {
    await ring.hydrate();
    source.failWith = new Error('ThrottlingException');
    clock += MAX_AGE_MS + 1;

    for (let i = 0; i < 10; i++) {
      expect(await ring.get(a.kid)).toBeDefined();
      await settle();
    }
    expect(source.loads).toBe(2);

    clock += COOLDOWN_MS;
    await ring.get(a.kid);
    await settle();
    expect(source.loads).toBe(3);
  });

  it('fails closed with KeySourceError when the first load fails, and recovers when the source does', async () => {
    // Prepare
    source.failWith = new Error('connect ECONNREFUSED');

    // Act
    const hydrateError = await ring.hydrate().catch((e: unknown) => e);
    const getError = await ring.get(a.kid).catch((e: unknown) => e);

    // Assess
    expect(hydrateError).toBeInstanceOf(KeySourceError);
    expect(getError).toBeInstanceOf(KeySourceError);
    expect(getError).toMatchObject({ code: 'service_unavailable' });

    source.failWith = undefined;
    expect(await ring.get(a.kid)).toBeDefined();
  });

  it('passes a KeySourceError from the source through unchanged', async () => {
    const original = new KeySourceError('public keys: ParameterNotFound');
    source.failWith = original;

    await expect(ring.get(a.kid)).rejects.toBe(original);
  });

  it('fails closed when the first document holds a key that cannot be imported', async () => {
    const broken = new PublicKeyRing({
      loadPublicKeys: async () => ({ keys: [{ jwk: { ...publicJwkOf(a), x: 'A'.repeat(43), y: 'A'.repeat(43) }, publishedAt: 1 }] }),
    });

    await expect(broken.get(a.kid)).rejects.toBeInstanceOf(KeySourceError);
  });

  it('keeps the known keys when a reread brings a key that cannot be imported', async () => {
    let doc: PublicKeyDocument = { keys: [{ jwk: publicJwkOf(a), publishedAt: 1 }] };
    let now = 0;
    const r = new PublicKeyRing({ loadPublicKeys: async () => doc }, { refetchCooldownMs: COOLDOWN_MS, now: () => now });
    await r.hydrate();
    doc = { keys: [...doc.keys, { jwk: { ...publicJwkOf(b), x: 'A'.repeat(43), y: 'A'.repeat(43) }, publishedAt: 2 }] };
    now += COOLDOWN_MS;

    // An unknown kid is a bad token (401), not an outage (503); the known key still works.
    await expect(r.get(b.kid)).resolves.toBeUndefined();
    await expect(r.get(a.kid)).resolves.toBeDefined();
  });

  it('calls onChange when a key is withdrawn, and not when keys are only added or reread', async () => {
    await ring.hydrate();
    expect(changes).toBe(0);

    clock += MAX_AGE_MS + 1;
    await ring.get(a.kid);
    await settle();
    expect(source.loads).toBe(2);
    expect(changes).toBe(0);

    source.keys = [a, c];
    clock += COOLDOWN_MS;
    await ring.get(c.kid);
    expect(changes).toBe(0);

    source.keys = [c];
    clock += COOLDOWN_MS;
    await ring.get('unknown');
    expect(changes).toBe(1);
    expect(ring.kids()).toEqual([c.kid]);
  });

  it('trusts an empty published set (before the first rotation) without throwing', async () => {
    source.keys = [];

    await expect(ring.get(a.kid)).resolves.toBeUndefined();
    expect(changes).toBe(0);
  });
});
