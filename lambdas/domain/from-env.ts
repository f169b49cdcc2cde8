/**
 * Wiring shared by several handlers, built from the environment at cold
 * start. Each factory pulls in only what it needs, so a handler's bundle
 * holds only the code it runs.
 */
import { keySourceConfig, tableConfig, tokenConfig } from '../shared/config';
import { createDb, type Db } from '../shared/dynamo';
import { createKeyStore } from '../keys/key-store';
import { AccessTokenIssuer } from '../tokens/access-tokens';
import { RefreshTokens } from './refresh-tokens';
import { Sessions } from './sessions';

let db: Db | undefined;

/** One DynamoDB client per process. */
export function dbFromEnv(): Db {
  db ??= createDb(tableConfig());
  return db;
}

/** Sessions for the token-issuing functions (login, refresh): they alone read the private key. */
export function sessionsFromEnv(): Sessions {
  const keys = keySourceConfig();
  const tokens = tokenConfig();
  return new Sessions(
    new RefreshTokens(dbFromEnv(), tokens),
    new AccessTokenIssuer(createKeyStore(keys), tokens, keys.signingKeyCacheSeconds),
  );
}
