/**
 * `npm run invoke`'s module API: one function of the synthesized template,
 * run once with one event, in its own Node process (see main.ts for the
 * command line, runner.ts for the process, environment.ts for its
 * environment).
 */
import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_API_STAGE, methodArnOf, tokenAuthorizerEvent } from '../../local/events';
import { placeholdersIn } from '../events/placeholders';
import { defaultSampleFile } from '../events/samples';
import { functionEnvironment, readLocalStack, unintendedAwsServices, type EnvVarsFile, type LocalStackState } from './environment';
import { fillFromLocalStack } from './identities';
import { runFunction, type RunReport } from './runner';
import { findFunction, handlerFile, lambdaFunctions, PROJECT_ROOT, readTemplate, type FunctionEntry } from './template';

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

/** events/<name>.json, when the function has a sample there. */
export function sampleEventFile(fn: FunctionEntry): string | undefined {
  if (!fn.name) return undefined;
  const file = join(EVENTS_DIR, defaultSampleFile(fn.name));
  return existsSync(file) ? file : undefined;
}
