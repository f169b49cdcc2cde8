/**
 * The deployed stack's configuration: stack props first, then CDK context
 * (`cdk synth -c bcryptCost=12`, or `context` in cdk.json), then defaults.
 * Every tunable the functions read comes from SETTINGS and TOKEN_IDENTITY,
 * so a default or a range is never written twice; the few knobs only the
 * stack has (removal policy, key rotation, throttling, logs, alarms) are
 * declared once here in the same shape.
 *
 * Validation happens at synth, before anything is built, and reports every
 * problem at once with the key, the allowed range and the value it got.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { appUrlProblem, ConfigError, MAIL_FROM_PATTERN } from '../lambdas/contract/config';

export { ConfigError };
import {
  AUTH_RATE_LIMIT,
  AUTH_RATE_LIMIT_WINDOW,
  authRateLimitProblems,
  EMAIL_VERIFICATION_MODES,
  MAIL_SETTINGS,
  MFA_REQUIRED_ROLES,
  SETTINGS,
  type EmailVerificationMode,
  TOKEN_IDENTITY,
  type SettingName,
  type Settings,
} from '../lambdas/contract/settings';
import { DEFAULT_ROLE_CONFIG, roleConfigProblems, type RoleConfig } from '../lambdas/contract/roles';

import { parseRoleList, type Role } from '../lambdas/contract/routes';

export const REMOVAL_POLICIES = ['retain', 'destroy'] as const;
export type RemovalPolicyName = (typeof REMOVAL_POLICIES)[number];

/** CloudWatch Logs accepts these retention periods only (9999 = never expire). */
export const LOG_RETENTION_DAYS: readonly number[] = Object.values(RetentionDays)
  .filter((value): value is number => typeof value === 'number')
  .sort((a, b) => a - b);

interface StackSetting {
  readonly key: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly description: string;
}

/** Numeric knobs of the stack itself; the functions never see them. */
export const STACK_SETTINGS = {
  keyRotationDays: {
    key: 'keyRotationDays',
    default: 30,
    min: 1,
    // Secrets Manager schedules rotation at most 1000 days apart; a signing key older than a year is stale anyway.
    max: 365,
    description: 'days between signing key rotations',
  },
  throttlingRateLimit: {
    key: 'throttlingRateLimit',
    default: 100,
    min: 1,
    // API Gateway's default account-level limit per region.
    max: 10_000,
    description: 'stage steady-state request rate (requests per second)',
  },
  throttlingBurstLimit: {
    key: 'throttlingBurstLimit',
    default: 200,
    min: 1,
    max: 5_000,
    description: 'stage burst capacity (requests)',
  },
} as const satisfies Record<string, StackSetting>;

type StackSettingName = keyof typeof STACK_SETTINGS;

export const LOG_RETENTION = {
  key: 'logRetentionDays',
  default: 30,
  description: 'days CloudWatch keeps function and access logs',
} as const;

export const REMOVAL_POLICY = {
  key: 'removalPolicy',
  default: 'retain' as RemovalPolicyName,
  description: "'retain' keeps the table and logs when the stack is deleted; 'destroy' (dev stacks) deletes them",
} as const;

/** Powertools log levels the functions may run at (POWERTOOLS_LOG_LEVEL). */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export const LOG_LEVEL = {
  key: 'logLevel',
  env: 'POWERTOOLS_LOG_LEVEL',
  default: 'INFO' as LogLevelName,
  description: 'log level of every function',
} as const;

export const DEBUG_LOG_SAMPLE_RATE = {
  key: 'debugLogSampleRate',
  env: 'POWERTOOLS_LOGGER_SAMPLE_RATE',
  default: 0.01,
  min: 0,
  max: 1,
  description: 'share of invocations that log at DEBUG whatever the log level (a new draw per invocation)',
} as const;

/** Where alarms notify: an email address (a topic is created and the address subscribed) or an existing SNS topic. */
export type AlarmNotify = { readonly kind: 'email'; readonly address: string } | { readonly kind: 'topic'; readonly arn: string };

