/**
 * The Wristband construct as a team uses it: its own roles, its own routes
 * added with addRoute, an API it already owns. The synthesized authorizer
 * allows exactly the roles each route names, from the route table rendered
 * into its environment.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { join } from 'node:path';
import { allowedResources } from '../../lambdas/authorizer/policy';
import { decodeRouteTable, ROUTES_ENV } from '../../lambdas/contract/route-table';
import { ROLES_ENV } from '../../lambdas/contract/roles';
import { ConfigError, type WristbandConfigProps } from '../../lib/config';
import { Wristband } from '../../lib/wristband';
import { buildWristband } from '../../lib/wristband-stack';
import { CDK_JSON_CONTEXT, logicalId } from './synth';

const ENTRY = join(__dirname, '..', 'support', 'app', 'articles.ts');
const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';
const TEAM_ROLES: WristbandConfigProps = { roles: ['reader', 'editor'], registrationRole: 'reader', createAdminRole: 'editor', userManagerRoles: ['editor'] };

function teamApp(props: WristbandConfigProps & { api?: RestApi } = TEAM_ROLES, context: Record<string, unknown> = {}) {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new Stack(app, 'TeamApp');
  const auth = new Wristband(stack, 'Auth', props);
  return { app, stack, auth };
}

function environmentOf(template: Template, stack: Stack, fn: { node: { defaultChild?: unknown } }): Record<string, string> {
  return template.toJSON().Resources[logicalId(stack, fn)].Properties.Environment.Variables;
}

describe('a Wristband with two custom roles and two routes', () => {
  const { stack, auth } = teamApp();
  const list = auth.addRoute({ method: 'GET', path: '/api/articles', allow: 'authenticated', entry: ENTRY });
  auth.addRoute({ method: 'DELETE', path: '/api/articles/{id}', allow: ['editor'], entry: ENTRY });
  const template = Template.fromStack(stack);
  const authorizerEnv = environmentOf(template, stack, auth.functions.get('authorizer')!);
  const table = decodeRouteTable(authorizerEnv[ROUTES_ENV]!);

  it("renders the app's routes into the authorizer's route table, added after the construct", () => {
    expect(table).toEqual(
      expect.arrayContaining([
        { method: 'GET', path: '/api/articles', access: 'authenticated' },
        { method: 'DELETE', path: '/api/articles/{id}', access: ['editor'] },
        { method: 'GET', path: '/api/users', access: ['editor'] },
      ]),
    );
    expect(JSON.parse(authorizerEnv[ROLES_ENV]!)).toEqual({ roles: ['reader', 'editor'], registration: 'reader', createAdmin: 'editor', userManagers: ['editor'] });
  });

  it('allows exactly the roles each route names', () => {
    const reader = allowedResources('reader', STAGE, table);
    const editor = allowedResources('editor', STAGE, table);
    expect(reader).toContain(`${STAGE}/GET/api/articles`);
    expect(editor).toContain(`${STAGE}/GET/api/articles`);
    expect(editor).toContain(`${STAGE}/DELETE/api/articles/*`);
    expect(reader.filter((r) => r.includes('/DELETE/api/articles') || r.includes('/api/users'))).toEqual([]);
    // A role the configuration does not have: only what any signed-in caller may call.
    expect(allowedResources('user', STAGE, table).filter((r) => r.includes('/DELETE/api/articles'))).toEqual([]);
  });

  it("gives the app's function the table of its own route, for protectedHandler", () => {
    expect(decodeRouteTable(environmentOf(template, stack, list as never)[ROUTES_ENV]!)).toEqual([{ method: 'GET', path: '/api/articles', access: 'authenticated' }]);
  });

  it('puts the routes behind the TOKEN authorizer', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod === 'DELETE');
    expect(methods.length).toBeGreaterThan(0);
    expect(methods.every((m) => m.Properties.AuthorizationType === 'CUSTOM')).toBe(true);
  });
});

describe('addRoute refuses', () => {
  const { auth } = teamApp();
  it.each([
    ['an unknown role', { allow: ['admin'] }, /unknown role admin \(roles: reader, editor\)/],
    ['both handler and entry missing', { entry: undefined }, /exactly one of handler and entry/],
    ['a path that is not API Gateway syntax', { path: 'api/x' }, /path must be/],
    ["one of wristband's own routes", { method: 'POST', path: '/login', allow: 'public' }, /exists already \(one of wristband's own\)/],
  ])('%s, with one line', (_name, change, message) => {
    expect(() => auth.addRoute({ method: 'GET', path: '/api/things', allow: 'authenticated', entry: ENTRY, ...change } as never)).toThrow(message);
  });
});

describe('role configuration errors stop the synth with one line each', () => {
  it.each([
    [{ roles: ['reader'], registrationRole: 'user' }, 'registrationRole must be one of roles (reader), got "user"'],
    [{ roles: 'reader,Bad Role' }, 'roles: "Bad Role" is not a role name'],
    [{ roles: ['reader', 'reader'], registrationRole: 'reader', createAdminRole: 'reader', userManagerRoles: 'reader' }, 'roles names "reader" twice'],
    [{ userManagerRoles: ['owner'] }, 'userManagerRoles must be one of roles (user, admin), got "owner"'],
  ] as [WristbandConfigProps, string][])('%j', (props, problem) => {
    let error: unknown;
    try {
      teamApp(props);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.some((p) => p.startsWith(problem))).toBe(true);
  });
});

it("gives an app's own lambda.Function what protectedHandler needs to decide as the policy does: its route, the roles, MFA_REQUIRED_ROLES", () => {
  const { stack, auth } = teamApp({ ...TEAM_ROLES, mfaRequiredRoles: ['editor'] });
  const own = new LambdaFunction(stack, 'Own', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => ({})') });
  auth.addRoute({ method: 'DELETE', path: '/api/articles/{id}', allow: ['editor'], handler: own });
  const env = environmentOf(Template.fromStack(stack), stack, own);
  expect([env.MFA_REQUIRED_ROLES, decodeRouteTable(env[ROUTES_ENV]!), JSON.parse(env[ROLES_ENV]!).roles]).toEqual([
    'editor',
    [{ method: 'DELETE', path: '/api/articles/{id}', access: ['editor'] }],
    ['reader', 'editor'],
  ]);
});

it('refuses at synth a route table that would overflow the 4 KB Lambda environment', () => {
  const { stack, auth } = teamApp();
  const fn = auth.addRoute({ method: 'GET', path: '/api/a', allow: 'authenticated', entry: ENTRY });
  for (let i = 0; i < 80; i++) auth.addRoute({ method: 'GET', path: `/api/a-rather-long-resource-name-number-${i}/{id}`, allow: ['editor'], handler: fn });
  expect(() => Template.fromStack(stack)).toThrow(/function authorizer: its environment needs about \d+ bytes and Lambda allows 4096/);
});

it('attaches to a RestApi the app already owns', () => {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Owned');
  const api = new RestApi(stack, 'Mine', { cloudWatchRole: false });
  const auth = new Wristband(stack, 'Auth', { api });
  auth.addRoute({ method: 'GET', path: '/api/articles', allow: 'authenticated', entry: ENTRY });
  const template = Template.fromStack(stack);
  expect(Object.keys(template.findResources('AWS::ApiGateway::RestApi'))).toEqual([logicalId(stack, api)]);
  expect(auth.api.api).toBe(api);
  expect(auth.routes.map((r) => `${r.method} ${r.path}`)).toContain('POST /login');
});

it('names the stack from the stackName setting, so several environments fit one account', () => {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], stackName: 'Wristband-dev' } });
  expect(buildWristband(app).stackName).toBe('Wristband-dev');
  const bad = new App({ context: { ...CDK_JSON_CONTEXT, stackName: 'no spaces please' } });
  expect(() => buildWristband(bad)).toThrow(/stackName must start with a letter/);
});
