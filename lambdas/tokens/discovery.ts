/**
 * OpenID Connect discovery metadata (OpenID Connect Discovery 1.0 §3, the
 * fields RFC 8414 shares with it), so that verifiers which find keys from
 * an issuer (API Gateway HTTP API JWT authorizers, ALB, other services' JWT
 * middleware) accept wristband's access tokens. wristband is no OAuth
 * authorization server: the fields beyond `issuer`, `jwks_uri` and the
 * algorithms are the minimum discovery clients insist on.
 */
import { SIGNING_ALGORITHM } from '../keys/key-set';

export const JWKS_PATH = '/.well-known/jwks.json';

/** The claims of every access token (access-tokens.ts issues them). */
export const ACCESS_TOKEN_CLAIMS = ['iss', 'aud', 'sub', 'role', 'iat', 'exp', 'jti'] as const;

export interface OpenIdConfiguration {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly id_token_signing_alg_values_supported: readonly string[];
  readonly response_types_supported: readonly string[];
  readonly subject_types_supported: readonly string[];
  readonly claims_supported: readonly string[];
}

/**
 * The discovery document for tokens issued as `issuer`. When the issuer is
 * an http(s) URL (the API's own, as discovery expects), the keys are under
 * it; otherwise under `apiBaseUrl`, the API as the request reached it.
 */
export function openIdConfiguration(issuer: string, apiBaseUrl: string): OpenIdConfiguration {
  const base = /^https?:\/\//i.test(issuer) ? issuer : apiBaseUrl;
  return {
    issuer,
    jwks_uri: `${base.replace(/\/+$/, '')}${JWKS_PATH}`,
    id_token_signing_alg_values_supported: [SIGNING_ALGORITHM],
    // Tokens come from POST /login, not an authorization endpoint; discovery clients require the field.
    response_types_supported: ['token'],
    subject_types_supported: ['public'],
    claims_supported: [...ACCESS_TOKEN_CLAIMS],
  };
}

/**
 * The API's base URL as a client reached it: API Gateway sets
 * X-Forwarded-Proto, and its execute-api host serves the stage under a path
 * prefix (a custom domain maps it to `/`). The local stack sets neither.
 */
export function apiBaseUrl(request: { host: string | undefined; forwardedProto: string | undefined; stage: string | undefined }): string {
  const host = request.host ?? 'localhost';
  const onExecuteApi = /\.execute-api\.[^.]+\.amazonaws\.com(\.cn)?$/i.test(host);
  return `${request.forwardedProto ?? 'http'}://${host}${onExecuteApi && request.stage ? `/${request.stage}` : ''}`;
}