export const ALARM_NOTIFY = {
  key: 'alarmNotify',
  description: 'where alarms send notifications: an email address, or the ARN of an SNS topic in the stack\'s region',
} as const;

/** Standard SNS topics only: CloudWatch alarms cannot notify FIFO topics. */
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$/;
/** One address, no display name, no spaces: what an SNS email subscription takes. */
const EMAIL_ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[A-Za-z]{2,}$/;
const EMAIL_MAX_LENGTH = 254;

/** The role configuration's keys (lambdas/contract/roles.ts), with their defaults. */
export const ROLE_SETTINGS = {
  roles: { key: 'roles', description: 'every role a token may carry (a JSON list, or names separated by commas)' },
  registration: { key: 'registrationRole', description: 'the role `POST /register` gives' },
  createAdmin: { key: 'createAdminRole', description: 'the role `npm run create-admin` gives' },
  userManagers: { key: 'userManagerRoles', description: 'roles that may list, change, delete and sign out other users (`/api/users*`)' },
} as const satisfies Record<keyof RoleConfig, { key: string; description: string }>;

/** The CloudFormation stack's name; several environments (Wristband-dev, Wristband-prod) fit one account. */
export const STACK_NAME_SETTING = {
  key: 'stackName',
  default: 'Wristband',
  description: 'the CloudFormation stack name (and the prefix of the names derived from it)',
} as const;
const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** CORS: which browser origins may read the API's answers. */
export const CORS_ORIGIN = {
  key: 'corsOrigin',
  env: 'CORS_ALLOW_ORIGIN',
  default: '*',
  description: "the Access-Control-Allow-Origin of every answer: '*' (any site; tokens travel in a header, never a cookie) or one origin such as https://app.example.com",
} as const;
const ORIGIN_PATTERN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

/** Longest issuer or audience accepted; both travel in every token. */
const IDENTITY_MAX_LENGTH = 256;

export interface WristbandConfig {
  /** Every SETTINGS value, validated against the deployed minimums. */
  readonly settings: Settings;
  readonly issuer: string;
  readonly audience: string;
  readonly removalPolicy: RemovalPolicyName;
  readonly keyRotationDays: number;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly logRetentionDays: number;
  readonly logLevel: LogLevelName;
  readonly debugLogSampleRate: number;
  /** Undefined: the alarms exist, and notify nobody. */
  readonly alarmNotify: AlarmNotify | undefined;
  /** Requests per source IP per window on the abuse-limited routes (WAF); 0: no web ACL. */
  readonly authRateLimit: number;
  readonly authRateLimitWindowSeconds: number;
  /** `off`, `optional` or `required` (MAIL_SETTINGS). */
  readonly emailVerification: EmailVerificationMode;
  /** The SES identity mails are sent from; undefined: no mail, and no SES permission for any function. */
  readonly mailFrom: string | undefined;
  /** The page mail links open. */
  readonly appUrl: string | undefined;
  readonly roles: RoleConfig;
  readonly stackName: string;
  readonly corsOrigin: string;
  /** Roles whose routes need a sign-in with a second factor (MFA_REQUIRED_ROLES). */
  readonly mfaRequiredRoles: readonly Role[];
}

/** What stack props may set: the same keys as the CDK context. */
export type WristbandConfigProps = Partial<
  Settings & { [K in StackSettingName]: number } & {
    issuer: string;
    audience: string;
    removalPolicy: RemovalPolicyName;
    logRetentionDays: number;
    logLevel: LogLevelName;
    debugLogSampleRate: number;
    /** An email address or an SNS topic ARN. */
    alarmNotify: string;
    authRateLimit: number;
    authRateLimitWindowSeconds: number;
    emailVerification: EmailVerificationMode;
    mailFrom: string;
    appUrl: string;
    roles: readonly string[] | string;
    registrationRole: string;
    createAdminRole: string;
    userManagerRoles: readonly string[] | string;
    stackName: string;
    corsOrigin: string;
    /** Role names, space- or comma-separated, or a list. */
    mfaRequiredRoles: string | readonly string[];
  }
>;

