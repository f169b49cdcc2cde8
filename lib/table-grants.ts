/**
 * Item-level DynamoDB grants. A function's FUNCTION_SPECS entry names the
 * item types it may touch and how; this renders that as IAM statements
 * whose `dynamodb:LeadingKeys` condition admits only those types' partition
 * key prefixes, and evaluates DynamoDB requests against such statements the
 * way IAM does. Plain data, no CDK: the stack writes these statements, the
 * local stack checks every handler's DynamoDB call against them, and the
 * tests read both.
 */
import { ITEM_TYPES, TABLE, type ItemType } from '../lambdas/contract/table-schema';
import { TABLE_ACTIONS, type FunctionSpec, type TableAction } from './function-specs';

export const LEADING_KEYS = 'dynamodb:LeadingKeys';

/** One Allow statement; `R` is a resource: an ARN, or a CDK token standing for one. */
export interface TableStatement<R = string> {
  readonly actions: readonly string[];
  readonly resources: readonly R[];
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface TableArns<R = string> {
  readonly table: R;
  readonly usersIndex: R;
}

/** The LeadingKeys pattern that admits exactly the items of one type (no prefix starts another: test/lib/table-grants.test.ts). */
export function leadingKeyPattern(type: ItemType): string {
  return `${ITEM_TYPES[type]}*`;
}

const ITEM_TYPE_NAMES = Object.keys(ITEM_TYPES) as ItemType[];

/** The item types a spec allows `action` on. */
export function itemTypesFor(spec: FunctionSpec, action: TableAction): ItemType[] {
  return ITEM_TYPE_NAMES.filter((type) => spec.table?.[type]?.includes(action));
}

/**
 * The DynamoDB statements of a spec: one per set of item types, listing the
 * actions allowed on exactly that set, each limited to those types'
 * partition keys; and Query on the users index, which projects no hash.
 */
export function tableStatements<R>(spec: FunctionSpec, arns: TableArns<R>): TableStatement<R>[] {
  const groups = new Map<string, { actions: TableAction[]; types: ItemType[] }>();
  for (const action of TABLE_ACTIONS) {
    const types = itemTypesFor(spec, action);
    if (types.length === 0) continue;
    // Per action, not per item type: a BatchGetItem of an account and a lockout item is one request, and IAM
    // evaluates its leading keys against each statement on its own, so both patterns must be in one statement.
    const group = groups.get(types.join()) ?? { actions: [], types };
    group.actions.push(action);
    groups.set(types.join(), group);
  }
  const statements: TableStatement<R>[] = [...groups.values()].map(({ actions, types }) => ({
    actions,
    resources: [arns.table],
    conditions: {
      'ForAllValues:StringLike': { [LEADING_KEYS]: types.map(leadingKeyPattern) },
      // ForAllValues holds vacuously for a request with no leading keys at all (a Scan): require them.
      Null: { [LEADING_KEYS]: 'false' },
    },
  }));
  // The index projects the public user fields only (table-schema.ts). No LeadingKeys condition: it has one partition
  // value, and whether IAM compares LeadingKeys with an index's partition key cannot be checked without AWS.
  if (spec.index) statements.push({ actions: ['dynamodb:Query'], resources: [arns.usersIndex] });
  return statements;
}

/** What IAM sees of one DynamoDB request (a batch call is one request per table). */
export interface TableRequest<R = string> {
  readonly action: string;
  readonly resource: R;
  /** The partition key values the request names; undefined when it names none (Scan, DescribeTable). */
  readonly leadingKeys?: readonly string[] | undefined;
}

/** IAM's string wildcards: `*` any run of characters, `?` one; case sensitive. */
export function iamLike(pattern: string, value: string): boolean {
  let regex = '^';
  for (const ch of pattern) regex += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  return new RegExp(`${regex}$`, 's').test(value);
}

function sameResource(pattern: unknown, resource: unknown): boolean {
  if (typeof pattern === 'string' && typeof resource === 'string') return iamLike(pattern, resource);
  return JSON.stringify(pattern) === JSON.stringify(resource);
}

const asArray = <T>(value: T | readonly T[]): readonly T[] => (Array.isArray(value) ? value : [value as T]);

function contextValues(request: TableRequest<unknown>, key: string): readonly string[] | undefined {
  if (key !== LEADING_KEYS) throw new Error(`no evaluation of condition key ${key}`);
  return request.leadingKeys && request.leadingKeys.length > 0 ? request.leadingKeys : undefined;
}

/** The operators tableStatements writes, as IAM evaluates them; any other is refused rather than ignored. */
function conditionHolds(operator: string, key: string, expected: string | readonly string[], request: TableRequest<unknown>): boolean {
  const values = contextValues(request, key);
  const patterns = asArray(expected);
  switch (operator) {
    case 'ForAllValues:StringLike':
      return (values ?? []).every((value) => patterns.some((pattern) => iamLike(pattern, value)));
    case 'Null':
      return (values === undefined) === (patterns[0] === 'true');
    default:
      throw new Error(`no evaluation of condition operator ${operator}`);
  }
}

/** Whether any statement allows the request (all statements here are Allow; no statement, no access). */
export function statementsAllow<R>(statements: readonly TableStatement<R>[], request: TableRequest<R>): boolean {
  return statements.some(
    (statement) =>
      statement.actions.some((action) => iamLike(action, request.action)) &&
      statement.resources.some((resource) => sameResource(resource, request.resource)) &&
      Object.entries(statement.conditions ?? {}).every(([operator, keys]) =>
        Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, expected, request)),
      ),
  );
}

