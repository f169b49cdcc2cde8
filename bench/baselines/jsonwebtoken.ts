/**
 * Baseline: jsonwebtoken, the library of the Express tutorial wristband
 * grew from, used the way its docs and jwks-rsa show: `jwt.verify` with a
 * key callback that picks the public key by `kid`, an algorithm allow-list,
 * issuer, audience and clock tolerance. Keys are fetched at cold start.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import jwt, { type GetPublicKeyOrSecret, type Jwt } from 'jsonwebtoken';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { bearerToken, fetchJwks, ownClaims, policyFor, tokenConfig } from './common';

const config = tokenConfig();
const keys: Promise<Map<string, KeyObject>> = fetchJwks().then(
  (jwks) => new Map(jwks.keys.map((jwk) => [String(jwk.kid), createPublicKey({ key: jwk as never, format: 'jwk' })])),
);
keys.catch(() => undefined);

function verify(token: string, byKid: Map<string, KeyObject>): Promise<Jwt> {
  const getKey: GetPublicKeyOrSecret = (header, callback) => {
    const key = header.kid === undefined ? undefined : byKid.get(header.kid);
    if (key) callback(null, key);
    else callback(new Error('unknown kid'));
  };
  return new Promise((resolve, reject) => {
    jwt.verify(
      token,
      getKey,
      { algorithms: ['ES256'], issuer: config.issuer, audience: config.audience, clockTolerance: config.clockToleranceSeconds, complete: true },
      (error, decoded) => (error || !decoded ? reject(error ?? new Error('no token')) : resolve(decoded as Jwt)),
    );
  });
}

export const handler = async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const token = bearerToken(event?.authorizationToken);
  if (!token) throw new Error('Unauthorized');
  let claims;
  try {
    const decoded = await verify(token, await keys);
    claims = ownClaims(decoded.header, decoded.payload as Record<string, unknown>);
  } catch {
    throw new Error('Unauthorized');
  }
  return policyFor(claims, event.methodArn);
};
