/**
 * The environment a function runs with under `npm run invoke`, in layers,
 * each overriding the one before:
 *
 * 1. what Lambda itself sets (function name, memory, region, credentials);
 * 2. the template's Environment.Variables, CloudFormation references
 *    resolved to local stand-ins (see `resolveIntrinsic`);
 * 3. the shell's value of any variable the template declares (as SAM does);
 * 4. the running local stack (DATA_DIR/local-stack.json): its DynamoDB
 *    endpoint and table, and its key directory;
 * 5. `--env-vars env.json` in SAM's format: `Parameters` for every
 *    function, then the function's own logical id. Like SAM, only
 *    variables the template declares are set; others are reported.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTION_SPECS } from '../../lib/function-specs';
import { LOCAL_STACK_STATE_FILE, LOCAL_TABLE_NAME } from '../../local/stack';
import { WIRING_ENV } from '../../lambdas/contract/settings';
import { SAMPLE_SIGNING_KEY_SECRET_ARN } from '../events/samples';
import { STACK_NAME, type CfnTemplate, type FunctionEntry } from './template';

/** What `npm start` writes to DATA_DIR/local-stack.json while it runs. */
export interface LocalStackState {
  readonly url: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly keysDir: string;
  readonly pid: number;
}

/** The account id SAM and the samples use where a real one would be. */
export const LOCAL_ACCOUNT_ID = '123456789012';
export const DEFAULT_REGION = 'us-east-1';

type Env = Readonly<Record<string, string | undefined>>;

