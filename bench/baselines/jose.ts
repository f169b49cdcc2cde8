/**
 * Baseline: a bare authorizer that only calls jose's `jwtVerify` with a
 * local JWKS (createLocalJWKSet), with the options wristband's verifier
 * passed to it before it moved to node:crypto. jose's own cost is the
 * floor on the distinct-token path for anything built on jose.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { bearerToken, fetchJwks, ownClaims, policyFor, tokenConfig } from './common';

const config = tokenConfig();
const jwks = fetchJwks().then((set) => createLocalJWKSet(set as unknown as JSONWebKeySet));
jwks.catch(() => undefined);

export const handler = async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const token = bearerToken(event?.authorizationToken);
  if (!token) throw new Error('Unauthorized');
  let claims;
  try {
    const { payload, protectedHeader } = await jwtVerify(token, await jwks, {
      algorithms: ['ES256'],
      typ: 'at+jwt',
      issuer: config.issuer,
      audience: config.audience,
      clockTolerance: config.clockToleranceSeconds,
      requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti'],
    });
    claims = ownClaims(protectedHeader, payload as Record<string, unknown>);
  } catch {
    throw new Error('Unauthorized');
  }
  return policyFor(claims, event.methodArn);
};
