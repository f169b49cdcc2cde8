/**
 * `Authorization: Bearer <token>`: the scheme word in any case, exactly one
 * space, a token with no whitespace. Anything else is not a bearer header.
 * The same expression is the TOKEN authorizer's identity validation
 * expression (lib/constructs/wristband-api.ts), so API Gateway refuses garbage without invoking
 * the function.
 */
export const BEARER_HEADER_PATTERN = '^[Bb][Ee][Aa][Rr][Ee][Rr] [A-Za-z0-9._~+/=-]+$';

const BEARER = new RegExp(BEARER_HEADER_PATTERN);

export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string' || !BEARER.test(header)) return undefined;
  return header.slice('Bearer '.length);
}
