/**
 * The deployed functions' item-level DynamoDB grants, applied in the local
 * stack. Deployed, each function has its own role; locally every handler
 * shares one DynamoDB client (lambdas/wiring/from-env.ts `dbFromEnv`). The
 * gateway runs each handler inside a scope that names its function, and a
 * middleware on that client evaluates every call against the statements
 * the stack deploys for that function (lib/table-grants.ts), refusing what
 * IAM would refuse with the same AccessDeniedException (the handler answers
 * 503). A handler that starts touching an item type its FUNCTION_SPECS entry
 * does not list fails locally and in the tests, not first in AWS.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { FUNCTION_SPECS } from '../lib/function-specs';
import { statementsAllow, tableRequestsOf, tableStatements, type TableRequest, type TableStatement } from '../lib/table-grants';
import type { Db } from '../lambdas/edge/dynamo';
import type { FunctionName } from '../lambdas/contract/routes';
import { TABLE } from '../lambdas/contract/table-schema';

/** The ARN the local table would have: the statements and the requests are both written with it. */
export function localTableArn(tableName: string): string {
  return `arn:aws:dynamodb:local:000000000000:table/${tableName}`;
}

const running = new AsyncLocalStorage<FunctionName>();

/** Runs `fn` as function `name`: its DynamoDB calls are checked against that function's grants. */
export function asFunction<T>(name: FunctionName, fn: () => T): T {
  return running.run(name, fn);
}

/** Per function: calls its grants allowed, and calls refused. */
export interface TableAccessCounts {
  allowed: number;
  denied: number;
}

export interface TableAccessLog {
  readonly counts: Partial<Record<FunctionName, TableAccessCounts>>;
  /** The refused calls, newest last (at most 100): function, action, resource, the item types named. */
  readonly denied: { readonly fn: FunctionName; readonly request: TableRequest }[];
  /** Calls made outside any function's scope (not checked). */
  unscoped: number;
}

export class AccessDeniedException extends Error {
  override readonly name = 'AccessDeniedException';
  readonly $fault = 'client';
  readonly $metadata = { httpStatusCode: 400 };
}

const logs = new WeakMap<Db['client'], TableAccessLog>();

/**
 * Adds the check to the client of `db` (once per client) and returns the
 * log it keeps. Calls outside `asFunction` (seeding, scripts) pass unchecked.
 */
export function enforceTableGrants(db: Db): TableAccessLog {
  const existing = logs.get(db.client);
  if (existing) return existing;
  const log: TableAccessLog = { counts: {}, denied: [], unscoped: 0 };
  logs.set(db.client, log);
  const table = localTableArn(db.tableName);
  const rendered = new Map<FunctionName, TableStatement[]>();
  const statementsOf = (fn: FunctionName) => {
    let statements = rendered.get(fn);
    if (!statements) {
      statements = tableStatements(FUNCTION_SPECS[fn], { table, usersIndex: `${table}/index/${TABLE.usersIndex.name}` });
      rendered.set(fn, statements);
    }
    return statements;
  };
  db.client.middlewareStack.add(
    (next, context) => async (args) => {
      const fn = running.getStore();
      if (fn === undefined) {
        log.unscoped += 1;
        return next(args);
      }
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const counts = (log.counts[fn] ??= { allowed: 0, denied: 0 });
      const statements = statementsOf(fn);
      for (const request of tableRequestsOf(operation, args.input as Record<string, unknown>, localTableArn)) {
        if (statementsAllow(statements, request)) continue;
        counts.denied += 1;
        log.denied.push({ fn, request });
        if (log.denied.length > 100) log.denied.shift();
        throw new AccessDeniedException(
          `User: arn:aws:sts::000000000000:assumed-role/wristband-${fn}/local is not authorized to perform: ${request.action} on resource: ` +
            `${request.resource} because no identity-based policy allows the ${request.action} action (lib/function-specs.ts ${fn})`,
        );
      }
      counts.allowed += 1;
      return next(args);
    },
    { step: 'initialize', name: 'wristbandLocalTableGrants' },
  );
  return log;
}
