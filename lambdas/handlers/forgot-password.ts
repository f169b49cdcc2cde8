import { passwordRecoveryFromEnv } from '../wiring/recovery-from-env';
import { FORGOT_PASSWORD_ANSWER } from '../domain/recovery';
import { httpHandler, jsonResponse } from '../edge/http';
import { REQUEST_BODIES } from '../contract/request-bodies';
import { parseBody } from '../contract/validation';

const recovery = passwordRecoveryFromEnv();
const body = REQUEST_BODIES['forgot-password'];

/** `POST /password/forgot`: `202` with the same body for every well-formed email; a reset mail only for an account. */
export const handler = httpHandler(async (request) => {
  const { email } = parseBody(request.jsonBody(), body);
  await recovery.forgot(email);
  return jsonResponse(202, FORGOT_PASSWORD_ANSWER);
});
