import { passwordRecoveryFromEnv } from '../wiring/recovery-from-env';
import { httpHandler, jsonResponse } from '../shared/http';
import { REQUEST_BODIES } from '../shared/request-bodies';
import { parseBody } from '../shared/validation';

const recovery = passwordRecoveryFromEnv();
const body = REQUEST_BODIES['reset-password'];

/** `POST /password/reset`: spends the link's token, stores the new password, signs the user out everywhere. */
export const handler = httpHandler(async (request) => {
  const { token, newPassword } = parseBody(request.jsonBody(), body);
  await recovery.reset(token, newPassword);
  return jsonResponse(200, { passwordReset: true });
});
