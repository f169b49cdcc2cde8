/**
 * The authorizer's metrics: one count per invocation, by outcome. Written
 * with the tiny EMF writer (lambdas/telemetry/emf.ts), not Powertools Metrics,
 * to keep the authorizer's bundle small.
 *
 * API Gateway caches the authorizer's decision per token, so these count
 * invocations (cache misses), not requests: a token allowed once and then
 * used for 300 s of calls counts once. The gateway's own view of every
 * request is in the access logs and the API's metrics.
 */
import { emitCount } from '../telemetry/emf';
import { authorizerRejectReason } from '../contract/metric-catalog';
import { findRoute, routeTable, type TableRoute } from '../contract/route-table';

export type AuthorizerOutcome = 'allow' | 'deny' | 'reject' | 'error';

/**
 * Counts one authorizer outcome: `allow` (a verified token whose role may
 * call the route), `deny` (verified, but the route is not for its role),
 * `reject` (401, with the verifier's reason: mapped onto a short fixed
 * list), `error` (could not verify: failed closed).
 */
export function authorizerOutcome(outcome: AuthorizerOutcome, reason?: string): void {
  switch (outcome) {
    case 'allow':
      return emitCount('authorizerAllowed');
    case 'deny':
      return emitCount('authorizerDenied');
    case 'reject':
      return emitCount('authorizerRejected', authorizerRejectReason(reason));
    case 'error':
      return emitCount('authorizerFailed');
  }
}

/**
 * Counts `allow` or `deny` for the route being called: whether `open` (the
 * policy's own decision, `routeRefusal` in lambdas/contract/routes.ts,
 * role and second factor alike) leaves it open, for the route table's entry
 * (the same fact the returned policy is built from), not by evaluating the
 * policy again on the hot path.
 */
export function authorizerDecision(methodArn: string, open: (route: TableRoute) => boolean): void {
  const route = routeOfMethodArn(methodArn);
  authorizerOutcome(route && open(route) ? 'allow' : 'deny');
}

/** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path...}` -> the route table's entry, if any. */
function routeOfMethodArn(methodArn: string): TableRoute | undefined {
  const parts = methodArn.split('/');
  if (parts.length < 3) return undefined;
  return findRoute(routeTable(), parts[2] as string, `/${parts.slice(3).join('/')}`);
}