/** Every key the configuration reads, as stack prop and context key. */
export const CONFIG_KEYS: readonly string[] = [
  ...Object.values(SETTINGS).map((s) => s.key),
  TOKEN_IDENTITY.issuer.key,
  TOKEN_IDENTITY.audience.key,
  ...Object.values(STACK_SETTINGS).map((s) => s.key),
  LOG_RETENTION.key,
  REMOVAL_POLICY.key,
  LOG_LEVEL.key,
  DEBUG_LOG_SAMPLE_RATE.key,
  ALARM_NOTIFY.key,
  AUTH_RATE_LIMIT.key,
  AUTH_RATE_LIMIT_WINDOW.key,
  MAIL_SETTINGS.emailVerification.key,
  MAIL_SETTINGS.mailFrom.key,
  MAIL_SETTINGS.appUrl.key,
  ...Object.values(ROLE_SETTINGS).map((s) => s.key),
  STACK_NAME_SETTING.key,
  CORS_ORIGIN.key,
  MFA_REQUIRED_ROLES.key,
];


/** Reads a CDK context value; `node.tryGetContext` fits. */
export type ContextReader = (key: string) => unknown;

export interface ResolveConfigOptions {
  readonly props?: WristbandConfigProps;
  readonly context?: ContextReader;
  /** Every context key present, to catch near-miss spellings (`bcryptcost`). */
  readonly contextKeys?: readonly string[];
}

/**
 * Resolves and validates the configuration. Throws one ConfigError listing
 * every problem; never returns a value the deployed stack would refuse.
 */
