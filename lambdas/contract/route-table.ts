/**
 * The route table as it travels to the functions: rendered at synth by the
 * `Wristband` construct (lib/wristband.ts) into ROUTES_ENV, read here once
 * per cold start by the authorizer (its cache-safe policy) and by
 * `protectedHandler` (the route's roles behind a cached Allow). One
 * encoder, one decoder, both here, so lib/ and the functions cannot
 * disagree about the format:
 *
 *   [["GET","/api/articles","authenticated"],["DELETE","/api/articles/{id}",["editor","admin"]]]
 *
 * Only routes behind the authorizer are listed; public routes never reach it.
 * Plain data and pure functions: part of the authorizer bundle and of lib/.
 */
import { roleConfig, ROLES_ENV } from './roles';
import { matchPath, resolvedRoutes, type Access, type HttpMethod } from './routes';

export const ROUTES_ENV = 'WRISTBAND_ROUTES';

/**
 * Lambda allows 4 KB for all of a function's environment variables; the
 * route table may use what the authorizer's other variables leave
 * (the construct counts them at synth: lib/wristband.ts).
 */
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4096;

export interface TableRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly access: Access;
}

export const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'DELETE'];

type Entry = [method: string, path: string, allow: 'authenticated' | string[]];

export function encodeRouteTable(routes: readonly TableRoute[]): string {
  const entries: Entry[] = routes
    .filter((route) => route.access !== 'public')
    .map((route) => [route.method, route.path, route.access === 'authenticated' ? 'authenticated' : [...(route.access as readonly string[])]]);
  return JSON.stringify(entries);
}

/** The inverse of `encodeRouteTable`; throws one line naming the first bad entry. */
export function decodeRouteTable(raw: string): TableRoute[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${ROUTES_ENV} is not JSON`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${ROUTES_ENV} must be a JSON array of [method, path, allow]`);
  return parsed.map((entry: unknown, i) => {
    const [method, path, allow] = Array.isArray(entry) ? entry : [];
    const okAllow =
      allow === 'public' || allow === 'authenticated' || (Array.isArray(allow) && allow.length > 0 && allow.every((r) => typeof r === 'string'));
    if (!HTTP_METHODS.includes(method) || typeof path !== 'string' || !path.startsWith('/') || !okAllow || (entry as unknown[]).length !== 3) {
      throw new Error(`${ROUTES_ENV} entry ${i} is not [method, path, "authenticated" | [roles]]: ${JSON.stringify(entry).slice(0, 200)}`);
    }
    return { method, path, access: Array.isArray(allow) ? Object.freeze([...allow]) : allow } as TableRoute;
  });
}

let cached: { raw: string | undefined; roles: string | undefined; routes: readonly TableRoute[] } | undefined;

/**
 * The protected routes of this function's environment. Absent (unit tests,
 * scripts that call a handler directly): wristband's own table with the
 * configured roles, which is what the stack renders for the demo.
 */
export function routeTable(env: Readonly<Record<string, string | undefined>> = process.env): readonly TableRoute[] {
  const raw = env[ROUTES_ENV];
  const roles = env[ROLES_ENV];
  if (!cached || cached.raw !== raw || cached.roles !== roles) {
    const routes =
      raw === undefined || raw.trim() === ''
        ? resolvedRoutes(roleConfig(env)).filter((route) => route.access !== 'public')
        : decodeRouteTable(raw);
    cached = { raw, roles, routes: Object.freeze(routes.map((route) => Object.freeze({ method: route.method, path: route.path, access: route.access }))) };
  }
  return cached.routes;
}

/** The table's route for a concrete method and path, or undefined. */
export function findRoute(routes: readonly TableRoute[], method: string, path: string): TableRoute | undefined {
  return routes.find((route) => route.method === method && matchPath(route.path, path) !== undefined);
}

/** The table's route for an API Gateway resource (the path pattern, `event.resource`), or undefined. */
export function routeOfResource(routes: readonly TableRoute[], method: string, resource: string): TableRoute | undefined {
  return routes.find((route) => route.method === method && route.path === resource);
}
