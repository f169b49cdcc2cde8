/**
 * A setting written once: the values an app sets as CDK context in its
 * cdk.json reach the local stack too (`npm start`, `wristband start`), as
 * the environment variables the functions read when deployed. A variable
 * set in the environment still wins, as it does for a one-off local run.
 */
import { ConfigError } from '../lambdas/contract/config';
import { readCdkJson, type CdkJson } from './cdk-json';
import { AUTH_RATE_LIMIT, AUTH_RATE_LIMIT_WINDOW, MAIL_SETTINGS, SETTINGS, TOKEN_IDENTITY } from '../lambdas/contract/settings';

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
 * Sets `env[variable]` from cdk.json's `context` (the file in `from`, or one
 * already read: local/cdk-json.ts) for each setting it names and the
 * environment does not; returns the context keys taken. No cdk.json:
 * nothing to take. The values are validated where they are read, with the
 * variable's name in the error.
 */
export function applyCdkContext(env: NodeJS.ProcessEnv, from: string | CdkJson | undefined): string[] {
  const context = (typeof from === 'string' ? readCdkJson(from) : from)?.context;
  if (context === undefined) return [];
  const taken: string[] = [];
  for (const { key, env: variable } of CONTEXT_SETTINGS) {
    const value = context[key];
    if (value === undefined || (env[variable] !== undefined && env[variable] !== '')) continue;
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new ConfigError(`cdk.json context ${key} must be a number or a string, got ${JSON.stringify(value)}`);
    }
    env[variable] = String(value);
    taken.push(key);
  }
  return taken;
}
