import { emailVerificationFromEnv } from '../wiring/recovery-from-env';
import { RESEND_VERIFICATION_ANSWER } from '../domain/recovery';
import { httpHandler, jsonResponse } from '../edge/http';
import { REQUEST_BODIES } from '../contract/request-bodies';
import { parseBody } from '../contract/validation';

const verification = emailVerificationFromEnv();
const body = REQUEST_BODIES['resend-verification'];

/** `POST /verify-email/resend`: `202` with the same body for every well-formed email; a mail only for an unverified account. */
export const handler = httpHandler(async (request) => {
  const { email } = parseBody(request.jsonBody(), body);
  await verification.resend(email);
  return jsonResponse(202, RESEND_VERIFICATION_ANSWER);
});
