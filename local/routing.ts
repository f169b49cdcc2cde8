/**
 * How a REST API stage maps a request path to a resource, where the route
 * table alone does not say.
 *
 * - A trailing slash is ignored: `GET /api/profile/` reaches the
 *   `/api/profile` method (the method ARN keeps the path as sent; the
 *   authorizer's policy allows both spellings, lambdas/authorizer/policy.ts).
 * - Every resource the stack creates answers a CORS preflight: each route's
 *   path and each of its parents (`resourceForPath` creates `/api`,
 *   `/api/users`, `/api/users/{id}`), because the RestApi sets
 *   `defaultCorsPreflightOptions` (lib/constructs/wristband-api.ts).
 */
import { matchPath, ROUTES } from '../lambdas/contract/routes';

/** The path the resource tree is matched with: the request path without one trailing slash. */
export function routingPath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Resource paths of the deployed API, parents included. */
export function resourcePaths(routes: readonly { readonly path: string }[] = ROUTES): readonly string[] {
  const paths = new Set<string>(['/']);
  for (const route of routes) {
    const segments = route.path.split('/').slice(1);
    for (let i = 1; i <= segments.length; i++) paths.add(`/${segments.slice(0, i).join('/')}`);
  }
  return [...paths];
}

const RESOURCES = resourcePaths();

/** Whether a request path (already through `routingPath`) names a resource, which then has an OPTIONS method. */
export function isResource(path: string): boolean {
  return RESOURCES.some((pattern) => matchPath(pattern, path) !== undefined);
}
