/**
 * Every wristband Lambda function: one handler file, bundled by local
 * esbuild into minified ESM with source maps, on arm64 Node.js 22, sized and
 * permitted by its FUNCTION_SPECS entry and nothing else. The environment
 * and the IAM grants are written side by side here so that a function can
 * never be told about a resource it may not use, or the other way round.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { METRICS_NAMESPACE, METRICS_STACK_ENV } from '../../lambdas/contract/metric-catalog';
import { CORS_ORIGIN_DEFAULT, CORS_ORIGIN_ENV } from '../../lambdas/contract/cors';
import { encodeRoleConfig, ROLES_ENV } from '../../lambdas/contract/roles';
import { MAIL_SETTINGS, MFA_REQUIRED_ROLES, SETTINGS, SIGNING_KEY_CACHE_SECONDS_DEFAULT, TOKEN_IDENTITY, WIRING_ENV, type SettingName } from '../../lambdas/contract/settings';
import { TABLE } from '../../lambdas/contract/table-schema';
import { DEBUG_LOG_SAMPLE_RATE, LOG_LEVEL, type WristbandConfig } from '../config';
import { FUNCTION_SPECS, type FunctionSpec } from '../function-specs';
import { bundlingRoot, PACKAGE_ROOT } from '../package-root';
import { tableStatements } from '../table-grants';

/** The repository root, or the installed package's: the entry points and the tsconfig are found from here (lib/package-root.ts). */
export const PROJECT_ROOT = PACKAGE_ROOT;

export const RUNTIME = Runtime.NODEJS_22_X;
export const ESBUILD_TARGET = 'node22';
export const SERVICE_NAME = 'wristband';

/**
 * esbuild's ESM output has no `require`; CommonJS dependencies bundled into
 * it (parts of the AWS SDK, bcryptjs) call it for Node built-ins.
 */
export const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** The resources a function may be wired to; which ones it gets is FUNCTION_SPECS' call. */
export interface FunctionResources {
  readonly table: ITable;
  /** The published public key set (SSM String parameter). */
  readonly publicKeys: IStringParameter;
  /** The private signing key (Secrets Manager). */
  readonly signingKey: ISecret;
  /** The key material TOTP secrets are sealed with (Secrets Manager). */
  readonly totpKey: ISecret;
}

export interface WristbandFunctionProps {
  /** Its FUNCTION_SPECS name, or the name a route added with `entry` was given. */
  readonly name: string;
  readonly config: WristbandConfig;
  readonly resources: FunctionResources;
  /** Default: FUNCTION_SPECS[name]. */
  readonly spec?: FunctionSpec;
  /** The handler file (exporting `handler`). Default: lambdas/handlers/<name>.ts. */
  readonly entry?: string;
}

/** The handler file of a function: `lambdas/handlers/<name>.ts`. */
export function handlerEntry(name: string): string {
  return join(PROJECT_ROOT, 'lambdas', 'handlers', `${name}.ts`);
}

/** Environment every function gets: each setting with its configured value, and the token identity. */
export function settingsEnvironment(config: WristbandConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) env[SETTINGS[name].env] = String(config.settings[name]);
  env[TOKEN_IDENTITY.issuer.env] = config.issuer;
  env[TOKEN_IDENTITY.audience.env] = config.audience;
  env[MAIL_SETTINGS.emailVerification.env] = config.emailVerification;
  if (config.mailFrom !== undefined) env[MAIL_SETTINGS.mailFrom.env] = config.mailFrom;
  if (config.appUrl !== undefined) env[MAIL_SETTINGS.appUrl.env] = config.appUrl;
  env[ROLES_ENV] = encodeRoleConfig(config.roles);
  if (config.corsOrigin !== CORS_ORIGIN_DEFAULT) env[CORS_ORIGIN_ENV] = config.corsOrigin;
  env[MFA_REQUIRED_ROLES.env] = config.mfaRequiredRoles.join(' ');
  env[WIRING_ENV.signingKeyCacheSeconds] = String(SIGNING_KEY_CACHE_SECONDS_DEFAULT);
  env.POWERTOOLS_SERVICE_NAME = SERVICE_NAME;
  env[LOG_LEVEL.env] = config.logLevel;
  env[DEBUG_LOG_SAMPLE_RATE.env] = String(config.debugLogSampleRate);
  // The code names the namespace itself (METRICS_NAMESPACE); the variable says it to anyone reading the function's configuration.
  env.POWERTOOLS_METRICS_NAMESPACE = METRICS_NAMESPACE;
  // Tracers record handler responses by default; ours hold tokens, keys and personal data. tracing.ts never records them either.
  env.POWERTOOLS_TRACER_CAPTURE_RESPONSE = 'false';
  // Stack traces point at the TypeScript sources, not at minified lines.
  env.NODE_OPTIONS = '--enable-source-maps';
  return env;
}

function isInside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('node_modules');
}

/** `create-order` -> `CreateOrder`: construct ids, and so logical ids, that read like the handler. */
export function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

export function removalPolicyOf(config: WristbandConfig): RemovalPolicy {
  return config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}

export class WristbandFunction extends NodejsFunction {
  /** Its FUNCTION_SPECS / ROUTES name, or the name its route gave it (`functionName` is the deployed one). */
  readonly wristbandName: string;
  readonly spec: FunctionSpec;
  /** Its own role: the managed basic-execution policy would allow writing to every log group. */
  readonly executionRole: iam.Role;
  readonly functionLogGroup: LogGroup;
  /** The handler file it was bundled from (the local stack runs the same file). */
  readonly entryFile: string;

