/**
 * Baseline, the floor: raw node:crypto. Split the token, check the header's
 * alg and kid, one ECDSA verification, JSON.parse, the same claim checks,
 * the same policy; none of wristband's strictness (canonical base64url,
 * strict UTF-8, duplicate members, header allow-list). Nothing that
 * verifies the signature can be much faster than this.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { bearerToken, fetchJwks, ownClaims, policyFor, tokenConfig } from './common';

const config = tokenConfig();
const keys: Promise<Map<string, KeyObject>> = fetchJwks().then(
  (jwks) => new Map(jwks.keys.map((jwk) => [String(jwk.kid), createPublicKey({ key: jwk as never, format: 'jwk' })])),
);
keys.catch(() => undefined);

function decide(token: string, byKid: Map<string, KeyObject>) {
  const [h, p, s] = token.split('.');
  if (h === undefined || p === undefined || s === undefined) throw new Error('shape');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: unknown; kid?: unknown; typ?: unknown };
  if (header.alg !== 'ES256' || typeof header.kid !== 'string') throw new Error('alg');
  const key = byKid.get(header.kid);
  if (!key) throw new Error('kid');
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) throw new Error('signature');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  const tolerance = config.clockToleranceSeconds;
  if (payload.iss !== config.issuer) throw new Error('iss');
  if (payload.aud !== config.audience && !(Array.isArray(payload.aud) && payload.aud.includes(config.audience))) throw new Error('aud');
  if (typeof payload.exp !== 'number' || payload.exp <= now - tolerance) throw new Error('exp');
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now + tolerance)) throw new Error('nbf');
  return ownClaims(header, payload);
}

export const handler = async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const token = bearerToken(event?.authorizationToken);
  if (!token) throw new Error('Unauthorized');
  let claims;
  try {
    claims = decide(token, await keys);
  } catch {
    throw new Error('Unauthorized');
  }
  return policyFor(claims, event.methodArn);
};
