import { dbFromEnv } from '../wiring/from-env';
import { emailVerificationFromEnv } from '../wiring/recovery-from-env';
import { PasswordHasher } from '../domain/passwords';
import { Registration } from '../domain/registration';
import { Users } from '../domain/users';
import { passwordConfig } from '../contract/config';
import { httpHandler, jsonResponse } from '../edge/http';
import { countMetric } from '../telemetry/metrics';
import { REQUEST_BODIES } from '../contract/request-bodies';
import { parseBody } from '../contract/validation';

const passwords = passwordConfig();
const registration = new Registration(new Users(dbFromEnv()), new PasswordHasher(passwords.bcryptCost), passwords);
const verification = emailVerificationFromEnv();

const body = REQUEST_BODIES.register;

/** `POST /register`: always creates `role: "user"`; a `role` field is refused as unknown. */
export const handler = httpHandler(async (request) => {
  const input = parseBody(request.jsonBody(), body);
  const user = await registration.register(input);
  // Counted here, not in the domain: the create-admin script registers through the same domain code.
  countMetric('userRegistered');
  // The account exists whatever happens to the mail: trouble sending is logged, and the user can ask again (resend).
  await verification.send(user);
  return jsonResponse(201, { user });
});
