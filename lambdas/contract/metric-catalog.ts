/**
 * wristband's operational metrics, written once: the namespace, every
 * metric name, its dimensions and the values a `reason` may take. The
 * handlers emit from this table (lambdas/telemetry/metrics.ts, and the
 * authorizer's lambdas/authorizer/metrics.ts), and the stack builds
 * its alarms and dashboard from it (lib/constructs/wristband-monitoring.ts),
 * so a metric can never be emitted under one name and watched under another.
 *
 * Plain data and two tiny functions, no imports: the authorizer's bundle
 * and the CDK app both read it.
 *
 * Dimensions are low-cardinality by construction: the service, the stack
 * and, for some metrics, a reason from a fixed list. Never a user id, an
 * email, a token id or a key id.
 */

/** The one CloudWatch namespace of every wristband metric. */
export const METRICS_NAMESPACE = 'Wristband';

/** The environment variable that names the stack (the `stack` dimension); set by the stack on every function. */
export const METRICS_STACK_ENV = 'WRISTBAND_STACK_NAME';
/** The `stack` dimension outside a deployed stack (local stack, tests). */
export const METRICS_STACK_LOCAL = 'local';
/** The `service` dimension when POWERTOOLS_SERVICE_NAME is unset. */
export const METRICS_SERVICE_DEFAULT = 'wristband';

/** Dimension names. `service` is Powertools' own default dimension. */
export const DIMENSIONS = { service: 'service', stack: 'stack', reason: 'reason' } as const;

export interface MetricSpec {
  /** The CloudWatch metric name. */
  readonly name: string;
  /**
   * When present, each data point is published twice in one EMF line: with
   * `[service, stack]` (the total, what alarms watch) and with
   * `[service, stack, reason]` (the breakdown), `reason` one of these.
   */
  readonly reasons?: readonly string[];
}

/** The reasons an authorizer rejection is counted under (`AuthorizerRejected`). */
export const AUTHORIZER_REJECT_REASONS = ['expired', 'bad_signature', 'unknown_kid', 'malformed', 'bad_header', 'bad_claims', 'other'] as const;
export type AuthorizerRejectReason = (typeof AUTHORIZER_REJECT_REASONS)[number];

/** The reasons a login is counted as failed (`LoginFailed`). */
export const LOGIN_FAILURE_REASONS = ['wrong_password', 'unknown_email', 'locked_out', 'email_not_verified'] as const;
export type LoginFailureReason = (typeof LOGIN_FAILURE_REASONS)[number];

/** The kinds of mail counted under `RecoveryMailSent`. */
export const RECOVERY_MAIL_KINDS = ['password_reset', 'email_verification'] as const;

/**
 * Every metric the functions emit (embedded metric format, unit Count,
 * value 1 per event). What one count means is in docs/operations.md (a
 * test checks every name is there): the authorizer bundles this table, so
 * it holds names only.
 */
export const METRICS = {
  loginSucceeded: { name: 'LoginSucceeded' },
  loginFailed: { name: 'LoginFailed', reasons: LOGIN_FAILURE_REASONS },
  lockoutStarted: { name: 'LockoutStarted' },
  userRegistered: { name: 'UserRegistered' },
  tokenRefreshed: { name: 'TokenRefreshed' },
  refreshTokenReused: { name: 'RefreshTokenReused' },
  refreshTokenReplayed: { name: 'RefreshTokenReplayed' },
  sessionsRevoked: { name: 'SessionsRevoked' },
  passwordChanged: { name: 'PasswordChanged' },
  accountDeleted: { name: 'AccountDeleted' },
  recoveryMailSent: { name: 'RecoveryMailSent', reasons: RECOVERY_MAIL_KINDS },
  recoveryMailLimited: { name: 'RecoveryMailLimited' },
  mailFailed: { name: 'MailFailed' },
  passwordReset: { name: 'PasswordReset' },
  emailVerified: { name: 'EmailVerified' },
  keyRotated: { name: 'KeyRotated' },
  authorizerAllowed: { name: 'AuthorizerAllowed' },
  authorizerDenied: { name: 'AuthorizerDenied' },
  authorizerRejected: { name: 'AuthorizerRejected', reasons: AUTHORIZER_REJECT_REASONS },
  authorizerFailed: { name: 'AuthorizerFailed' },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;
/** The reason type of a metric, or `never` when it takes none. */
export type ReasonOf<K extends MetricKey> = (typeof METRICS)[K] extends { reasons: readonly (infer R)[] } ? R : never;

/**
 * Metrics the stack derives from the API's access logs (metric filters),
 * seen from API Gateway: they count what no function can (an authorizer
 * that crashed or timed out, a request the stage throttled). Their one
 * dimension is the API id, since an access log line cannot carry a constant.
 */
export const GATEWAY_METRICS = {
  authorizerFailures: {
    name: 'GatewayAuthorizerFailures',
    errorTypes: ['AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR'],
  },
  throttled: {
    name: 'GatewayThrottled',
    errorTypes: ['THROTTLED'],
  },
} as const;

/** The dimension of GATEWAY_METRICS, read from the access log's `apiId` field. */
export const GATEWAY_METRICS_DIMENSION = 'apiId';

/** The constant dimensions of a function's metrics, from its environment. */
export function baseDimensions(env: Readonly<Record<string, string | undefined>> = process.env): { service: string; stack: string } {
  return {
    service: env.POWERTOOLS_SERVICE_NAME || METRICS_SERVICE_DEFAULT,
    stack: env[METRICS_STACK_ENV] || METRICS_STACK_LOCAL,
  };
}

/**
 * Maps the verifier's detailed rejection reason (InvalidTokenError.reason)
 * onto the short list dimensions may take, so a new reason never becomes a
 * new metric.
 */
export function authorizerRejectReason(reason: string | undefined): AuthorizerRejectReason {
  switch (reason) {
    case 'expired':
    case 'bad_signature':
    case 'unknown_kid':
    case 'malformed':
      return reason;
    case 'high_s':
      return 'bad_signature';
    case 'not_a_bearer_header':
    case 'duplicate_member':
    case 'jws_invalid':
    case 'jwt_invalid':
      return 'malformed';
    case 'alg_not_allowed':
    case 'typ_not_allowed':
    case 'header_member_not_allowed':
    case 'no_kid':
    case 'jose_alg_not_allowed':
    case 'jose_not_supported':
      return 'bad_header';
    case 'bad_sub':
    case 'bad_role':
    case 'bad_jti':
    case 'bad_amr':
    case 'jwt_claim_validation_failed':
      return 'bad_claims';
    default:
      return reason?.startsWith('claim_') ? 'bad_claims' : 'other';
  }
}
