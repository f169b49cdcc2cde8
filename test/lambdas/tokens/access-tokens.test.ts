/**
 * Access tokens end to end with real jose and real keys (ensureLocalKeys),
 * and the hostile tokens of RFC 8725: every refusal is an InvalidTokenError
 * with code `invalid_token` and a reason for the logs; a key store that
 * cannot be read is a KeySourceError (503), never a 401.
 */
import { createECDH, createHash, createHmac, createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { generateSigningKey, publicJwkOf, publishKey, type SigningKeyRecord } from '../../../lambdas/keys/key-set';
import { FileKeyStore, KeySourceError, type SigningKeySource } from '../../../lambdas/keys/key-store';
import { ensureLocalKeys } from '../../../lambdas/keys/local-keys';
import { PublicKeyRing } from '../../../lambdas/keys/public-key-ring';
import type { TokenConfig } from '../../../lambdas/contract/config';
import { InvalidTokenError } from '../../../lambdas/contract/errors';
import { LIMITS } from '../../../lambdas/contract/settings';
import { AccessTokenIssuer, AccessTokenVerifier, hasDuplicateMembers, isCanonicalBase64Url, lowSSignature } from '../../../lambdas/tokens/access-tokens';

const CONFIG: TokenConfig = {
  issuer: 'https://wristband.test',
  audience: 'wristband-api',
  accessTokenTtlSeconds: 900,
  refreshTokenTtlSeconds: 3600,
  clockToleranceSeconds: 5,
};
const T0_MS = 1_750_000_000_000;
const T0 = T0_MS / 1000;

let root: string;
let dir: string;
let key: SigningKeyRecord;
let privateKey: KeyObject;
let clock: number;
const now = () => clock;
let verifier: AccessTokenVerifier;
let issuer: AccessTokenIssuer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'wristband-tokens-'));
  dir = join(root, 'keys');
  key = await ensureLocalKeys(dir, T0 - 3600);
  privateKey = createPrivateKey({ key: { ...key.privateJwk }, format: 'jwk' });
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  clock = T0_MS;
  const store = new FileKeyStore(dir);
  verifier = new AccessTokenVerifier(new PublicKeyRing(store, { now }), CONFIG, now);
  issuer = new AccessTokenIssuer(store, CONFIG, 300, now);
});

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** A token from raw header and payload JSON text, signed with ES256 (low-S, as the issuer signs) by `signer` (our key by default). */
function rawToken(headerJson: string, payloadJson: string, signer: KeyObject = privateKey): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  const signature = lowSSignature(cryptoSign('sha256', Buffer.from(input), { key: signer, dsaEncoding: 'ieee-p1363' }));
  return `${input}.${signature.toString('base64url')}`;
}

const goodClaims = (overrides: Record<string, unknown> = {}) => ({
  iss: CONFIG.issuer,
  aud: CONFIG.audience,
  sub: 'user-123',
  role: 'user',
  iat: T0,
  exp: T0 + 900,
  jti: 'jti-1',
  ...overrides,
});
const goodHeader = (overrides: Record<string, unknown> = {}) => ({ alg: 'ES256', typ: 'at+jwt', kid: key.kid, ...overrides });
const token = (header: Record<string, unknown> = {}, claims: Record<string, unknown> = {}) => rawToken(JSON.stringify(goodHeader(header)), JSON.stringify(goodClaims(claims)));

async function refusal(t: string): Promise<InvalidTokenError> {
  const error = await verifier.verify(t).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  expect(error).toMatchObject({ code: 'invalid_token', status: 401 });
  return error as InvalidTokenError;
}

describe('AccessTokenIssuer and AccessTokenVerifier', () => {
  it('round-trips: the verifier returns the claims the issuer signed', async () => {
    // Act
    const issued = await issuer.issue({ sub: 'user-42', role: 'admin', amr: ['pwd', 'otp'] });
    const claims = await verifier.verify(issued.accessToken);

    // Assess
    expect(issued.expiresIn).toBe(900);
    expect(claims).toEqual({ sub: 'user-42', role: 'admin', amr: ['pwd', 'otp'], jti: expect.any(String), iat: T0, exp: T0 + 900, iss: CONFIG.issuer, aud: CONFIG.audience });
    expect(decodeProtectedHeader(issued.accessToken)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: key.kid });
  });

  it('issues tokens that any JOSE library verifies with the published JWK', async () => {
    const { accessToken } = await issuer.issue({ sub: 'user-1', role: 'user' });
    const jwk = (await new FileKeyStore(dir).loadPublicKeys()).keys[0]!.jwk;

    const { payload } = await jwtVerify(accessToken, await importJWK({ ...jwk }, 'ES256'), { currentDate: new Date(clock) });

    expect(payload.sub).toBe('user-1');
  });

  it('gives every token its own jti', async () => {
    const tokens = await Promise.all([1, 2, 3].map(() => issuer.issue({ sub: 'u', role: 'user' })));
    const jtis = await Promise.all(tokens.map(async (t) => (await verifier.verify(t.accessToken)).jti));
    expect(new Set(jtis).size).toBe(3);
  });

  it('accepts the full media type application/at+jwt (RFC 9068)', async () => {
    await expect(verifier.verify(token({ typ: 'application/at+jwt' }))).resolves.toMatchObject({ sub: 'user-123' });
  });
});

