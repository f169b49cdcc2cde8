import { mfaFromEnv } from '../wiring/from-env';
import { callerOf, httpHandler, jsonResponse } from '../edge/http';

const mfa = mfaFromEnv();

/** `POST /api/mfa/totp`: a new secret and its otpauth:// URI, pending until confirmed. */
export const handler = httpHandler(async (request) => {
  const { sub, amr } = callerOf(request.event);
  return jsonResponse(200, await mfa.enrol(sub, amr));
});
