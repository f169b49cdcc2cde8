import { calculateJwkThumbprint, importJWK, jwtVerify, SignJWT } from 'jose';
import {
  generateSigningKey,
  KeyFormatError,
  parsePublicKeyDocument,
  parseSigningKey,
  publicJwkOf,
  publishKey,
  retireAllBut,
  retiredKeyLifetimeSeconds,
  serializePublicKeyDocument,
  toJwks,
  type PublicKeyDocument,
  type SigningKeyRecord,
} from '../../../lambdas/keys/key-set';

const T0 = 1_700_000_000;
let first: SigningKeyRecord;
let second: SigningKeyRecord;
let third: SigningKeyRecord;

beforeAll(async () => {
  [first, second, third] = await Promise.all([generateSigningKey(T0), generateSigningKey(T0 + 1), generateSigningKey(T0 + 2)]);
});

const doc = (...keys: PublicKeyDocument['keys']): string => JSON.stringify({ keys });

describe('generateSigningKey', () => {
  it('creates an ES256 P-256 key whose kid is its RFC 7638 thumbprint', async () => {
    const { x, y } = first.privateJwk;
    expect(first.kid).toBe(await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x, y }));
    expect(first.privateJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: first.kid });
    expect(first.privateJwk.d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.createdAt).toBe(T0);
  });

  it('creates a different key every time', () => {
    expect(new Set([first.kid, second.kid, third.kid]).size).toBe(3);
  });

  it('round-trips through its own parser, and its public half verifies what the private half signs', async () => {
    const parsed = parseSigningKey(JSON.stringify(first));
    expect(parsed).toEqual(first);
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).sign(await importJWK({ ...parsed.privateJwk }, 'ES256'));
    await expect(jwtVerify(jwt, await importJWK({ ...publicJwkOf(parsed) }, 'ES256'))).resolves.toBeDefined();
  });
});

