/**
 * Fills the sample events' placeholders (scripts/events/placeholders.ts)
 * from the running local stack: a user id is read from its table, an
 * access token is signed with its key, and a refresh token opens a new
 * session for the account in its table, as a login would (without the
 * password: this is the developer's own local stack). Only ever against
 * the local stack's files and database, never AWS.
 */
import { normalizeEmail } from '../../lambdas/domain/email';
import { RefreshTokens } from '../../lambdas/domain/refresh-tokens';
import { Sessions } from '../../lambdas/domain/sessions';
import { Users, type Account } from '../../lambdas/domain/users';
import { createKeyStore } from '../../lambdas/keys/key-store';
import { refreshTokenConfig, tokenConfig } from '../../lambdas/contract/config';
import { createDb } from '../../lambdas/edge/dynamo';
import { AccessTokenIssuer } from '../../lambdas/tokens/access-tokens';
import { fillPlaceholders, placeholdersIn, type Placeholder } from '../events/placeholders';
import type { LocalStackState } from './environment';

/**
 * `event` with its placeholders filled in. Tokens are made with the token
 * settings in `env` (the invoked function's: it is the one that checks
 * them). Accounts that do not exist are reported in `notes` and their
 * placeholders left as they are.
 */
export async function fillFromLocalStack(
  event: unknown,
  localStack: LocalStackState,
  env: Readonly<Record<string, string | undefined>>,
  notes: string[],
): Promise<unknown> {
  const wanted = placeholdersIn(event);
  if (wanted.length === 0) return event;
  const db = createDb({ tableName: localStack.tableName, endpoint: localStack.dynamoEndpoint, region: 'local' });
  try {
    const tokens = tokenConfig(env);
    const issuer = new AccessTokenIssuer(createKeyStore({ kind: 'file', dir: localStack.keysDir, signingKeyCacheSeconds: 0 }), tokens, 0);
    const sessions = new Sessions(new RefreshTokens(db, refreshTokenConfig(env)), issuer);
    const users = new Users(db);
    const values = new Map<string, string>();
    const key = (p: Placeholder) => `${p.kind} ${p.email}`;
    const byEmail = new Map<string, Placeholder[]>();
    for (const p of wanted) byEmail.set(p.email, [...(byEmail.get(p.email) ?? []), p]);

    for (const [email, placeholders] of byEmail) {
      const normalized = normalizeEmail(email);
      const account: Account | undefined = normalized ? await users.accountByEmail(normalized) : undefined;
      if (!account) {
        notes.push(`${email} has no account in the local stack: its placeholders stay as they are`);
        continue;
      }
      for (const p of placeholders) {
        if (p.kind === 'user-id') values.set(key(p), account.id);
        else if (p.kind === 'access-token') values.set(key(p), (await issuer.issue({ sub: account.id, role: account.role })).accessToken);
        else values.set(key(p), (await sessions.open(account)).refreshToken);
      }
      notes.push(`filled ${placeholders.map((p) => p.kind).join(', ')} of ${email} from the local stack`);
    }
    return fillPlaceholders(event, (p) => values.get(key(p)));
  } finally {
    db.client.destroy();
  }
}
