/**
 * The parts the item-level grants rest on: the table layout gives every
 * item type a partition prefix LeadingKeys can tell apart, the renderer
 * writes FUNCTION_SPECS as IAM statements, the evaluator decides as IAM
 * does on hand-written statements, and requests are read the way IAM reads
 * them (the leading keys of a key, an item, a batch, a query).
 */
import { grants, type FunctionSpec } from '../../lib/function-specs';
import { iamLike, leadingKeyPattern, statementsAllow, tableRequestsOf, tableStatements, type TableStatement } from '../../lib/table-grants';
import { ITEM_TYPES, itemTypeOf, keys, TABLE, type ItemType } from '../../lambdas/contract/table-schema';

const TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/t';
const ARNS = { table: TABLE_ARN, usersIndex: `${TABLE_ARN}/index/${TABLE.usersIndex.name}` };
const arnOf = () => TABLE_ARN;
const ID = '3f0c1c8e-5a7e-4b43-9a55-0a8f5b5d2c11';
const SPEC = { memoryMb: 256, timeoutSeconds: 5, description: 'test' } as const;

describe('the table layout', () => {
  const TYPES = Object.keys(ITEM_TYPES) as ItemType[];
  /** Every key the domain code builds, by the item type it belongs to. */
  const BUILT: [ItemType, string][] = [
    ['account', keys.account('someone@example.com').pk],
    ['userPointer', keys.userPointer(ID).pk],
    ['refreshFamily', keys.family(ID, ID).pk],
    ['refreshFamily', keys.familyPartition(ID)],
    ['order', keys.order(ID, '2026-01-01T00:00:00.000Z', ID).pk],
    ['order', keys.orderPartition(ID)],
    ['lockout', keys.lockout('someone@example.com').pk],
    ['refreshToken', keys.refreshToken('ab'.repeat(32)).pk],
    ['totp', keys.totp(ID).pk],
    ['mfaChallenge', keys.mfaChallenge('ab'.repeat(32)).pk],
  ];

  it('gives every item type a partition prefix that starts no other', () => {
    for (const a of TYPES) for (const b of TYPES) if (a !== b) expect([a, b, ITEM_TYPES[a].startsWith(ITEM_TYPES[b])]).toEqual([a, b, false]);
  });

  it.each(BUILT)('builds %s keys under their own prefix only, so one LeadingKeys pattern matches them and no other type', (type, pk) => {
    expect(itemTypeOf(pk)).toBe(type);
    expect(TYPES.filter((t) => iamLike(leadingKeyPattern(t), pk))).toEqual([type]);
  });

  it('keeps a user’s pointer, families and orders in separate partitions (they shared USER#<id> before)', () => {
    expect(new Set([keys.userPointer(ID).pk, keys.familyPartition(ID), keys.orderPartition(ID)]).size).toBe(3);
  });
});

describe('tableStatements', () => {
  it('writes one statement per set of item types, each action limited to their LeadingKeys and requiring them', () => {
    const spec: FunctionSpec = {
      ...SPEC,
      table: { account: ['dynamodb:BatchGetItem'], lockout: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] },
    };

    expect(tableStatements(spec, ARNS)).toEqual([
      {
        actions: ['dynamodb:BatchGetItem'],
        resources: [TABLE_ARN],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['EMAIL#*', 'LOCK#*'] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
      },
      {
        actions: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [TABLE_ARN],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LOCK#*'] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
      },
    ]);
  });

  it('grants the users index on the index only, and nothing for a spec without table access', () => {
    expect(tableStatements({ ...SPEC, index: true }, ARNS)).toEqual([{ actions: ['dynamodb:Query'], resources: [ARNS.usersIndex] }]);
    expect(tableStatements(SPEC, ARNS)).toEqual([]);
  });

  it('merges grants: one line adds an action on an item type to a shared set', () => {
    expect(grants({ account: ['dynamodb:GetItem'] }, { account: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], order: ['dynamodb:PutItem'] })).toEqual({
      account: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      order: ['dynamodb:PutItem'],
    });
  });
});

