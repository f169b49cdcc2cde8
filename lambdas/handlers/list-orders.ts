import { dbFromEnv } from '../wiring/from-env';
import { Orders } from '../domain/orders';
import { Users } from '../domain/users';
import { protectedHandler, requestOf } from '../protect';
import { parsePageQuery } from '../contract/validation';

const db = dbFromEnv();
const orders = new Orders(db, new Users(db));

/** `GET /api/orders`: the caller's orders only, newest first (`?limit=`, `?cursor=`). */
export const handler = protectedHandler(async (event, { sub }) => {
  const request = requestOf(event);
  return orders.list(sub, parsePageQuery(request.query('limit'), request.query('cursor')));
});