describe('publicJwkOf / toJwks', () => {
  it('never carries the private scalar', () => {
    const pub = publicJwkOf(first);
    expect(pub).not.toHaveProperty('d');
    expect(Object.keys(pub).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    const jwks = toJwks({ keys: [{ jwk: pub, publishedAt: T0 }] });
    expect(JSON.stringify(jwks)).not.toContain(first.privateJwk.d);
    expect(jwks).toEqual({ keys: [pub] });
  });
});

describe('parsePublicKeyDocument', () => {
  it('accepts what serializePublicKeyDocument writes', () => {
    const original: PublicKeyDocument = {
      keys: [
        { jwk: publicJwkOf(first), publishedAt: T0, retiredAt: T0 + 10 },
        { jwk: publicJwkOf(second), publishedAt: T0 + 5 },
      ],
    };
    expect(parsePublicKeyDocument(serializePublicKeyDocument(original))).toEqual(original);
    expect(parsePublicKeyDocument('{"keys":[]}')).toEqual({ keys: [] });
  });

  it('refuses a public document that carries private key material', () => {
    expect(() => parsePublicKeyDocument(doc({ jwk: first.privateJwk, publishedAt: T0 }))).toThrow(KeyFormatError);
    expect(() => parsePublicKeyDocument(doc({ jwk: first.privateJwk, publishedAt: T0 }))).toThrow(/private/);
  });

  it.each([
    ['an RSA key', { kty: 'RSA', n: 'AQAB', e: 'AQAB' }],
    ['a P-384 key', { crv: 'P-384' }],
    ['secp256k1', { crv: 'secp256k1' }],
    ['an OKP key', { kty: 'OKP', crv: 'Ed25519' }],
    ['an HS256 alg', { alg: 'HS256' }],
    ['an ES384 alg', { alg: 'ES384' }],
    ['an encryption key', { use: 'enc' }],
    ['a short x', { x: 'AAAA' }],
    ['a y with padding', { y: `${'A'.repeat(42)}=` }],
  ])('refuses %s', (_name, change) => {
    const jwk = { ...publicJwkOf(first), ...change };
    expect(() => parsePublicKeyDocument(doc({ jwk: jwk as never, publishedAt: T0 }))).toThrow(KeyFormatError);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['a number', 7],
    ['not base64url', 'a b'],
    ['with a slash', 'a/b'],
    ['too long', 'k'.repeat(129)],
  ])('refuses a kid that is %s', (_name, kid) => {
    const jwk = { ...publicJwkOf(first), kid };
    expect(() => parsePublicKeyDocument(doc({ jwk: jwk as never, publishedAt: T0 }))).toThrow(/kid/);
  });

  it('refuses a document that names a kid twice', () => {
    const text = doc({ jwk: publicJwkOf(first), publishedAt: T0 }, { jwk: publicJwkOf(first), publishedAt: T0 + 1 });
    expect(() => parsePublicKeyDocument(text)).toThrow(/repeats a kid/);
  });

  it.each([
    ['not JSON', 'not json'],
    ['truncated JSON', '{"keys":['],
    ['null', 'null'],
    ['an array', '[]'],
    ['no keys array', '{"keys":{}}'],
    ['a null entry', '{"keys":[null]}'],
    ['the placeholder a secret starts with', '{"placeholder":true}'],
  ])('refuses %s', (_name, text) => {
    expect(() => parsePublicKeyDocument(text)).toThrow(KeyFormatError);
  });

  it.each([
    ['a string', '1700000000'],
    ['a fraction', 1.5],
    ['negative', -1],
  ])('refuses a publishedAt that is %s', (_name, publishedAt) => {
    expect(() => parsePublicKeyDocument(doc({ jwk: publicJwkOf(first), publishedAt: publishedAt as never }))).toThrow(/publishedAt/);
  });

  it('keeps only the known JWK members', () => {
    const jwk = { ...publicJwkOf(first), x5u: 'https://attacker.example/cert', jku: 'https://attacker.example/jwks' };
    const parsed = parsePublicKeyDocument(doc({ jwk: jwk as never, publishedAt: T0 }));
    expect(parsed.keys[0]?.jwk).toEqual(publicJwkOf(first));
  });
});

describe('parseSigningKey', () => {
  it('refuses a record without a private part', () => {
    expect(() => parseSigningKey(JSON.stringify({ ...first, privateJwk: publicJwkOf(first) }))).toThrow(/private part/);
  });

  it('refuses a record whose kid differs from its JWK', () => {
    expect(() => parseSigningKey(JSON.stringify({ ...first, kid: second.kid }))).toThrow(/kid/);
  });

  it('refuses a malformed private scalar', () => {
    expect(() => parseSigningKey(JSON.stringify({ ...first, privateJwk: { ...first.privateJwk, d: 'short' } }))).toThrow(KeyFormatError);
  });

  it.each(['placeholder', '{"placeholder":"rotate me"}', 'null', '{"kid":"a"}'])('refuses %s', (text) => {
    expect(() => parseSigningKey(text)).toThrow(KeyFormatError);
  });
});

describe('publishKey', () => {
  it('adds a new key with its publication time, leaving the document it was given untouched', () => {
    const empty: PublicKeyDocument = { keys: [] };
    const next = publishKey(empty, publicJwkOf(first), T0);
    expect(next).toEqual({ keys: [{ jwk: publicJwkOf(first), publishedAt: T0 }] });
    expect(empty).toEqual({ keys: [] });
  });

  it('is idempotent: publishing a known kid again changes nothing, not even publishedAt', () => {
    const once = publishKey({ keys: [] }, publicJwkOf(first), T0);
    const twice = publishKey(once, publicJwkOf(first), T0 + 500);
    expect(twice).toBe(once);
    expect(twice.keys).toHaveLength(1);
    expect(twice.keys[0]?.publishedAt).toBe(T0);
  });
});

describe('retireAllBut', () => {
  const KEEP = 1000;

  it('marks every other key retired now and keeps the current key unretired', () => {
    const start: PublicKeyDocument = {
      keys: [
        { jwk: publicJwkOf(first), publishedAt: T0 },
        { jwk: publicJwkOf(second), publishedAt: T0 + 10 },
      ],
    };
    const next = retireAllBut(start, second.kid, T0 + 20, KEEP);
    expect(next.keys).toEqual([
      { jwk: publicJwkOf(first), publishedAt: T0, retiredAt: T0 + 20 },
      { jwk: publicJwkOf(second), publishedAt: T0 + 10 },
    ]);
  });

  it('keeps the original retirement time when run again (a retried finishSecret)', () => {
    const start: PublicKeyDocument = {
      keys: [
        { jwk: publicJwkOf(first), publishedAt: T0, retiredAt: T0 + 20 },
        { jwk: publicJwkOf(second), publishedAt: T0 + 10 },
      ],
    };
    expect(retireAllBut(start, second.kid, T0 + 300, KEEP)).toEqual(start);
  });

  it('un-retires the current key if it was marked retired', () => {
    const start: PublicKeyDocument = { keys: [{ jwk: publicJwkOf(first), publishedAt: T0, retiredAt: T0 + 5 }] };
    expect(retireAllBut(start, first.kid, T0 + 10, KEEP).keys).toEqual([{ jwk: publicJwkOf(first), publishedAt: T0 }]);
  });

  it('prunes only keys retired longer ago than keep, never the current one', () => {
    const now = T0 + 10_000;
    const start: PublicKeyDocument = {
      keys: [
        { jwk: publicJwkOf(first), publishedAt: T0, retiredAt: now - KEEP - 1 }, // expired: every token it signed is dead
        { jwk: publicJwkOf(second), publishedAt: T0, retiredAt: now - KEEP }, // exactly at the boundary: kept
        { jwk: publicJwkOf(third), publishedAt: T0 },
      ],
    };
    const next = retireAllBut(start, third.kid, now, KEEP);
    expect(next.keys.map((k) => k.jwk.kid)).toEqual([second.kid, third.kid]);
    expect(next.keys[0]?.retiredAt).toBe(now - KEEP);
  });

  it('keeps a key that was never retired even if it was published long ago (it is retired now, not pruned)', () => {
    const start: PublicKeyDocument = {
      keys: [
        { jwk: publicJwkOf(first), publishedAt: T0 - 10 * KEEP },
        { jwk: publicJwkOf(second), publishedAt: T0 },
      ],
    };
    const next = retireAllBut(start, second.kid, T0, KEEP);
    expect(next.keys.map((k) => [k.jwk.kid, k.retiredAt])).toEqual([
      [first.kid, T0],
      [second.kid, undefined],
    ]);
  });
});

describe('retiredKeyLifetimeSeconds', () => {
  it('covers the issuer cache, the token lifetime, the clock tolerance and a minute of margin', () => {
    expect(retiredKeyLifetimeSeconds({ accessTokenTtlSeconds: 900, clockToleranceSeconds: 5, signingKeyCacheSeconds: 300 })).toBe(1265);
  });
});
