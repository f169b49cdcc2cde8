/**
 * The local stack's keys: created on first start under DATA_DIR and kept,
 * so tokens issued before a restart still verify after it.
 */
import { mkdir } from 'node:fs/promises';
import { FileKeyStore } from './key-store';
import { generateSigningKey, publicJwkOf, publishKey, type PublicKeyDocument, type SigningKeyRecord } from './key-set';

/** Returns the current signing key, creating (and publishing) a first one if the directory has none. */
export async function ensureLocalKeys(dir: string, now: number = Math.floor(Date.now() / 1000)): Promise<SigningKeyRecord> {
  const store = new FileKeyStore(dir);
  try {
    return await store.loadSigningKey();
  } catch {
    // Absent (first start) or unreadable: start a new key below.
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const key = await generateSigningKey(now);
  let doc: PublicKeyDocument = { keys: [] };
  try {
    doc = await store.loadPublicKeys();
  } catch {
    // No public set yet.
  }
  // Published before it can sign anything.
  await store.writePublicKeys(publishKey(doc, publicJwkOf(key), now));
  await store.writeSigningKey(key);
  return key;
}
