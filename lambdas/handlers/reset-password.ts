import { passwordRecoveryFromEnv } from '../wiring/recovery-from-env';
import { httpHandler, jsonResponse } from '../edge/http';
import { REQUEST_BODIES } from '../contract/request-bodies';
import { parseBody } from '../contract/validation';

const recovery = passwordRecoveryFromEnv();
const body = REQUEST_BODIES['reset-password'];

/** `POST /password/reset`: spends the link's token, stores the new password, signs the user out everywhere. */
export const handler = httpHandler(async (request) => {
  const { token, newPassword } = parseBody(request.jsonBody(), body);
  await recovery.reset(token, newPassword);
  return jsonResponse(200, { passwordReset: true });
});
