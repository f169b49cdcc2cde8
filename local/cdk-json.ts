/**
 * The one reader of an app's cdk.json for the local tools: `npm start` (its
 * context as settings, local/cdk-context.ts, and its app, local/app.ts) and
 * `create-admin` read the file through here, so a broken file gets one
 * error, worded once, whichever of them reads it first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../lambdas/contract/config';

/** cdk.json as the local tools use it: the `app` command and the `context` (`{}` when it has none). */
export interface CdkJson {
  /** The folder it was read from. */
  readonly dir: string;
  readonly app?: string;
  readonly context: Readonly<Record<string, unknown>>;
}

/** The parsed cdk.json in `dir`; undefined when there is none. ConfigError (one line) when it is not JSON or not shaped like one. */
export function readCdkJson(dir: string): CdkJson | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, 'cdk.json'), 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`cdk.json in ${dir} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new ConfigError(`cdk.json in ${dir} must be a JSON object`);
  const { app, context } = parsed;
  if (app !== undefined && typeof app !== 'string') throw new ConfigError(`cdk.json in ${dir}: "app" must be a string`);
  if (context !== undefined && !isObject(context)) throw new ConfigError(`cdk.json in ${dir}: "context" must be an object`);
  return { dir, ...(app === undefined ? {} : { app }), context: context ?? {} };
}

/** `readCdkJson`, for a caller that cannot do without the file: ConfigError when there is none. */
export function requireCdkJson(dir: string): CdkJson {
  const cdkJson = readCdkJson(dir);
  if (!cdkJson) throw new ConfigError(`no cdk.json in ${dir}: run this in your CDK app's folder`);
  return cdkJson;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
