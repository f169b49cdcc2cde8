import { emailVerificationFromEnv } from '../wiring/recovery-from-env';
import { httpHandler, jsonResponse } from '../edge/http';
import { REQUEST_BODIES } from '../contract/request-bodies';
import { parseBody } from '../contract/validation';

const verification = emailVerificationFromEnv();
const body = REQUEST_BODIES['verify-email'];

/** `POST /verify-email`: spends the link's token and marks the account verified. */
export const handler = httpHandler(async (request) => {
  const { token } = parseBody(request.jsonBody(), body);
  await verification.verify(token);
  return jsonResponse(200, { emailVerified: true });
});
