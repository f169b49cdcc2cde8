/** The authorizers the bench compares: wristband's, and the baselines it must beat (bench/baselines/). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/constructs/wristband-function';

/**
 * `env`: variables an authorizer's processes get on top of the function's
 * environment. wristband's authorizer writes one metric line (EMF, on
 * stdout) per decision, as deployed; the baselines write none. So it runs
 * twice: as deployed, and with metrics off, the like-for-like comparison of
 * the verification itself (docs/performance.md › Metrics and the comparison).
 */
export const AUTHORIZERS = [
  { id: 'wristband', label: 'wristband (metrics on, as deployed)', entry: 'lambdas/handlers/authorizer.ts', library: undefined, env: {} },
  {
    id: 'wristband-metrics-off',
    label: 'wristband, metrics off',
    entry: 'lambdas/handlers/authorizer.ts',
    library: undefined,
    env: { POWERTOOLS_METRICS_DISABLED: 'true' },
  },
  { id: 'aws-jwt-verify', label: 'aws-jwt-verify', entry: 'bench/baselines/aws-jwt-verify.ts', library: 'aws-jwt-verify', env: {} },
  { id: 'jsonwebtoken', label: 'jsonwebtoken', entry: 'bench/baselines/jsonwebtoken.ts', library: 'jsonwebtoken', env: {} },
  { id: 'jose', label: 'jose jwtVerify (bare)', entry: 'bench/baselines/jose.ts', library: 'jose', env: {} },
  { id: 'node-crypto', label: 'raw node:crypto (floor)', entry: 'bench/baselines/node-crypto.ts', library: undefined, env: {} },
] as const;

export type AuthorizerId = (typeof AUTHORIZERS)[number]['id'];

/** Installed version of a package, for the record. */
export function versionOf(pkg: string): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}