describe('AccessTokenIssuer key cache', () => {
  class CountingSource implements SigningKeySource {
    loads = 0;
    constructor(private readonly inner: SigningKeySource) {}
    loadSigningKey() {
      this.loads += 1;
      return this.inner.loadSigningKey();
    }
  }

  it('reads the signing key once for many concurrent and later tokens within cacheSeconds', async () => {
    const source = new CountingSource(new FileKeyStore(dir));
    const cached = new AccessTokenIssuer(source, CONFIG, 300, now);

    await Promise.all(Array.from({ length: 20 }, () => cached.issue({ sub: 'u', role: 'user' })));
    clock += 299_000;
    await cached.issue({ sub: 'u', role: 'user' });

    expect(source.loads).toBe(1);
  });

  it('picks up a rotated key after cacheSeconds, and the verifier accepts tokens from both keys', async () => {
    // Prepare: a copy of the key directory, so the rotation does not touch the shared one.
    const rotDir = join(root, 'rotating');
    const first = await ensureLocalKeys(rotDir, T0 - 60);
    const store = new FileKeyStore(rotDir);
    const source = new CountingSource(store);
    const cached = new AccessTokenIssuer(source, CONFIG, 300, now);
    const ringVerifier = new AccessTokenVerifier(new PublicKeyRing(store, { now }), CONFIG, now);
    const before = await cached.issue({ sub: 'u', role: 'user' });

    // Act: rotate the way finishSecret does (publish first, then make current).
    const second = await generateSigningKey(T0);
    await store.writePublicKeys(publishKey(await store.loadPublicKeys(), publicJwkOf(second), T0));
    await store.writeSigningKey(second);
    clock += 299_000;
    const stillCached = await cached.issue({ sub: 'u', role: 'user' });
    clock += 1_000;
    const after = await cached.issue({ sub: 'u', role: 'user' });

    // Assess
    expect(decodeProtectedHeader(before.accessToken).kid).toBe(first.kid);
    expect(decodeProtectedHeader(stillCached.accessToken).kid).toBe(first.kid);
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(second.kid);
    expect(source.loads).toBe(2);
    await expect(ringVerifier.verify(before.accessToken)).resolves.toBeDefined();
    await expect(ringVerifier.verify(after.accessToken)).resolves.toBeDefined();
  });

  it('fails with KeySourceError when the signing key cannot be read', async () => {
    const broken = new AccessTokenIssuer(new FileKeyStore(join(root, 'missing')), CONFIG, 300, now);

    await expect(broken.issue({ sub: 'u', role: 'user' })).rejects.toBeInstanceOf(KeySourceError);
  });
});

