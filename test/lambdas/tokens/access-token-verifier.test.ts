/**
 * What the node:crypto verifier checks beyond the cases of
 * access-tokens.test.ts (which it passes unchanged): strict UTF-8, finite
 * dates, the key type, and that it never needs jose to do so.
 */
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey, publicJwkOf, type SigningKeyRecord } from '../../../lambdas/keys/key-set';
import { PublicKeyRing } from '../../../lambdas/keys/public-key-ring';
import type { TokenConfig } from '../../../lambdas/contract/config';
import { InvalidTokenError } from '../../../lambdas/contract/errors';
import fc from 'fast-check';
import { AccessTokenVerifier, isCanonicalBase64Url, lowSSignature, parseStrictHeader } from '../../../lambdas/tokens/access-token-verifier';

const CONFIG: TokenConfig = { issuer: 'wristband', audience: 'wristband-api', accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 3600, clockToleranceSeconds: 5 };
const T0 = 1_750_000_000;
const now = () => T0 * 1000;

let key: SigningKeyRecord;
let privateKey: KeyObject;
let verifier: AccessTokenVerifier;

beforeAll(async () => {
  key = await generateSigningKey(T0);
  privateKey = createPrivateKey({ key: { ...key.privateJwk }, format: 'jwk' });
  const ring = new PublicKeyRing({ loadPublicKeys: async () => ({ keys: [{ jwk: publicJwkOf(key), publishedAt: T0 }] }) }, { now });
  verifier = new AccessTokenVerifier(ring, CONFIG, now);
});

const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');
function rawToken(header: Buffer | string, payload: Buffer | string, signer: KeyObject = privateKey): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${lowSSignature(sign('sha256', Buffer.from(input), { key: signer, dsaEncoding: 'ieee-p1363' })).toString('base64url')}`;
}
const header = () => JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: key.kid });
const claims = (extra = '') => `{"iss":"wristband","aud":"wristband-api","sub":"u","role":"user","iat":${T0},"exp":${T0 + 900},"jti":"j"${extra}}`;

async function reason(token: string): Promise<string | undefined> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  return (error as InvalidTokenError).reason;
}

describe('AccessTokenVerifier (node:crypto)', () => {
  it('accepts a well-formed token and returns its claims', async () => {
    await expect(verifier.verify(rawToken(header(), claims()))).resolves.toEqual({
      sub: 'u',
      role: 'user',
      amr: [],
      jti: 'j',
      iat: T0,
      exp: T0 + 900,
      iss: 'wristband',
      aud: 'wristband-api',
    });
  });

  it('refuses a payload that is not valid UTF-8, even when signed', async () => {
    const bytes = Buffer.concat([Buffer.from(claims().slice(0, -1)), Buffer.from(',"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(await reason(rawToken(header(), bytes))).toBe('malformed');
  });

  it.each(['exp', 'nbf', 'iat'])('refuses a %s of 1e400 (JSON for Infinity: it would never expire)', async (claim) => {
    const payload = claims().replace(new RegExp(`"${claim}":\\d+,?`), '').replace(/}$/, `,"${claim}":1e400}`);
    expect(await reason(rawToken(header(), payload))).toBe(`claim_${claim}`);
  });

  it.each(['exp', 'nbf', 'iat'])('refuses a %s of -1e400 (JSON for -Infinity: "valid since forever")', async (claim) => {
    const payload = claims().replace(new RegExp(`"${claim}":\\d+,?`), '').replace(/}$/, `,"${claim}":-1e400}`);
    expect(await reason(rawToken(header(), payload))).toBe(`claim_${claim}`);
  });

  it('returns the amr claim, and refuses one that is not a short list of short strings', async () => {
    await expect(verifier.verify(rawToken(header(), claims(',"amr":["pwd","otp"]')))).resolves.toEqual(expect.objectContaining({ amr: ['pwd', 'otp'] }));
    for (const amr of ['"otp"', '[1]', '["pwd","otp","otp"]', `["${'x'.repeat(17)}"]`, '{}']) {
      expect([amr, await reason(rawToken(header(), claims(`,"amr":${amr}`)))]).toEqual([amr, 'bad_amr']);
    }
  });

  it('refuses an iat that is not a number', async () => {
    expect(await reason(rawToken(header(), claims().replace(`"iat":${T0}`, `"iat":"${T0}"`)))).toBe('claim_iat');
  });

  it('accepts an audience array that holds ours', async () => {
    await expect(verifier.verify(rawToken(header(), claims().replace('"aud":"wristband-api"', '"aud":["other","wristband-api"]')))).resolves.toBeDefined();
  });

  it('refuses a token signed with a P-384 key under our kid (wrong curve, right length)', async () => {
    const { privateKey: p384 } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const input = `${b64(header())}.${b64(claims())}`;
    // A P-384 signature is 96 bytes: cut to ES256's 64 it still fails, as it must.
    const signature = lowSSignature(sign('sha384', Buffer.from(input), { key: p384, dsaEncoding: 'ieee-p1363' }).subarray(0, 64));
    expect(await reason(`${input}.${signature.toString('base64url')}`)).toBe('bad_signature');
  });

  it('calls a segment canonical exactly when decoding and encoding it again gives it back', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength: 12 }), (segment) => {
        expect(isCanonicalBase64Url(segment)).toBe(segment.length % 4 !== 1 && Buffer.from(segment, 'base64url').toString('base64url') === segment);
      }),
      { numRuns: 2000 },
    );
  });

  it('parseStrictHeader returns the header of a well-formed token', () => {
    expect(parseStrictHeader(rawToken(header(), claims()))).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: key.kid });
  });

  it('is built on node:crypto alone: no JOSE library on the verify path', () => {
    const source = readFileSync(join(__dirname, '../../../lambdas/tokens/access-token-verifier.ts'), 'utf8');
    const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports.filter((m) => !m!.startsWith('.') && !m!.startsWith('node:'))).toEqual([]);
  });
});

describe('PublicKeyRing keys', () => {
  it('imports only EC P-256 keys', async () => {
    const ring = new PublicKeyRing({ loadPublicKeys: async () => ({ keys: [{ jwk: publicJwkOf(key), publishedAt: T0 }] }) });
    const k = await ring.get(key.kid);
    expect(k?.asymmetricKeyType).toBe('ec');
    expect(k?.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });
});
