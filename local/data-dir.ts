/**
 * Before dynalite opens DATA_DIR/dynamodb: is the database usable? dynalite
 * opens LevelDB lazily and, when that fails (another `npm start` holds its
 * lock, or the files are damaged), throws "Database is closed" from inside
 * its HTTP handler on the first request: an uncaught stack trace with no
 * cause. Opening the store once ourselves, with the same LevelDB module,
 * turns both cases into one line that says what to do.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Written under DATA_DIR by the process that holds its database, so a second start can name it. */
export const LOCAL_STACK_PID_FILE = 'local-stack.pid';

/** A data directory the local stack cannot use: the message is the whole story, printed as one line. */
export class DataDirError extends Error {
  override name = 'DataDirError';
}

interface LevelLike {
  open(): Promise<void>;
  close(): Promise<void>;
}

type LevelConstructor = new (path: string, options: { valueEncoding: string }) => LevelLike;

/** The `level` module dynalite itself uses (resolved from dynalite, so the two can never differ). */
function levelOfDynalite(): LevelConstructor {
  const fromDynalite = createRequire(require.resolve('dynalite'));
  return (fromDynalite('level') as { Level: LevelConstructor }).Level;
}

/** Throws DataDirError when `dataDir`'s database is in use by another process or cannot be opened. */
/** `shownAs`: the directory as the user gave it (DATA_DIR), for the message. */
export async function checkDatabase(dataDir: string, shownAs: string = dataDir): Promise<void> {
  const dbDir = join(dataDir, 'dynamodb');
  const Level = levelOfDynalite();
  const db = new Level(dbDir, { valueEncoding: 'json' });
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      const pid = holderOf(dataDir);
      throw new DataDirError(
        `the data directory ${shownAs} is in use by ${pid === undefined ? 'another process' : `process ${pid}`} (another npm start?): stop it, or start this one with another DATA_DIR`,
      );
    }
    const why = cause?.message ?? (error instanceof Error ? error.message : String(error));
    const damaged = join(shownAs, 'dynamodb');
    throw new DataDirError(
      `the database in ${damaged} is damaged and cannot be opened (${why}). To start with an empty database, move it aside (mv ${damaged} ${damaged}.damaged) and start again; the signing keys in ${join(shownAs, 'keys')} are kept`,
    );
  }
  await db.close();
}

/** The pid the holder wrote, if it is a live process. */
function holderOf(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, LOCAL_STACK_PID_FILE), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: it exists, it just is not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