describe('statementsAllow (IAM evaluation of the statements we write)', () => {
  const statements: TableStatement[] = [
    {
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
      resources: [TABLE_ARN],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['EMAIL#*', 'USER#*'] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
    },
  ];
  const allows = (action: string, leadingKeys?: string[], resource = TABLE_ARN) => statementsAllow(statements, { action, resource, leadingKeys });

  it('allows a listed action when every leading key matches a pattern', () => {
    expect(allows('dynamodb:GetItem', ['EMAIL#a@example.com'])).toBe(true);
    expect(allows('dynamodb:BatchGetItem', ['EMAIL#a@example.com', `USER#${ID}`])).toBe(true);
  });

  it('refuses when any leading key matches no pattern, even in a batch', () => {
    expect(allows('dynamodb:GetItem', [`ORDER#${ID}`])).toBe(false);
    expect(allows('dynamodb:BatchGetItem', ['EMAIL#a@example.com', 'LOCK#a@example.com'])).toBe(false);
    // Patterns are anchored prefixes, case sensitive: an email containing a prefix is not that type.
    expect(allows('dynamodb:GetItem', ['LOCK#EMAIL#a@example.com'])).toBe(false);
    expect(allows('dynamodb:GetItem', ['email#a@example.com'])).toBe(false);
  });

  it('refuses a request with no leading keys (ForAllValues alone would hold vacuously), another action, or another table', () => {
    expect(allows('dynamodb:GetItem', undefined)).toBe(false);
    expect(allows('dynamodb:GetItem', [])).toBe(false);
    expect(allows('dynamodb:PutItem', ['EMAIL#a@example.com'])).toBe(false);
    expect(allows('dynamodb:GetItem', ['EMAIL#a@example.com'], `${TABLE_ARN}-other`)).toBe(false);
  });

  it('refuses to evaluate a condition it does not implement, rather than ignoring it', () => {
    const other: TableStatement[] = [{ actions: ['dynamodb:GetItem'], resources: [TABLE_ARN], conditions: { StringEquals: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' } } }];
    expect(() => statementsAllow(other, { action: 'dynamodb:GetItem', resource: TABLE_ARN, leadingKeys: ['EMAIL#a'] })).toThrow(/dynamodb:Select/);
  });
});

describe('tableRequestsOf (what IAM sees of a DynamoDB call)', () => {
  const S = (s: string) => ({ S: s });

  it('reads the partition key of a key, an item, and every item of a batch, per table', () => {
    expect(tableRequestsOf('GetItem', { TableName: 't', Key: { pk: S('EMAIL#a'), sk: S('ACCOUNT') } }, arnOf)).toEqual([
      { action: 'dynamodb:GetItem', resource: TABLE_ARN, leadingKeys: ['EMAIL#a'] },
    ]);
    expect(tableRequestsOf('PutItem', { TableName: 't', Item: { pk: S(`ORDER#${ID}`), sk: S('x') } }, arnOf)[0]!.leadingKeys).toEqual([`ORDER#${ID}`]);
    const batch = tableRequestsOf(
      'BatchWriteItem',
      { RequestItems: { t: [{ PutRequest: { Item: { pk: S('FAMILY#u'), sk: S('f') } } }, { DeleteRequest: { Key: { pk: S('RT#h'), sk: S('RT') } } }] } },
      arnOf,
    );
    expect(batch).toEqual([{ action: 'dynamodb:BatchWriteItem', resource: TABLE_ARN, leadingKeys: ['FAMILY#u', 'RT#h'] }]);
    expect(tableRequestsOf('BatchGetItem', { RequestItems: { t: { Keys: [{ pk: S('EMAIL#a') }, { pk: S('LOCK#a') }] } } }, arnOf)[0]!.leadingKeys).toEqual([
      'EMAIL#a',
      'LOCK#a',
    ]);
  });

  it('reads the partition value of a query’s key condition, on the table or the users index', () => {
    const table = tableRequestsOf(
      'Query',
      {
        TableName: 't',
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :p)',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': S(`ORDER#${ID}`), ':p': S('2026') },
      },
      arnOf,
    );
    expect(table).toEqual([{ action: 'dynamodb:Query', resource: TABLE_ARN, leadingKeys: [`ORDER#${ID}`] }]);
    const index = tableRequestsOf(
      'Query',
      { TableName: 't', IndexName: TABLE.usersIndex.name, KeyConditionExpression: ':g = #g', ExpressionAttributeNames: { '#g': TABLE.usersIndex.partitionKey }, ExpressionAttributeValues: { ':g': S('USERS') } },
      arnOf,
    );
    expect(index).toEqual([{ action: 'dynamodb:Query', resource: ARNS.usersIndex, leadingKeys: ['USERS'] }]);
  });

  it('sees no leading keys in a Scan', () => {
    expect(tableRequestsOf('Scan', { TableName: 't' }, arnOf)).toEqual([{ action: 'dynamodb:Scan', resource: TABLE_ARN }]);
  });
});
