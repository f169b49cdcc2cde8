import { dbFromEnv, sessionsFromEnv } from '../wiring/from-env';
import { Lockout } from '../domain/lockout';
import { PasswordHasher } from '../domain/passwords';
import { MfaChallenges } from '../domain/mfa-challenges';
import { describeClient, Login } from '../domain/sessions';
import { lockoutConfig, mailConfig, passwordConfig } from '../contract/config';
import { httpHandler, jsonResponse } from '../edge/http';
import { REQUEST_BODIES } from '../contract/request-bodies';
import { parseBody } from '../contract/validation';

const db = dbFromEnv();
const login = new Login(
  db,
  new PasswordHasher(passwordConfig().bcryptCost),
  new Lockout(db, lockoutConfig()),
  sessionsFromEnv(),
  new MfaChallenges(db),
  mailConfig().emailVerification,
);

const body = REQUEST_BODIES.login;

/** `POST /login`: a token pair (or, for an account with TOTP, a challenge for `POST /login/mfa`), or one uniform 401 whether the email exists or not. */
export const handler = httpHandler(async (request) => {
  const { email, password } = parseBody(request.jsonBody(), body);
  return jsonResponse(200, await login.login(email, password, describeClient(request.header('user-agent'))));
});
