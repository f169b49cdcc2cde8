import { dbFromEnv } from '../domain/from-env';
import { Orders } from '../domain/orders';
import { Users } from '../domain/users';
import { callerOf, httpHandler, jsonResponse } from '../shared/http';
import { parsePageQuery } from '../shared/validation';

const db = dbFromEnv();
const orders = new Orders(db, new Users(db));

/** `GET /api/orders`: the caller's orders only, newest first (`?limit=`, `?cursor=`). */
export const handler = httpHandler(async (request) => {
  const { sub } = callerOf(request.event);
  const page = parsePageQuery(request.query('limit'), request.query('cursor'));
  return jsonResponse(200, await orders.list(sub, page));
});
