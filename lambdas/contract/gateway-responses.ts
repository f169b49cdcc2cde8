/**
 * The errors API Gateway answers by itself (before or instead of a handler),
 * each mapped to the contract's status and body. The stack turns this table
 * into gateway responses; the local stack answers from it; tests check both.
 */
import { BEARER_CHALLENGE, SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS, type ErrorCode } from './errors';

export interface GatewayResponseSpec {
  /** API Gateway's response type. */
  readonly type: string;
  readonly status: number;
  readonly code: ErrorCode;
  /** Sent as Retry-After, for the 503s. */
  readonly retryAfterSeconds?: number;
  /** Catch-alls keep the status API Gateway chose; `status` is only what the local stack uses. */
  readonly keepStatus?: boolean;
  /** Sent as WWW-Authenticate, for the 401. */
  readonly wwwAuthenticate?: string;
  /**
   * Deployed, but not what a client gets: why. The local stack never sends
   * these; it sends what AWS sends instead (local/aws-limits.ts).
   */
  readonly notApplied?: string;
}

const unavailable = { status: 503, code: 'service_unavailable', retryAfterSeconds: SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS } as const;

export const GATEWAY_RESPONSES = [
  // No Authorization header, or one the identity validation expression refuses, or the authorizer said Unauthorized.
  // One response for all three, with a fixed header: it cannot say which (no `error` code then, RFC 6750 §3.1), nor
  // that a token expired (a TOKEN authorizer that throws passes no reason on; see README, "401 answers").
  { type: 'UNAUTHORIZED', status: 401, code: 'unauthorized', wwwAuthenticate: BEARER_CHALLENGE },
  // The cached or fresh policy does not allow this route for this token.
  { type: 'ACCESS_DENIED', status: 403, code: 'forbidden' },
  // REST APIs answer an unknown path or method with 403 "Missing Authentication Token"; the contract says 404.
  { type: 'MISSING_AUTHENTICATION_TOKEN', status: 404, code: 'not_found' },
  { type: 'RESOURCE_NOT_FOUND', status: 404, code: 'not_found' },
  { type: 'THROTTLED', status: 429, code: 'too_many_requests' },
  { type: 'QUOTA_EXCEEDED', status: 429, code: 'too_many_requests' },
  {
    type: 'REQUEST_TOO_LARGE',
    status: 413,
    code: 'payload_too_large',
    notApplied: 'API Gateway refuses a body over 10 MB with its own bare 413; bodies the handlers refuse (over 16 KiB) get the contract 413 from the handler',
  },
  { type: 'UNSUPPORTED_MEDIA_TYPE', status: 415, code: 'unsupported_media_type' },
  // The authorizer threw something other than Unauthorized (keys unreadable), timed out, or returned a result API Gateway
  // cannot use (AuthorizerConfigurationException): fail closed, retryable. AUTHORIZER_FAILURE is kept for the cases AWS
  // labels that way; both answer the same.
  { type: 'AUTHORIZER_FAILURE', ...unavailable },
  { type: 'AUTHORIZER_CONFIGURATION_ERROR', ...unavailable },
  { type: 'INTEGRATION_FAILURE', ...unavailable },
  {
    type: 'INTEGRATION_TIMEOUT',
    ...unavailable,
    notApplied: 'every function times out (a bare 502) long before the 29 s integration timeout; handlers answer 503 before their own deadline',
  },
  // Catch-alls for types this API does not use (API keys, WAF, request validators, IAM auth).
  { type: 'DEFAULT_4XX', status: 400, code: 'validation_error', keepStatus: true },
  { type: 'DEFAULT_5XX', status: 500, code: 'internal_error', keepStatus: true },
] as const satisfies readonly GatewayResponseSpec[];

export type GatewayResponseType = (typeof GATEWAY_RESPONSES)[number]['type'];

export function gatewayResponse(type: GatewayResponseType): GatewayResponseSpec {
  return GATEWAY_RESPONSES.find((r) => r.type === type) as GatewayResponseSpec;
}
