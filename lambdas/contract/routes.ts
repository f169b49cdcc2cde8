/**
 * The route table: every route of the HTTP contract, written once. The CDK
 * stack builds API Gateway resources and functions from it, the authorizer
 * builds its IAM policy from it, the local stack routes with it, and the
 * tests enumerate it. It imports plain data only (roles.ts), so the
 * authorizer bundle stays small. Deployed functions read the routes they
 * serve from the route table the stack renders into their environment
 * (route-table.ts), which is how a team's own routes reach the authorizer.
 */

import { DEFAULT_ROLE_CONFIG, type Role, type RoleConfig } from './roles';

export { isRole, type Role } from './roles';

/** Who may call a route: anybody, any signed-in user, or a caller with one of the named roles. */
export type Access = 'public' | 'authenticated' | readonly Role[];

/**
 * The user-management routes' access in ROUTES: whichever roles the
 * configuration lets manage users (`userManagerRoles`), resolved by `accessOf`.
 */
export const USER_MANAGERS = 'user-managers';
export type RouteAccess = Access | typeof USER_MANAGERS;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Route {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `{name}` is a path parameter. */
  readonly path: string;
  /** File name (without `.ts`) under `lambdas/handlers/`. */
  readonly handler: string;
  readonly access: RouteAccess;
}

export const ROUTES = [
  { method: 'GET', path: '/', handler: 'root', access: 'public' },
  { method: 'POST', path: '/register', handler: 'register', access: 'public' },
  { method: 'POST', path: '/login', handler: 'login', access: 'public' },
  { method: 'POST', path: '/login/mfa', handler: 'login-mfa', access: 'public' },
  { method: 'POST', path: '/refresh', handler: 'refresh', access: 'public' },
  { method: 'POST', path: '/logout', handler: 'logout', access: 'public' },
  { method: 'GET', path: '/.well-known/jwks.json', handler: 'jwks', access: 'public' },
  { method: 'POST', path: '/password/forgot', handler: 'forgot-password', access: 'public' },
  { method: 'POST', path: '/password/reset', handler: 'reset-password', access: 'public' },
  { method: 'POST', path: '/verify-email', handler: 'verify-email', access: 'public' },
  { method: 'POST', path: '/verify-email/resend', handler: 'resend-verification', access: 'public' },
  { method: 'GET', path: '/.well-known/openid-configuration', handler: 'openid-configuration', access: 'public' },
  { method: 'GET', path: '/openapi.json', handler: 'openapi', access: 'public' },
  { method: 'GET', path: '/api/profile', handler: 'profile', access: 'authenticated' },
  { method: 'POST', path: '/api/orders', handler: 'create-order', access: 'authenticated' },
  { method: 'GET', path: '/api/orders', handler: 'list-orders', access: 'authenticated' },
  { method: 'POST', path: '/api/password', handler: 'change-password', access: 'authenticated' },
  { method: 'GET', path: '/api/sessions', handler: 'list-sessions', access: 'authenticated' },
  { method: 'DELETE', path: '/api/sessions/{id}', handler: 'revoke-session', access: 'authenticated' },
  { method: 'POST', path: '/api/sessions/revoke-all', handler: 'revoke-all-sessions', access: 'authenticated' },
  { method: 'POST', path: '/api/mfa/totp', handler: 'mfa-totp-enrol', access: 'authenticated' },
  { method: 'POST', path: '/api/mfa/totp/confirm', handler: 'mfa-totp-confirm', access: 'authenticated' },
  { method: 'DELETE', path: '/api/mfa/totp', handler: 'mfa-totp-disable', access: 'authenticated' },
  { method: 'GET', path: '/api/admin', handler: 'admin', access: USER_MANAGERS },
  { method: 'GET', path: '/api/users', handler: 'list-users', access: USER_MANAGERS },
  { method: 'PUT', path: '/api/users/{id}/role', handler: 'set-user-role', access: USER_MANAGERS },
  { method: 'DELETE', path: '/api/users/{id}', handler: 'delete-user', access: USER_MANAGERS },
  { method: 'DELETE', path: '/api/users/{id}/sessions', handler: 'revoke-user-sessions', access: USER_MANAGERS },
  // Last, so that events/ (generated in this order) has delete-user.json delete the sample account first.
  { method: 'DELETE', path: '/api/profile', handler: 'delete-profile', access: 'authenticated' },
] as const satisfies readonly Route[];

export type RouteHandlerName = (typeof ROUTES)[number]['handler'];

/** Functions that serve no route: the authorizer and the key rotation function. */
export const SYSTEM_FUNCTIONS = ['authorizer', 'rotate-keys'] as const;
export type SystemFunctionName = (typeof SYSTEM_FUNCTIONS)[number];
export type FunctionName = RouteHandlerName | SystemFunctionName;

/**
 * The wristband's own routes, served by the `Wristband` construct itself;
 * the rest of ROUTES is the demo app, which bin/ adds through `addRoute`
 * like any team's routes.
 */
export const DEMO_HANDLERS = ['profile', 'create-order', 'list-orders', 'admin'] as const;
export type DemoHandlerName = (typeof DEMO_HANDLERS)[number];

export function isDemoRoute(route: Pick<Route, 'handler'>): boolean {
  return (DEMO_HANDLERS as readonly string[]).includes(route.handler);
}