export function resolveConfig(options: ResolveConfigOptions = {}): WristbandConfig {
  const props = (options.props ?? {}) as Record<string, unknown>;
  const context = options.context ?? (() => undefined);
  const problems: string[] = [];
  const raw = (key: string): unknown => (props[key] !== undefined ? props[key] : context(key));

  for (const key of Object.keys(props)) {
    if (!CONFIG_KEYS.includes(key)) problems.push(`${key} is not a configuration key (known: ${CONFIG_KEYS.join(', ')})`);
  }
  for (const key of options.contextKeys ?? []) {
    const known = CONFIG_KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
    if (known && known !== key) problems.push(`context key ${key} is misspelt: did you mean ${known}?`);
  }

  const integer = (key: string, fallback: number, min: number, max: number, why = ''): number => {
    const value = raw(key);
    if (value === undefined || value === null) return fallback;
    const parsed = parseInteger(value);
    if (parsed === undefined || parsed < min || parsed > max) {
      problems.push(`${key} must be an integer from ${min} to ${max}${why}, got ${show(value)}`);
      return fallback;
    }
    return parsed;
  };

  const settings = {} as Record<SettingName, number>;
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const setting: (typeof SETTINGS)[SettingName] = SETTINGS[name];
    const deployedMin = 'deployedMin' in setting ? setting.deployedMin : undefined;
    const min = deployedMin ?? setting.min;
    const why = deployedMin !== undefined ? ` (the deployed stack refuses less than ${deployedMin})` : '';
    settings[name] = integer(setting.key, setting.default, min, setting.max, why);
  }

  const stackValue = (name: StackSettingName) => {
    const s = STACK_SETTINGS[name];
    return integer(s.key, s.default, s.min, s.max);
  };

  const config: WristbandConfig = {
    settings,
    issuer: identity(TOKEN_IDENTITY.issuer.key, raw(TOKEN_IDENTITY.issuer.key), TOKEN_IDENTITY.issuer.default, problems),
    audience: identity(TOKEN_IDENTITY.audience.key, raw(TOKEN_IDENTITY.audience.key), TOKEN_IDENTITY.audience.default, problems),
    removalPolicy: removalPolicy(raw(REMOVAL_POLICY.key), problems),
    keyRotationDays: stackValue('keyRotationDays'),
    throttlingRateLimit: stackValue('throttlingRateLimit'),
    throttlingBurstLimit: stackValue('throttlingBurstLimit'),
    logRetentionDays: logRetention(raw(LOG_RETENTION.key), problems),
    logLevel: logLevel(raw(LOG_LEVEL.key), problems),
    debugLogSampleRate: sampleRate(raw(DEBUG_LOG_SAMPLE_RATE.key), problems),
    alarmNotify: alarmNotify(raw(ALARM_NOTIFY.key), problems),
    ...authRateLimit(raw(AUTH_RATE_LIMIT.key), raw(AUTH_RATE_LIMIT_WINDOW.key), problems),
    ...mailSettings(raw(MAIL_SETTINGS.emailVerification.key), raw(MAIL_SETTINGS.mailFrom.key), raw(MAIL_SETTINGS.appUrl.key), problems),
    roles: roleConfigOf(raw, problems),
    stackName: stackName(raw(STACK_NAME_SETTING.key), problems),
    corsOrigin: corsOrigin(raw(CORS_ORIGIN.key), problems),
    mfaRequiredRoles: [],
  };
  (config as { mfaRequiredRoles: readonly Role[] }).mfaRequiredRoles = mfaRequiredRoles(raw(MFA_REQUIRED_ROLES.key), config.roles.roles, problems);

  // API Gateway caches an Allow per token without looking at `exp`: a cache longer than a token's life would let it outlive its expiry by more than it lived.
  const { authorizerCacheTtlSeconds, accessTokenTtlSeconds } = config.settings;
  if (authorizerCacheTtlSeconds > accessTokenTtlSeconds) {
    problems.push(
      `${SETTINGS.authorizerCacheTtlSeconds.key} (${authorizerCacheTtlSeconds}) must not exceed ${SETTINGS.accessTokenTtlSeconds.key} (${accessTokenTtlSeconds})`,
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** A list of names: a JSON array (props, cdk.json) or names separated by commas (`-c roles=reader,editor`). */
function nameList(key: string, value: unknown, problems: string[]): string[] | undefined {
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.map((item) => item.trim());
  if (typeof value === 'string') return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  problems.push(`${key} must be a list of role names, got ${show(value)}`);
  return undefined;
}

function roleConfigOf(raw: (key: string) => unknown, problems: string[]): RoleConfig {
  const keys = { roles: ROLE_SETTINGS.roles.key, registration: ROLE_SETTINGS.registration.key, createAdmin: ROLE_SETTINGS.createAdmin.key, userManagers: ROLE_SETTINGS.userManagers.key };
  const given = (key: string) => {
    const value = raw(key);
    return value === undefined || value === null ? undefined : value;
  };
  const single = (key: string, fallback: string): string => {
    const value = given(key);
    if (value === undefined) return fallback;
    if (typeof value === 'string') return value.trim();
    problems.push(`${key} must be a role name, got ${show(value)}`);
    return fallback;
  };
  const rolesGiven = given(keys.roles);
  const roles = rolesGiven === undefined ? DEFAULT_ROLE_CONFIG.roles : (nameList(keys.roles, rolesGiven, problems) ?? DEFAULT_ROLE_CONFIG.roles);
  const managersGiven = given(keys.userManagers);
  const config: RoleConfig = {
    roles,
    registration: single(keys.registration, DEFAULT_ROLE_CONFIG.registration),
    createAdmin: single(keys.createAdmin, DEFAULT_ROLE_CONFIG.createAdmin),
    userManagers:
      managersGiven === undefined ? DEFAULT_ROLE_CONFIG.userManagers : (nameList(keys.userManagers, managersGiven, problems) ?? DEFAULT_ROLE_CONFIG.userManagers),
  };
  problems.push(...roleConfigProblems(config, keys));
  return config;
}

function stackName(value: unknown, problems: string[]): string {
  if (value === undefined || value === null) return STACK_NAME_SETTING.default;
  if (typeof value === 'string' && STACK_NAME_PATTERN.test(value)) return value;
  problems.push(`${STACK_NAME_SETTING.key} must start with a letter and hold only letters, digits and hyphens (at most 128), got ${show(value)}`);
  return STACK_NAME_SETTING.default;
}

function corsOrigin(value: unknown, problems: string[]): string {
  if (value === undefined || value === null) return CORS_ORIGIN.default;
  if (value === '*' || (typeof value === 'string' && ORIGIN_PATTERN.test(value))) return value;
  problems.push(`${CORS_ORIGIN.key} must be '*' or one origin (scheme://host[:port], no path), got ${show(value)}`);
  return CORS_ORIGIN.default;
}

/** Integers as numbers (props, cdk.json) or as decimal strings (`-c key=12` on the command line). */
function parseInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d{1,15}\s*$/.test(value)) return Number(value);
  return undefined;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function identity(key: string, value: unknown, fallback: string, problems: string[]): string {
  if (value === undefined || value === null) return fallback;
  // Printable ASCII without spaces: it is compared byte for byte by every verifier.
  if (typeof value !== 'string' || value.length === 0 || value.length > IDENTITY_MAX_LENGTH || !/^[!-~]+$/.test(value)) {
    problems.push(`${key} must be a string of 1 to ${IDENTITY_MAX_LENGTH} printable characters without spaces, got ${show(value)}`);
    return fallback;
  }
  return value;
}

function removalPolicy(value: unknown, problems: string[]): RemovalPolicyName {
  if (value === undefined || value === null) return REMOVAL_POLICY.default;
  if (typeof value === 'string' && (REMOVAL_POLICIES as readonly string[]).includes(value)) return value as RemovalPolicyName;
  problems.push(`${REMOVAL_POLICY.key} must be one of ${REMOVAL_POLICIES.join(', ')}, got ${show(value)}`);
  return REMOVAL_POLICY.default;
}

function logRetention(value: unknown, problems: string[]): number {
  if (value === undefined || value === null) return LOG_RETENTION.default;
  const parsed = parseInteger(value);
  if (parsed !== undefined && LOG_RETENTION_DAYS.includes(parsed)) return parsed;
  problems.push(`${LOG_RETENTION.key} must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${show(value)}`);
  return LOG_RETENTION.default;
}

function logLevel(value: unknown, problems: string[]): LogLevelName {
  if (value === undefined || value === null) return LOG_LEVEL.default;
  const upper = typeof value === 'string' ? value.trim().toUpperCase() : undefined;
  if (upper !== undefined && (LOG_LEVELS as readonly string[]).includes(upper)) return upper as LogLevelName;
  problems.push(`${LOG_LEVEL.key} must be one of ${LOG_LEVELS.join(', ')}, got ${show(value)}`);
  return LOG_LEVEL.default;
}

/** A fraction from 0 to 1, as a number (props, cdk.json) or a decimal string (`-c debugLogSampleRate=0.05`). */
function sampleRate(value: unknown, problems: string[]): number {
  if (value === undefined || value === null) return DEBUG_LOG_SAMPLE_RATE.default;
  const parsed =
    typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isFinite(parsed) && parsed >= DEBUG_LOG_SAMPLE_RATE.min && parsed <= DEBUG_LOG_SAMPLE_RATE.max) return parsed;
  problems.push(`${DEBUG_LOG_SAMPLE_RATE.key} must be a number from ${DEBUG_LOG_SAMPLE_RATE.min} to ${DEBUG_LOG_SAMPLE_RATE.max}, got ${show(value)}`);
  return DEBUG_LOG_SAMPLE_RATE.default;
}

