/**
 * The contract's error codes, each with its HTTP status and the sentence
 * clients see. Handlers, the authorizer, the local stack and the API Gateway
 * gateway responses (lib/constructs/wristband-api.ts) all read this table.
 */
export const ERRORS = {
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  validation_error: { status: 400, message: 'The request is not valid.' },
  unsupported_media_type: { status: 415, message: 'The request body must be application/json.' },
  payload_too_large: { status: 413, message: 'The request body is larger than 16 KiB.' },
  invalid_credentials: { status: 401, message: 'The email or password is incorrect.' },
  too_many_attempts: { status: 429, message: 'Too many failed logins for this account. Try again later.' },
  email_not_verified: { status: 403, message: 'Verify your email address first: follow the link in the mail we sent, or ask for a new one.' },
  email_taken: { status: 409, message: 'An account with this email already exists.' },
  invalid_token: { status: 401, message: 'The token is invalid, expired or revoked.' },
  unauthorized: { status: 401, message: 'A valid bearer access token is required.' },
  // One gateway response serves both causes of a 403 (a role mismatch, a role that needs a second factor): it says both.
  forbidden: { status: 403, message: 'Your role may not use this route, or it needs a sign-in with a second factor: enrol at POST /api/mfa/totp, then log in with a code.' },
  not_found: { status: 404, message: 'Not found.' },
  too_many_requests: { status: 429, message: 'Too many requests. Slow down.' },
  service_unavailable: { status: 503, message: 'The service is temporarily unavailable. Try again shortly.' },
  internal_error: { status: 500, message: 'Something went wrong on our side.' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** Seconds a client should wait before retrying after a 503. */
export const SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

/**
 * Base of every error wristband raises on purpose. `code` is stable and is
 * what clients and tests switch on; `message` is the client-facing sentence;
 * `reason` (optional) is for logs only.
 */
export class WristbandError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly reason: string | undefined;

  constructor(code: ErrorCode, options: { message?: string; reason?: string; cause?: unknown } = {}) {
    super(options.message ?? ERRORS[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = ERRORS[code].status;
    this.reason = options.reason;
  }
}

export class InvalidJsonError extends WristbandError {
  constructor() {
    super('invalid_json');
  }
}

export class ValidationError extends WristbandError {
  readonly details: readonly FieldProblem[];
  constructor(details: readonly FieldProblem[]) {
    const first = details[0];
    super('validation_error', { message: first ? `${first.field}: ${first.message}` : undefined });
    this.details = details;
  }
}

export class UnsupportedMediaTypeError extends WristbandError {
  constructor() {
    super('unsupported_media_type');
  }
}

export class PayloadTooLargeError extends WristbandError {
  constructor() {
    super('payload_too_large');
  }
}

export class InvalidCredentialsError extends WristbandError {
  constructor(reason: 'unknown_email' | 'wrong_password') {
    super('invalid_credentials', { reason });
  }
}

export class TooManyAttemptsError extends WristbandError {
  constructor(readonly retryAfterSeconds: number) {
    super('too_many_attempts');
  }
}

/** Login with the right password for an account whose email is not verified, when verification is `required`. */
export class EmailNotVerifiedError extends WristbandError {
  constructor() {
    super('email_not_verified');
  }
}

export class EmailTakenError extends WristbandError {
  constructor() {
    super('email_taken');
  }
}

export class InvalidTokenError extends WristbandError {
  constructor(reason: string) {
    super('invalid_token', { reason });
  }

  /** Expired and nothing else wrong: the client should refresh, not log in again. */
  get expired(): boolean {
    return this.reason === 'expired' || this.reason === 'expired_after_authorizer_cache';
  }
}

export class ForbiddenError extends WristbandError {
  /** `reason` goes to the log only; `message`, when given, replaces the standard sentence with a step the caller can take. */
  constructor(reason?: string, message?: string) {
    super('forbidden', { ...(reason === undefined ? {} : { reason }), ...(message === undefined ? {} : { message }) });
  }
}

/** A wrong (or already used) TOTP or recovery code: a 401 like a wrong password, with its own sentence. */
export class InvalidCodeError extends WristbandError {
  constructor(reason: 'wrong_code' | 'replayed_code' | 'no_factor') {
    super('invalid_credentials', { message: 'The code is incorrect or was already used.', reason });
  }
}

export class UnauthorizedError extends WristbandError {
  constructor(reason: string) {
    super('unauthorized', { reason });
  }
}

export class NotFoundError extends WristbandError {
  constructor(what = 'Not found.') {
    super('not_found', { message: what });
  }
}

/** A dependency (DynamoDB, the key store) failed; the client should retry. */
export class ServiceUnavailableError extends WristbandError {
  readonly retryAfterSeconds = SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS;
  constructor(reason: string, cause?: unknown) {
    super('service_unavailable', { reason, cause });
  }
}

/**
 * The `WWW-Authenticate` challenge of a 401 (RFC 9110 §11.6.1: every 401
 * carries one). RFC 6750 §3: no error code when the request carried no
 * token (§3.1), `invalid_token` when it carried a bad one; the description
 * tells expiry ("refresh now") from the rest ("log in again") and says
 * nothing more about what was wrong with the token.
 */
export const BEARER_CHALLENGE = 'Bearer';
export const TOKEN_EXPIRED_DESCRIPTION = 'The access token expired';

export function bearerChallengeOf(error: WristbandError): string {
  if (!(error instanceof InvalidTokenError)) return BEARER_CHALLENGE;
  return error.expired ? `Bearer error="invalid_token", error_description="${TOKEN_EXPIRED_DESCRIPTION}"` : 'Bearer error="invalid_token"';
}

/** The JSON body the contract prescribes for an error. */
export function errorBody(code: ErrorCode, message: string = ERRORS[code].message, details?: readonly FieldProblem[]) {
  return details && details.length > 0 ? { error: code, message, details } : { error: code, message };
}
