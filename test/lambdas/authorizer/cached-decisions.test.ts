/**
 * The authorizer with its verified-token cache, wired as the handler wires
 * it (createAuthorizer) but with a fake key source and a frozen clock:
 * repeated tokens are answered without verifying again, and yet a removed
 * key, an expiry or an earlier refusal are honoured exactly as without the
 * cache.
 */
import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { createAuthorizer } from '../../../lambdas/authorizer/authorize';
import { generateSigningKey, publicJwkOf, type PublicKeyDocument, type SigningKeyRecord } from '../../../lambdas/keys/key-set';
import type { PublicKeySource } from '../../../lambdas/keys/key-store';
import type { TokenConfig } from '../../../lambdas/contract/config';
import { AccessTokenIssuer } from '../../../lambdas/tokens/access-tokens';

const CONFIG: TokenConfig = { issuer: 'wristband', audience: 'wristband-api', accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 3600, clockToleranceSeconds: 5 };
const T0_MS = 1_750_000_000_000;
const COOLDOWN_MS = 10_000;
const MAX_AGE_MS = 600_000;
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/api/profile';

let clock: number;
const now = () => clock;
let a: SigningKeyRecord;
let b: SigningKeyRecord;

class Source implements PublicKeySource {
  loads = 0;
  published: SigningKeyRecord[] = [];
  loadPublicKeys = async (): Promise<PublicKeyDocument> => {
    this.loads += 1;
    return { keys: this.published.map((k) => ({ jwk: publicJwkOf(k), publishedAt: 1 })) };
  };
}

const event = (token: string): APIGatewayTokenAuthorizerEvent => ({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: METHOD_ARN });
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const tokenFrom = async (key: SigningKeyRecord, sub = 'user-1') =>
  (await new AccessTokenIssuer({ loadSigningKey: async () => key }, CONFIG, 0, now).issue({ sub, role: 'user' })).accessToken;

beforeAll(async () => {
  [a, b] = await Promise.all([generateSigningKey(1), generateSigningKey(2)]);
});

let source: Source;
let authorizer: ReturnType<typeof createAuthorizer>;

beforeEach(() => {
  clock = T0_MS;
  source = new Source();
  source.published = [a];
  authorizer = createAuthorizer(source, CONFIG, { now, keyRing: { refetchCooldownMs: COOLDOWN_MS, maxAgeMs: MAX_AGE_MS } });
});

describe('cached decisions', () => {
  it('answers a repeated token from the cache, with the same policy', async () => {
    const token = await tokenFrom(a);

    const first = await authorizer.handler(event(token));
    const second = await authorizer.handler(event(token));

    expect(second).toEqual(first);
    expect(authorizer.verified.size).toBe(1);
  });

  it('caches the first token after a cold start: loading the keys for it withdraws nothing', async () => {
    const token = await tokenFrom(a);

    await authorizer.handler(event(token));

    expect(source.loads).toBe(1);
    expect(authorizer.verified.size).toBe(1);
  });

  it('hands out a policy the caller may change without changing the next one', async () => {
    const token = await tokenFrom(a);
    const first = await authorizer.handler(event(token));
    (first.policyDocument.Statement[0] as { Resource: string[] }).Resource.length = 0;

    const second = await authorizer.handler(event(token));

    expect((second.policyDocument.Statement[0] as { Resource: string[] }).Resource.length).toBeGreaterThan(0);
  });

  it('refuses a cached token once a reread of the keys shows its key is gone', async () => {
    // Prepare: a token verified and cached, then its key withdrawn (a compromised key removed from the parameter).
    const token = await tokenFrom(a);
    await authorizer.handler(event(token));
    source.published = [b];

    // Act: while the key set is fresh, the cache answers; once it is old, a hit triggers a background reread.
    clock += MAX_AGE_MS - 1;
    await expect(authorizer.handler(event(token))).resolves.toBeDefined();
    clock += 2;
    await authorizer.handler(event(token));
    await settle();

    // Assess
    expect(source.loads).toBe(2);
    expect(authorizer.verified.size).toBe(0);
    await expect(authorizer.handler(event(token))).rejects.toThrow(/^Unauthorized$/);
  });

  it('refuses a cached token past exp plus the clock tolerance, as the verifier does', async () => {
    const token = await tokenFrom(a);
    await authorizer.handler(event(token));

    clock = T0_MS + 900_000 + 4_000;
    await expect(authorizer.handler(event(token))).resolves.toBeDefined();
    clock = T0_MS + 900_000 + 5_000;
    await expect(authorizer.handler(event(token))).rejects.toThrow(/^Unauthorized$/);
  });

  it('does not remember a refusal: a token refused for an unknown kid passes once its key is published', async () => {
    const token = await tokenFrom(b);
    await expect(authorizer.handler(event(token))).rejects.toThrow(/^Unauthorized$/);

    source.published = [a, b];
    clock += COOLDOWN_MS;

    await expect(authorizer.handler(event(token))).resolves.toMatchObject({ principalId: 'user-1' });
  });

  it('refuses the high-S twin of a cached token: another spelling is not a cache hit', async () => {
    const token = await tokenFrom(a);
    await authorizer.keys.hydrate();
    await authorizer.handler(event(token));
    const [h, p, sig] = token.split('.') as [string, string, string];
    const raw = Buffer.from(sig, 'base64url');
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const s = (n - BigInt(`0x${raw.subarray(32).toString('hex')}`)).toString(16).padStart(64, '0');
    const twin = `${h}.${p}.${Buffer.concat([raw.subarray(0, 32), Buffer.from(s, 'hex')]).toString('base64url')}`;

    await expect(authorizer.handler(event(twin))).rejects.toThrow(/^Unauthorized$/);
    expect(authorizer.verified.size).toBe(1);
    await expect(authorizer.handler(event(token))).resolves.toMatchObject({ principalId: 'user-1' });
  });

  it('keeps the tokens it holds through a flood of refused ones (a refusal is never stored)', async () => {
    const token = await tokenFrom(a);
    const small = createAuthorizer(source, CONFIG, { now, maxCachedTokens: 1 });
    await small.keys.hydrate();
    await small.handler(event(token));
    const [h, p] = token.split('.');

    for (let i = 0; i < 20; i++) {
      const forged = `${h}.${p}.${Buffer.alloc(64, i + 1).toString('base64url')}`;
      await expect(small.handler(event(forged))).rejects.toThrow(/^Unauthorized$/);
    }

    expect(small.verified.size).toBe(1);
    expect(small.verified.get(token)).toMatchObject({ sub: 'user-1' });
  });

  it('keeps at most the configured number of tokens', async () => {
    const small = createAuthorizer(source, CONFIG, { now, maxCachedTokens: 2 });
    for (const sub of ['u1', 'u2', 'u3']) await small.handler(event(await tokenFrom(a, sub)));

    expect(small.verified.size).toBe(2);
  });
});
