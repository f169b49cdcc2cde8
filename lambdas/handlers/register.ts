import { dbFromEnv } from '../domain/from-env';
import { emailVerificationFromEnv } from '../domain/recovery-from-env';
import { PasswordHasher } from '../domain/passwords';
import { Registration } from '../domain/registration';
import { Users } from '../domain/users';
import { passwordConfig } from '../shared/config';
import { httpHandler, jsonResponse } from '../shared/http';
import { countMetric } from '../shared/metrics';
import { optional, parseBody, str } from '../shared/validation';

const passwords = passwordConfig();
const registration = new Registration(new Users(dbFromEnv()), new PasswordHasher(passwords.bcryptCost), passwords);
const verification = emailVerificationFromEnv();

// Lengths and formats are the domain's to judge (it knows the configured minimum); here, types and presence.
// The name is shown to others (admins' user list): no control or bidi characters that could disguise it.
const body = { email: str(), password: str(), name: optional(str({ min: 0, plain: true })) };

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
