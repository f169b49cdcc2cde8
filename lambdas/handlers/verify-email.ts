import { emailVerificationFromEnv } from '../wiring/recovery-from-env';
import { httpHandler, jsonResponse } from '../shared/http';
import { REQUEST_BODIES } from '../shared/request-bodies';
import { parseBody } from '../shared/validation';

const verification = emailVerificationFromEnv();
const body = REQUEST_BODIES['verify-email'];

/** `POST /verify-email`: spends the link's token and marks the account verified. */
export const handler = httpHandler(async (request) => {
  const { token } = parseBody(request.jsonBody(), body);
  await verification.verify(token);
  return jsonResponse(200, { emailVerified: true });
});
