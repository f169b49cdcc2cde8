/**
 * The route table: every route of the HTTP contract, written once. The CDK
 * stack builds API Gateway resources and functions from it, the authorizer
 * builds its IAM policy from it, the local stack routes with it, and the
 * tests enumerate it. Keep it free of imports so the authorizer bundle stays
 * small.
 */

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return value === 'user' || value === 'admin';
}

/** Who may call a route: anybody, any signed-in user, or admins only. */
export type Access = 'public' | 'authenticated' | 'admin';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Route {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `{name}` is a path parameter. */
  readonly path: string;
  /** File name (without `.ts`) under `lambdas/handlers/`. */
  readonly handler: string;
  readonly access: Access;
}

export const ROUTES = [
  { method: 'GET', path: '/', handler: 'root', access: 'public' },
  { method: 'POST', path: '/register', handler: 'register', access: 'public' },
  { method: 'POST', path: '/login', handler: 'login', access: 'public' },
  { method: 'POST', path: '/refresh', handler: 'refresh', access: 'public' },
  { method: 'POST', path: '/logout', handler: 'logout', access: 'public' },
  { method: 'GET', path: '/.well-known/jwks.json', handler: 'jwks', access: 'public' },
  { method: 'POST', path: '/password/forgot', handler: 'forgot-password', access: 'public' },
  { method: 'POST', path: '/password/reset', handler: 'reset-password', access: 'public' },
  { method: 'POST', path: '/verify-email', handler: 'verify-email', access: 'public' },
  { method: 'POST', path: '/verify-email/resend', handler: 'resend-verification', access: 'public' },
  { method: 'GET', path: '/api/profile', handler: 'profile', access: 'authenticated' },
  { method: 'POST', path: '/api/orders', handler: 'create-order', access: 'authenticated' },
  { method: 'GET', path: '/api/orders', handler: 'list-orders', access: 'authenticated' },
  { method: 'POST', path: '/api/password', handler: 'change-password', access: 'authenticated' },
  { method: 'GET', path: '/api/sessions', handler: 'list-sessions', access: 'authenticated' },
  { method: 'DELETE', path: '/api/sessions/{id}', handler: 'revoke-session', access: 'authenticated' },
  { method: 'POST', path: '/api/sessions/revoke-all', handler: 'revoke-all-sessions', access: 'authenticated' },
  { method: 'GET', path: '/api/admin', handler: 'admin', access: 'admin' },
  { method: 'GET', path: '/api/users', handler: 'list-users', access: 'admin' },
  { method: 'PUT', path: '/api/users/{id}/role', handler: 'set-user-role', access: 'admin' },
  { method: 'DELETE', path: '/api/users/{id}', handler: 'delete-user', access: 'admin' },
  { method: 'DELETE', path: '/api/users/{id}/sessions', handler: 'revoke-user-sessions', access: 'admin' },
  // Last, so that events/ (generated in this order) has delete-user.json delete the sample account first.
  { method: 'DELETE', path: '/api/profile', handler: 'delete-profile', access: 'authenticated' },
] as const satisfies readonly Route[];

export type RouteHandlerName = (typeof ROUTES)[number]['handler'];

/** Functions that serve no route: the authorizer and the key rotation function. */
export const SYSTEM_FUNCTIONS = ['authorizer', 'rotate-keys'] as const;
export type SystemFunctionName = (typeof SYSTEM_FUNCTIONS)[number];
export type FunctionName = RouteHandlerName | SystemFunctionName;

/** Whether a caller with `role` may call `route`. Public routes need no role. */
export function mayCall(role: Role | undefined, route: Pick<Route, 'access'>): boolean {
  switch (route.access) {
    case 'public':
      return true;
    case 'authenticated':
      return role !== undefined;
    case 'admin':
      return role === 'admin';
  }
}

/** Routes that go through the authorizer. */
export function protectedRoutes(): readonly Route[] {
  return ROUTES.filter((route) => route.access !== 'public');
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
