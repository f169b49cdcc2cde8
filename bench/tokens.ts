/**
 * The tokens every authorizer is fed: real wristband access tokens from
 * AccessTokenIssuer (the same code login runs), signed with a fresh local
 * key, plus a few bad ones that every implementation must refuse (the
 * bench checks that they all do the same job before it times them).
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { generateSigningKey, toJwks, type PublicKeyDocument, type SigningKeyRecord } from '../lambdas/keys/key-set';
import { FileKeyStore } from '../lambdas/keys/key-store';
import { ensureLocalKeys } from '../lambdas/keys/local-keys';
import type { TokenConfig } from '../lambdas/contract/config';
import type { Role } from '../lambdas/contract/routes';
import { TOKEN_IDENTITY } from '../lambdas/contract/settings';
import { AccessTokenIssuer } from '../lambdas/tokens/access-tokens';

export const TOKEN_CONFIG: TokenConfig = {
  issuer: TOKEN_IDENTITY.issuer.default,
  audience: TOKEN_IDENTITY.audience.default,
  accessTokenTtlSeconds: 900,
  refreshTokenTtlSeconds: 3600,
  clockToleranceSeconds: 5,
};

/** A method ARN as API Gateway sends it for `GET /api/profile`. */
export const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/api/profile';

export interface BenchKeys {
  readonly dir: string;
  readonly signingKey: SigningKeyRecord;
  readonly publicKeys: PublicKeyDocument;
  readonly jwks: ReturnType<typeof toJwks>;
  readonly issuer: AccessTokenIssuer;
}

export async function createBenchKeys(workDir: string): Promise<BenchKeys> {
  const dir = join(workDir, 'keys');
  const signingKey = await ensureLocalKeys(dir);
  const store = new FileKeyStore(dir);
  const publicKeys = await store.loadPublicKeys();
  return { dir, signingKey, publicKeys, jwks: toJwks(publicKeys), issuer: new AccessTokenIssuer(store, TOKEN_CONFIG, 3600) };
}

/** `count` real access tokens, one per user; every tenth user an admin. */
export async function mintTokens(keys: BenchKeys, count: number, prefix: string): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const role: Role = i % 10 === 9 ? 'admin' : 'user';
    tokens.push((await keys.issuer.issue({ sub: `${prefix}-${i}`, role })).accessToken);
  }
  return tokens;
}

export interface DecisionCheck {
  readonly name: string;
  readonly token: string;
  readonly allow: boolean;
}

/** Tokens with a known right answer: each implementation must agree on all of them, or the comparison is void. */
export async function decisionChecks(keys: BenchKeys): Promise<DecisionCheck[]> {
  const now = Math.floor(Date.now() / 1000);
  const ours = createPrivateKey({ key: { ...keys.signingKey.privateJwk }, format: 'jwk' });
  const stranger = await generateSigningKey(now);
  const theirs = createPrivateKey({ key: { ...stranger.privateJwk }, format: 'jwk' });
  const header = { alg: 'ES256', typ: 'at+jwt', kid: keys.signingKey.kid };
  const claims = {
    role: 'user',
    iss: TOKEN_CONFIG.issuer,
    aud: TOKEN_CONFIG.audience,
    sub: 'check-user',
    iat: now,
    exp: now + 900,
    jti: 'check-jti',
  };
  const valid = (await keys.issuer.issue({ sub: 'check-user', role: 'user' })).accessToken;
  const [h, , s] = valid.split('.');
  return [
    { name: 'valid user token', token: valid, allow: true },
    { name: 'valid admin token', token: (await keys.issuer.issue({ sub: 'check-admin', role: 'admin' })).accessToken, allow: true },
    { name: 'expired', token: signed(ours, header, { ...claims, iat: now - 2000, exp: now - 1000 }), allow: false },
    { name: 'not yet valid (nbf)', token: signed(ours, header, { ...claims, nbf: now + 600 }), allow: false },
    { name: 'wrong issuer', token: signed(ours, header, { ...claims, iss: 'https://evil.example' }), allow: false },
    { name: 'wrong audience', token: signed(ours, header, { ...claims, aud: 'another-api' }), allow: false },
    { name: 'typ JWT', token: signed(ours, { ...header, typ: 'JWT' }, claims), allow: false },
    { name: 'unknown role', token: signed(ours, header, { ...claims, role: 'superuser' }), allow: false },
    { name: 'tampered payload', token: `${h}.${b64(JSON.stringify({ ...claims, role: 'admin' }))}.${s}`, allow: false },
    { name: 'signed by another key under our kid', token: signed(theirs, header, claims), allow: false },
    { name: 'unknown kid', token: signed(theirs, { ...header, kid: stranger.kid }, claims), allow: false },
    { name: 'alg none', token: `${b64(JSON.stringify({ ...header, alg: 'none' }))}.${b64(JSON.stringify(claims))}.`, allow: false },
  ];
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

function signed(key: KeyObject, header: object, payload: object): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