describe('AccessTokenVerifier refuses hostile tokens', () => {
  it.each(['none', 'None', 'NONE', 'nOnE'])('alg %s with an empty signature', async (alg) => {
    const unsigned = `${b64(JSON.stringify(goodHeader({ alg })))}.${b64(JSON.stringify(goodClaims()))}.`;
    expect((await refusal(unsigned)).reason).toBe('alg_not_allowed');
  });

  it('alg none carrying a signature-shaped third part', async () => {
    const t = token({ alg: 'none' });
    expect((await refusal(t)).reason).toBe('alg_not_allowed');
  });

  it('HS256 signed with the public key as the HMAC secret (algorithm confusion)', async () => {
    const publicJwkText = JSON.stringify(publicJwkOf(key));
    const publicPem = createPrivateKey({ key: { ...key.privateJwk }, format: 'jwk' }).export({ format: 'pem', type: 'pkcs8' });
    for (const secret of [publicJwkText, String(publicPem), key.privateJwk.x]) {
      const input = `${b64(JSON.stringify(goodHeader({ alg: 'HS256' })))}.${b64(JSON.stringify(goodClaims()))}`;
      const t = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
      expect((await refusal(t)).reason).toBe('alg_not_allowed');
    }
  });

  it.each(['HS512', 'RS256', 'PS256', 'ES384', 'ES256K', 'EdDSA'])('alg %s even with a valid ES256 signature', async (alg) => {
    expect((await refusal(token({ alg }))).reason).toBe('alg_not_allowed');
  });

  it.each([
    ['JWT', 'JWT'],
    ['jwt lower case', 'jwt'],
    ['application/jwt', 'application/jwt'],
    ['a number', 1],
  ])('typ %s', async (_name, typ) => {
    expect((await refusal(token({ typ }))).reason).toBe('typ_not_allowed');
  });

  it('a missing typ', async () => {
    const t = rawToken(JSON.stringify({ alg: 'ES256', kid: key.kid }), JSON.stringify(goodClaims()));
    expect((await refusal(t)).reason).toBe('typ_not_allowed');
  });

  it('an unknown kid', async () => {
    expect((await refusal(token({ kid: 'not-our-key' }))).reason).toBe('unknown_kid');
  });

  it.each([
    ['empty', ''],
    ['a number', 7],
    ['null', null],
  ])('a kid that is %s', async (_name, kid) => {
    expect((await refusal(token({ kid }))).reason).toBe('no_kid');
  });

  it('a missing kid', async () => {
    const t = rawToken(JSON.stringify({ alg: 'ES256', typ: 'at+jwt' }), JSON.stringify(goodClaims()));
    expect((await refusal(t)).reason).toBe('no_kid');
  });

  it.each([
    ['jku', 'https://attacker.example/jwks.json'],
    ['jwk', { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }],
    ['x5u', 'https://attacker.example/cert.pem'],
    ['x5c', ['MIIB']],
    ['crit', ['exp']],
    ['b64', false],
    ['cty', 'JWT'],
  ])('a %s header member, even with a valid signature', async (member, value) => {
    expect((await refusal(token({ [member]: value }))).reason).toBe('header_member_not_allowed');
  });

  it('a jwk header carrying the attacker’s own key, signed with it', async () => {
    const attacker = await generateSigningKey(T0);
    const attackerKey = createPrivateKey({ key: { ...attacker.privateJwk }, format: 'jwk' });
    const t = rawToken(JSON.stringify(goodHeader({ kid: attacker.kid, jwk: publicJwkOf(attacker) })), JSON.stringify(goodClaims({ role: 'admin' })), attackerKey);
    expect((await refusal(t)).reason).toBe('header_member_not_allowed');
  });

  it('a tampered payload (role raised to admin)', async () => {
    const [h, , s] = token().split('.');
    const forged = `${h}.${b64(JSON.stringify(goodClaims({ role: 'admin' })))}.${s}`;
    expect((await refusal(forged)).reason).toBe('bad_signature');
  });

  it('a tampered header (kid swapped after signing)', async () => {
    const other = await generateSigningKey(T0);
    const rotDir = join(root, 'two-keys');
    await ensureLocalKeys(rotDir, T0);
    const store = new FileKeyStore(rotDir);
    await store.writePublicKeys(publishKey(await store.loadPublicKeys(), publicJwkOf(other), T0));
    const twoKeyVerifier = new AccessTokenVerifier(new PublicKeyRing(store, { now }), CONFIG, now);
    const signed = await new AccessTokenIssuer(store, CONFIG, 300, now).issue({ sub: 'u', role: 'user' });
    const [, p, s] = signed.accessToken.split('.');
    const swapped = `${b64(JSON.stringify(goodHeader({ kid: other.kid })))}.${p}.${s}`;

    await expect(twoKeyVerifier.verify(swapped)).rejects.toMatchObject({ code: 'invalid_token', reason: 'bad_signature' });
  });

  it('a signature from another P-256 key under our kid', async () => {
    const other = await generateSigningKey(T0);
    const t = rawToken(JSON.stringify(goodHeader()), JSON.stringify(goodClaims()), createPrivateKey({ key: { ...other.privateJwk }, format: 'jwk' }));
    expect((await refusal(t)).reason).toBe('bad_signature');
  });

  it('the ECDSA zero signature (r = s = 0)', async () => {
    const [h, p] = token().split('.');
    const zero = `${h}.${p}.${Buffer.alloc(64).toString('base64url')}`;
    expect((await refusal(zero)).reason).toBe('bad_signature');
  });

  it('r = s = n (the curve order, which reduces to zero)', async () => {
    const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
    const [h, p] = token().split('.');
    // s = n is above n / 2: refused as high-S before any key is looked up.
    expect((await refusal(`${h}.${p}.${Buffer.concat([n, n]).toString('base64url')}`)).reason).toBe('high_s');
  });

  it('r = n, s = 1 (r reduces to zero, s low)', async () => {
    const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
    const [h, p] = token().split('.');
    const one = Buffer.alloc(32);
    one[31] = 1;
    expect((await refusal(`${h}.${p}.${Buffer.concat([n, one]).toString('base64url')}`)).reason).toBe('bad_signature');
  });

  it('a DER-encoded signature instead of the raw 64 bytes', async () => {
    const input = `${b64(JSON.stringify(goodHeader()))}.${b64(JSON.stringify(goodClaims()))}`;
    const der = cryptoSign('sha256', Buffer.from(input), privateKey).toString('base64url');
    expect((await refusal(`${input}.${der}`)).reason).toBe('malformed');
  });

  it('the wrong issuer', async () => {
    expect((await refusal(token({}, { iss: 'https://evil.example' }))).reason).toBe('claim_iss');
  });

  it('the wrong audience', async () => {
    expect((await refusal(token({}, { aud: 'another-api' }))).reason).toBe('claim_aud');
    expect((await refusal(token({}, { aud: ['another-api'] }))).reason).toBe('claim_aud');
  });

  it('a token expired beyond the clock tolerance', async () => {
    // exp is the first instant the token is no longer valid (RFC 7519 4.1.4), tolerance included.
    clock = (T0 + 900 + 5) * 1000;
    expect((await refusal(token())).reason).toBe('expired');
    clock = (T0 + 3600) * 1000;
    expect((await refusal(token())).reason).toBe('expired');
  });

  it('accepts a token expired within the clock tolerance', async () => {
    clock = (T0 + 900 + 4) * 1000;
    await expect(verifier.verify(token())).resolves.toMatchObject({ sub: 'user-123' });
  });

  it('a token whose nbf is beyond the tolerance in the future', async () => {
    expect((await refusal(token({}, { nbf: T0 + 6 }))).reason).toBe('claim_nbf');
  });

  it('accepts an nbf within the tolerance', async () => {
    await expect(verifier.verify(token({}, { nbf: T0 + 5 }))).resolves.toBeDefined();
  });

  it.each([
    ['a string', String(T0 + 900)],
    ['null', null],
    ['an object', { $date: T0 + 900 }],
  ])('exp that is %s', async (_name, exp) => {
    expect((await refusal(token({}, { exp }))).reason).toBe('claim_exp');
  });

  it.each(['iss', 'aud', 'sub', 'iat', 'exp', 'jti'])('a token without %s', async (claim) => {
    const claims: Record<string, unknown> = goodClaims();
    delete claims[claim];
    expect((await refusal(rawToken(JSON.stringify(goodHeader()), JSON.stringify(claims)))).reason).toMatch(/^claim_/);
  });

  it.each([
    ['an unknown role', { role: 'superuser' }, 'bad_role'],
    ['no role', { role: undefined }, 'bad_role'],
    ['an empty sub', { sub: '' }, 'bad_sub'],
    ['a numeric sub', { sub: 42 }, 'bad_sub'],
    ['an empty jti', { jti: '' }, 'bad_jti'],
    ['a numeric jti', { jti: 7 }, 'bad_jti'],
    ['a jti that is an array', { jti: ['jti-1'] }, 'bad_jti'],
    ['a jti that is an object', { jti: { id: 'jti-1' } }, 'bad_jti'],
  ])('%s', async (_name, claims, reason) => {
    expect((await refusal(token({}, claims))).reason).toBe(reason);
  });

  it('duplicate members in the header (a second alg)', async () => {
    const t = rawToken(`{"alg":"none","typ":"at+jwt","kid":"${key.kid}","alg":"ES256"}`, JSON.stringify(goodClaims()));
    expect((await refusal(t)).reason).toBe('duplicate_member');
  });

  it('duplicate members in the payload (a second role), escaped so that naive parsers miss it', async () => {
    const claims = JSON.stringify(goodClaims()).replace(/}$/, ',"r\\u006fle":"admin"}');
    expect((await refusal(rawToken(JSON.stringify(goodHeader()), claims))).reason).toBe('duplicate_member');
    const plain = JSON.stringify(goodClaims()).replace(/}$/, ',"sub":"someone-else"}');
    expect((await refusal(rawToken(JSON.stringify(goodHeader()), plain))).reason).toBe('duplicate_member');
  });

  it('a payload that is not a JSON object', async () => {
    const t = rawToken(JSON.stringify(goodHeader()), '["not","an","object"]');
    expect((await refusal(t)).reason).toBe('malformed');
  });

  describe('non-canonical base64url', () => {
    const segments = () => token().split('.') as [string, string, string];

    it.each([0, 1, 2])('padding "=" on segment %i', async (index) => {
      const parts = segments();
      parts[index] = `${parts[index]}=`;
      expect((await refusal(parts.join('.'))).reason).toBe('malformed');
    });

    it('standard base64 alphabet (+ and /) instead of - and _', async () => {
      // Find a token whose encoding contains - or _, then swap the alphabet.
      let t = token();
      for (let i = 0; !/[-_]/.test(t) && i < 50; i++) t = token({}, { jti: `jti-${i}` });
      expect(t).toMatch(/[-_]/);
      expect((await refusal(t.replace(/-/g, '+').replace(/_/g, '/'))).reason).toBe('malformed');
    });

    it('altered trailing bits in the signature (same bytes, another encoding)', async () => {
      const [h, p, s] = segments();
      // 64 bytes in 86 characters: the last character carries 4 unused bits.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(s.at(-1)!);
      const altered = `${s.slice(0, -1)}${alphabet[last ^ 1]}`;
      expect(Buffer.from(altered, 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true);
      expect((await refusal(`${h}.${p}.${altered}`)).reason).toBe('malformed');
    });

    it('altered trailing bits in the header', async () => {
      // Our header is 82 bytes (a 43-character kid): its encoding ends in a partial group whose last character has unused bits.
      const h = b64(JSON.stringify(goodHeader()));
      expect(h.length % 4).not.toBe(0);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const altered = `${h.slice(0, -1)}${alphabet[alphabet.indexOf(h.at(-1)!) ^ 1]}`;
      expect(Buffer.from(altered, 'base64url').equals(Buffer.from(h, 'base64url'))).toBe(true);
      const [, p, s] = segments();
      expect((await refusal(`${altered}.${p}.${s}`)).reason).toBe('malformed');
    });
  });

  it.each([
    ['a leading space', (t: string) => ` ${t}`],
    ['a trailing newline', (t: string) => `${t}\n`],
    ['a space inside', (t: string) => t.replace('.', ' .')],
    ['a tab inside the signature', (t: string) => `${t.slice(0, -10)}\t${t.slice(-10)}`],
  ])('whitespace: %s', async (_name, mutate) => {
    expect((await refusal(mutate(token()))).reason).toBe('malformed');
  });

  it.each([
    ['two segments', (t: string) => t.split('.').slice(0, 2).join('.')],
    ['four segments', (t: string) => `${t}.${t.split('.')[2]}`],
    ['an empty string', () => ''],
    ['garbage', () => 'not-a-token'],
    ['a JWE-shaped token', (t: string) => `${t}..x.y`],
    ['a header that is not JSON', (t: string) => `${b64('{alg:ES256}')}.${t.split('.').slice(1).join('.')}`],
    ['a header that is a JSON string', (t: string) => `${b64('"ES256"')}.${t.split('.').slice(1).join('.')}`],
  ])('%s', async (_name, mutate) => {
    expect((await refusal(mutate(token()))).reason).toBe('malformed');
  });

  it('a token longer than the limit, even if correctly signed', async () => {
    const padding = 'x'.repeat(LIMITS.maxTokenLength);
    const t = token({}, { pad: padding });
    expect(t.length).toBeGreaterThan(LIMITS.maxTokenLength);
    expect((await refusal(t)).reason).toBe('malformed');
  });

  it('a non-string token', async () => {
    expect((await refusal(42 as unknown as string)).reason).toBe('malformed');
  });

  it('never fetches keys for a structurally bad token', async () => {
    let loads = 0;
    const counting = new AccessTokenVerifier(
      new PublicKeyRing(
        {
          loadPublicKeys: () => {
            loads += 1;
            return new FileKeyStore(dir).loadPublicKeys();
          },
        },
        { now },
      ),
      CONFIG,
      now,
    );

    for (const t of ['garbage', token({ alg: 'none' }), token({ jku: 'https://x' }), `${token()}=`]) {
      await expect(counting.verify(t)).rejects.toBeInstanceOf(InvalidTokenError);
    }
    expect(loads).toBe(0);
  });
});

