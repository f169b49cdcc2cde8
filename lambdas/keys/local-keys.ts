/**
 * The local stack's keys: created on first start under DATA_DIR and kept,
 * so tokens issued before a restart still verify after it.
 */
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { FileKeyStore, LOCAL_KEY_FILES } from './key-store';
import { generateSigningKey, publicJwkOf, publishKey, type PublicKeyDocument, type SigningKeyRecord } from './key-set';

/**
 * Returns the current signing key, creating a first one if the directory has
 * none. Either way the returned key is in the public set: a key that signs
 * but is not published would make every token it signs unverifiable.
 *
 * A key file that exists but cannot be read (truncated, hand-edited) is
 * moved aside, never deleted, and replaced; `notice` says so, naming the
 * file and what was done, so that a new signing key or a shrunken public
 * set never comes as a surprise.
 */
export async function ensureLocalKeys(
  dir: string,
  now: number = Math.floor(Date.now() / 1000),
  notice: (line: string) => void = () => undefined,
): Promise<SigningKeyRecord> {
  const store = new FileKeyStore(dir);
  const signingKeyFile = join(dir, LOCAL_KEY_FILES.signingKey);
  const publicKeysFile = join(dir, LOCAL_KEY_FILES.publicKeys);
  let existing: SigningKeyRecord | undefined;
  let signingKeyLost: { reason: string; aside: string } | undefined;
  try {
    existing = await store.loadSigningKey();
  } catch (error) {
    // Absent: the first start. Unreadable: keep the damaged file for the user, start a new key below.
    if (!isAbsent(error)) signingKeyLost = { reason: reasonOf(error), aside: await setAside(signingKeyFile, now) };
  }
  if (!existing) await mkdir(dir, { recursive: true, mode: 0o700 });
  let doc: PublicKeyDocument = { keys: [] };
  let publicKeysLost: 'absent' | 'unreadable' | undefined;
  try {
    doc = await store.loadPublicKeys();
  } catch (error) {
    if (isAbsent(error)) publicKeysLost = 'absent';
    else {
      publicKeysLost = 'unreadable';
      notice(`${publicKeysFile} could not be read (${reasonOf(error)}): moved it to ${await setAside(publicKeysFile, now)}`);
    }
  }
  if (existing) {
    const next = publishKey(doc, publicJwkOf(existing), now);
    if (next !== doc) await store.writePublicKeys(next);
    if (publicKeysLost) {
      notice(
        `${publicKeysFile} was ${publicKeysLost === 'absent' ? 'missing' : 'replaced'}: wrote a new one with the current signing key (${existing.kid}) only; tokens signed by earlier keys no longer verify`,
      );
    }
    return existing;
  }
  const key = await generateSigningKey(now);
  // Published before it can sign anything.
  await store.writePublicKeys(publishKey(doc, publicJwkOf(key), now));
  await store.writeSigningKey(key);
  if (signingKeyLost) {
    notice(
      `${signingKeyFile} could not be read (${signingKeyLost.reason}): moved it to ${signingKeyLost.aside} and created a new signing key (${key.kid}); ` +
        (doc.keys.length > 0 ? 'the keys published before stay published, so tokens they signed still verify' : 'tokens signed before no longer verify'),
    );
  }
  return key;
}

/** The store wraps read errors; ENOENT underneath means the file is simply not there yet. */
function isAbsent(error: unknown): boolean {
  // Duck-typed: errors from node:fs need not be instances of this realm's Error (jest's VM contexts).
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e && typeof e === 'object'; e = e.cause as typeof e) {
    if (e.code === 'ENOENT') return true;
  }
  return false;
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause ?? error;
  const message = (cause as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : String(cause);
}

/** `<file>.unreadable-<now>`: the damaged file, kept for whoever wants to look at it. */
async function setAside(file: string, now: number): Promise<string> {
  const aside = `${file}.unreadable-${now}`;
  await rename(file, aside);
  return aside;
}
