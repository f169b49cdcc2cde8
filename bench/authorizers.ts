/** The authorizers the bench compares: wristband's, and the baselines it must beat (bench/baselines/). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/constructs/wristband-function';

export const AUTHORIZERS = [
  { id: 'wristband', label: 'wristband', entry: 'lambdas/handlers/authorizer.ts', library: undefined },
  { id: 'aws-jwt-verify', label: 'aws-jwt-verify', entry: 'bench/baselines/aws-jwt-verify.ts', library: 'aws-jwt-verify' },
  { id: 'jsonwebtoken', label: 'jsonwebtoken', entry: 'bench/baselines/jsonwebtoken.ts', library: 'jsonwebtoken' },
  { id: 'jose', label: 'jose jwtVerify (bare)', entry: 'bench/baselines/jose.ts', library: 'jose' },
  { id: 'node-crypto', label: 'raw node:crypto (floor)', entry: 'bench/baselines/node-crypto.ts', library: undefined },
] as const;

export type AuthorizerId = (typeof AUTHORIZERS)[number]['id'];

/** Installed version of a package, for the record. */
export function versionOf(pkg: string): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}
