import { dbFromEnv } from '../wiring/from-env';
import { Orders } from '../domain/orders';
import { Users } from '../domain/users';
import { jsonResponse, protectedHandler, requestOf } from '../protect';
import { REQUEST_BODIES } from '../contract/request-bodies';
import { parseBody } from '../contract/validation';

const db = dbFromEnv();
const orders = new Orders(db, new Users(db));

const body = REQUEST_BODIES['create-order'];

/** `POST /api/orders`: stores an order for the caller. */
export const handler = protectedHandler(async (event, { sub }) => {
  const { items } = parseBody(requestOf(event).jsonBody(), body);
  return jsonResponse(201, { order: await orders.create(sub, items) });
});
