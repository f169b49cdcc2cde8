/**
 * The authorizer's metrics: one count per invocation, by outcome. Written
 * with the tiny EMF writer (lambdas/shared/emf.ts), not Powertools Metrics,
 * to keep the authorizer's bundle small.
 *
 * API Gateway caches the authorizer's decision per token, so these count
 * invocations (cache misses), not requests: a token allowed once and then
 * used for 300 s of calls counts once. The gateway's own view of every
 * request is in the access logs and the API's metrics.
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { emitCount } from './emf';
import { authorizerRejectReason } from './metric-catalog';

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
 * Counts `allow` or `deny` for a policy the authorizer is about to return:
 * `allow` when one of its Allow statements covers `methodArn` (IAM `*`
 * wildcards), `deny` otherwise. The policy is returned either way: it is
 * cached and must be right for every route.
 */
export function authorizerDecision(result: APIGatewayAuthorizerResult, methodArn: string): void {
  authorizerOutcome(policyAllows(result, methodArn) ? 'allow' : 'deny');
}

/** IAM's rule: an explicit Deny wins, then any Allow; nothing is the implicit deny. */
function policyAllows(result: APIGatewayAuthorizerResult, methodArn: string): boolean {
  let allowed = false;
  for (const statement of result.policyDocument?.Statement ?? []) {
    const s = statement as { Effect?: string; Resource?: string | string[] };
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    if (!resources.some((resource) => typeof resource === 'string' && arnMatches(resource, methodArn))) continue;
    if (s.Effect === 'Deny') return false;
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed;
}

/** IAM resource matching: `*` is any run of characters (slashes included), `?` any one. */
function arnMatches(pattern: string, arn: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(arn);
}
