/**
 * Orders: each a separate item in its user's order partition, sorted by
 * creation time, so concurrent orders never contend and "newest first" is
 * one query.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { getS, keyOf, names, putNew, S, type Db, type Item } from '../edge/dynamo';
import { NotFoundError, ValidationError } from '../contract/errors';
import { keys, TABLE } from '../contract/table-schema';
import { decodeCursor, encodeCursor, type Users } from './users';

export interface OrderItem {
  readonly sku: string;
  readonly quantity: number;
}

export interface Order {
  readonly id: string;
  readonly userId: string;
  readonly items: readonly OrderItem[];
  readonly createdAt: string;
}

export interface OrderPage {
  readonly orders: Order[];
  readonly nextCursor?: string;
}

function orderFromItem(item: Item): Order | undefined {
  const id = getS(item, 'orderId');
  const userId = getS(item, 'userId');
  const createdAt = getS(item, 'createdAt');
  const itemsJson = getS(item, 'items');
  if (!id || !userId || !createdAt || !itemsJson) return undefined;
  return { id, userId, items: JSON.parse(itemsJson) as OrderItem[], createdAt };
}

export class Orders {
  constructor(
    private readonly db: Db,
    private readonly users: Users,
    private readonly now: () => number = Date.now,
  ) {}

  /** Items are already validated by shape (sku, quantity ranges). A deleted user cannot order. */
  async create(userId: string, items: readonly OrderItem[]): Promise<Order> {
    if (!(await this.users.accountById(userId))) throw new NotFoundError('No such user.');
    const order: Order = {
      id: randomUUID(),
      userId,
      items: items.map(({ sku, quantity }) => ({ sku, quantity })),
      createdAt: new Date(this.now()).toISOString(),
    };
    await putNew(this.db, {
      ...keyOf(keys.order(userId, order.createdAt, order.id)),
      orderId: S(order.id),
      userId: S(userId),
      createdAt: S(order.createdAt),
      // Stored as JSON text: read back exactly as written, whatever the item count.
      items: S(JSON.stringify(order.items)),
    });
    return order;
  }

  /** The caller's orders, newest first, a page at a time. */
  async list(userId: string, options: { limit: number; cursor?: string | undefined }): Promise<OrderPage> {
    const startKey = options.cursor === undefined ? undefined : decodeCursor(options.cursor, [TABLE.partitionKey, TABLE.sortKey]);
    // A cursor from another user's listing must not page through this user's partition from a foreign key.
    if (startKey && startKey[TABLE.partitionKey]?.S !== keys.orderPartition(userId)) {
      throw new ValidationError([{ field: 'cursor', message: 'is not a cursor this API returned' }]);
    }
    const out = await this.db.client.send(
      new QueryCommand({
        TableName: this.db.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: names(),
        ExpressionAttributeValues: { ':pk': S(keys.orderPartition(userId)) },
        ScanIndexForward: false,
        Limit: options.limit,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    const orders = (out.Items ?? []).map(orderFromItem).filter((o): o is Order => o !== undefined);
    return out.LastEvaluatedKey ? { orders, nextCursor: encodeCursor(out.LastEvaluatedKey) } : { orders };
  }
}
