import { dbFromEnv, passwordCheckFromEnv } from '../wiring/from-env';
import { PasswordHasher } from '../domain/passwords';
import { AccountDeletion } from '../domain/session-controls';
import { Users } from '../domain/users';
import { passwordConfig } from '../contract/config';
import { callerOf, httpHandler, noContent } from '../edge/http';
import { REQUEST_BODIES } from '../contract/request-bodies';
import { parseBody } from '../contract/validation';

const hasher = new PasswordHasher(passwordConfig().bcryptCost);
const deletion = new AccountDeletion(new Users(dbFromEnv()), passwordCheckFromEnv(hasher));
const body = REQUEST_BODIES['delete-profile'];

/** `DELETE /api/profile`: the caller deletes their own account (password required), as an admin delete does. */
export const handler = httpHandler(async (request) => {
  const { sub } = callerOf(request.event);
  const { password } = parseBody(request.jsonBody(), body);
  await deletion.deleteOwn(sub, password);
  return noContent();
});
