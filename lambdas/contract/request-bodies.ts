/**
 * The request bodies of the routes that take one, by handler: each handler
 * parses its body with its entry here, and the OpenAPI document
 * (lambdas/contract/openapi.ts) describes the same entry, so the two cannot
 * drift. Plain data: loads nothing but the validation helpers.
 */
import { DEFAULT_ROLE_CONFIG } from './roles';
import type { RouteHandlerName } from './routes';
import { LIMITS, LINK_PARAMETERS, SETTINGS } from './settings';
import { arrayOf, documented, int, objectOf, oneOf, optional, str, type Shape } from './validation';

const passwordRules =
  `At least PASSWORD_MIN_LENGTH characters (default ${SETTINGS.passwordMinLength.default}), at most ${LIMITS.passwordMaxBytes} bytes of UTF-8, ` +
  'not a commonly used or breached password; NFKC-normalised first.';
const email = documented(str(), {
  description: `Trimmed and lower-cased; must look like an address of at most ${LIMITS.emailMaxLength} characters.`,
  examples: ['alice@example.com'],
});
const refreshToken = documented(str(), { description: 'The refresh token of a TokenPair.' });
const mailToken = (parameter: string) =>
  documented(str(), { description: `The token of a mailed link: the \`${parameter}\` of the link's URL fragment.` });

export const REQUEST_BODIES = {
  // Lengths and formats are the domain's to judge (it knows the configured minimum); here, types and presence.
  // The name is shown to others (admins' user list): no control or bidi characters that could disguise it.
  register: {
    email,
    password: documented(str(), { description: passwordRules }),
    name: optional(
      documented(str({ min: 0, plain: true }), {
        maxLength: LIMITS.nameMaxLength,
        description: `Display name, at most ${LIMITS.nameMaxLength} characters once trimmed; no control or bidirectional formatting characters.`,
      }),
    ),
  },
  login: { email, password: str() },
  refresh: { refreshToken },
  logout: { refreshToken },
  'create-order': {
    items: arrayOf(objectOf({ sku: str({ max: LIMITS.skuMaxLength }), quantity: int({ min: 1, max: LIMITS.quantityMax }) }), {
      min: LIMITS.orderItemsMin,
      max: LIMITS.orderItemsMax,
    }),
  },
  'change-password': { currentPassword: str(), newPassword: documented(str(), { description: passwordRules }) },
  'delete-profile': { password: documented(str(), { description: "The caller's current password." }) },
  // The handler narrows this to the configured roles (known at run time only); the default ones are documented.
  'set-user-role': { role: oneOf(DEFAULT_ROLE_CONFIG.roles) },
  // Second factor: exactly one of code and recoveryCode, which the handlers check (a shape cannot say it).
  'login-mfa': {
    challenge: documented(str({ max: 64 }), { description: 'The `challenge` that `POST /login` answered.' }),
    code: optional(documented(str({ max: 16 }), { description: "A current code from the authenticator app; this or recoveryCode." })),
    recoveryCode: optional(documented(str({ max: 32 }), { description: 'One of the recovery codes (any case, hyphen optional); this or code.' })),
  },
  'mfa-totp-confirm': { code: documented(str({ max: 16 }), { description: 'A current code from the newly added authenticator.' }) },
  'mfa-totp-disable': {
    password: documented(str(), { description: "The caller's current password." }),
    code: optional(str({ max: 16 })),
    recoveryCode: optional(str({ max: 32 })),
  },
  // Recovery: an email answers the same 202 whether it has an account or not; a token is judged by the domain (401).
  'forgot-password': { email },
  'reset-password': { token: mailToken(LINK_PARAMETERS.passwordReset), newPassword: documented(str(), { description: passwordRules }) },
  'verify-email': { token: mailToken(LINK_PARAMETERS.emailVerification) },
  'resend-verification': { email },
} as const satisfies Partial<Record<RouteHandlerName, Shape>>;

/** Handlers that page with `?limit=` and `?cursor=` (parsePageQuery). */
export const PAGED_HANDLERS: readonly RouteHandlerName[] = ['list-orders', 'list-users'];
