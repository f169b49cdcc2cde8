import { dbFromEnv } from '../domain/from-env';
import { Orders } from '../domain/orders';
import { Users } from '../domain/users';
import { jsonResponse, protectedHandler, requestOf } from '../protect';
import { LIMITS } from '../shared/settings';
import { arrayOf, int, objectOf, parseBody, str } from '../shared/validation';

const db = dbFromEnv();
const orders = new Orders(db, new Users(db));

const body = {
  items: arrayOf(objectOf({ sku: str({ max: LIMITS.skuMaxLength }), quantity: int({ min: 1, max: LIMITS.quantityMax }) }), {
    min: LIMITS.orderItemsMin,
    max: LIMITS.orderItemsMax,
  }),
};

/** `POST /api/orders`: stores an order for the caller. */
export const handler = protectedHandler(async (event, { sub }) => {
  const { items } = parseBody(requestOf(event).jsonBody(), body);
  return jsonResponse(201, { order: await orders.create(sub, items) });
});
