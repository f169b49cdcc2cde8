/**
 * Baseline: the authorizer recipe of awslabs/aws-jwt-verify. A JwtVerifier
 * at module scope, hydrated at cold start (its JWKS cache then holds the
 * same keys wristband's ring does), `await verifier.verify(token)` per
 * request. Its own fetcher speaks HTTPS only; this one reads the local
 * stand-in over HTTP, the same transport wristband's client gets.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { bearerToken, httpGet, jwksUrl, ownClaims, policyFor, tokenConfig } from './common';

const config = tokenConfig();
const fetcher = {
  fetch: async (uri: string): Promise<ArrayBuffer> => {
    const body = await httpGet(uri);
    return body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  },
};

const verifier = JwtVerifier.create(
  {
    issuer: config.issuer,
    audience: config.audience,
    jwksUri: jwksUrl(),
    graceSeconds: config.clockToleranceSeconds,
    customJwtCheck: ({ header, payload }) => {
      ownClaims(header, payload as Record<string, unknown>);
    },
  },
  { jwksCache: new SimpleJwksCache({ fetcher }) },
);
void verifier.hydrate().catch(() => undefined);

export const handler = async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const token = bearerToken(event?.authorizationToken);
  if (!token) throw new Error('Unauthorized');
  let payload: Record<string, unknown>;
  try {
    payload = (await verifier.verify(token)) as Record<string, unknown>;
  } catch {
    throw new Error('Unauthorized');
  }
  // customJwtCheck validated these; read them again in the shape the policy takes.
  return policyFor(ownClaims({ typ: 'at+jwt' }, payload), event.methodArn);
};