  constructor(scope: Construct, id: string, props: WristbandFunctionProps) {
    const spec = props.spec ?? FUNCTION_SPECS[props.name as keyof typeof FUNCTION_SPECS];
    if (!spec) throw new Error(`no function spec for ${props.name}: pass one`);
    const { resources, config } = props;
    // The explicit log group replaces the deprecated logRetention custom resource.
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: config.logRetentionDays,
      removalPolicy: removalPolicyOf(config),
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `wristband ${props.name}: ${spec.description}`,
    });

    const entry = props.entry ?? handlerEntry(props.name);
    const environment = settingsEnvironment(config);
    // Every function gets the parameter name: the key-source config requires it even where the function never reads it.
    environment[WIRING_ENV.publicKeysParameter] = resources.publicKeys.parameterName;
    if (spec.table || spec.index) {
      environment[WIRING_ENV.tableName] = resources.table.tableName;
      // Empty (the default endpoint) when deployed. Declared so that `sam local invoke --env-vars` can point it at a local
      // DynamoDB: SAM sets only the variables a function's template declares.
      environment[WIRING_ENV.dynamoEndpoint] = '';
    }
    if (spec.signingKey || spec.rotatesKeys) environment[WIRING_ENV.signingKeySecretId] = resources.signingKey.secretArn;
    if (spec.totpKey) environment[WIRING_ENV.totpKeySecretId] = resources.totpKey.secretArn;
    // The `stack` dimension of every metric: two wristband stacks in one account and region keep apart.
    environment[METRICS_STACK_ENV] = Stack.of(scope).stackName;

    super(scope, id, {
      entry,
      handler: 'handler',
      description: `wristband ${props.name}: ${spec.description}`,
      runtime: RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      role,
      logGroup,
      environment,
      // X-Ray: the Lambda service traces every invocation; tracing.ts adds handler, DynamoDB, Secrets Manager and SSM subsegments.
      tracing: Tracing.ACTIVE,
      // wristband's own handlers bundle from this package (the repository's lock file, or the installing app's:
      // the package ships none, lib/package-root.ts); an app's entry from the app's lock file (NodejsFunction finds it).
      ...(isInside(PROJECT_ROOT, entry) ? bundlingRoot() : {}),
      bundling: {
        // Named, not found: from node_modules/wristband, esbuild must not pick up the installing app's tsconfig.
        tsconfig: join(PROJECT_ROOT, 'tsconfig.json'),
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        // Stack traces need the mappings only; the sources would triple the asset.
        sourcesContent: false,
        target: ESBUILD_TARGET,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // Bundle the AWS SDK too: the version the tests ran against, not whatever the runtime ships.
        externalModules: [],
        // Fifteen bundles: report problems, not sizes.
        logLevel: LogLevel.WARNING,
      },
    });

    this.wristbandName = props.name;
    this.entryFile = entry;
    this.spec = spec;
    this.executionRole = role;
    this.functionLogGroup = logGroup;

    logGroup.grantWrite(role);
    for (const statement of policyStatements(spec, resources, config.mailFrom)) role.addToPolicy(statement);
  }
}

/**
 * The IAM statements a spec allows, beyond writing its own logs. Exactly
 * the listed actions on exactly the named resources, table items only of
 * the listed types: no wildcard actions or resources, no `grantReadWriteData`.
 */
export function policyStatements(spec: FunctionSpec, resources: FunctionResources, mailFrom?: string): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  const { table, publicKeys, signingKey } = resources;
  // Table items by type, each action limited to the partition keys of the types it is granted on (lib/table-grants.ts).
  for (const { actions, resources, conditions } of tableStatements(spec, { table: table.tableArn, usersIndex: usersIndexArn(table) })) {
    statements.push(new iam.PolicyStatement({ actions: [...actions], resources: [...resources], ...(conditions ? { conditions } : {}) }));
  }
  if (spec.publicKeys) {
    statements.push(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [publicKeys.parameterArn] }));
  }
  if (spec.signingKey) {
    statements.push(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [signingKey.secretArn] }));
  }
  if (spec.sendsMail && mailFrom !== undefined) statements.push(sendMailStatement(mailFrom, Stack.of(table)));
  if (spec.totpKey) {
    statements.push(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [resources.totpKey.secretArn] }));
  }
  if (spec.rotatesKeys) {
    statements.push(
      new iam.PolicyStatement({
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: [signingKey.secretArn],
      }),
      new iam.PolicyStatement({ actions: ['ssm:GetParameter', 'ssm:PutParameter'], resources: [publicKeys.parameterArn] }),
    );
  }
  return statements;
}

/**
 * `ses:SendEmail` from the configured sender only: on its SES identities (the address, and its domain, whichever
 * of the two is the verified one), and only with that address as the From (`ses:FromAddress`).
 */
export function sendMailStatement(mailFrom: string, stack: Stack): iam.PolicyStatement {
  const domain = mailFrom.slice(mailFrom.lastIndexOf('@') + 1);
  const identity = (name: string) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: name });
  return new iam.PolicyStatement({
    actions: ['ses:SendEmail'],
    resources: [identity(mailFrom), identity(domain)],
    conditions: { StringEquals: { 'ses:FromAddress': mailFrom } },
  });
}

/** The users index only, not every index the table may ever get. */
export function usersIndexArn(table: ITable): string {
  return `${table.tableArn}/index/${TABLE.usersIndex.name}`;
}
