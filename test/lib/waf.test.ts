/**
 * The per-client abuse limit as the stack deploys it: a WAF web ACL on the
 * stage with one rate-based rule per source IP, scoped to the abuse-limited
 * routes of the route table, answering the contract's 429 with CORS and
 * Retry-After; and the configuration that sizes it.
 */
import { errorBody } from '../../lambdas/contract/errors';
import { CORS_HEADERS } from '../../lambdas/edge/http';
import { abuseLimitedRoutes, ROUTES, type Route } from '../../lambdas/contract/routes';
import { AUTH_RATE_LIMIT, AUTH_RATE_LIMIT_WINDOW } from '../../lambdas/contract/settings';
import { STAGE_NAME } from '../../lib/constructs/wristband-api';
import { context, problemsOf, synth } from './synth';

const { stack, template } = synth();

/* eslint-disable @typescript-eslint/no-explicit-any */
function onlyWebAcl(t = template): any {
  const acls = Object.values(t.findResources('AWS::WAFv2::WebACL'));
  expect(acls).toHaveLength(1);
  return acls[0]!.Properties;
}

describe('the web ACL (default configuration)', () => {
  const acl = onlyWebAcl();
  const rule = acl.Rules[0];
  const rate = rule.Statement.RateBasedStatement;
  const [method, path] = rate.ScopeDownStatement.AndStatement.Statements;

  it('is a regional ACL that allows by default and has exactly one rule, rate-based per source IP', () => {
    expect(acl).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    expect(acl.Rules).toHaveLength(1);
    expect(rate).toMatchObject({ Limit: AUTH_RATE_LIMIT.default, EvaluationWindowSec: AUTH_RATE_LIMIT_WINDOW.default, AggregateKeyType: 'IP' });
  });

  it('counts only POSTs to register, login, login/mfa, refresh, logout and the recovery routes, read from the route table', () => {
    expect(abuseLimitedRoutes().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /register', 'POST /login', 'POST /login/mfa', 'POST /refresh', 'POST /logout',
      'POST /password/forgot', 'POST /password/reset', 'POST /verify-email', 'POST /verify-email/resend',
    ]);
    expect(method.ByteMatchStatement).toMatchObject({ FieldToMatch: { Method: {} }, PositionalConstraint: 'EXACTLY', SearchString: 'POST' });
    expect(path.RegexMatchStatement.FieldToMatch).toEqual({ UriPath: {} });
    expect(path.RegexMatchStatement.TextTransformations).toEqual([{ Priority: 0, Type: 'URL_DECODE' }]);

    // The regex as WAF runs it, on the paths it sees: the stage prefix on the execute-api URL, or none on a custom domain.
    const regex = new RegExp(path.RegexMatchStatement.RegexString);
    for (const route of ROUTES as readonly Route[]) {
      const concrete = route.path.replace(/\{[^}]+\}/g, 'x');
      const limited = abuseLimitedRoutes().includes(route);
      for (const seen of [`/${STAGE_NAME}${concrete}`, concrete, `/${STAGE_NAME}${concrete}/`]) {
        if (concrete === '/' && seen.endsWith('//')) continue;
        expect([seen, regex.test(seen)]).toEqual([seen, limited]);
      }
    }
    for (const lookalike of ['/prod/loginx', '/prod/xlogin', '/prod/login.json', '/prod/api/profile']) expect([lookalike, regex.test(lookalike)]).toEqual([lookalike, false]);
  });

  it("blocks with the contract's 429 too_many_requests body, CORS headers and Retry-After", () => {
    const response = rule.Action.Block.CustomResponse;
    expect(response.ResponseCode).toBe(429);
    expect(acl.CustomResponseBodies[response.CustomResponseBodyKey]).toEqual({ ContentType: 'APPLICATION_JSON', Content: JSON.stringify(errorBody('too_many_requests')) });
    const headers = Object.fromEntries(response.ResponseHeaders.map((h: { Name: string; Value: string }) => [h.Name, h.Value]));
    expect(headers).toEqual({ ...CORS_HEADERS, 'Retry-After': String(AUTH_RATE_LIMIT_WINDOW.default) });
    expect(headers['Access-Control-Expose-Headers']).toContain('Retry-After');
  });

  it('publishes CloudWatch metrics and sampled requests for the rule and the ACL', () => {
    for (const visibility of [rule.VisibilityConfig, acl.VisibilityConfig]) {
      expect(visibility).toMatchObject({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: expect.stringMatching(/^[\w#:.\-/]+$/) });
    }
  });

  it('is associated with the stage (a Ref, so created after it)', () => {
    const associations = Object.values(template.findResources('AWS::WAFv2::WebACLAssociation'));
    expect(associations).toHaveLength(1);
    const association = associations[0]!;
    const stageId = stack.getLogicalId(stack.api.api.deploymentStage.node.defaultChild as never);
    expect(association.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(stack.api.waf!.webAcl), 'Arn'] });
    const arn = JSON.stringify(association.Properties.ResourceArn);
    expect(arn).toContain(`{"Ref":"${stageId}"}`);
    expect(arn).toContain('/restapis/');
  });
});

describe('configuration', () => {
  it('sizes the rule with authRateLimit and authRateLimitWindowSeconds', () => {
    const rate = onlyWebAcl(synth({ context: { authRateLimit: '20', authRateLimitWindowSeconds: 60 } }).template).Rules[0].Statement.RateBasedStatement;
    expect(rate).toMatchObject({ Limit: 20, EvaluationWindowSec: 60 });
  });

  it('creates no web ACL with authRateLimit 0', () => {
    const { template: off, stack: offStack } = synth({ context: { authRateLimit: 0 } });
    off.resourceCountIs('AWS::WAFv2::WebACL', 0);
    off.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    expect(offStack.api.waf).toBeUndefined();
  });

  it.each([
    [{ authRateLimit: 9 }, 'authRateLimit must be 0 (off) or an integer from 10 to 2000000000 (AWS WAF\'s range for a rate-based rule), got 9'],
    [{ authRateLimit: 2_000_000_001 }, 'authRateLimit must be 0 (off) or an integer from 10 to 2000000000 (AWS WAF\'s range for a rate-based rule), got 2000000001'],
    [{ authRateLimit: 'lots' }, 'authRateLimit must be 0 (off) or an integer from 10 to 2000000000 (AWS WAF\'s range for a rate-based rule), got "lots"'],
    [{ authRateLimit: -1 }, 'authRateLimit must be 0 (off) or an integer from 10 to 2000000000 (AWS WAF\'s range for a rate-based rule), got -1'],
    [{ authRateLimitWindowSeconds: 30 }, 'authRateLimitWindowSeconds must be one of 60, 120, 300, 600 (the evaluation windows AWS WAF offers), got 30'],
    [{ authRateLimitWindowSeconds: '5m' }, 'authRateLimitWindowSeconds must be one of 60, 120, 300, 600 (the evaluation windows AWS WAF offers), got "5m"'],
  ])('refuses %j at synth with a one-line reason', (values, problem) => {
    expect(problemsOf(context(values))).toEqual([problem]);
  });

  it('accepts the edges AWS WAF accepts', () => {
    for (const values of [{ authRateLimit: 10 }, { authRateLimit: 2_000_000_000 }, { authRateLimit: 0 }, ...[60, 120, 300, 600].map((w) => ({ authRateLimitWindowSeconds: w }))]) {
      expect([values, problemsOf(context(values))]).toEqual([values, []]);
    }
  });
});