describe('AccessTokenVerifier when keys cannot be loaded', () => {
  it('throws KeySourceError (fail closed, 503), not InvalidTokenError (401)', async () => {
    // Prepare: a valid token, and a verifier whose key store is unreadable.
    const valid = (await issuer.issue({ sub: 'u', role: 'user' })).accessToken;
    const blind = new AccessTokenVerifier(new PublicKeyRing(new FileKeyStore(join(root, 'no-such-dir')), { now }), CONFIG, now);

    // Act
    const error = await blind.verify(valid).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(KeySourceError);
    expect(error).not.toBeInstanceOf(InvalidTokenError);
    expect(error).toMatchObject({ code: 'service_unavailable', status: 503 });
  });

  it('still refuses a structurally bad token as a bad token, without touching the key store', async () => {
    const blind = new AccessTokenVerifier(new PublicKeyRing(new FileKeyStore(join(root, 'no-such-dir')), { now }), CONFIG, now);
    await expect(blind.verify('garbage')).rejects.toBeInstanceOf(InvalidTokenError);
  });
});

describe('hasDuplicateMembers', () => {
  it.each([
    ['{"a":1,"a":2}', true],
    ['{"a":1,"b":{"a":2}}', false],
    ['{"a":{"b":1,"b":2}}', true],
    ['{"a":[{"b":1},{"b":2}]}', false],
    ['{"a":"\\"a\\":","b":1}', false],
    ['{"a" : 1, "a" : 2}', true],
    ['{"\\u0061":1,"a":2}', true],
    ['{"a":["a","a"]}', false],
    ['{}', false],
    // Whitespace JSON allows between a name and its colon: tab, CR, LF.
    ['{"a"\t:1,"a"\t:2}', true],
    ['{"a"\r:1,"a"\r:2}', true],
    ['{"a"\n:1,"a"\n:2}', true],
    ['{"a":1,"b":2,"a"\r\n\t :3}', true],
    // An array or a nested object closed before the duplicate: the detector must be back in the outer object.
    ['{"x":[1,[2]],"a":1,"a":2}', true],
    ['{"x":{"a":1},"a":2}', false],
    ['{"x":{"y":{}},"a":1,"a":2}', true],
    ['{"x":[{"a":1}],"a":1,"a":2}', true],
  ])('%s -> %s', (text, expected) => {
    expect(hasDuplicateMembers(text)).toBe(expected);
  });
});

