/**
 * What every baseline authorizer shares with wristband's, so that only the
 * verification differs: the bearer header rule, the configuration, the
 * claims the libraries do not check themselves (RFC 9068's `typ`, and our
 * `sub`, `role`, `jti`), and the IAM policy (lambdas/authorizer/policy.ts).
 */
import { request } from 'node:http';
import type { AccessClaims } from '../../lambdas/tokens/access-token-verifier';
import { isRole } from '../../lambdas/contract/roles';

export { bearerToken } from '../../lambdas/contract/bearer';
export { policyFor } from '../../lambdas/authorizer/policy';
export { tokenConfig } from '../../lambdas/contract/config';

/** The stand-in's JWKS (bench/key-server.ts). */
export function jwksUrl(): string {
  const url = process.env.BENCH_JWKS_URL;
  if (!url) throw new Error('BENCH_JWKS_URL must be set');
  return url;
}

/** One GET over node:http (the baselines' own HTTPS fetchers refuse a plain-HTTP stand-in). */
export function httpGet(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`GET ${url}: ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export interface JwkLike {
  readonly kid?: string;
  readonly [member: string]: unknown;
}

export async function fetchJwks(): Promise<{ keys: JwkLike[] }> {
  return JSON.parse((await httpGet(jwksUrl())).toString('utf8')) as { keys: JwkLike[] };
}

const ACCEPTED_TYPES = new Set(['at+jwt', 'application/at+jwt']);

/** The checks no library makes for us; throws on a bad token. */
export function ownClaims(header: object, payload: Record<string, unknown>): AccessClaims {
  const { typ } = header as { typ?: unknown };
  if (typeof typ !== 'string' || !ACCEPTED_TYPES.has(typ.toLowerCase())) throw new Error('typ');
  const { sub, role, jti, iat, exp, iss, aud } = payload;
  if (typeof sub !== 'string' || sub.length === 0) throw new Error('sub');
  if (!isRole(role)) throw new Error('role');
  if (typeof jti !== 'string' || jti.length === 0) throw new Error('jti');
  if (typeof iat !== 'number' || typeof exp !== 'number') throw new Error('iat/exp');
  return { sub, role, jti, iat, exp, iss: iss as string, aud: aud as string | string[] };
}
