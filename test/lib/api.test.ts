import { Match } from 'aws-cdk-lib/assertions';
import { JWKS_PATH } from '../../lib/constructs/wristband-api';
import { BEARER_HEADER_PATTERN } from '../../lambdas/contract/bearer';
import { errorBody } from '../../lambdas/contract/errors';
import { GATEWAY_RESPONSES } from '../../lambdas/contract/gateway-responses';
import { CORS_HEADERS } from '../../lambdas/edge/http';
import { ROUTES, type Route, type RouteHandlerName } from '../../lambdas/contract/routes';
import { findMethod, functionLogicalId, logicalId, resourcePaths, synth } from './synth';

const routes = ROUTES as readonly Route[];
const literal = (value: string) => `'${value}'`;
const corsParameters = (prefix: string) =>
  Object.fromEntries(Object.entries(CORS_HEADERS).map(([name, value]) => [`${prefix}.${name}`, literal(value)]));

// One default template for the file, and one with every API knob turned.
const { stack, template } = synth();
const configured = synth({ context: { authorizerCacheTtlSeconds: '60', throttlingRateLimit: 10, throttlingBurstLimit: 20 } }).template;

describe('the REST API', () => {
  const authorizerId = logicalId(stack, stack.api.authorizer);

  it('has a resource for every route path and nothing else', () => {
    const paths = new Set(resourcePaths(template).values());
    const expected = new Set(routes.flatMap((r) => r.path.split('/').slice(1).map((_, i, parts) => `/${parts.slice(0, i + 1).join('/')}`)));
    expected.delete('/');

    expect(paths).toEqual(expected);
  });

  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s is a Lambda proxy integration of its handler', (_, route) => {
    const method = findMethod(template, route.method, route.path);

    expect(method).toBeDefined();
    expect(method!.Integration).toMatchObject({
      Type: 'AWS_PROXY',
      IntegrationHttpMethod: 'POST',
      Uri: { 'Fn::Join': ['', expect.arrayContaining([{ 'Fn::GetAtt': [functionLogicalId(stack, route.handler as RouteHandlerName), 'Arn'] }])] },
    });
  });

  it('has no method beyond the routes and their CORS preflights', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties.HttpMethod);

    expect(methods.filter((m) => m !== 'OPTIONS')).toHaveLength(routes.length);
  });

  it.each(routes.filter((r) => r.access !== 'public').map((r) => [`${r.method} ${r.path}`, r] as const))(
    'protected route %s goes through the authorizer',
    (_, route) => {
      expect(findMethod(template, route.method, route.path)).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
    },
  );

  it.each(routes.filter((r) => r.access === 'public').map((r) => [`${r.method} ${r.path}`, r] as const))(
    'public route %s does not',
    (_, route) => {
      const method = findMethod(template, route.method, route.path)!;

      expect(method.AuthorizationType).toBe('NONE');
      expect(method.AuthorizerId).toBeUndefined();
    },
  );

  it('answers CORS preflights on every resource without a token, with the CORS_HEADERS values', () => {
    const preflights = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod === 'OPTIONS');

    expect(preflights).toHaveLength(resourcePaths(template).size + 1);
    for (const { Properties: method } of preflights) {
      expect(method.AuthorizationType).toBe('NONE');
      expect(method.Integration.Type).toBe('MOCK');
      expect(method.Integration.IntegrationResponses[0].ResponseParameters).toEqual(corsParameters('method.response.header'));
    }
  });
});

describe('the authorizer', () => {

  it('is a TOKEN authorizer on the Authorization header, refusing non-bearer headers itself, cached 300 s', () => {
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      IdentityValidationExpression: BEARER_HEADER_PATTERN,
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  it('invokes the authorizer function', () => {
    const [authorizer] = Object.values(template.findResources('AWS::ApiGateway::Authorizer'));

    expect(JSON.stringify(authorizer!.Properties.AuthorizerUri)).toContain(functionLogicalId(stack, 'authorizer'));
  });

  it('has a cache TTL set by authorizerCacheTtlSeconds', () => {
    configured.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 60 });
  });
});