describe('isCanonicalBase64Url', () => {
  it.each([
    ['AQAB', true],
    ['AQA', true],
    ['AQ', true],
    ['AR', false], // trailing bits set
    ['A', false],
    ['AQ==', false],
    ['a+b/', false],
    ['', false],
  ])('%s -> %s', (segment, expected) => {
    expect(isCanonicalBase64Url(segment)).toBe(expected);
  });
});


/** The P-256 group order, written out here rather than imported, so these tests check the verifier's constant too. */
const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const sOf = (t: string) => BigInt(`0x${Buffer.from(t.split('.')[2]!, 'base64url').subarray(32).toString('hex')}`);
/** The same token with s replaced by n - s: the second valid ECDSA signature anyone can compute from the first. */
function twin(t: string): string {
  const signature = Buffer.from(t.split('.')[2]!, 'base64url');
  const s = Buffer.from((N - sOf(t)).toString(16).padStart(64, '0'), 'hex');
  return `${t.split('.').slice(0, 2).join('.')}.${Buffer.concat([signature.subarray(0, 32), s]).toString('base64url')}`;
}

describe('one token, one spelling: ECDSA malleability', () => {
  it('issues only low-S tokens (s <= n / 2), over 300 samples', async () => {
    const tokens = await Promise.all(Array.from({ length: 300 }, (_, i) => issuer.issue({ sub: `u-${i}`, role: 'user' })));
    const high = tokens.filter((t) => sOf(t.accessToken) > N / 2n);
    expect(high).toHaveLength(0);
    // Normalising kept every signature valid: each verifies, with node:crypto and with jose.
    const jwk = (await new FileKeyStore(dir).loadPublicKeys()).keys[0]!.jwk;
    const joseKey = await importJWK({ ...jwk }, 'ES256');
    for (const t of tokens.slice(0, 20)) {
      await expect(verifier.verify(t.accessToken)).resolves.toBeDefined();
      await expect(jwtVerify(t.accessToken, joseKey, { currentDate: new Date(clock) })).resolves.toBeDefined();
    }
  });

  it('refuses the high-S twin of an issued token, which plain ECDSA (jose) still accepts', async () => {
    const { accessToken } = await issuer.issue({ sub: 'user-7', role: 'admin' });
    const other = twin(accessToken);
    const jwk = (await new FileKeyStore(dir).loadPublicKeys()).keys[0]!.jwk;

    // The twin is a real signature of the same bytes: a verifier without the low-S rule takes it.
    await expect(jwtVerify(other, await importJWK({ ...jwk }, 'ES256'), { currentDate: new Date(clock) })).resolves.toBeDefined();
    await expect(verifier.verify(accessToken)).resolves.toMatchObject({ sub: 'user-7' });
    expect((await refusal(other)).reason).toBe('high_s');
  });

  it('refuses a high-S token before looking up any key', async () => {
    let loads = 0;
    const counting = new AccessTokenVerifier({
      get: async () => {
        loads += 1;
        return undefined;
      },
    }, CONFIG, now);
    await expect(counting.verify(twin(token()))).rejects.toMatchObject({ reason: 'high_s' });
    expect(loads).toBe(0);
  });

  it('draws the line at exactly n / 2: a valid signature with s = (n - 1) / 2 is accepted, one with s = (n + 1) / 2 refused', async () => {
    // Real signatures with a chosen s: pick the nonce k, so R = kG and r = R.x mod n, then solve s = (z + r d) / k for
    // the private key d. The public key dG makes (r, s) a valid ES256 signature of the token's bytes.
    const mod = (a: bigint) => ((a % N) + N) % N;
    const inverse = (a: bigint) => {
      let [x, y, u, v] = [mod(a), N, 1n, 0n];
      while (x !== 0n) [x, y, u, v] = [y % x, x, v - (y / x) * u, u];
      return mod(v);
    };
    const hex = (n: bigint) => n.toString(16).padStart(64, '0');
    const point = (scalar: bigint) => {
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(Buffer.from(hex(scalar), 'hex'));
      const xy = ecdh.getPublicKey();
      return { x: xy.subarray(1, 33), y: xy.subarray(33, 65) };
    };
    const withS = (s: bigint) => {
      const input = `${b64(JSON.stringify(goodHeader({ kid: 'chosen-s' })))}.${b64(JSON.stringify(goodClaims()))}`;
      const z = BigInt(`0x${createHash('sha256').update(input).digest('hex')}`);
      const k = 0x1234567890abcdefn;
      const r = mod(BigInt(`0x${point(k).x.toString('hex')}`));
      const d = mod(inverse(r) * mod(s * k - z));
      const q = point(d);
      const publicKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: q.x.toString('base64url'), y: q.y.toString('base64url') }, format: 'jwk' });
      const signature = Buffer.from(hex(r) + hex(s), 'hex');
      // A valid signature by plain ECDSA: the constructed key and nonce are right.
      expect(cryptoVerify('sha256', Buffer.from(input), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
      return { token: `${input}.${signature.toString('base64url')}`, verifier: new AccessTokenVerifier({ get: async () => publicKey }, CONFIG, now) };
    };

    const largestLow = withS((N - 1n) / 2n);
    await expect(largestLow.verifier.verify(largestLow.token)).resolves.toMatchObject({ sub: 'user-123' });
    const smallestHigh = withS((N + 1n) / 2n);
    await expect(smallestHigh.verifier.verify(smallestHigh.token)).rejects.toMatchObject({ reason: 'high_s' });
  });

  it('lowSSignature leaves a low-S signature alone and maps a high one to its twin', () => {
    const t = token();
    const low = Buffer.from(t.split('.')[2]!, 'base64url');
    const high = Buffer.from(twin(t).split('.')[2]!, 'base64url');
    expect(lowSSignature(low).equals(low)).toBe(true);
    expect(lowSSignature(high).equals(low)).toBe(true);
  });
});

