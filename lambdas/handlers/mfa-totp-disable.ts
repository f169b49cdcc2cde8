import { mfaFromEnv, passwordCheckFromEnv } from '../wiring/from-env';
import { PasswordHasher } from '../domain/passwords';
import { passwordConfig } from '../contract/config';
import { ValidationError } from '../contract/errors';
import { callerOf, httpHandler, noContent } from '../edge/http';
import { REQUEST_BODIES } from '../contract/request-bodies';
import { parseBody } from '../contract/validation';

const mfa = mfaFromEnv();
const check = passwordCheckFromEnv(new PasswordHasher(passwordConfig().bcryptCost));
const body = REQUEST_BODIES['mfa-totp-disable'];

/** `DELETE /api/mfa/totp`: turns TOTP off; the password and a current code (or a recovery code), under the lockout rules. */
export const handler = httpHandler(async (request) => {
  const { sub } = callerOf(request.event);
  const { password, code, recoveryCode } = parseBody(request.jsonBody(), body);
  if ((code === undefined) === (recoveryCode === undefined)) throw new ValidationError([{ field: 'code', message: 'give exactly one of code and recoveryCode' }]);
  await mfa.disable(sub, password, code !== undefined ? { code } : { recoveryCode: recoveryCode as string }, check);
  return noContent();
});
