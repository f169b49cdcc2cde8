/**
 * A setting written once: the values an app sets as CDK context in its
 * cdk.json reach the local stack too (`npm start`, `wristband start`), as
 * the environment variables the functions read when deployed. A variable
 * set in the environment still wins, as it does for a one-off local run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../lambdas/shared/config';
import { AUTH_RATE_LIMIT, AUTH_RATE_LIMIT_WINDOW, MAIL_SETTINGS, SETTINGS, TOKEN_IDENTITY } from '../lambdas/shared/settings';

/** Every setting the local stack reads from the environment that the deployed stack reads from context. */
export const CONTEXT_SETTINGS: readonly { readonly key: string; readonly env: string }[] = [
  ...Object.values(SETTINGS),
  TOKEN_IDENTITY.issuer,
  TOKEN_IDENTITY.audience,
  AUTH_RATE_LIMIT,
  AUTH_RATE_LIMIT_WINDOW,
  // Not mailFrom and appUrl: locally mail goes to the outbox, and a deployed app page would POST a local token to the deployed API.
  MAIL_SETTINGS.emailVerification,
];

/**
 * Sets `env[variable]` from cdk.json's `context` in `dir` for each setting
 * it names and the environment does not; returns the context keys taken.
 * No cdk.json: nothing to take. The values are validated where they are
 * read, with the variable's name in the error.
 */
export function applyCdkContext(env: NodeJS.ProcessEnv, dir: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(dir, 'cdk.json'), 'utf8');
  } catch {
    return [];
  }
  let context: unknown;
  try {
    context = (JSON.parse(text) as { context?: unknown }).context;
  } catch (error) {
    throw new ConfigError(`cdk.json in ${dir} is not valid JSON: ${(error as Error).message}`);
  }
  if (context === undefined) return [];
  if (typeof context !== 'object' || context === null || Array.isArray(context)) throw new ConfigError(`cdk.json in ${dir}: "context" must be an object`);
  const taken: string[] = [];
  for (const { key, env: variable } of CONTEXT_SETTINGS) {
    const value = (context as Record<string, unknown>)[key];
    if (value === undefined || (env[variable] !== undefined && env[variable] !== '')) continue;
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new ConfigError(`cdk.json context ${key} must be a number or a string, got ${JSON.stringify(value)}`);
    }
    env[variable] = String(value);
    taken.push(key);
  }
  return taken;
}