describe('token edges', () => {
  const bom = '\ufeff';

  it.each([
    ['the header', (h: string, p: string) => [`${bom}${h}`, p]],
    ['the payload', (h: string, p: string) => [h, `${bom}${p}`]],
  ])('refuses a UTF-8 byte order mark before %s JSON, even when signed', async (_name, place) => {
    const [h, p] = place(JSON.stringify(goodHeader()), JSON.stringify(goodClaims()));
    const t = rawToken(h!, p!);
    expect(Buffer.from(t.split('.')[_name === 'the header' ? 0 : 1]!, 'base64url').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect((await refusal(t)).reason).toBe('malformed');
  });

  it('accepts a BOM character inside a claim value (it is only a second spelling at the start)', async () => {
    await expect(verifier.verify(token({}, { sub: `a${bom}b` }))).resolves.toMatchObject({ sub: `a${bom}b` });
  });

  it.each([
    ['exp a century ahead', { exp: T0 + 100 * 365 * 86_400 }, 'claim_exp'],
    ['exp at the largest safe integer', { exp: Number.MAX_SAFE_INTEGER }, 'claim_exp'],
    ['exp one second past now + lifetime + tolerance (iat at now + tolerance)', { iat: T0 + 5, exp: T0 + 900 + 5 + 1 }, 'claim_exp'],
    ['exp - iat one second over the lifetime', { iat: T0 - 60, exp: T0 - 60 + 901 }, 'claim_exp'],
    ['iat one second past now + tolerance', { iat: T0 + 6, exp: T0 + 600 }, 'claim_iat'],
    ['iat a year ahead', { iat: T0 + 31_536_000, exp: T0 + 600 }, 'claim_iat'],
  ])('refuses %s', async (_name, claims, reason) => {
    expect((await refusal(token({}, claims))).reason).toBe(reason);
  });

  it('accepts the edges themselves: iat at now + tolerance, exp at iat + lifetime = now + lifetime + tolerance', async () => {
    await expect(verifier.verify(token({}, { iat: T0 + 5, exp: T0 + 905 }))).resolves.toMatchObject({ iat: T0 + 5, exp: T0 + 905 });
  });

  it('bounds exp by the configured lifetime, not a constant', async () => {
    const short = new AccessTokenVerifier(new PublicKeyRing(new FileKeyStore(dir), { now }), { ...CONFIG, accessTokenTtlSeconds: 60 }, now);
    await expect(short.verify(token({}, { exp: T0 + 60 }))).resolves.toBeDefined();
    await expect(short.verify(token({}, { exp: T0 + 61 }))).rejects.toMatchObject({ reason: 'claim_exp' });
  });
});

describe('AccessTokenVerifier edges that mutation testing found untested', () => {
  it.each([
    ['a tab', '\t'],
    ['a CR', '\r'],
    ['an LF', '\n'],
  ])('refuses a signed payload naming role twice with %s before the colon', async (_name, space) => {
    const claims = JSON.stringify(goodClaims()).replace(/}$/, `,"role"${space}:"admin"}`);
    expect((await refusal(rawToken(JSON.stringify(goodHeader()), claims))).reason).toBe('duplicate_member');
  });

  it.each([
    ['four segments', (h: string) => `${h}.${h}.${h}.${h}`],
    ['no dot at all', (h: string) => `${h}A`],
  ])('counts a token of %s as malformed (not a compact JWS), even when a readable alg-none header is in it', async (_name, shape) => {
    // The reason is the AuthorizerRejected breakdown operators read (docs/operations.md): malformed, not bad_header.
    const noneHeader = b64(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: key.kid }));
    expect((await refusal(shape(noneHeader))).reason).toBe('malformed');
  });

  it('refuses a signed payload naming role twice after an array and a nested object', async () => {
    const claims = JSON.stringify(goodClaims({ groups: ['a', ['b']], meta: { role: 'admin' } })).replace(/}$/, ',"role":"admin"}');
    expect((await refusal(rawToken(JSON.stringify(goodHeader()), claims))).reason).toBe('duplicate_member');
  });

  it('refuses, never lets through, when the published key cannot verify ES256 at all (crypto.verify throws)', async () => {
    // A mis-published key (an X25519 key under our kid): node:crypto throws instead of answering false.
    const { generateKeyPairSync } = await import('node:crypto');
    const x25519 = generateKeyPairSync('x25519').publicKey;
    const broken = new AccessTokenVerifier({ get: async () => x25519 }, CONFIG, now);
    await expect(broken.verify(token())).rejects.toMatchObject({ code: 'invalid_token', reason: 'bad_signature' });
  });

  describe('the token length limit', () => {
    /** A valid token of exactly `length` characters, found by padding a claim (and, if need be, the header's JSON spacing). */
    function tokenOfLength(length: number): string {
      for (let spaces = 0; spaces < 4; spaces++) {
        const headerJson = JSON.stringify(goodHeader()).replace('{', `{${' '.repeat(spaces)}`);
        const fixed = b64(headerJson).length + 2 + 86;
        for (let pad = Math.floor(((length - fixed) * 3) / 4) - 300; pad < length; pad++) {
          const payload = JSON.stringify(goodClaims({ pad: 'p'.repeat(pad) }));
          const total = fixed + b64(payload).length;
          if (total === length) return rawToken(headerJson, payload);
          if (total > length) break;
        }
      }
      throw new Error(`no token of exactly ${length} characters`);
    }

    it(`accepts a valid token of exactly the limit (${LIMITS.maxTokenLength} characters)`, async () => {
      const t = tokenOfLength(LIMITS.maxTokenLength);
      expect(t).toHaveLength(LIMITS.maxTokenLength);
      await expect(verifier.verify(t)).resolves.toMatchObject({ sub: 'user-123' });
    });

    it('refuses a valid token one character over the limit', async () => {
      const t = tokenOfLength(LIMITS.maxTokenLength + 1);
      expect(t).toHaveLength(LIMITS.maxTokenLength + 1);
      expect((await refusal(t)).reason).toBe('malformed');
    });
  });
});
