/**
 * `npm run invoke`'s module API: one function of the synthesized template,
 * run once with one event, in its own Node process (see main.ts for the
 * command line, runner.ts for the process, environment.ts for its
 * environment).
 */
import type { APIGatewayProxyEvent, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { policyFor } from '../../lambdas/authorizer/policy';
import type { TableRoute } from '../../lambdas/contract/route-table';
import { roleConfig, ROLES_ENV } from '../../lambdas/contract/roles';
import { matchPath, parseRoleList } from '../../lambdas/contract/routes';
import { MFA_REQUIRED_ROLES, TOKEN_IDENTITY } from '../../lambdas/contract/settings';
import { authorizerContextOf, LOCAL_API_STAGE, methodArnOf, proxyEvent, tokenAuthorizerEvent } from '../../local/events';
import { placeholdersIn } from '../events/placeholders';
import { defaultSampleFile } from '../events/samples';
import { functionEnvironment, readLocalStack, unintendedAwsServices, type EnvVarsFile, type LocalStackState } from './environment';
import { fillFromLocalStack } from './identities';
import { runFunction, type RunReport } from './runner';
import { findFunction, handlerFile, lambdaFunctions, PROJECT_ROOT, readTemplate, routeServer, type FunctionEntry } from './template';

export const EVENTS_DIR = join(PROJECT_ROOT, 'events');

export interface InvokeOptions {
  /** Logical id (`FunctionsLogin53C97D7C`) or name (`login`). */
  readonly function: string;
  /** A synthesized template (see ensureTemplate). */
  readonly templatePath: string;
  readonly event: unknown;
  /** Where to look for a running local stack (DATA_DIR); none is used when undefined. */
  readonly dataDir?: string;
  /** The invoking shell's environment; process.env by default. */
  readonly shell?: Readonly<Record<string, string | undefined>>;
  readonly envVars?: EnvVarsFile;
  /** The function's output (its log); stderr by default. */
  readonly onLog?: (chunk: Buffer) => void;
  readonly requestId?: string;
  /** Called just before the function's process starts. */
  readonly onStart?: () => void;
  /** What the invocation wants the user to know (local stack in use, placeholders filled, ignored variables). */
  readonly onNote?: (line: string) => void;
  /** Let the function call AWS itself with the shell's credentials (refused otherwise: see unintendedAwsServices). */
  readonly aws?: boolean;
}

export interface InvokeReport extends RunReport {
  readonly fn: FunctionEntry;
  readonly env: Readonly<Record<string, string>>;
  /** The event as the function received it (placeholders filled). */
  readonly event: unknown;
  readonly localStack: LocalStackState | undefined;
}

/** Runs the function once. Throws for what stops it from running (no such function, no asset); reports what the function does. */
export async function invoke(options: InvokeOptions): Promise<InvokeReport> {
  const note = options.onNote ?? ((line: string) => process.stderr.write(`${line}\n`));
  const template = readTemplate(options.templatePath);
  const fn = findFunction(lambdaFunctions(template, options.templatePath), options.function);
  if (!fn.assetDir) throw new Error(`${fn.logicalId} has no aws:asset:path metadata: synthesize with cdk synth (which writes it)`);
  if (!handlerFile(fn.assetDir, fn.handler)) throw new Error(`${fn.logicalId}: handler ${fn.handler} has no file in ${fn.assetDir}`);

  let localStack: LocalStackState | undefined;
  if (options.dataDir !== undefined) {
    const found = readLocalStack(options.dataDir);
    if (found.note) note(found.note);
    localStack = found.state;
  }
  const environment = functionEnvironment({
    fn,
    template,
    shell: options.shell ?? process.env,
    ...(localStack ? { localStack } : {}),
    ...(options.envVars ? { envVars: options.envVars } : {}),
  });
  const { env, notes } = environment;
  for (const line of notes) note(line);
  const reachesAws = unintendedAwsServices(fn, environment);
  if (reachesAws.length > 0 && !options.aws) {
    throw new Error(
      `${fn.name ?? fn.logicalId} would call AWS itself (${reachesAws.join(', ')} in ${env.AWS_REGION}) with your AWS credentials, ` +
        `as no local stack is running${options.dataDir === undefined ? '' : ` under DATA_DIR=${options.dataDir}`}. ` +
        'Start one (npm start, in another terminal), point the function at an emulator (AWS_ENDPOINT_URL=…, or --env-vars with DYNAMODB_ENDPOINT), ' +
        'or add --aws to call your AWS account on purpose.',
    );
  }
  if (fn.name === 'authorizer' && !isTokenAuthorizerEvent(options.event)) {
    note(
      `the event is not a TOKEN authorizer event ({"type":"TOKEN","authorizationToken":"Bearer …","methodArn":"…"})` +
        `${isProxyEvent(options.event) ? ': it is an API Gateway proxy event, what a route\'s function receives' : ''}; ` +
        'the authorizer will answer Unauthorized. --token <jwt> builds one.',
    );
  }

  let event = options.event;
  if (placeholdersIn(event).length > 0) {
    if (localStack) {
      const filled: string[] = [];
      event = await fillFromLocalStack(event, localStack, env, filled);
      for (const line of filled) note(line);
    } else {
      note(
        `the event has {{...}} placeholders that only a running local stack can fill (npm start, DATA_DIR=${options.dataDir ?? '.data'}): they stay as they are`,
      );
    }
  }

  options.onStart?.();
  const report = await runFunction({
    ...(options.requestId ? { requestId: options.requestId } : {}),
    logicalId: fn.logicalId,
    assetDir: fn.assetDir,
    handler: fn.handler,
    timeoutSeconds: fn.timeoutSeconds,
    memoryMb: fn.memoryMb,
    env,
    event,
    ...(options.onLog ? { onLog: options.onLog } : {}),
  });
  return { ...report, fn, env, event, localStack };
}

/** The TOKEN authorizer event for `token` (with or without its `Bearer `), for `methodArn` (the local stage's `GET /api/profile` by default). */
export function authorizerEventFor(token: string, methodArn?: string): APIGatewayTokenAuthorizerEvent {
  const header = /^bearer\s/i.test(token.trim()) ? token.trim() : `Bearer ${token.trim()}`;
  return tokenAuthorizerEvent(header, methodArn ?? methodArnOf(LOCAL_API_STAGE, 'GET', '/api/profile'));
}

function isTokenAuthorizerEvent(event: unknown): boolean {
  const e = event as Partial<APIGatewayTokenAuthorizerEvent> | null;
  return typeof e === 'object' && e !== null && e.type === 'TOKEN' && typeof e.authorizationToken === 'string' && typeof e.methodArn === 'string';
}

function isProxyEvent(event: unknown): boolean {
  const e = event as { httpMethod?: unknown; requestContext?: unknown } | null;
  return typeof e === 'object' && e !== null && typeof e.httpMethod === 'string' && typeof e.requestContext === 'object';
}

/** The caller a generated route event acts as (no account behind it: the route's handler sees only the authorizer's context). */
export const ROUTE_EVENT_SUB = '00000000-0000-4000-8000-00000000c0de';

/**
 * An API Gateway proxy event for a route the function serves, when no event
 * is given and it has no sample (an app's own route): the route `query`
 * names (`"DELETE /api/articles/42"`), else its first, from the route table
 * in its environment; path parameters `example-<name>` unless the query
 * gives concrete ones; and the authorizer context the policy's own code
 * writes for a caller the route lets in: its first role (an `authenticated`
 * route: the registration role, from the function's roles), signed in with
 * `otp` when MFA_REQUIRED_ROLES names that role. Undefined: it serves no route.
 */
export function routeEventFor(fn: FunctionEntry, query?: string): { event: APIGatewayProxyEvent; route: TableRoute; role: string } | undefined {
  const named = query === undefined ? undefined : routeServer([fn], query);
  const route = named?.route ?? fn.routes[0];
  if (!route) return undefined;
  const variables = fn.variables;
  const roles = roleConfig(typeof variables[ROLES_ENV] === 'string' ? { [ROLES_ENV]: variables[ROLES_ENV] as string } : {});
  const role = route.access === 'authenticated' || route.access === 'public' ? roles.registration : (route.access[0] as string);
  const mfaRequired = parseRoleList(typeof variables[MFA_REQUIRED_ROLES.env] === 'string' ? (variables[MFA_REQUIRED_ROLES.env] as string) : '');
  const concrete = query?.trim().split(/\s+/)[1];
  const pathParameters: Record<string, string> = {};
  const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    pathParameters[name] = `example-${name}`;
    return `example-${name}`;
  });
  // A concrete path in the query (`/api/articles/42`) gives the parameters' values.
  const given = concrete !== undefined && concrete !== route.path ? matchPath(route.path, concrete) : undefined;
  const requestPath = given && concrete !== undefined ? concrete : path;
  const methodArn = methodArnOf(LOCAL_API_STAGE, route.method, requestPath);
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    sub: ROUTE_EVENT_SUB,
    role,
    amr: mfaRequired.includes(role) ? ['pwd', 'otp'] : ['pwd'],
    jti: '00000000-0000-4000-8000-000000000001',
    iat: now,
    // As the samples do: a generated event must keep working (protectedHandler refuses an `exp` in the past).
    exp: Date.UTC(2100, 0, 1) / 1000,
    iss: typeof variables[TOKEN_IDENTITY.issuer.env] === 'string' ? (variables[TOKEN_IDENTITY.issuer.env] as string) : TOKEN_IDENTITY.issuer.default,
    aud: TOKEN_IDENTITY.audience.default,
  };
  const event = proxyEvent(LOCAL_API_STAGE, {
    route: { method: route.method, path: route.path, handler: fn.appName ?? fn.name ?? fn.logicalId, access: route.access },
    path: requestPath,
    pathParameters: given ?? pathParameters,
    headers: [
      ['Host', 'localhost:3000'],
      ['Accept', 'application/json'],
    ],
    query: [],
    body: null,
    requestId: '00000000-0000-4000-8000-000000000002',
    requestTimeEpoch: now * 1000,
    sourceIp: '127.0.0.1',
    userAgent: null,
    protocol: 'HTTP/1.1',
    authorizer: authorizerContextOf(policyFor(claims, methodArn)),
  });
  return { event, route, role };
}

/** events/<name>.json, when the function has a sample there. */
export function sampleEventFile(fn: FunctionEntry): string | undefined {
  if (!fn.name) return undefined;
  const file = join(EVENTS_DIR, defaultSampleFile(fn.name));
  return existsSync(file) ? file : undefined;
}