describe('the gateway responses', () => {
  const responses = template.findResources('AWS::ApiGateway::GatewayResponse');
  const byType = new Map(Object.values(responses).map((r) => [r.Properties.ResponseType as string, r.Properties]));

  it('are exactly the GATEWAY_RESPONSES entries', () => {
    expect([...byType.keys()].sort()).toEqual(GATEWAY_RESPONSES.map((r) => r.type).sort());
  });

  it.each(GATEWAY_RESPONSES.map((spec) => [spec.type, spec] as const))('%s answers with the contract status, body, CORS and Retry-After', (type, spec) => {
    const response = byType.get(type)!;
    const headers: Record<string, string> = corsParameters('gatewayresponse.header');
    if ('retryAfterSeconds' in spec) headers['gatewayresponse.header.Retry-After'] = literal(String(spec.retryAfterSeconds));
    if ('wwwAuthenticate' in spec) headers['gatewayresponse.header.WWW-Authenticate'] = literal(spec.wwwAuthenticate);

    if ('keepStatus' in spec && spec.keepStatus) expect(response.StatusCode).toBeUndefined();
    else expect(response.StatusCode).toBe(String(spec.status));
    expect(response.ResponseTemplates).toEqual({ 'application/json': JSON.stringify(errorBody(spec.code)) });
    expect(response.ResponseParameters).toEqual(headers);
  });

  it('let a browser read Retry-After and WWW-Authenticate (Access-Control-Expose-Headers) on every one', () => {
    for (const [type, response] of byType) {
      const exposed = String(response.ResponseParameters['gatewayresponse.header.Access-Control-Expose-Headers'] ?? '');
      expect([type, exposed.split(/[',]/).filter(Boolean)]).toEqual([type, expect.arrayContaining(['Retry-After', 'WWW-Authenticate'])]);
    }
  });

  it('have literal bodies: nothing API Gateway would substitute', () => {
    for (const response of byType.values()) expect(response.ResponseTemplates['application/json']).not.toContain('$');
  });

  it('send the 401 with WWW-Authenticate: Bearer and no error code (it also answers requests with no token, RFC 6750 §3.1)', () => {
    const unauthorized = [...byType.values()].filter((r) => r.StatusCode === '401');

    expect(unauthorized.map((r) => r.ResponseParameters['gatewayresponse.header.WWW-Authenticate'])).toEqual(["'Bearer'"]);
  });

  it('send the 503s with Retry-After', () => {
    const unavailable = [...byType.values()].filter((r) => r.StatusCode === '503');

    expect(unavailable.length).toBeGreaterThan(0);
    for (const response of unavailable) expect(response.ResponseParameters['gatewayresponse.header.Retry-After']).toMatch(/^'\d+'$/);
  });
});

describe('the stage', () => {

  it('throttles every method by default', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 })],
    });
  });

  it('writes JSON access logs to its own log group, execution logs for errors only, no data traces', () => {
    const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage'));
    const { AccessLogSetting, MethodSettings } = stage!.Properties;
    const format = JSON.parse(AccessLogSetting.Format);

    expect(JSON.stringify(AccessLogSetting.DestinationArn)).toContain(logicalId(stack, stack.api.accessLogs));
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', principalId: '$context.authorizer.principalId' });
    expect(Object.values(format).every((v) => typeof v === 'string' && v.startsWith('$context.'))).toBe(true);
    expect(MethodSettings[0]).toMatchObject({ LoggingLevel: 'ERROR', DataTraceEnabled: false });
  });

  it('keeps access logs for the retention period', () => {
    const group = template.findResources('AWS::Logs::LogGroup')[logicalId(stack, stack.api.accessLogs)]!;

    expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('has the account-level CloudWatch role access logging needs', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });

  it('takes throttling limits from the configuration', () => {
    configured.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 })],
    });
  });
});

describe('the outputs', () => {
  const outputs = template.findOutputs('*');
  const joined = (value: unknown) => JSON.stringify(value);

  it('are ApiUrl, JwksUrl, TableName and DashboardName only', () => {
    expect(Object.keys(outputs).sort()).toEqual(['ApiUrl', 'DashboardName', 'JwksUrl', 'TableName']);
  });

  it('give the stage URL as ApiUrl', () => {
    expect(outputs.ApiUrl!.Value).toEqual(stack.resolve(stack.api.api.url));
    expect(joined(outputs.ApiUrl!.Value)).toMatch(/"\/"\]\]\}$/);
  });

  it('give the JWKS URL as JwksUrl', () => {
    expect(joined(outputs.JwksUrl!.Value)).toContain(`"${JWKS_PATH}"`);
    expect(joined(outputs.JwksUrl!.Value)).toContain(logicalId(stack, stack.api.api.deploymentStage));
  });

  it('give the table name as TableName', () => {
    expect(outputs.TableName!.Value).toEqual({ Ref: logicalId(stack, stack.table.table) });
  });
});
