/**
 * `protectedHandler`: the one wrapper a route behind the wristband
 * authorizer needs, for the demo's handlers and a team's own.
 *
 *   export const handler = protectedHandler(async (event, caller) => ({ articles: await list(caller.sub) }));
 *
 * API Gateway caches the authorizer's Allow per token for the cache TTL, and
 * looks at neither the token's `exp` nor, when one token calls several
 * routes, the route's roles again. So before the function runs this:
 * - refuses a token that expired behind a cached Allow (401 `invalid_token`,
 *   with `WWW-Authenticate: Bearer error="invalid_token"`);
 * - refuses a role the route does not allow (403), matched by
 *   `event.httpMethod` + `event.resource` against the route table the stack
 *   rendered into this function's environment (WRISTBAND_ROUTES); a route
 *   missing from the table is refused too, never guessed;
 * - refuses, like the authorizer's policy, a role that needs a second factor
 *   (MFA_REQUIRED_ROLES, also in this function's environment) on a route
 *   reserved to roles when the token's `amr` has no `otp` (the same 403, with
 *   its hint to enrol). Both ask one function, `routeRefusal` (lambdas/contract/routes.ts),
 *   so this re-check can never be weaker than the policy;
 * - answers every error in the contract's shape (`{"error":{"code","message"}}`)
 *   with the CORS headers, and a throw it does not know as a 500 without details.
 *
 * The function may return an API Gateway proxy result as it is, or any other
 * value, which is sent as `200` JSON. It gets the Lambda context as its third
 * argument, so Powertools (Logger, Tracer, Metrics) can wrap it or be used
 * inside it: this wrapper keeps its own logger and never touches another's.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { AuthorizerContext } from './contract/authorizer-context';
import { processMfaRequiredRoles } from './contract/config';
import { ForbiddenError } from './contract/errors';
import { httpHandler, jsonResponse, unexpiredContext, type HttpHandler } from './edge/http';
import { routeOfResource, routeTable } from './contract/route-table';
import { routeRefusal, signedInWithOtp } from './contract/routes';

export { ForbiddenError, NotFoundError, ValidationError, WristbandError } from './contract/errors';
export { jsonResponse, noContent, toRequest as requestOf, type HttpRequest } from './edge/http';

/** The verified caller: the access token's claims the authorizer passed on. */
export type VerifiedCaller = AuthorizerContext;

export type ProtectedFunction<R> = (event: APIGatewayProxyEvent, caller: VerifiedCaller, context: Context | undefined) => Promise<R>;

/**
 * The caller of this request, or the error to answer: 401 when the
 * authorizer's context is missing or the token has expired since it was
 * cached, 403 when the route is not in this function's table, not for the
 * caller's role, or needs a second factor the token's `amr` lacks.
 */
export function verifiedCaller(event: APIGatewayProxyEvent, now: number = Date.now()): VerifiedCaller {
  const caller = unexpiredContext(event, now);
  const route = routeOfResource(routeTable(), String(event?.httpMethod), String(event?.resource));
  if (!route) throw new ForbiddenError('route_not_in_table');
  const refusal = routeRefusal(route, { role: caller.role, otp: signedInWithOtp(caller.amr) }, processMfaRequiredRoles());
  if (refusal) throw new ForbiddenError(refusal);
  return caller;
}

export function protectedHandler<R>(fn: ProtectedFunction<R>): HttpHandler {
  return httpHandler(async (request, context) => {
    const caller = verifiedCaller(request.event);
    const out = await fn(request.event, caller, context);
    return isProxyResult(out) ? out : jsonResponse(200, out);
  });
}

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  return typeof value === 'object' && value !== null && typeof (value as { statusCode?: unknown }).statusCode === 'number';
}
