import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLocalKeys } from '../../../lambdas/keys/local-keys';
import { FileKeyStore, KeySourceError, LOCAL_KEY_FILES } from '../../../lambdas/keys/key-store';
import { publicJwkOf } from '../../../lambdas/keys/key-set';

const T0 = 1_700_000_000;
let root: string;
let dir: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'wristband-local-keys-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

let counter = 0;
beforeEach(() => {
  counter += 1;
  // A directory that does not exist yet, one level down: ensureLocalKeys must create it.
  dir = join(root, `case-${counter}`, 'keys');
});

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const readJson = (name: string): unknown => JSON.parse(readFileSync(join(dir, name), 'utf8'));

describe('ensureLocalKeys', () => {
  it('creates a signing key and publishes its public half on first use', async () => {
    // Act
    const key = await ensureLocalKeys(dir, T0);

    // Assess
    expect(key.createdAt).toBe(T0);
    expect(readJson(LOCAL_KEY_FILES.signingKey)).toEqual(key);
    expect(readJson(LOCAL_KEY_FILES.publicKeys)).toEqual({ keys: [{ jwk: publicJwkOf(key), publishedAt: T0 }] });
    expect(readFileSync(join(dir, LOCAL_KEY_FILES.publicKeys), 'utf8')).not.toContain(key.privateJwk.d);
  });

  it('keeps the same key across calls (tokens survive a restart)', async () => {
    const created = await ensureLocalKeys(dir, T0);
    const publicBefore = readFileSync(join(dir, LOCAL_KEY_FILES.publicKeys), 'utf8');

    const again = await ensureLocalKeys(dir, T0 + 3600);
    const store = new FileKeyStore(dir);

    expect(again).toEqual(created);
    expect((await store.loadSigningKey()).kid).toBe(created.kid);
    expect(readFileSync(join(dir, LOCAL_KEY_FILES.publicKeys), 'utf8')).toBe(publicBefore);
  });

  it('writes the private key readable by its owner only, in a private directory', async () => {
    await ensureLocalKeys(dir, T0);

    expect(statSync(join(dir, LOCAL_KEY_FILES.signingKey)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o077).toBe(0);
    expect(statSync(join(dir, LOCAL_KEY_FILES.publicKeys)).mode & 0o022).toBe(0);
  });

  it('leaves no temporary files behind', async () => {
    await ensureLocalKeys(dir, T0);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir).sort()).toEqual([LOCAL_KEY_FILES.publicKeys, LOCAL_KEY_FILES.signingKey].sort());
  });

  it('replaces a corrupt signing key with a new, published one, and keeps the keys published before', async () => {
    // Prepare
    const old = await ensureLocalKeys(dir, T0);
    writeFileSync(join(dir, LOCAL_KEY_FILES.signingKey), '{"kid": trunc');

    // Act
    const replaced = await ensureLocalKeys(dir, T0 + 60);

    // Assess
    expect(replaced.kid).not.toBe(old.kid);
    const published = await new FileKeyStore(dir).loadPublicKeys();
    expect(published.keys.map((k) => k.jwk.kid)).toEqual([old.kid, replaced.kid]);
  });

  it('says so when it replaces a truncated signing key: the file, where the old one went, the new kid', async () => {
    // Prepare
    const old = await ensureLocalKeys(dir, T0);
    writeFileSync(join(dir, LOCAL_KEY_FILES.signingKey), '{"kid": trunc');
    const notices: string[] = [];

    // Act
    const replaced = await ensureLocalKeys(dir, T0 + 60, (line) => notices.push(line));

    // Assess: one line, and the damaged file kept where the line says
    const aside = join(dir, `${LOCAL_KEY_FILES.signingKey}.unreadable-${T0 + 60}`);
    expect(notices).toEqual([expect.stringContaining(`${join(dir, LOCAL_KEY_FILES.signingKey)} could not be read (`)]);
    expect(notices[0]).toContain(`moved it to ${aside} and created a new signing key (${replaced.kid})`);
    expect(notices[0]).toContain('the keys published before stay published');
    expect(readFileSync(aside, 'utf8')).toBe('{"kid": trunc');
    expect(old.kid).not.toBe(replaced.kid);
  });

  it('says so when it replaces a corrupt public key set, which forgets the keys published before', async () => {
    // Prepare
    const key = await ensureLocalKeys(dir, T0);
    writeFileSync(join(dir, LOCAL_KEY_FILES.publicKeys), '{"keys": [');
    const notices: string[] = [];

    // Act
    await ensureLocalKeys(dir, T0 + 60, (line) => notices.push(line));

    // Assess
    const file = join(dir, LOCAL_KEY_FILES.publicKeys);
    expect(notices).toEqual([
      expect.stringMatching(new RegExp(`^${escapeRegExp(file)} could not be read \\(.+\\): moved it to ${escapeRegExp(file)}\\.unreadable-${T0 + 60}$`)),
      `${file} was replaced: wrote a new one with the current signing key (${key.kid}) only; tokens signed by earlier keys no longer verify`,
    ]);
    expect((await new FileKeyStore(dir).loadPublicKeys()).keys.map((k) => k.jwk.kid)).toEqual([key.kid]);
  });

  it('says nothing on a first start or a normal restart', async () => {
    const notices: string[] = [];
    await ensureLocalKeys(dir, T0, (line) => notices.push(line));
    await ensureLocalKeys(dir, T0 + 60, (line) => notices.push(line));
    expect(notices).toEqual([]);
  });

  it('publishes the existing signing key again if the public key file was lost', async () => {
    // Prepare
    const key = await ensureLocalKeys(dir, T0);
    rmSync(join(dir, LOCAL_KEY_FILES.publicKeys));

    // Act
    const again = await ensureLocalKeys(dir, T0 + 60);

    // Assess: same key, and a verifier can find it (otherwise every token it signs is refused).
    expect(again.kid).toBe(key.kid);
    const published = await new FileKeyStore(dir).loadPublicKeys();
    expect(published.keys.map((k) => k.jwk.kid)).toEqual([key.kid]);
  });
});

