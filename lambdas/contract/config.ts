/**
 * Runtime configuration, read from the environment once per cold start and
 * validated there: a misconfigured function fails at init, loudly, instead
 * of answering requests wrongly. Each handler asks only for the sections it
 * needs, so the authorizer does not require a table name.
 */
import { roleConfig, ROLES_ENV } from './roles';
import { isRole, parseRoleList, type Role } from './routes';
import {
  EMAIL_VERIFICATION_MODES,
  MAIL_SETTINGS,
  MFA_REQUIRED_ROLES,
  SETTINGS,
  SIGNING_KEY_CACHE_SECONDS_DEFAULT,
  TOKEN_IDENTITY,
  WIRING_ENV,
  type EmailVerificationMode,
  type SettingName,
  type Settings,
} from './settings';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * A configuration wristband refuses, for the stack at synth (every problem,
 * one line each) and for a function or the local stack at start (one line).
 * The one class both throw, so `instanceof ConfigError` holds everywhere.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(typeof problems === 'string' ? problems : `Invalid wristband configuration:\n${list.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = list;
  }
}

/** Parses one numeric setting: absent means the default; anything else must be an integer in range. */
export function readSetting(env: Env, name: SettingName): number {
  const setting = SETTINGS[name];
  const raw = env[setting.env];
  if (raw === undefined || raw.trim() === '') return setting.default;
  if (!/^-?\d+$/.test(raw.trim())) {
    throw new ConfigError(`${setting.env} must be an integer, got ${JSON.stringify(raw)}`);
  }
  const value = Number(raw);
  if (value < setting.min || value > setting.max) {
    throw new ConfigError(`${setting.env} must be between ${setting.min} and ${setting.max}, got ${value}`);
  }
  return value;
}

export function readSettings(env: Env = process.env): Settings {
  const out = {} as Record<SettingName, number>;
  for (const name of Object.keys(SETTINGS) as SettingName[]) out[name] = readSetting(env, name);
  return out;
}

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ConfigError(`${name} must be set`);
  return value.trim();
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export interface TableConfig {
  readonly tableName: string;
  readonly endpoint: string | undefined;
  readonly region: string;
  /** Per-request DynamoDB timeout (DYNAMODB_TIMEOUT_MS); undefined: the client's default (lambdas/edge/dynamo.ts). */
  readonly timeoutMs?: number;
}

export function tableConfig(env: Env = process.env): TableConfig {
  return {
    tableName: required(env, WIRING_ENV.tableName),
    endpoint: optional(env, WIRING_ENV.dynamoEndpoint),
    region: optional(env, 'AWS_REGION') ?? 'us-east-1',
    timeoutMs: optionalTimeout(env, WIRING_ENV.dynamoTimeoutMs),
  };
}

function optionalTimeout(env: Env, name: string): number | undefined {
  const value = optional(env, name);
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 100 || ms > 60_000) throw new ConfigError(`${name} must be a whole number of milliseconds from 100 to 60000 (got ${JSON.stringify(value)})`);
  return ms;
}

export interface TokenConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly clockToleranceSeconds: number;
  /** Roles whose routes need `otp` in the token's amr (MFA_REQUIRED_ROLES); the authorizer reads it. */
  readonly mfaRequiredRoles?: readonly Role[];
}

export function tokenConfig(env: Env = process.env): TokenConfig {
  return {
    issuer: optional(env, TOKEN_IDENTITY.issuer.env) ?? TOKEN_IDENTITY.issuer.default,
    audience: optional(env, TOKEN_IDENTITY.audience.env) ?? TOKEN_IDENTITY.audience.default,
    accessTokenTtlSeconds: readSetting(env, 'accessTokenTtlSeconds'),
    refreshTokenTtlSeconds: readSetting(env, 'refreshTokenTtlSeconds'),
    clockToleranceSeconds: readSetting(env, 'clockToleranceSeconds'),
    mfaRequiredRoles: mfaRequiredRoles(env),
  };
}

/** MFA_REQUIRED_ROLES: role names; an unknown one fails the cold start rather than leave a role unprotected. */
export function mfaRequiredRoles(env: Env = process.env): readonly Role[] {
  const names = parseRoleList(env[MFA_REQUIRED_ROLES.env] ?? '');
  for (const name of names) if (!isRole(name)) throw new ConfigError(`${MFA_REQUIRED_ROLES.env} must name roles (${roleConfig().roles.join(', ')}), got ${JSON.stringify(name)}`);
  return names as Role[];
}

let mfaRequired: { key: string; roles: readonly Role[] } | undefined;

/**
 * `mfaRequiredRoles` of this process's environment, read once per value
 * (set at synth, so once per container): for the handlers that re-check,
 * behind a cached Allow, what the authorizer's policy decided
 * (`protectedHandler`, `adminOf`).
 */
export function processMfaRequiredRoles(): readonly Role[] {
  const key = `${process.env[MFA_REQUIRED_ROLES.env]} ${process.env[ROLES_ENV]}`;
  if (mfaRequired?.key !== key) mfaRequired = { key, roles: mfaRequiredRoles(process.env) };
  return mfaRequired.roles;
}

export interface RefreshTokenConfig {
  readonly refreshTokenTtlSeconds: number;
  /** A rotated refresh token presented again within this many seconds gets its successor back instead of revoking the family. */
  readonly refreshReuseIntervalSeconds: number;
}

export function refreshTokenConfig(env: Env = process.env): RefreshTokenConfig {
  return { refreshTokenTtlSeconds: readSetting(env, 'refreshTokenTtlSeconds'), refreshReuseIntervalSeconds: readSetting(env, 'refreshReuseIntervalSeconds') };
}

export interface PasswordConfig {
  readonly bcryptCost: number;
  readonly minLength: number;
}

export function passwordConfig(env: Env = process.env): PasswordConfig {
  return { bcryptCost: readSetting(env, 'bcryptCost'), minLength: readSetting(env, 'passwordMinLength') };
}

export interface LockoutConfig {
  readonly maxAttempts: number;
  readonly lockoutSeconds: number;
}

export function lockoutConfig(env: Env = process.env): LockoutConfig {
  return { maxAttempts: readSetting(env, 'loginMaxAttempts'), lockoutSeconds: readSetting(env, 'lockoutSeconds') };
}

/** Where keys come from: files (local stack, tests) or AWS (Secrets Manager + SSM). */
export type KeySourceConfig =
  | { readonly kind: 'file'; readonly dir: string; readonly signingKeyCacheSeconds: number }
  | {
      readonly kind: 'aws';
      readonly region: string;
      /** Secrets Manager secret holding the private signing key; issuers only. */
      readonly signingKeySecretId: string | undefined;
      /** SSM parameter holding the public key set; verifiers and issuers. */
      readonly publicKeysParameter: string;
      readonly signingKeyCacheSeconds: number;
    };

export function keySourceConfig(env: Env = process.env): KeySourceConfig {
  const rawCache = optional(env, WIRING_ENV.signingKeyCacheSeconds);
  const signingKeyCacheSeconds = rawCache === undefined ? SIGNING_KEY_CACHE_SECONDS_DEFAULT : Number(rawCache);
  if (!Number.isInteger(signingKeyCacheSeconds) || signingKeyCacheSeconds < 0 || signingKeyCacheSeconds > 3600) {
    throw new ConfigError(`${WIRING_ENV.signingKeyCacheSeconds} must be an integer from 0 to 3600`);
  }
  const dir = optional(env, WIRING_ENV.localKeysDir);
  if (dir) return { kind: 'file', dir, signingKeyCacheSeconds };
  return {
    kind: 'aws',
    region: required(env, 'AWS_REGION'),
    signingKeySecretId: optional(env, WIRING_ENV.signingKeySecretId),
    publicKeysParameter: required(env, WIRING_ENV.publicKeysParameter),
    signingKeyCacheSeconds,
  };
}

export interface MailConfig {
  /** Unset: no mail is sent (the routes still answer as usual; the functions log that mail is not configured). */
  readonly mailFrom: string | undefined;
  /** The page links in mails open, without a fragment: the token is appended as one. */
  readonly appUrl: string | undefined;
  readonly emailVerification: EmailVerificationMode;
  /** Local stack and tests: write mails here instead of sending them. */
  readonly outboxDir: string | undefined;
  readonly passwordResetTtlSeconds: number;
  readonly emailVerificationTtlSeconds: number;
  readonly recoveryMailsPerHour: number;
}

/** One address, no display name: what SES takes as `FromEmailAddress` and IAM compares with `ses:FromAddress`. */
export const MAIL_FROM_PATTERN = /^[^\s@<>(),;:"]{1,64}@[^\s@<>(),;:"]+\.[A-Za-z]{2,}$/;

/** Why an APP_URL cannot carry mail links, or undefined when it can. */
export function appUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${MAIL_SETTINGS.appUrl.env} must be an absolute http(s) URL, got ${JSON.stringify(value)}`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${MAIL_SETTINGS.appUrl.env} must be an http(s) URL, got ${JSON.stringify(value)}`;
  if (url.hash !== '' || value.includes('#')) return `${MAIL_SETTINGS.appUrl.env} must have no fragment (#...): the token goes there, got ${JSON.stringify(value)}`;
  return undefined;
}

export function mailConfig(env: Env = process.env): MailConfig {
  const mode = optional(env, MAIL_SETTINGS.emailVerification.env) ?? MAIL_SETTINGS.emailVerification.default;
  if (!(EMAIL_VERIFICATION_MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(`${MAIL_SETTINGS.emailVerification.env} must be one of ${EMAIL_VERIFICATION_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  }
  const mailFrom = optional(env, MAIL_SETTINGS.mailFrom.env);
  if (mailFrom !== undefined && !MAIL_FROM_PATTERN.test(mailFrom)) throw new ConfigError(`${MAIL_SETTINGS.mailFrom.env} must be one email address, got ${JSON.stringify(mailFrom)}`);
  const appUrl = optional(env, MAIL_SETTINGS.appUrl.env);
  const problem = appUrl === undefined ? undefined : appUrlProblem(appUrl);
  if (problem) throw new ConfigError(problem);
  return {
    mailFrom,
    appUrl,
    emailVerification: mode as EmailVerificationMode,
    outboxDir: optional(env, WIRING_ENV.mailOutboxDir),
    passwordResetTtlSeconds: readSetting(env, 'passwordResetTtlSeconds'),
    emailVerificationTtlSeconds: readSetting(env, 'emailVerificationTtlSeconds'),
    recoveryMailsPerHour: readSetting(env, 'recoveryMailsPerHour'),
  };
}