function alarmNotify(value: unknown, problems: string[]): AlarmNotify | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'string' ? value.trim() : '';
  if (SNS_TOPIC_ARN.test(text)) return { kind: 'topic', arn: text };
  if (text.length <= EMAIL_MAX_LENGTH && EMAIL_ADDRESS.test(text)) return { kind: 'email', address: text };
  problems.push(
    `${ALARM_NOTIFY.key} must be an email address or a standard SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), got ${show(value)}`,
  );
  return undefined;
}

/** The WAF rate rule's limit and window: integers (or decimal strings) in the ranges AWS WAF accepts. */
function authRateLimit(limit: unknown, window: unknown, problems: string[]): Pick<WristbandConfig, 'authRateLimit' | 'authRateLimitWindowSeconds'> {
  const out = { authRateLimit: AUTH_RATE_LIMIT.default as number, authRateLimitWindowSeconds: AUTH_RATE_LIMIT_WINDOW.default as number };
  const parsedLimit = limit === undefined || limit === null ? out.authRateLimit : parseInteger(limit);
  const parsedWindow = window === undefined || window === null ? out.authRateLimitWindowSeconds : parseInteger(window);
  const found = authRateLimitProblems(parsedLimit ?? Number.NaN, parsedWindow ?? Number.NaN).map((problem) =>
    // Show what was given, not what it parsed to ("abc", not NaN).
    problem.replace(/got NaN$/, `got ${show(problem.startsWith(AUTH_RATE_LIMIT_WINDOW.key) ? window : limit)}`),
  );
  problems.push(...found);
  if (found.length > 0) return out;
  return { authRateLimit: parsedLimit as number, authRateLimitWindowSeconds: parsedWindow as number };
}