describe('FileKeyStore', () => {
  it('fails with KeySourceError (503) when the directory has no keys', async () => {
    const store = new FileKeyStore(join(root, 'nothing-here'));

    const publicError = await store.loadPublicKeys().catch((e: unknown) => e);
    const signingError = await store.loadSigningKey().catch((e: unknown) => e);

    for (const error of [publicError, signingError]) {
      expect(error).toBeInstanceOf(KeySourceError);
      expect(error).toMatchObject({ code: 'service_unavailable', status: 503 });
    }
    expect((publicError as KeySourceError).reason).toMatch(/^public keys: /);
    expect((signingError as KeySourceError).reason).toMatch(/^signing key: /);
  });

  it.each([
    ['not JSON', 'garbage'],
    ['JSON of the wrong shape', '{"keys":"none"}'],
    ['a public set holding a private key', 'PRIVATE'],
  ])('refuses a public key file that is %s', async (_name, content) => {
    const key = await ensureLocalKeys(dir, T0);
    const text = content === 'PRIVATE' ? JSON.stringify({ keys: [{ jwk: key.privateJwk, publishedAt: T0 }] }) : content;
    writeFileSync(join(dir, LOCAL_KEY_FILES.publicKeys), text);

    await expect(new FileKeyStore(dir).loadPublicKeys()).rejects.toBeInstanceOf(KeySourceError);
  });

  it('refuses an unreadable key file', async () => {
    // A directory where the file should be: unreadable even for root, which ignores file modes.
    await mkdir(join(dir, LOCAL_KEY_FILES.signingKey), { recursive: true });
    await mkdir(join(dir, LOCAL_KEY_FILES.publicKeys), { recursive: true });
    const store = new FileKeyStore(dir);

    await expect(store.loadSigningKey()).rejects.toBeInstanceOf(KeySourceError);
    await expect(store.loadPublicKeys()).rejects.toBeInstanceOf(KeySourceError);
  });

  it('refuses a signing key file that is corrupt', async () => {
    await ensureLocalKeys(dir, T0);
    writeFileSync(join(dir, LOCAL_KEY_FILES.signingKey), JSON.stringify({ kid: 'x', privateJwk: {}, createdAt: T0 }));

    const error = await new FileKeyStore(dir).loadSigningKey().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(KeySourceError);
    expect((error as KeySourceError).reason).toMatch(/KeyFormatError/);
  });

  it('writes and reads back both documents', async () => {
    const key = await ensureLocalKeys(dir, T0);
    const store = new FileKeyStore(dir);
    const doc = { keys: [{ jwk: publicJwkOf(key), publishedAt: T0, retiredAt: T0 + 1 }] };

    await store.writePublicKeys(doc);
    await store.writeSigningKey(key);

    expect(await store.loadPublicKeys()).toEqual(doc);
    expect(await store.loadSigningKey()).toEqual(key);
  });
});
