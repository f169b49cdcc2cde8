/**
 * What the authorizer tells the handlers, and how it travels. API Gateway
 * refuses a context value that is an object or an array (the whole result
 * becomes an AuthorizerConfigurationException, a 500 on every protected
 * route) and hands numbers and booleans over as strings. So the context is
 * written and read here only, as strings: `encodeAuthorizerContext` in the
 * authorizer (lambdas/authorizer/policy.ts), `decodeAuthorizerContext` in
 * the handlers (lambdas/edge/http.ts `callerOf`). A list claim travels as
 * `encodeList` (a JSON array of strings, in one string).
 *
 * No imports beyond the route table: this is part of the authorizer bundle.
 */
import { isRole, type Role } from './roles';

/** The verified token's claims the handlers use. */
export interface AuthorizerContext {
  readonly sub: string;
  readonly role: Role;
  readonly jti: string;
  /** Epoch seconds: handlers refuse a token that expired behind a cached Allow. */
  readonly exp: number;
  /** The token's `amr` (how the user signed in); decoding always sets it, `[]` when the token has none. */
  readonly amr?: readonly string[];
}

/** The context as the authorizer returns it: string values only, which API Gateway passes unchanged. */
export type EncodedAuthorizerContext = { readonly [key: string]: string };

export function encodeAuthorizerContext(context: AuthorizerContext): EncodedAuthorizerContext {
  return { sub: context.sub, role: context.role, jti: context.jti, exp: String(context.exp), amr: encodeList(context.amr ?? []) };
}

/**
 * Reads `requestContext.authorizer` as API Gateway fills it: the encoded
 * context plus `principalId` (which API Gateway adds; it is the subject).
 * Only strings are accepted, because only strings arrive on AWS: a
 * handler that worked with a number here would break when deployed.
 * Undefined when anything is missing or malformed.
 */
export function decodeAuthorizerContext(raw: unknown): AuthorizerContext | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const sub = ownString(raw, 'principalId');
  const role = ownString(raw, 'role');
  const jti = ownString(raw, 'jti') ?? '';
  const exp = ownString(raw, 'exp');
  if (!sub || !isRole(role) || exp === undefined || !/^\d{1,15}$/.test(exp)) return undefined;
  // A context from before `amr` travelled has none: treated as no second factor.
  const amr = decodeList(ownString(raw, 'amr') ?? '[]');
  if (!amr) return undefined;
  return { sub, role, jti, exp: Number(exp), amr };
}

/** A list claim (roles, amr) as one context value. */
export function encodeList(values: readonly string[]): string {
  return JSON.stringify(values);
}

/** The inverse of `encodeList`; undefined for anything that is not a JSON array of strings. */
export function decodeList(value: unknown): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
}

function ownString(map: object, name: string): string | undefined {
  if (!Object.hasOwn(map, name)) return undefined;
  const value = (map as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}
