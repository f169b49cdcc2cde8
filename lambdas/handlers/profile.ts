import { dbFromEnv } from '../wiring/from-env';
import { Users } from '../domain/users';
import { protectedHandler } from '../protect';

const users = new Users(dbFromEnv());

/** `GET /api/profile`: the caller, read by the verified `sub`. A deleted user's still-valid token gets 404. */
export const handler = protectedHandler(async (_event, { sub }) => ({ user: await users.get(sub) }));