/** A role list as a setting writes it (MFA_REQUIRED_ROLES): names separated by spaces or commas. */
export function parseRoleList(text: string): string[] {
  return text.split(/[\s,]+/).filter((name) => name !== '');
}

/**
 * Whether a second-factor requirement closes `route` to a caller: the route
 * is reserved to roles (not open to every signed-in user), the caller's role
 * is one of `mfaRequiredRoles`, and the token's `amr` has no `otp`. Routes
 * every signed-in user may call (enrolling a second factor among them) stay
 * open, so such a user can enrol and sign in again with a code.
 */
export function needsSecondFactor(role: Role | undefined, route: Pick<Route, 'access'>, mfaRequiredRoles: readonly Role[], otp: boolean): boolean {
  return !otp && role !== undefined && route.access !== 'public' && route.access !== 'authenticated' && mfaRequiredRoles.includes(role);
}

/** A route's access with USER_MANAGERS replaced by the configured roles. */
export function accessOf(access: RouteAccess, roles: RoleConfig = DEFAULT_ROLE_CONFIG): Access {
  return access === USER_MANAGERS ? roles.userManagers : access;
}

/** Whether a caller with `role` may call a route with this access. Public routes need no role. */
export function mayCall(role: Role | undefined, route: { readonly access: Access }): boolean {
  const { access } = route;
  if (access === 'public') return true;
  if (access === 'authenticated') return role !== undefined;
  return role !== undefined && access.includes(role);
}

/** ROUTES with concrete access, for a role configuration. */
export function resolvedRoutes(roles: RoleConfig = DEFAULT_ROLE_CONFIG): readonly ConcreteRoute[] {
  return (ROUTES as readonly Route[]).map((route) => ({ ...route, access: accessOf(route.access, roles) }));
}

/** A route whose access names its roles (no USER_MANAGERS). */
export interface ConcreteRoute extends Omit<Route, 'access'> {
  readonly access: Access;
}

/** Routes that go through the authorizer, with the default roles. */
export function protectedRoutes(): readonly ConcreteRoute[] {
  return resolvedRoutes().filter((route) => route.access !== 'public');
}

/**
 * The resource part of an execute-api ARN for a route, as IAM matches it:
 * path parameters become `*`. `/api/users/{id}/role` -> `PUT/api/users/* /role`.
 */
export function routeArnSuffix(route: Pick<Route, 'method' | 'path'>): string {
  return `${route.method}${route.path.replace(/\{[^}]+\}/g, '*')}`;
}

/**
 * Matches a concrete request path against the table. Returns the route and
 * its path parameters, or whether the path exists with another method (the
 * gateway answers both the same way, but callers may want to know).
 */
export function matchRoute(
  method: string,
  path: string,
): { route: Route; pathParameters: Record<string, string> } | undefined {
  for (const route of ROUTES as readonly Route[]) {
    if (route.method !== method) continue;
    const params = matchPath(route.path, path);
    if (params) return { route, pathParameters: params };
  }
  return undefined;
}

/** A concrete path against one API Gateway path pattern: its parameters, or undefined. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith('{') && w.endsWith('}')) {
      if (g === '') return undefined;
      params[w.slice(1, -1)] = g;
    } else if (w !== g) {
      return undefined;
    }
  }
  return params;
}

/**
 * The routes a per-client abuse limit covers (AUTH_RATE_LIMIT in settings.ts): public routes that take a
 * body and do real work per call (bcrypt, table writes, token issuing): register, login, refresh, logout.
 * The liveness check and the JWKS are cheap reads and stay unlimited.
 */
export function abuseLimitedRoutes(): readonly Route[] {
  return (ROUTES as readonly Route[]).filter((route) => route.access === 'public' && route.method !== 'GET');
}

/** Why a route is closed to a caller (for logs; the caller gets one 403 either way). */
export type RouteRefusal = 'role_not_allowed' | 'second_factor_required';

/** What the decision needs to know about a caller: the token's role, and whether its `amr` has `otp`. */
export interface RouteCaller {
  readonly role: Role | undefined;
  readonly otp: boolean;
}

/** Whether a token's `amr` says the user signed in with a second factor. */
export function signedInWithOtp(amr: readonly string[] | undefined): boolean {
  return (amr ?? []).includes('otp');
}

/**
 * The one decision whether a caller may call a protected route: the role
 * must be one the route allows, and a role in `mfaRequiredRoles`
 * (MFA_REQUIRED_ROLES) needs `otp` for routes reserved to roles. The
 * authorizer's policy (lambdas/authorizer/policy.ts) lists exactly the
 * routes this leaves open, and `protectedHandler` (lambdas/protect.ts) and
 * `adminOf` (lambdas/edge/http.ts) ask it again behind a cached Allow, so
 * they cannot drift. Undefined: open.
 */
export function routeRefusal(route: { readonly access: Access }, caller: RouteCaller, mfaRequiredRoles: readonly Role[]): RouteRefusal | undefined {
  if (!mayCall(caller.role, route)) return 'role_not_allowed';
  if (needsSecondFactor(caller.role, route, mfaRequiredRoles, caller.otp)) return 'second_factor_required';
  return undefined;
}
