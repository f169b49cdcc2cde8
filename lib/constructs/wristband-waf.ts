/**
 * A per-client abuse limit in front of the stage: an AWS WAF web ACL with
 * one rate-based rule that counts, per source IP, the requests to the
 * abuse-limited routes (abuseLimitedRoutes(): register, login, refresh,
 * logout) and answers those over `authRateLimit` per window with the
 * contract's `429 too_many_requests`, CORS headers and Retry-After. Stage
 * throttling stays the ceiling for everyone; this keeps one client from
 * spending it all and locking every user out of login.
 *
 * WAF sees the request before API Gateway routes it, so the rule matches on
 * the method and the URI path: the path ends with a limited route's path
 * (after URL decoding, with or without a trailing slash), whatever comes
 * before it (`/prod` on the execute-api URL, a base path on a custom
 * domain). Matching a suffix can only count more, never less: any other
 * path ending that way is not a route and gets 404 anyway.
 */
import { Stack } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { errorBody } from '../../lambdas/contract/errors';
import { rateLimitedHeaders } from '../../lambdas/contract/cors';
import { abuseLimitedRoutes, type Route } from '../../lambdas/contract/routes';

export interface WristbandWafProps {
  /** Requests per source IP per window (AWS WAF: at least 10). */
  readonly limit: number;
  /** 60, 120, 300 or 600. */
  readonly windowSeconds: number;
  readonly stage: Stage;
  /** Access-Control-Allow-Origin of the 429 (the stack's corsOrigin), so a browser on that origin can read it. */
  readonly corsOrigin?: string;
}

/** The key the rule's custom response names its body by. */
export const TOO_MANY_REQUESTS_BODY_KEY = 'too-many-requests';
export const AUTH_RATE_RULE_NAME = 'auth-routes-per-ip';

/** A regex (the subset AWS WAF accepts: no lookaround, no non-capturing groups) for a URI path ending in one of the routes' paths. */
export function routePathPattern(routes: readonly Pick<Route, 'path'>[]): string {
  const alternatives = routes.map((route) =>
    route.path
      .slice(1)
      .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      .replace(/\{[^}]+\}/g, '[^/]+'),
  );
  return `/(${[...new Set(alternatives)].join('|')})/?$`;
}

export class WristbandWaf extends Construct {
  readonly webAcl: CfnWebACL;
  readonly association: CfnWebACLAssociation;

  constructor(scope: Construct, id: string, props: WristbandWafProps) {
    super(scope, id);
    const routes = abuseLimitedRoutes();
    const metricPrefix = Stack.of(this).stackName;
    const methods = [...new Set(routes.map((route) => route.method))].map(
      (method): CfnWebACL.StatementProperty => ({
        byteMatchStatement: {
          fieldToMatch: { method: {} },
          positionalConstraint: 'EXACTLY',
          searchString: method,
          textTransformations: [{ priority: 0, type: 'NONE' }],
        },
      }),
    );
    const path: CfnWebACL.StatementProperty = {
      regexMatchStatement: {
        fieldToMatch: { uriPath: {} },
        regexString: routePathPattern(routes),
        // `/log%69n` is `/login` to API Gateway, so it is to the rule too.
        textTransformations: [{ priority: 0, type: 'URL_DECODE' }],
      },
    };
    const method = methods.length === 1 ? (methods[0] as CfnWebACL.StatementProperty) : { orStatement: { statements: methods } };

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      description: 'wristband: per-client rate limit on register, login, refresh and logout',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      customResponseBodies: {
        [TOO_MANY_REQUESTS_BODY_KEY]: { contentType: 'APPLICATION_JSON', content: JSON.stringify(errorBody('too_many_requests')) },
      },
      rules: [
        {
          name: AUTH_RATE_RULE_NAME,
          priority: 0,
          statement: {
            rateBasedStatement: {
              limit: props.limit,
              evaluationWindowSec: props.windowSeconds,
              aggregateKeyType: 'IP',
              scopeDownStatement: { andStatement: { statements: [method, path] } },
            },
          },
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                customResponseBodyKey: TOO_MANY_REQUESTS_BODY_KEY,
                responseHeaders: Object.entries(rateLimitedHeaders(props.windowSeconds, props.corsOrigin)).map(([name, value]) => ({ name, value })),
              },
            },
          },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${metricPrefix}-${AUTH_RATE_RULE_NAME}`, sampledRequestsEnabled: true },
        },
      ],
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${metricPrefix}-web-acl`, sampledRequestsEnabled: true },
    });

    // The stage ARN refers to the stage (Ref), so CloudFormation creates the association after it.
    this.association = new CfnWebACLAssociation(this, 'StageAssociation', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
