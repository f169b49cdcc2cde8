import { mfaFromEnv } from '../wiring/from-env';
import { callerOf, httpHandler, jsonResponse } from '../edge/http';
import { REQUEST_BODIES } from '../contract/request-bodies';
import { parseBody } from '../contract/validation';

const mfa = mfaFromEnv();
const body = REQUEST_BODIES['mfa-totp-confirm'];

/** `POST /api/mfa/totp/confirm`: activates the pending secret with a code from it; answers ten recovery codes, once. */
export const handler = httpHandler(async (request) => {
  const { sub } = callerOf(request.event);
  const { code } = parseBody(request.jsonBody(), body);
  return jsonResponse(200, await mfa.confirm(sub, code));
});
