/**
 * Starts the real local stack (dynalite on disk, file keys, LocalGateway)
 * in a temporary DATA_DIR on a free port, for HTTP tests.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStack } from '../../local/stack';
import { client, type Api } from './http-client';

export interface RunningStack {
  readonly stack: LocalStack;
  readonly api: Api;
  readonly dataDir: string;
}

/** `port`: 0 picks a free one; a fixed one lets a test name the stack's URL in its settings (an issuer URL). */
export async function startTestStack(env: Record<string, string> = {}, dataDir?: string, port = 0): Promise<RunningStack> {
  Object.assign(process.env, { BCRYPT_COST: '4', ...env });
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'wristband-local-'));
  const { startLocalStack } = await import('../../local/stack');
  const stack = await startLocalStack({ dataDir: dir, port });
  return { stack, api: client(stack.url), dataDir: dir };
}

export async function login(api: Api, email: string, password: string): Promise<{ accessToken: string; refreshToken: string }> {
  const response = await api('POST', '/login', { body: { email, password } });
  if (response.status !== 200) throw new Error(`login as ${email} failed: ${response.status} ${response.text}`);
  return response.json;
}

export const ALICE = { email: 'alice@example.com', password: 'alice-local-pass' } as const;
export const ADMIN = { email: 'admin@example.com', password: 'admin-local-pass' } as const;

/** A password that passes the default policy (15+ characters, not common). */
export function strongPassword(seed = Math.random().toString(36).slice(2)): string {
  return `correct-horse-${seed}-battery`;
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}@example.com`;
}