type AttributeMap = Record<string, { S?: string } | undefined>;
// biome-ignore lint/suspicious/noExplicitAny: the SDK's command inputs, read field by field
type CommandInput = Record<string, any>;

const pkOf = (key: AttributeMap | undefined, attribute: string = TABLE.partitionKey): string | undefined => key?.[attribute]?.S;
const defined = (values: (string | undefined)[]): string[] => values.filter((v): v is string => v !== undefined);

/** The partition key value a Query's key condition names (`#pk = :pk`, in either order). */
function queriedPartition(input: CommandInput): string | undefined {
  const attribute = input.IndexName === TABLE.usersIndex.name ? TABLE.usersIndex.partitionKey : TABLE.partitionKey;
  const names: Record<string, string> = input.ExpressionAttributeNames ?? {};
  const values: AttributeMap = input.ExpressionAttributeValues ?? {};
  const nameOf = (token: string) => (token.startsWith('#') ? names[token] : token);
  for (const [, left, right] of String(input.KeyConditionExpression ?? '').matchAll(/([#:]?\w+)\s*=\s*([#:]?\w+)/g)) {
    const [name, value] = left!.startsWith(':') ? [right!, left!] : [left!, right!];
    if (nameOf(name) === attribute) return values[value]?.S;
  }
  return undefined;
}

/**
 * What IAM sees of a DynamoDB call (the operation as the SDK names it,
 * `GetItem`; its input): the action, the table or index, and the leading keys.
 */
export function tableRequestsOf(operation: string, input: CommandInput, tableArn: (tableName: string) => string): TableRequest[] {
  const action = `dynamodb:${operation}`;
  switch (operation) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [{ action, resource: tableArn(input.TableName), leadingKeys: defined([pkOf(input.Key)]) }];
    case 'PutItem':
      return [{ action, resource: tableArn(input.TableName), leadingKeys: defined([pkOf(input.Item)]) }];
    case 'Query': {
      const table = tableArn(input.TableName);
      return [{ action, resource: input.IndexName ? `${table}/index/${input.IndexName}` : table, leadingKeys: defined([queriedPartition(input)]) }];
    }
    case 'BatchGetItem':
      return Object.entries(input.RequestItems ?? {}).map(([table, request]) => ({
        action,
        resource: tableArn(table),
        leadingKeys: defined(((request as { Keys?: AttributeMap[] }).Keys ?? []).map((key) => pkOf(key))),
      }));
    case 'BatchWriteItem':
      return Object.entries(input.RequestItems ?? {}).map(([table, writes]) => ({
        action,
        resource: tableArn(table),
        leadingKeys: defined(
          (writes as { PutRequest?: { Item?: AttributeMap }; DeleteRequest?: { Key?: AttributeMap } }[]).map((write) =>
            pkOf(write.PutRequest?.Item ?? write.DeleteRequest?.Key),
          ),
        ),
      }));
    default:
      // Scan, transactions, table operations: nothing a handler is granted; evaluated without leading keys.
      return [{ action, resource: tableArn(input.TableName ?? '') }];
  }
}
