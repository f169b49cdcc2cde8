/**
 * Wiring shared by several handlers, built from the environment at cold
 * start. Each factory pulls in only what it needs, so a handler's bundle
 * holds only the code it runs.
 */
import { keySourceConfig, lockoutConfig, refreshTokenConfig, tableConfig, tokenConfig } from '../contract/config';
import { createDb, type Db } from '../edge/dynamo';
import { traceDynamoDb } from '../telemetry/tracing';
import { createTracedKeyStore } from '../keys/traced-aws-client';
import { AccessTokenIssuer } from '../tokens/access-tokens';
import { RefreshTokens } from '../domain/refresh-tokens';
import { Lockout } from '../domain/lockout';
import { Mfa } from '../domain/mfa';
import { totpKeySourceFromEnv } from '../keys/totp-key';
import type { PasswordHasher } from '../domain/passwords';
import { PasswordCheck, SessionControls } from '../domain/session-controls';
import { Sessions } from '../domain/sessions';
import { Users } from '../domain/users';

let db: Db | undefined;

/** One DynamoDB client per process, its calls traced as X-Ray subsegments when tracing is on. */
export function dbFromEnv(): Db {
  if (!db) {
    const created = createDb(tableConfig());
    db = { ...created, client: traceDynamoDb(created.client) };
  }
  return db;
}

/** Sessions for the token-issuing functions (login, refresh): they alone read the private key. */
export function sessionsFromEnv(): Sessions {
  const keys = keySourceConfig();
  const tokens = tokenConfig();
  return new Sessions(
    new RefreshTokens(dbFromEnv(), refreshTokenConfig()),
    new AccessTokenIssuer(createTracedKeyStore(keys), tokens, keys.signingKeyCacheSeconds),
  );
}

/** Session listing and revocation: the table only (no keys, no bcrypt). */
export function sessionControlsFromEnv(): SessionControls {
  const db = dbFromEnv();
  return new SessionControls(new RefreshTokens(db, refreshTokenConfig()), new Users(db));
}

/** The second factor (TOTP): its own key material, the lockout, the issuer name apps show. */
export function mfaFromEnv(): Mfa {
  const db = dbFromEnv();
  return new Mfa(db, new Users(db), new Lockout(db, lockoutConfig()), totpKeySourceFromEnv(), tokenConfig().issuer);
}

/** Re-checking a signed-in user's password, under the login lockout rules. */
export function passwordCheckFromEnv(hasher: PasswordHasher): PasswordCheck {
  return new PasswordCheck(hasher, new Lockout(dbFromEnv(), lockoutConfig()));
}
