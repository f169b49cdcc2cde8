/**
 * The verified-token cache on its own, with a frozen clock: hits only for
 * the exact token, never at or after exp, bounded, emptied by clear(), and
 * deaf to results from verifications that began before a clear().
 */
import { VERIFIED_TOKEN_CACHE_MAX_ENTRIES, VerifiedTokenCache } from '../../../lambdas/authorizer/verified-token-cache';

const T0 = 1_750_000_000;
let clock: number;
const now = () => clock;
const claims = (exp: number, sub = 's') => ({ sub, exp });

beforeEach(() => {
  clock = T0 * 1000;
});

describe('VerifiedTokenCache', () => {
  it('answers the exact token it was given, and nothing else', () => {
    const cache = new VerifiedTokenCache<{ sub: string; exp: number }>({ now });
    const c = claims(T0 + 900);

    cache.set('a.b.c', c, cache.ticket());

    expect(cache.get('a.b.c')).toBe(c);
    expect(cache.get('a.b.c ')).toBeUndefined();
    expect(cache.get('a.b.C')).toBeUndefined();
  });

  it('never serves a token at or after its exp, and forgets it then', () => {
    const cache = new VerifiedTokenCache<{ sub: string; exp: number }>({ now });
    cache.set('t', claims(T0 + 900), cache.ticket());

    clock = (T0 + 900) * 1000 - 1;
    expect(cache.get('t')).toBeDefined();
    clock = (T0 + 900) * 1000;
    expect(cache.get('t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not store a token that has already expired', () => {
    const cache = new VerifiedTokenCache<{ sub: string; exp: number }>({ now });

    cache.set('t', claims(T0), cache.ticket());

    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries, dropping the oldest first', () => {
    const cache = new VerifiedTokenCache<{ sub: string; exp: number }>({ now, maxEntries: 3 });
    for (const t of ['t1', 't2', 't3', 't4']) cache.set(t, claims(T0 + 900, t), cache.ticket());

    expect(cache.size).toBe(3);
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.get('t4')).toMatchObject({ sub: 't4' });
    // Setting a token already held evicts nothing.
    cache.set('t2', claims(T0 + 900, 't2'), cache.ticket());
    expect([cache.get('t2'), cache.get('t3'), cache.get('t4')].every(Boolean)).toBe(true);
  });

  it('forgets everything on clear()', () => {
    const cache = new VerifiedTokenCache<{ sub: string; exp: number }>({ now });
    cache.set('t', claims(T0 + 900), cache.ticket());

    cache.clear();

    expect(cache.get('t')).toBeUndefined();
  });

  it('drops a result whose verification began before a clear() (the key set changed meanwhile)', () => {
    const cache = new VerifiedTokenCache<{ sub: string; exp: number }>({ now });
    const ticket = cache.ticket();

    cache.clear();
    cache.set('t', claims(T0 + 900), ticket);

    expect(cache.get('t')).toBeUndefined();
    cache.set('t', claims(T0 + 900), cache.ticket());
    expect(cache.get('t')).toBeDefined();
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new VerifiedTokenCache({ maxEntries: 0 })).toThrow(TypeError);
    expect(() => new VerifiedTokenCache({ maxEntries: -1 })).toThrow(TypeError);
    expect(() => new VerifiedTokenCache({ maxEntries: 1.5 })).toThrow(TypeError);
    expect(() => new VerifiedTokenCache({ maxEntries: Number.NaN })).toThrow(TypeError);
  });

  it('works with a bound of one: it holds the latest token', () => {
    const cache = new VerifiedTokenCache<{ sub: string; exp: number }>({ now, maxEntries: 1 });
    cache.set('t1', claims(T0 + 900, 't1'), cache.ticket());
    cache.set('t2', claims(T0 + 900, 't2'), cache.ticket());

    expect([cache.size, cache.get('t1'), cache.get('t2')?.sub]).toEqual([1, undefined, 't2']);
  });

  it(`holds ${VERIFIED_TOKEN_CACHE_MAX_ENTRIES} tokens by default (about 10 MB), no more`, () => {
    const cache = new VerifiedTokenCache<{ sub: string; exp: number }>({ now });
    for (let i = 0; i <= VERIFIED_TOKEN_CACHE_MAX_ENTRIES; i++) cache.set(`t${i}`, claims(T0 + 900), cache.ticket());

    expect(cache.size).toBe(VERIFIED_TOKEN_CACHE_MAX_ENTRIES);
    expect(cache.get('t0')).toBeUndefined();
    expect(cache.get(`t${VERIFIED_TOKEN_CACHE_MAX_ENTRIES}`)).toBeDefined();
  });

  it('reads the clock it is given, not the wall clock', () => {
    // Frozen long after the wall clock: a token valid by the wall clock is already expired here.
    const wall = Math.floor(Date.now() / 1000);
    const late = new VerifiedTokenCache<{ sub: string; exp: number }>({ now: () => (wall + 3600) * 1000 });
    late.set('t', claims(wall + 900), late.ticket());
    expect(late.size).toBe(0);
  });

  it('uses the wall clock when given none', () => {
    const wall = Math.floor(Date.now() / 1000);
    const cache = new VerifiedTokenCache<{ sub: string; exp: number }>();
    cache.set('fresh', claims(wall + 900), cache.ticket());
    cache.set('stale', claims(wall - 1), cache.ticket());
    expect([cache.get('fresh')?.sub, cache.get('stale')]).toEqual(['s', undefined]);
  });

  it('counts every clear(): a ticket from before any of several clears is refused', () => {
    const cache = new VerifiedTokenCache<{ sub: string; exp: number }>({ now });
    cache.clear();
    const ticket = cache.ticket();
    cache.clear();

    cache.set('t', claims(T0 + 900), ticket);

    expect(cache.size).toBe(0);
  });
});
