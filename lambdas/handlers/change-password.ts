import { dbFromEnv, passwordCheckFromEnv, sessionsFromEnv } from '../wiring/from-env';
import { PasswordHasher } from '../domain/passwords';
import { RefreshTokens } from '../domain/refresh-tokens';
import { PasswordChange } from '../domain/session-controls';
import { describeClient } from '../domain/sessions';
import { Users } from '../domain/users';
import { passwordConfig, refreshTokenConfig } from '../contract/config';
import { callerOf, httpHandler, jsonResponse } from '../edge/http';
import { REQUEST_BODIES } from '../contract/request-bodies';
import { parseBody } from '../contract/validation';

const db = dbFromEnv();
const hasher = new PasswordHasher(passwordConfig().bcryptCost);
const change = new PasswordChange(
  new Users(db),
  hasher,
  passwordCheckFromEnv(hasher),
  new RefreshTokens(db, refreshTokenConfig()),
  sessionsFromEnv(),
  passwordConfig(),
);
const body = REQUEST_BODIES['change-password'];

/** `POST /api/password`: checks the current password, stores the new one, revokes every session, answers a new pair. */
export const handler = httpHandler(async (request) => {
  const { sub, amr } = callerOf(request.event);
  const { currentPassword, newPassword } = parseBody(request.jsonBody(), body);
  // Only `otp` is carried over: a token without the claim (issued before it existed) signed in with a password.
  const methods = amr.includes('otp') ? (['pwd', 'otp'] as const) : (['pwd'] as const);
  return jsonResponse(200, await change.change(sub, currentPassword, newPassword, describeClient(request.header('user-agent')), methods));
});
