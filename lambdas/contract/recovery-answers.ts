/**
 * The one answer each of the two mail-requesting recovery routes gives,
 * whatever the email: it must not tell whether an account exists. Plain
 * data, read by the domain (lambdas/domain/recovery.ts) and the OpenAPI
 * document alike.
 */

/** The one answer of `POST /password/forgot`. */
export const FORGOT_PASSWORD_ANSWER = { message: 'If an account exists for this email, a link to reset its password is on its way.' } as const;

/** The one answer of `POST /verify-email/resend`. */
export const RESEND_VERIFICATION_ANSWER = { message: 'If an unverified account exists for this email, a new verification link is on its way.' } as const;
