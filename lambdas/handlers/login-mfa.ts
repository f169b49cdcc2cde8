import { dbFromEnv, mfaFromEnv, sessionsFromEnv } from '../wiring/from-env';
import { MfaChallenges } from '../domain/mfa-challenges';
import { describeClient } from '../domain/sessions';
import { ValidationError } from '../contract/errors';
import { httpHandler, jsonResponse } from '../edge/http';
import { REQUEST_BODIES } from '../contract/request-bodies';
import { parseBody } from '../contract/validation';

const challenges = new MfaChallenges(dbFromEnv());
const mfa = mfaFromEnv();
const sessions = sessionsFromEnv();
const body = REQUEST_BODIES['login-mfa'];

/** `POST /login/mfa`: redeems the challenge of `POST /login` with a TOTP code (or a recovery code); a token pair with amr pwd+otp. */
export const handler = httpHandler(async (request) => {
  const { challenge, code, recoveryCode } = parseBody(request.jsonBody(), body);
  if ((code === undefined) === (recoveryCode === undefined)) throw new ValidationError([{ field: 'code', message: 'give exactly one of code and recoveryCode' }]);
  const account = await mfa.completeSignIn(challenges, challenge, code !== undefined ? { code } : { recoveryCode: recoveryCode as string });
  return jsonResponse(200, await sessions.open(account, describeClient(request.header('user-agent')), ['pwd', 'otp']));
});
