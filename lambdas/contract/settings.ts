/**
 * Every tunable of wristband, its environment variable, its default and its
 * allowed range, written once. The CDK config (lib/config.ts), the runtime
 * config (lambdas/contract/config.ts), the local stack and the docs all read
 * this table, so a default can never differ between them.
 */

export interface Setting {
  /** Environment variable the Lambda functions and the local stack read. */
  readonly env: string;
  /** CDK context key / stack prop name. */
  readonly key: string;
  readonly default: number;
  /** Smallest value anywhere (tests and the local stack included). */
  readonly min: number;
  /** Smallest value the deployed stack accepts, where stricter than `min`. */
  readonly deployedMin?: number;
  readonly max: number;
  readonly description: string;
}

export const SETTINGS = {
  accessTokenTtlSeconds: {
    env: 'ACCESS_TOKEN_TTL_SECONDS',
    key: 'accessTokenTtlSeconds',
    default: 900,
    min: 1,
    deployedMin: 60,
    max: 86_400,
    description: 'access token lifetime',
  },
  refreshTokenTtlSeconds: {
    env: 'REFRESH_TOKEN_TTL_SECONDS',
    key: 'refreshTokenTtlSeconds',
    default: 2_592_000,
    min: 1,
    deployedMin: 300,
    max: 31_536_000,
    description: 'refresh token lifetime (sliding: each rotation starts a new one)',
  },
  refreshReuseIntervalSeconds: {
    env: 'REFRESH_REUSE_INTERVAL_SECONDS',
    key: 'refreshReuseIntervalSeconds',
    default: 10,
    min: 0,
    max: 60,
    description: 'seconds after a rotation in which the rotated refresh token still answers its successor (0: strict single use)',
  },
  clockToleranceSeconds: {
    env: 'CLOCK_TOLERANCE_SECONDS',
    key: 'clockToleranceSeconds',
    default: 5,
    min: 0,
    max: 300,
    description: 'allowed clock skew when verifying',
  },
  loginMaxAttempts: {
    env: 'LOGIN_MAX_ATTEMPTS',
    key: 'loginMaxAttempts',
    default: 5,
    min: 1,
    max: 100,
    description: 'password checks for one email per lockout window (a failure keeps its slot, a success gives it back)',
  },
  lockoutSeconds: {
    env: 'LOCKOUT_SECONDS',
    key: 'lockoutSeconds',
    default: 900,
    min: 1,
    max: 86_400,
    description: 'lockout window: each attempt extends it to this many seconds from now',
  },
  bcryptCost: {
    env: 'BCRYPT_COST',
    key: 'bcryptCost',
    default: 11,
    min: 4,
    deployedMin: 10,
    max: 15,
    description: 'bcrypt cost factor (local and tests may go lower; the deployed stack refuses < 10)',
  },
  passwordMinLength: {
    env: 'PASSWORD_MIN_LENGTH',
    key: 'passwordMinLength',
    default: 15,
    min: 8,
    max: 64,
    description: 'minimum password length in characters (NIST SP 800-63B rev. 4; never below 8)',
  },
  passwordResetTtlSeconds: {
    env: 'PASSWORD_RESET_TTL_SECONDS',
    key: 'passwordResetTtlSeconds',
    default: 900,
    min: 1,
    deployedMin: 300,
    max: 86_400,
    description: 'lifetime of a password reset link (single use; the next request supersedes it)',
  },
  emailVerificationTtlSeconds: {
    env: 'EMAIL_VERIFICATION_TTL_SECONDS',
    key: 'emailVerificationTtlSeconds',
    default: 86_400,
    min: 1,
    deployedMin: 900,
    max: 604_800,
    description: 'lifetime of an email verification link',
  },
  recoveryMailsPerHour: {
    env: 'RECOVERY_MAILS_PER_HOUR',
    key: 'recoveryMailsPerHour',
    default: 3,
    min: 1,
    max: 100,
    description: 'reset and verification mails one account may be sent per hour (counted atomically; more requests still get 202 and send nothing)',
  },
  authorizerCacheTtlSeconds: {
    env: 'AUTHORIZER_CACHE_TTL_SECONDS',
    key: 'authorizerCacheTtlSeconds',
    default: 300,
    min: 0,
    max: 3600,
    description: 'API Gateway authorizer result cache TTL (0 disables the cache)',
  },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;
export type Settings = { readonly [K in SettingName]: number };

/** String settings: who issues the tokens and for whom. */
export const TOKEN_IDENTITY = {
  issuer: { env: 'TOKEN_ISSUER', key: 'issuer', default: 'wristband' },
  audience: { env: 'TOKEN_AUDIENCE', key: 'audience', default: 'wristband-api' },
} as const;

/**
 * Account recovery and email verification (lambdas/domain/recovery.ts). `off`: no verification mail, every account
 * counts as verified in nothing but login; `optional` (the default): a verification mail on register, the access token
 * says `email_verified`, login is not refused, so turning it on never locks out accounts created before; `required`:
 * login refuses an unverified account with `403 email_not_verified`, after the password is checked.
 */
export const EMAIL_VERIFICATION_MODES = ['off', 'optional', 'required'] as const;
export type EmailVerificationMode = (typeof EMAIL_VERIFICATION_MODES)[number];

/** The URL fragment parameters a mailed link carries its token in (the page reads them; a fragment never reaches a server). */
export const LINK_PARAMETERS = { passwordReset: 'reset_token', emailVerification: 'verify_token' } as const;

export const MAIL_SETTINGS = {
  emailVerification: {
    env: 'EMAIL_VERIFICATION',
    key: 'emailVerification',
    default: 'optional' as EmailVerificationMode,
    description: "`off`, `optional` or `required` (login refuses unverified accounts)",
  },
  /** The sender of every mail: an address (or one in a domain) verified in SES. No default: unset, no mail is sent. */
  mailFrom: { env: 'MAIL_FROM', key: 'mailFrom', description: 'the sender of reset and verification mails, an SES verified identity' },
  /** The page that opens a link from a mail and POSTs its token (the token travels in the URL fragment). */
  appUrl: { env: 'APP_URL', key: 'appUrl', description: 'the page the links in mails open; it reads the token from the fragment and POSTs it' },
} as const;

/**
 * Roles that must sign in with a second factor: a token of such a role whose `amr` lacks `otp` does not open the
 * routes reserved to roles (the authorizer's policy leaves them out). Space- or comma-separated role names; empty:
 * none. Read by the authorizer (lambdas/contract/config.ts `tokenConfig`).
 */
export const MFA_REQUIRED_ROLES = {
  env: 'MFA_REQUIRED_ROLES',
  key: 'mfaRequiredRoles',
  default: '',
  description: 'roles whose routes need a sign-in with a second factor (amr includes otp)',
} as const;

/** TOTP (RFC 6238) parameters: what every authenticator app supports by default. */
export const TOTP = {
  periodSeconds: 30,
  digits: 6,
  /** Time steps accepted either side of now: one, for clock drift between phone and server. */
  driftSteps: 1,
  /** Bytes of the shared secret (160 bits, RFC 4226's recommendation for HMAC-SHA1). */
  secretBytes: 20,
  /** Seconds a sign-in challenge (POST /login answered `mfaRequired`) may be answered in. */
  challengeSeconds: 300,
  /** Recovery codes handed out at confirmation, each usable once. */
  recoveryCodes: 10,
} as const;

/** Hard limits of the HTTP contract (docs/api.md › Limits). */
export const LIMITS = {
  maxBodyBytes: 16 * 1024,
  emailMaxLength: 254,
  passwordMaxBytes: 72,
  nameMaxLength: 100,
  orderItemsMin: 1,
  orderItemsMax: 50,
  skuMaxLength: 64,
  quantityMax: 1000,
  pageSizeDefault: 50,
  pageSizeMax: 100,
  /** Longest bearer token the authorizer will even parse; ours are ~400 bytes. */
  maxTokenLength: 4096,
  /** Longest client description (the User-Agent seen at login) a session keeps. */
  clientDescriptionMaxLength: 200,
  /** Bytes of randomness in a refresh token (256 bits). */
  refreshTokenBytes: 32,
  /** Bytes of randomness in a password reset or email verification token (256 bits). */
  mailTokenBytes: 32,
  /** The window `recoveryMailsPerHour` counts over. */
  recoveryMailWindowSeconds: 3600,
  /**
   * The least time `POST /password/forgot` and `POST /verify-email/resend` take, whatever the email: the work for an
   * account (a token, a counter, a mail) takes longer than the work for none, and the difference would tell.
   */
  recoveryResponseFloorMs: 600,
} as const;

/** Environment variables that wire a function to its resources (set by the stack). */
export const WIRING_ENV = {
  tableName: 'TABLE_NAME',
  /** Optional DynamoDB endpoint (local stack, sam local, tests). */
  dynamoEndpoint: 'DYNAMODB_ENDPOINT',
  /**
   * Optional DynamoDB request timeout in ms (default 1000). The local stack sets a longer one: dynalite shares two
   * cores with Chromium, jest and the rest of a laptop, where a slow second is load, not an outage.
   */
  dynamoTimeoutMs: 'DYNAMODB_TIMEOUT_MS',
  signingKeySecretId: 'SIGNING_KEY_SECRET_ID',
  publicKeysParameter: 'PUBLIC_KEYS_PARAMETER',
  /** Directory of the local key store; when set, keys are read from files instead of AWS. */
  localKeysDir: 'LOCAL_KEYS_DIR',
  /** Secrets Manager secret holding the key material TOTP secrets are encrypted with (lambdas/keys/totp-key.ts). */
  totpKeySecretId: 'TOTP_KEY_SECRET_ID',
  /** Seconds a token-issuing function keeps the private key in memory. */
  signingKeyCacheSeconds: 'SIGNING_KEY_CACHE_SECONDS',
  /** Local stack and tests: mails are written as .eml files here instead of going to SES. */
  mailOutboxDir: 'MAIL_OUTBOX_DIR',
} as const;

/** How long issuers keep the current signing key in memory before rereading it. */
export const SIGNING_KEY_CACHE_SECONDS_DEFAULT = 300;

/** Verifiers reread the public key set at most this often when an unknown kid arrives. */
export const PUBLIC_KEYS_REFETCH_COOLDOWN_SECONDS = 10;

/** Verifiers reread the public key set after this long even when every kid is known. */
export const PUBLIC_KEYS_MAX_AGE_SECONDS = 600;

/**
 * The key-publication timeline, written once (rotation, the JWKS handler,
 * issuers and the docs read these). A verifier outside the stack that
 * follows the JWKS and honours its `Cache-Control` may hold a key set up to
 * JWKS_HANDLER_CACHE_SECONDS + JWKS_MAX_AGE_SECONDS old; a new key signs
 * nothing until it has been published for longer than that (the lead), so
 * every such verifier has it by then. Issuers keep signing with the previous
 * key during the lead, so rotation itself never waits.
 */
export const JWKS_HANDLER_CACHE_SECONDS = 60;
/** `Cache-Control: max-age` of the JWKS answer. */
export const JWKS_MAX_AGE_SECONDS = 300;
/** Clock differences between functions (and a verifier's own), added to every key timeline bound. */
export const KEY_TIMELINE_MARGIN_SECONDS = 60;
/** How long a key must have been published before an issuer signs with it. */
export const KEY_PUBLISH_LEAD_SECONDS = Math.max(JWKS_HANDLER_CACHE_SECONDS + JWKS_MAX_AGE_SECONDS, PUBLIC_KEYS_REFETCH_COOLDOWN_SECONDS) + KEY_TIMELINE_MARGIN_SECONDS;

/**
 * A per-client limit on the public routes that take a body (abuseLimitedRoutes() in routes.ts): stage
 * throttling is one budget for everyone, so one client could spend it and lock every user out of login.
 * Deployed: an AWS WAF rate-based rule per source IP on the stage (lib/constructs/wristband-waf.ts);
 * locally: local/rate-limit.ts, only when AUTH_RATE_LIMIT is set (tests, timing and bench log in
 * from one address). The functions never read these. The ranges are the ones AWS WAF accepts.
 */
export const AUTH_RATE_LIMIT = {
  key: 'authRateLimit',
  env: 'AUTH_RATE_LIMIT',
  default: 100,
  /** No limit: the stack creates no web ACL. */
  off: 0,
  min: 10,
  max: 2_000_000_000,
  description: 'requests per source IP per window on the public routes that take a body, beyond which they get 429 (0: no WAF)',
} as const;

export const AUTH_RATE_LIMIT_WINDOW = {
  key: 'authRateLimitWindowSeconds',
  env: 'AUTH_RATE_LIMIT_WINDOW_SECONDS',
  default: 300,
  allowed: [60, 120, 300, 600],
  description: 'the window authRateLimit counts over, in seconds (also the Retry-After of its 429)',
} as const;

/** Why a limit and window pair is not one AWS WAF accepts, one line each; empty when it is. */
export function authRateLimitProblems(limit: number, windowSeconds: number): string[] {
  const problems: string[] = [];
  if (!Number.isSafeInteger(limit) || (limit !== AUTH_RATE_LIMIT.off && (limit < AUTH_RATE_LIMIT.min || limit > AUTH_RATE_LIMIT.max))) {
    problems.push(`${AUTH_RATE_LIMIT.key} must be ${AUTH_RATE_LIMIT.off} (off) or an integer from ${AUTH_RATE_LIMIT.min} to ${AUTH_RATE_LIMIT.max} (AWS WAF's range for a rate-based rule), got ${limit}`);
  }
  if (!(AUTH_RATE_LIMIT_WINDOW.allowed as readonly number[]).includes(windowSeconds)) {
    problems.push(`${AUTH_RATE_LIMIT_WINDOW.key} must be one of ${AUTH_RATE_LIMIT_WINDOW.allowed.join(', ')} (the evaluation windows AWS WAF offers), got ${windowSeconds}`);
  }
  return problems;
}