/** The local stack running under `dataDir`, if any; `note` says why a state file there was ignored. */
export function readLocalStack(dataDir: string): { state?: LocalStackState; note?: string } {
  const file = join(dataDir, LOCAL_STACK_STATE_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  let state: LocalStackState;
  try {
    state = JSON.parse(text) as LocalStackState;
  } catch {
    return { note: `${file} is not JSON: ignored` };
  }
  for (const key of ['dynamoEndpoint', 'tableName', 'keysDir'] as const) {
    if (typeof state[key] !== 'string') return { note: `${file} has no ${key}: ignored` };
  }
  if (typeof state.pid === 'number' && !isAlive(state.pid)) {
    return { note: `${file} names process ${state.pid}, which is gone (a local stack that did not stop cleanly): ignored` };
  }
  return { state };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it just is not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type EnvVarsFile = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** Reads and checks an env.json in SAM's format: `{"Parameters": {...}, "<LogicalId>": {...}}`, scalar values. */
export function readEnvVarsFile(path: string): EnvVarsFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read --env-vars ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(parsed)) throw new Error(`--env-vars ${path} must hold a JSON object ({"Parameters": {...}, "<LogicalId>": {...}})`);
  const out: Record<string, Record<string, string>> = {};
  for (const [scope, vars] of Object.entries(parsed)) {
    if (!isObject(vars)) throw new Error(`--env-vars ${path}: "${scope}" must be an object of variables`);
    out[scope] = {};
    for (const [name, value] of Object.entries(vars)) {
      if (value !== null && typeof value === 'object') throw new Error(`--env-vars ${path}: ${scope}.${name} must be a string, number or boolean`);
      out[scope][name] = stringify(value);
    }
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Lambda wants strings; `true` becomes `"true"` as SAM writes it. */
function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  return String(value);
}

export interface EnvironmentInput {
  readonly fn: FunctionEntry;
  readonly template: CfnTemplate;
  /** The invoking shell's environment (AWS credentials and region, and overrides of declared variables). */
  readonly shell: Env;
  readonly localStack?: LocalStackState;
  readonly envVars?: EnvVarsFile;
}

export interface FunctionEnvironment {
  readonly env: Record<string, string>;
  /** Declared variables the user set (the shell or --env-vars), rather than the template or the local stack. */
  readonly userSet: ReadonlySet<string>;
  /** What the caller should know: unresolved intrinsics, ignored variables, the local stack in use. */
  readonly notes: string[];
}

/** The environment `fn` runs with (see the layers above). */
export function functionEnvironment(input: EnvironmentInput): FunctionEnvironment {
  const { fn, template, shell, localStack, envVars } = input;
  const notes: string[] = [];
  const region = shell.AWS_REGION || shell.AWS_DEFAULT_REGION || DEFAULT_REGION;
  const env: Record<string, string> = {
    ...lambdaVariables(fn, region),
    ...awsVariables(shell),
  };

  const declared = new Set(Object.keys(fn.variables));
  const userSet = new Set<string>();
  for (const [name, value] of Object.entries(fn.variables)) {
    env[name] = resolveIntrinsic(value, { template, region, localStack }, (what) => notes.push(`${name}: ${what}`));
  }
  for (const name of declared) {
    const value = shell[name];
    if (value !== undefined) {
      env[name] = value;
      userSet.add(name);
    }
  }

  if (localStack) {
    const wired: string[] = [];
    if (declared.has(WIRING_ENV.tableName)) {
      env[WIRING_ENV.tableName] = localStack.tableName;
      env[WIRING_ENV.dynamoEndpoint] = localStack.dynamoEndpoint;
      wired.push(`DynamoDB ${localStack.dynamoEndpoint} table ${localStack.tableName}`);
    }
    // The rotation function rotates a Secrets Manager secret; the local stack's keys are files it cannot rotate.
    const rotates = fn.name !== undefined && FUNCTION_SPECS[fn.name].rotatesKeys === true;
    if (declared.has(WIRING_ENV.publicKeysParameter) && !rotates) {
      env[WIRING_ENV.localKeysDir] = localStack.keysDir;
      wired.push(`keys ${localStack.keysDir}`);
    }
    if (wired.length > 0) notes.push(`using the local stack at ${localStack.url}: ${wired.join(', ')}`);
  }

  if (envVars) {
    for (const scope of ['Parameters', fn.logicalId]) {
      for (const [name, value] of Object.entries(envVars[scope] ?? {})) {
        if (declared.has(name)) {
          env[name] = value;
          userSet.add(name);
        } else notes.push(`env-vars ${scope}.${name} ignored: the template does not declare ${name} for ${fn.logicalId} (SAM sets declared variables only)`);
      }
    }
  }
  return { env, userSet, notes };
}

/**
 * The AWS services the function would call at AWS itself, with the shell's
 * credentials: a table or keys it uses that neither the local stack, nor an
 * endpoint override (`DYNAMODB_ENDPOINT`, `AWS_ENDPOINT_URL*`), nor a value
 * the user set on purpose (`TABLE_NAME=…`, --env-vars) points elsewhere.
 * Without a running local stack this is where a newcomer's first invoke
 * would go, so `invoke` refuses it unless asked (`--aws`).
 */
export function unintendedAwsServices(fn: FunctionEntry, environment: FunctionEnvironment): string[] {
  const { env, userSet } = environment;
  const declared = (name: string) => name in fn.variables;
  const onPurpose = (...names: string[]) => names.some((name) => userSet.has(name) || (env[name] ?? '') !== '');
  const services: string[] = [];
  if (declared(WIRING_ENV.tableName) && !onPurpose(WIRING_ENV.dynamoEndpoint, 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL') && !userSet.has(WIRING_ENV.tableName)) {
    services.push('DynamoDB');
  }
  const localKeys = (env[WIRING_ENV.localKeysDir] ?? '') !== '';
  // Every function declares the parameter's name, but only the functions whose spec grants the read call SSM.
  const spec = fn.name === undefined ? undefined : FUNCTION_SPECS[fn.name];
  const readsPublicKeys = spec === undefined || spec.publicKeys === true || spec.rotatesKeys === true;
  if (declared(WIRING_ENV.publicKeysParameter) && readsPublicKeys && !localKeys && !onPurpose('AWS_ENDPOINT_URL_SSM', 'AWS_ENDPOINT_URL') && !userSet.has(WIRING_ENV.publicKeysParameter)) {
    services.push('SSM');
  }
  if (declared(WIRING_ENV.signingKeySecretId) && !localKeys && !onPurpose('AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_ENDPOINT_URL') && !userSet.has(WIRING_ENV.signingKeySecretId)) {
    services.push('Secrets Manager');
  }
  return services;
}

/** What the Lambda service puts in every function's environment. */
function lambdaVariables(fn: FunctionEntry, region: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: 'UTC',
    LAMBDA_TASK_ROOT: fn.assetDir ?? '',
    _HANDLER: fn.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.logicalId}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '$LATEST',
    // Lambda sets it for every on-demand environment; Powertools logs cold_start false without it.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    // What SAM sets: the accepted sign of a local Lambda emulator (Powertools' Tracer turns itself off, as there is no X-Ray daemon).
    AWS_SAM_LOCAL: 'true',
    // The bundles run on the Node.js here (20), not Lambda's 22: the SDK's warning about that is noise.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/**
 * Credentials from the shell (Lambda would give the function role's), or
 * SAM's placeholders; endpoint overrides (`AWS_ENDPOINT_URL*`, for moto or
 * LocalStack) pass through as well.
 */
function awsVariables(shell: Env): Record<string, string> {
  const out: Record<string, string> = {
    AWS_ACCESS_KEY_ID: shell.AWS_ACCESS_KEY_ID || 'defaultkey',
    AWS_SECRET_ACCESS_KEY: shell.AWS_SECRET_ACCESS_KEY || 'defaultsecret',
  };
  if (shell.AWS_ACCESS_KEY_ID && shell.AWS_SESSION_TOKEN) out.AWS_SESSION_TOKEN = shell.AWS_SESSION_TOKEN;
  for (const [name, value] of Object.entries(shell)) if (name.startsWith('AWS_ENDPOINT_URL') && value) out[name] = value;
  return out;
}

interface IntrinsicContext {
  readonly template: CfnTemplate;
  readonly region: string;
  readonly localStack: LocalStackState | undefined;
}

const PSEUDO_PARAMETERS = (region: string): Record<string, string> => ({
  'AWS::Region': region,
  'AWS::AccountId': LOCAL_ACCOUNT_ID,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': STACK_NAME,
  'AWS::StackId': `arn:aws:cloudformation:${region}:${LOCAL_ACCOUNT_ID}:stack/${STACK_NAME}/local`,
  'AWS::NoValue': '',
});

/**
 * A variable's value off AWS. Plain values stay; a `Ref` to one of the
 * stack's resources becomes its local stand-in: the table, the local
 * stack's table (or `wristband-local`); the public key parameter, its
 * name; the signing key secret, the ARN the rotation sample names. Other
 * references become the logical id; any other intrinsic becomes "" (as
 * SAM does), reported through `note`.
 */
export function resolveIntrinsic(value: unknown, ctx: IntrinsicContext, note: (what: string) => void): string {
  if (value === null || typeof value !== 'object') return stringify(value);
  const [fn, arg] = Object.entries(value as Record<string, unknown>)[0] ?? [];
  if (fn === 'Ref' && typeof arg === 'string') {
    const pseudo = PSEUDO_PARAMETERS(ctx.region)[arg];
    if (pseudo !== undefined) return pseudo;
    const resource = ctx.template.Resources[arg];
    const props = resource?.Properties ?? {};
    switch (resource?.Type) {
      case 'AWS::DynamoDB::Table':
        return ctx.localStack?.tableName ?? (typeof props.TableName === 'string' ? props.TableName : LOCAL_TABLE_NAME);
      case 'AWS::SSM::Parameter':
        return typeof props.Name === 'string' ? props.Name : arg;
      case 'AWS::SecretsManager::Secret':
        return SAMPLE_SIGNING_KEY_SECRET_ARN;
      default:
        note(`Ref ${arg} resolved to its logical id`);
        return arg;
    }
  }
  if (fn === 'Fn::Join' && Array.isArray(arg) && typeof arg[0] === 'string' && Array.isArray(arg[1])) {
    return (arg[1] as unknown[]).map((part) => resolveIntrinsic(part, ctx, note)).join(arg[0]);
  }
  note(`${fn ?? 'an object'} is not resolved off AWS: set to "" (use --env-vars to give it a value)`);
  return '';
}
