/**
 * The emulator's table, created from the deployed schema and awaited until
 * it (and its index) is ACTIVE: dynalite answers ResourceNotFoundException
 * for a table still CREATING, which a busy machine can take a moment past.
 */
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { Db } from '../lambdas/edge/dynamo';
import { createTableInput } from '../lambdas/contract/table-schema';

export async function ensureTable(db: Db, timeoutMs = 10_000): Promise<void> {
  try {
    await db.client.send(new DescribeTableCommand({ TableName: db.tableName }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    await db.client.send(new CreateTableCommand(createTableInput(db.tableName)));
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await db.client.send(new DescribeTableCommand({ TableName: db.tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() > deadline) throw new Error(`table ${db.tableName} is still ${Table?.TableStatus} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