/** Email verification, the sender and the link page; `required` needs both of the others, or nobody could ever log in. */
function mailSettings(mode: unknown, from: unknown, appUrl: unknown, problems: string[]): Pick<WristbandConfig, 'emailVerification' | 'mailFrom' | 'appUrl'> {
  const out: { emailVerification: EmailVerificationMode; mailFrom: string | undefined; appUrl: string | undefined } = {
    emailVerification: MAIL_SETTINGS.emailVerification.default,
    mailFrom: undefined,
    appUrl: undefined,
  };
  if (mode !== undefined && mode !== null) {
    if (typeof mode === 'string' && (EMAIL_VERIFICATION_MODES as readonly string[]).includes(mode)) out.emailVerification = mode as EmailVerificationMode;
    else problems.push(`${MAIL_SETTINGS.emailVerification.key} must be one of ${EMAIL_VERIFICATION_MODES.join(', ')}, got ${show(mode)}`);
  }
  if (from !== undefined && from !== null) {
    if (typeof from === 'string' && from.length <= EMAIL_MAX_LENGTH && MAIL_FROM_PATTERN.test(from)) out.mailFrom = from;
    else problems.push(`${MAIL_SETTINGS.mailFrom.key} must be one email address (no display name), verified in SES, got ${show(from)}`);
  }
  if (appUrl !== undefined && appUrl !== null) {
    const problem = typeof appUrl === 'string' ? appUrlProblem(appUrl) : 'must be a string';
    if (problem) problems.push(`${MAIL_SETTINGS.appUrl.key}: ${problem}`);
    else out.appUrl = appUrl as string;
  }
  if (out.emailVerification === 'required' && (out.mailFrom === undefined || out.appUrl === undefined)) {
    problems.push(`${MAIL_SETTINGS.emailVerification.key} 'required' needs ${MAIL_SETTINGS.mailFrom.key} and ${MAIL_SETTINGS.appUrl.key}: without mail nobody could verify, so nobody could log in`);
  }
  return out;
}

/** The configuration of a CDK app (or any construct): its context, overridden by `props`. */
export function configFromApp(scope: IConstruct, props?: WristbandConfigProps): WristbandConfig {
  const node = scope.node;
  return resolveConfig({
    props,
    context: (key) => node.tryGetContext(key),
    contextKeys: Object.keys((node.getAllContext() ?? {}) as object),
  });
}

/** MFA_REQUIRED_ROLES: known role names only, so a typo cannot silently leave admins without the requirement. */
function mfaRequiredRoles(value: unknown, roles: readonly Role[], problems: string[]): readonly Role[] {
  if (value === undefined || value === null) return [];
  const names = typeof value === 'string' ? parseRoleList(value) : Array.isArray(value) ? value : undefined;
  if (!names?.every((name) => typeof name === 'string' && roles.includes(name))) {
    problems.push(`${MFA_REQUIRED_ROLES.key} must name roles (${roles.join(', ')}), space- or comma-separated, got ${show(value)}`);
    return [];
  }
  return [...new Set(names as Role[])];
}
