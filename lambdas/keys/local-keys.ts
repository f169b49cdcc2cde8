/**
 * The local stack's keys: created on first start under DATA_DIR and kept,
 * so tokens issued before a restart still verify after it.
 */
import { mkdir } from 'node:fs/promises';
import { FileKeyStore } from './key-store';
import { generateSigningKey, publicJwkOf, publishKey, type PublicKeyDocument, type SigningKeyRecord } from './key-set';

/**
 * Returns the current signing key, creating a first one if the directory has
 * none. Either way the returned key is in the public set: a key that signs
 * but is not published would make every token it signs unverifiable.
 */
export async function ensureLocalKeys(dir: string, now: number = Math.floor(Date.now() / 1000)): Promise<SigningKeyRecord> {
  const store = new FileKeyStore(dir);
  let existing: SigningKeyRecord | undefined;
  try {
    existing = await store.loadSigningKey();
  } catch {
    // Absent (first start) or unreadable: start a new key below.
  }
  if (!existing) await mkdir(dir, { recursive: true, mode: 0o700 });
  let doc: PublicKeyDocument = { keys: [] };
  try {
    doc = await store.loadPublicKeys();
  } catch {
    // No public set yet (or it was lost): it is written below.
  }
  if (existing) {
    const next = publishKey(doc, publicJwkOf(existing), now);
    if (next !== doc) await store.writePublicKeys(next);
    return existing;
  }
  const key = await generateSigningKey(now);
  // Published before it can sign anything.
  await store.writePublicKeys(publishKey(doc, publicJwkOf(key), now));
  await store.writeSigningKey(key);
  return key;
}
