/**
 * The IAM policy the authorizer returns. API Gateway caches it per token
 * and evaluates it for every later request with that token, so it must be
 * right for every route, not only the one being called: it allows exactly
 * the protected routes the token's role may call, and nothing else (the
 * implicit deny gives 403 for the rest).
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { encodeAuthorizerContext } from '../contract/authorizer-context';
import { routeTable, type TableRoute } from '../contract/route-table';
import { routeArnSuffix, routeRefusal, signedInWithOtp, type Role } from '../contract/routes';
import type { AccessClaims } from '../tokens/access-token-verifier';

/** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}` -> the part up to the stage. */
export function apiStageArn(methodArn: string): string {
  const parts = methodArn.split('/');
  if (parts.length < 3 || !parts[0]?.startsWith('arn:') || !parts[1]) throw new Error(`unexpected methodArn: ${methodArn.slice(0, 200)}`);
  return `${parts[0]}/${parts[1]}`;
}

/**
 * Execute-api resources a role may invoke, for one API stage. Each route in
 * both spellings: API Gateway routes `GET /api/profile/` to the
 * `/api/profile` method, and does not document whether the slash stays in
 * the method ARN it hands the authorizer; if it does, an exact-path policy
 * would answer 403 to a valid token (and cache that for the token).
 * The routes are the function's route table (ROUTES_ENV, rendered at synth).
 */
export function allowedResources(
  role: AccessClaims['role'],
  stageArn: string,
  routes: readonly TableRoute[] = routeTable(),
  secondFactor: { required: readonly Role[]; otp: boolean } = { required: [], otp: false },
): string[] {
  return routes
    .filter((route) => routeRefusal(route, { role, otp: secondFactor.otp }, secondFactor.required) === undefined)
    .flatMap((route) => [`${stageArn}/${routeArnSuffix(route)}`, `${stageArn}/${routeArnSuffix(route)}/`]);
}

/**
 * The resource lists depend only on the role, whether the token's amr has
 * `otp`, and the stage (the required roles are fixed per container), so they
 * are built once per such key, not per request. One API has one or two stages; the
 * bound only guards against a surprise.
 */
const resourceLists = new Map<string, readonly string[]>();
const RESOURCE_LISTS_MAX = 64;
/** The table the lists were built from: the same object for the life of a container, parsed once. */
let listsTable: readonly TableRoute[] | undefined;

function resourcesFor(role: AccessClaims['role'], otp: boolean, required: readonly Role[], stageArn: string): readonly string[] {
  const routes = routeTable();
  if (routes !== listsTable) {
    resourceLists.clear();
    listsTable = routes;
  }
  const key = `${role} ${otp ? 'otp' : '-'} ${required.join(',')} ${stageArn}`;
  let resources = resourceLists.get(key);
  if (!resources) {
    if (resourceLists.size >= RESOURCE_LISTS_MAX) resourceLists.clear();
    resources = Object.freeze(allowedResources(role, stageArn, routes, { required, otp }));
    resourceLists.set(key, resources);
  }
  return resources;
}

/** The policy for a verified token; `mfaRequiredRoles` (MFA_REQUIRED_ROLES) closes those roles' routes to tokens without `otp`. */
export function policyFor(claims: AccessClaims, methodArn: string, mfaRequiredRoles: readonly Role[] = []): APIGatewayAuthorizerResult {
  return {
    principalId: claims.sub,
    policyDocument: {
      Version: '2012-10-17',
      // A copy: the result is the caller's to keep or change, the memoized list is not.
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resourcesFor(claims.role, signedInWithOtp(claims.amr), mfaRequiredRoles, apiStageArn(methodArn)).slice() }],
    },
    // Strings only (lambdas/contract/authorizer-context.ts): API Gateway refuses objects and arrays, and stringifies the rest.
    context: encodeAuthorizerContext(claims),
  };
}
