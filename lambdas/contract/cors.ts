/**
 * CORS headers, written once: handlers' answers (http.ts), the gateway
 * responses and preflights the stack configures (lib/constructs/wristband-api.ts),
 * the WAF's 429 and the local stack's answers all carry them. Plain data:
 * lib/ reads it at synth without loading the handlers' runtime.
 */

/** The environment variable naming the allowed origin (`corsOrigin` in the CDK config). */
export const CORS_ORIGIN_ENV = 'CORS_ALLOW_ORIGIN';
export const CORS_ORIGIN_DEFAULT = '*';

/**
 * Response headers a browser script may read besides the CORS-safelisted
 * ones: when to retry (429, 503) and which authentication scheme a 401
 * wants. Every response carries this list: handlers', the gateway
 * responses', the WAF's 429 and the local stack's.
 */
export const EXPOSED_HEADERS = ['Retry-After', 'WWW-Authenticate'] as const;

/**
 * CORS headers on every response, for the default origin. Tokens travel in
 * the Authorization header, never in cookies, so a wildcard origin exposes
 * nothing a script could not already send; `corsOrigin` narrows it to one site.
 */
export const CORS_HEADERS = {
  'Access-Control-Allow-Origin': CORS_ORIGIN_DEFAULT,
  'Access-Control-Allow-Headers': 'Authorization,Content-Type',
  'Access-Control-Allow-Methods': 'GET,POST,PUT,DELETE,OPTIONS',
  'Access-Control-Expose-Headers': EXPOSED_HEADERS.join(','),
} as const;

export type CorsHeaders = { readonly [K in keyof typeof CORS_HEADERS]: string };

/** The CORS headers for a configured origin. */
export function corsHeaders(origin: string = CORS_ORIGIN_DEFAULT): CorsHeaders {
  return { ...CORS_HEADERS, 'Access-Control-Allow-Origin': origin };
}

/**
 * Headers of the per-client rate limit's 429 (the WAF rule deployed, local/rate-limit.ts locally): CORS, so a
 * browser can read it, and Retry-After = the window, the longest a client that stops sending has to wait.
 */
export function rateLimitedHeaders(windowSeconds: number, origin?: string): Record<string, string> {
  return { ...corsHeaders(origin), 'Retry-After': String(windowSeconds) };
}
