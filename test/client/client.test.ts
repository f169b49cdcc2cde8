/**
 * wristband/client in Node against the local stack over real HTTP. The stack runs with
 * REFRESH_REUSE_INTERVAL_SECONDS=0 (strict single use), so a client that spent one refresh token twice
 * would be signed out by reuse detection: the single-flight tests would show it.
 */
import { createClient, decodeClaims, memoryStorage, WristbandError, type ClientOptions, type MfaChallenge, type Tokens, type TokenStorage } from '../../client';
import { FORGOT_PASSWORD_ANSWER, RESEND_VERIFICATION_ANSWER } from '../../lambdas/contract/recovery-answers';
import { LINK_PARAMETERS } from '../../lambdas/contract/settings';
import { authenticatorCode } from '../support/authenticator';
import { outbox, tokenIn } from '../support/outbox';
import { ADMIN, ALICE, startTestStack, strongPassword, uniqueEmail, type RunningStack } from '../support/local-stack';

let running: RunningStack;

beforeAll(async () => {
  running = await startTestStack({ REFRESH_REUSE_INTERVAL_SECONDS: '0' });
});

afterAll(async () => {
  await running.stack.stop();
});

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly url: string;
  readonly authorization: string | null;
}

/** A client on the real stack whose every request is recorded (and optionally altered on its way). */
function recordedClient(options: Partial<ClientOptions> = {}, alter: (url: string, init: RequestInit) => RequestInit = (_url, init) => init) {
  const sent: Sent[] = [];
  const storage = options.storage ?? memoryStorage();
  const client = createClient({
    baseUrl: running.stack.url,
    channel: false,
    storage,
    ...options,
    fetch: async (input, init = {}) => {
      const url = String(input);
      const final = alter(url, init);
      sent.push({ method: final.method ?? 'GET', path: new URL(url).pathname, url, authorization: new Headers(final.headers).get('Authorization') });
      return fetch(url, final);
    },
  });
  const count = (path: string) => sent.filter((s) => s.path === path).length;
  return { client, sent, storage, count };
}

async function newAccount() {
  const email = uniqueEmail('client');
  const password = strongPassword();
  return { email, password };
}

/** The stored pair, made to look about to expire (the server still takes it). */
async function expireLocally(storage: TokenStorage): Promise<Tokens> {
  const tokens = (await storage.get()) as Tokens;
  await storage.set({ ...tokens, expiresAt: Date.now() - 1 });
  return tokens;
}

/** A login of an account without a second factor: the stored pair. */
async function signedIn(login: Promise<Tokens | MfaChallenge>): Promise<Tokens> {
  const answer = await login;
  if ('challenge' in answer) throw new Error('this account has a second factor');
  return answer;
}

async function rejected(promise: Promise<unknown>): Promise<WristbandError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WristbandError);
  return error as WristbandError;
}

describe('login, register, logout', () => {
  it('registers, logs in, and reads the profile with the stored access token', async () => {
    const { client, storage } = recordedClient();
    const { email, password } = await newAccount();

    const user = await client.register(email, password, 'Carol');
    const tokens = await signedIn(client.login(email, password));
    const profile = await client.profile();

    expect(user).toEqual({ id: expect.any(String), email, name: 'Carol', role: 'user', createdAt: expect.any(String) });
    expect(profile.id).toBe(user.id);
    expect(await storage.get()).toEqual(tokens);
    expect(decodeClaims(tokens.accessToken)).toMatchObject({ sub: user.id, role: 'user' });
  });

  it("throws typed errors with the contract's code and message, and Retry-After in seconds", async () => {
    const { client } = recordedClient();
    const { email, password } = await newAccount();
    await client.register(email, password);

    const weak = await rejected(client.register(uniqueEmail(), 'short'));
    expect([weak.status, weak.code]).toEqual([400, 'validation_error']);
    expect(weak.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'password' })]));
    const taken = await rejected(client.register(email, password));
    expect([taken.status, taken.code, taken.message]).toEqual([409, 'email_taken', expect.any(String)]);

    for (let i = 0; i < 5; i++) expect((await rejected(client.login(email, 'wrong-password-of-length'))).code).toBe('invalid_credentials');
    const locked = await rejected(client.login(email, password));
    expect([locked.status, locked.code]).toEqual([429, 'too_many_attempts']);
    expect(locked.retryAfter).toBeGreaterThan(0);
  });

  it("logout revokes the session on the server and forgets the pair", async () => {
    const { client, storage } = recordedClient();
    const tokens = await signedIn(client.login(ALICE.email, ALICE.password));

    await client.logout();

    expect(await storage.get()).toBeNull();
    expect((await running.api('POST', '/refresh', { body: { refreshToken: tokens.refreshToken } })).status).toBe(401);
    const signedOut = await client.fetch('/api/profile');
    expect(signedOut.status).toBe(401);
  });
});

describe('refresh', () => {
  it('refreshes proactively before exp, then sends the request with the new token', async () => {
    const { client, storage, sent } = recordedClient();
    await client.login(ALICE.email, ALICE.password);
    const old = await expireLocally(storage);

    const response = await client.fetch('/api/profile');

    expect(response.status).toBe(200);
    expect(sent.slice(-2).map((s) => s.path)).toEqual(['/refresh', '/api/profile']);
    const now = (await storage.get()) as Tokens;
    expect(now.refreshToken).not.toBe(old.refreshToken);
    expect(sent.at(-1)?.authorization).toBe(`Bearer ${now.accessToken}`);
  });

  it('refreshes reactively after a 401 and retries the request once', async () => {
    const { client, storage, sent } = recordedClient();
    const tokens = await signedIn(client.login(ALICE.email, ALICE.password));
    // An access token the API refuses while the client still believes it fresh (as after a key rotation).
    await storage.set({ ...tokens, accessToken: `${tokens.accessToken.slice(0, -4)}AAAA` });

    const response = await client.fetch('/api/orders', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ items: [{ sku: 'tea', quantity: 1 }] }) });

    expect(response.status).toBe(201);
    expect(sent.slice(-3).map((s) => `${s.method} ${s.path}`)).toEqual(['POST /api/orders', 'POST /refresh', 'POST /api/orders']);
    const orders = await client.request<{ orders: { items: unknown[] }[] }>('GET', '/api/orders');
    expect(orders.orders[0]?.items).toEqual([{ sku: 'tea', quantity: 1 }]);
  });

  it('retries only once: a second 401 is the answer, with no second refresh', async () => {
    // A proxy in the way that drops the token on /api/profile: the API answers 401 every time.
    const { client, count } = recordedClient({}, (url, init) => {
      if (!url.endsWith('/api/profile')) return init;
      const headers = new Headers(init.headers);
      headers.delete('Authorization');
      return { ...init, headers };
    });
    await client.login(ALICE.email, ALICE.password);

    const error = await rejected(client.profile());

    expect(error.status).toBe(401);
    expect([count('/api/profile'), count('/refresh')]).toEqual([2, 1]);
    expect(await client.tokens()).not.toBeNull(); // the refresh worked: still signed in
  });

  it('does not refresh on a 403: the role is the answer', async () => {
    const { client, count } = recordedClient();
    await client.login(ALICE.email, ALICE.password);

    const error = await rejected(client.request('GET', '/api/users'));

    expect([error.status, error.code]).toEqual([403, 'forbidden']);
    expect(count('/refresh')).toBe(0);
  });

  it('single flight: 40 concurrent requests with an expiring token share one /refresh and all succeed', async () => {
    const { client, storage, count } = recordedClient();
    await client.login(ALICE.email, ALICE.password);
    await expireLocally(storage);

    const answers = await Promise.all(Array.from({ length: 40 }, () => client.fetch('/api/profile')));

    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
    expect(count('/refresh')).toBe(1);
    // With strict single use, a second spend of the token would have revoked the family.
    await expect(client.refresh()).resolves.toEqual(expect.objectContaining({ accessToken: expect.any(String) }));
  });

  it('single flight: 40 concurrent 401s share one /refresh, each request retried once', async () => {
    const { client, storage, count } = recordedClient();
    const tokens = await signedIn(client.login(ALICE.email, ALICE.password));
    await storage.set({ ...tokens, accessToken: `${tokens.accessToken.slice(0, -4)}AAAA` });

    const answers = await Promise.all(Array.from({ length: 40 }, () => client.fetch('/api/profile')));

    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
    expect([count('/refresh'), count('/api/profile')]).toEqual([1, 80]);
  });

  it('a refused refresh signs out: the pair is dropped and the 401 is the answer', async () => {
    const { client, storage } = recordedClient();
    const tokens = await signedIn(client.login(ALICE.email, ALICE.password));
    await running.api('POST', '/logout', { body: { refreshToken: tokens.refreshToken } });
    await expireLocally(storage);

    const error = await rejected(client.refresh());

    expect([error.status, error.code]).toEqual([401, 'invalid_token']);
    expect(await storage.get()).toBeNull();
  });

  it('keeps a still-valid token when a proactive refresh fails with another status than 401', async () => {
    // A proxy that garbles /refresh: the API answers 415, as it would a 503 or a WAF 429.
    const { client, storage, count } = recordedClient({}, (url, init) => (url.endsWith('/refresh') ? { ...init, headers: { 'Content-Type': 'text/plain' } } : init));
    const tokens = await signedIn(client.login(ALICE.email, ALICE.password));
    await storage.set({ ...tokens, issuedAt: Date.now() - 890_000, expiresAt: Date.now() + 10_000 }); // 10 s left: refresh due

    const response = await client.fetch('/api/profile');

    expect([response.status, count('/refresh')]).toEqual([200, 1]);
    expect(await storage.get()).toEqual(expect.objectContaining({ refreshToken: tokens.refreshToken }));
    await storage.set({ ...tokens, expiresAt: Date.now() - 1 }); // past exp: the error is the answer
    const error = await rejected(client.profile());
    expect([error.status, error.code]).toEqual([415, 'unsupported_media_type']);
  });

  it('sends the token to the API only: another origin, or a path that would extend the host name, is refused', async () => {
    const { client, sent } = recordedClient();
    await client.login(ALICE.email, ALICE.password);
    const before = sent.length;

    for (const target of ['https://example.com/api/profile', '//example.com/api/profile', '.example.com/api/profile', 'api/profile', `${running.stack.url}.example.com/x`]) {
      await expect(client.fetch(target)).rejects.toThrow(/is not a path of the API/);
    }

    expect(sent.length).toBe(before);
    expect((await client.fetch(`${running.stack.url}/api/profile`)).status).toBe(200);
  });

  it('never puts a token in a URL', async () => {
    const { client, storage, sent } = recordedClient();
    const first = await signedIn(client.login(ALICE.email, ALICE.password));
    await expireLocally(storage);
    await client.profile();
    await client.sessions();
    const second = (await storage.get()) as Tokens;
    await client.logout();

    for (const token of [first.accessToken, first.refreshToken, second.accessToken, second.refreshToken]) {
      expect(sent.filter((s) => s.url.includes(token))).toEqual([]);
    }
  });
});

describe('session controls', () => {
  it('lists sessions and revokes another one', async () => {
    const { email, password } = await newAccount();
    const laptop = recordedClient();
    const phone = recordedClient();
    await laptop.client.register(email, password);
    await laptop.client.login(email, password);
    await phone.client.login(email, password);

    const sessions = await laptop.client.sessions();
    expect(sessions).toHaveLength(2);
    const phoneSession = sessions[0] as { id: string }; // newest first
    await laptop.client.revokeSession(phoneSession.id);

    expect(await laptop.client.sessions()).toHaveLength(1);
    const refused = await rejected(phone.client.refresh());
    expect(refused.code).toBe('invalid_token');
  });

  it('changing the password keeps this client signed in with a new pair and signs the others out', async () => {
    const { email, password } = await newAccount();
    const here = recordedClient();
    const elsewhere = recordedClient();
    await here.client.register(email, password);
    const before = await signedIn(here.client.login(email, password));
    await elsewhere.client.login(email, password);

    const after = await here.client.changePassword(password, strongPassword());

    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect((await here.client.profile()).email).toBe(email);
    expect((await rejected(elsewhere.client.refresh())).code).toBe('invalid_token');
    expect((await rejected(here.client.login(email, password))).code).toBe('invalid_credentials');
  });

  it('signing out everywhere ends this session and every other', async () => {
    const { email, password } = await newAccount();
    const here = recordedClient();
    const elsewhere = recordedClient();
    await here.client.register(email, password);
    const mine = await signedIn(here.client.login(email, password));
    await elsewhere.client.login(email, password);

    await here.client.revokeAllSessions();

    expect(await here.storage.get()).toBeNull();
    expect((await running.api('POST', '/refresh', { body: { refreshToken: mine.refreshToken } })).status).toBe(401);
    expect((await rejected(elsewhere.client.refresh())).code).toBe('invalid_token');
  });
});

describe('deleting the account', () => {
  it('needs the password (a wrong one sent once, not refreshed and retried), then deletes the account and signs out', async () => {
    const { email, password } = await newAccount();
    const { client, storage, count } = recordedClient();
    await client.register(email, password);
    const tokens = await signedIn(client.login(email, password));

    const wrong = await rejected(client.deleteAccount('not-the-password-at-all'));
    expect([wrong.status, wrong.code]).toEqual([401, 'invalid_credentials']);
    // Sent once: a retry would spend a second attempt of the login lockout.
    expect([count('/api/profile'), count('/refresh')]).toEqual([1, 0]);
    expect((await client.profile()).email).toBe(email);

    await client.deleteAccount(password);

    expect(await storage.get()).toBeNull();
    expect((await running.api('POST', '/refresh', { body: { refreshToken: tokens.refreshToken } })).status).toBe(401);
    expect((await rejected(client.login(email, password))).code).toBe('invalid_credentials');
  });
});

/**
 * The Web Locks API as a browser gives it to the tabs of one origin (Node 20 has none): one holder per name, FIFO;
 * `ifAvailable` calls back with null instead of waiting when the name is held.
 */
function installWebLocks(): void {
  const held = new Map<string, Promise<unknown>>();
  const busy = new Map<string, number>();
  const locks = {
    request<T>(name: string, ...args: [(lock: unknown) => Promise<T>] | [{ ifAvailable: true }, (lock: unknown) => Promise<T>]): Promise<T> {
      const callback = args.length === 1 ? args[0] : args[1];
      if (args.length === 2 && (busy.get(name) ?? 0) > 0) return Promise.resolve().then(() => callback(null));
      busy.set(name, (busy.get(name) ?? 0) + 1);
      const run = (held.get(name) ?? Promise.resolve()).then(() => callback({ name })).finally(() => busy.set(name, (busy.get(name) ?? 1) - 1));
      held.set(name, run.catch(() => undefined));
      return run;
    },
  };
  Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true });
}

/**
 * localStorage as two Chromium tabs see it: each reads its own copy, which another tab's write reaches `lagMs`
 * later, on its own schedule and not in step with the Web Lock.
 */
function laggingTabStorages(lagMs: number): [TokenStorage, TokenStorage] {
  const copies: (Tokens | null)[] = [null, null];
  const view = (me: 0 | 1): TokenStorage => ({
    get: () => copies[me] ?? null,
    set: (tokens) => {
      copies[me] = tokens;
      setTimeout(() => (copies[1 - me] = tokens), lagMs);
    },
  });
  return [view(0), view(1)];
}

/** Two tab clients on one channel behind the installed Web Locks, closed (and the locks removed) after `run`. */
async function withTwoTabs(storageA: TokenStorage, storageB: TokenStorage, run: (tabA: ReturnType<typeof recordedClient>, tabB: ReturnType<typeof recordedClient>) => Promise<void>): Promise<void> {
  installWebLocks();
  const channel = `wristband-test-${Math.random()}`;
  const tabA = recordedClient({ storage: storageA, channel });
  const tabB = recordedClient({ storage: storageB, channel });
  try {
    await run(tabA, tabB);
  } finally {
    tabA.client.close();
    tabB.client.close();
    Reflect.deleteProperty(globalThis, 'navigator');
  }
}

describe('other tabs', () => {
  it('two tabs sharing one stored pair, with a Web Lock, spend the refresh token once: the waiting tab re-reads', async () => {
    const shared = memoryStorage(); // as localStorage: one store, both tabs
    await withTwoTabs(shared, shared, async (tabA, tabB) => {
      await tabA.client.login(ALICE.email, ALICE.password);
      await expireLocally(shared);

      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? tabA : tabB).client.fetch('/api/profile')));

      expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
      expect(tabA.count('/refresh') + tabB.count('/refresh')).toBe(1);
      await expireLocally(shared);
      expect((await tabB.client.profile()).email).toBe(ALICE.email); // the family is alive: no reuse was detected
    });
  });

  it("two tabs, one refresh, when the other tab's new pair reaches the waiting tab's storage after the lock does", async () => {
    const [storageA, storageB] = laggingTabStorages(300);
    await withTwoTabs(storageA, storageB, async (tabA, tabB) => {
      await tabA.client.login(ALICE.email, ALICE.password);
      await new Promise((resolve) => setTimeout(resolve, 350)); // the pair has reached tab B
      await expireLocally(storageA);
      await new Promise((resolve) => setTimeout(resolve, 350));

      const answers = await Promise.all([tabA.client.fetch('/api/profile'), tabB.client.fetch('/api/profile')]);

      // Before: tab B got the lock while its storage still showed the spent token, spent it again, and strict
      // single use revoked the session.
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(tabA.count('/refresh') + tabB.count('/refresh')).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 350));
      await expireLocally(storageB);
      expect((await tabB.client.profile()).email).toBe(ALICE.email); // the family is alive: no reuse was detected
    });
  });

  it('in Node, clients broadcast nothing by default: one user logging out leaves the others alone', async () => {
    const listener = new BroadcastChannel('wristband');
    const heard: unknown[] = [];
    listener.onmessage = (event) => heard.push((event as { data: unknown }).data);
    const one = createClient({ baseUrl: running.stack.url });
    const other = createClient({ baseUrl: running.stack.url });
    try {
      await one.login(ALICE.email, ALICE.password);
      await other.login(ADMIN.email, ADMIN.password);
      await one.logout();
      // A marker sent after the logout: once it has arrived, a broadcast of the logout would have too.
      const marker = new BroadcastChannel('wristband');
      const arrived = new Promise<void>((resolve) => {
        listener.onmessage = (event) => ((event as { data: unknown }).data === 'marker' ? resolve() : heard.push((event as { data: unknown }).data));
      });
      marker.postMessage('marker');
      await arrived;
      marker.close();

      expect(heard).toEqual([]);
      expect((await other.profile()).email).toBe(ADMIN.email);
    } finally {
      listener.close();
      one.close();
      other.close();
    }
  });

  it('a logout broadcast signs out a client that kept its own session in memory, on the server too', async () => {
    const channel = `wristband-test-${Math.random()}`;
    const tabA = createClient({ baseUrl: running.stack.url, channel });
    const storageB = memoryStorage();
    const tabB = createClient({ baseUrl: running.stack.url, channel, storage: storageB });
    try {
      await tabA.login(ALICE.email, ALICE.password);
      const bTokens = await signedIn(tabB.login(ADMIN.email, ADMIN.password));
      const signedOut = new Promise<void>((resolve) => tabB.onChange((event) => event === 'signedOut' && resolve()));

      await tabA.logout();
      await signedOut;

      expect(await storageB.get()).toBeNull();
      expect((await running.api('POST', '/refresh', { body: { refreshToken: bTokens.refreshToken } })).status).toBe(401);
    } finally {
      tabA.close();
      tabB.close();
    }
  });
});

describe('two-factor sign-in (TOTP)', () => {
  /** A new account, signed in on a client, with an authenticator enrolled through the client. */
  async function enrolled() {
    const { email, password } = await newAccount();
    const recorded = recordedClient();
    await recorded.client.register(email, password);
    await signedIn(recorded.client.login(email, password));
    const { secret, otpauthUri } = await recorded.client.enrolTotp();
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/.+secret=[A-Z2-7]+/);
    const recoveryCodes = await recorded.client.confirmTotp(await authenticatorCode(secret));
    return { ...recorded, email, password, secret, recoveryCodes };
  }

  it('login answers a challenge and stores nothing; completeMfa with a code stores a pair that says pwd+otp', async () => {
    const { client, storage, email, password, secret, recoveryCodes } = await enrolled();
    expect(recoveryCodes).toHaveLength(10);
    await client.logout();
    const events: string[] = [];
    client.onChange((event) => events.push(event));

    const answer = await client.login(email, password);

    expect(answer).toEqual({ mfaRequired: true, challenge: expect.any(String) });
    expect(await storage.get()).toBeNull();
    expect(events).toEqual([]);
    const challenge = (answer as MfaChallenge).challenge;
    expect((await rejected(client.completeMfa(challenge, { code: '000000' }))).code).toBe('invalid_credentials');
    const tokens = await client.completeMfa(challenge, { code: await authenticatorCode(secret, 1) });
    expect(await storage.get()).toEqual(tokens);
    expect(events).toEqual(['signedIn']);
    expect(decodeClaims(tokens.accessToken).amr).toEqual(['pwd', 'otp']);
    expect((await client.profile()).email).toBe(email);
  });

  it('a recovery code answers the challenge once', async () => {
    const { client, email, password, recoveryCodes } = await enrolled();
    const [code] = recoveryCodes as [string];
    const first = (await client.login(email, password)) as MfaChallenge;
    await client.completeMfa(first.challenge, { recoveryCode: code });
    const second = (await client.login(email, password)) as MfaChallenge;
    expect((await rejected(client.completeMfa(second.challenge, { recoveryCode: code }))).status).toBe(401);
  });

  it('disableTotp: a wrong password is refused without a refresh, the right one turns login back into a pair', async () => {
    const { client, count, email, password, secret, recoveryCodes } = await enrolled();
    const wrong = await rejected(client.disableTotp('not the password at all', { recoveryCode: recoveryCodes[0]! }));
    expect([wrong.status, wrong.code]).toEqual([401, 'invalid_credentials']);
    expect(count('/refresh')).toBe(0);

    await client.disableTotp(password, { code: await authenticatorCode(secret, 1) });

    expect(decodeClaims((await signedIn(client.login(email, password))).accessToken).amr).toEqual(['pwd']);
  });
});

describe('forgot password, reset, email verification', () => {
  it('forgotPassword answers the same for any email; the mailed token resets the password once', async () => {
    const { client } = recordedClient();
    const { email, password } = await newAccount();
    await client.register(email, password);

    const known = await client.forgotPassword(email);
    const unknown = await client.forgotPassword(uniqueEmail('nobody'));
    expect(known).toEqual(FORGOT_PASSWORD_ANSWER);
    expect(unknown).toEqual(known);

    const token = tokenIn(outbox(running.dataDir, email).filter((m) => m.text.includes(LINK_PARAMETERS.passwordReset)).at(-1)!, LINK_PARAMETERS.passwordReset);
    const newPassword = strongPassword();
    expect(await client.resetPassword(token, newPassword)).toEqual({ passwordReset: true });
    expect((await rejected(client.resetPassword(token, strongPassword()))).code).toBe('invalid_token');
    expect((await rejected(client.login(email, password))).code).toBe('invalid_credentials');
    expect((await signedIn(client.login(email, newPassword))).accessToken).toEqual(expect.any(String));
  });

  it('resendVerification mails a new link; verifyEmail spends it and the next token says email_verified', async () => {
    const { client } = recordedClient();
    const { email, password } = await newAccount();
    await client.register(email, password);
    expect(decodeClaims((await signedIn(client.login(email, password))).accessToken).email_verified).toBe(false);

    expect(await client.resendVerification(email)).toEqual(RESEND_VERIFICATION_ANSWER);
    const token = tokenIn(outbox(running.dataDir, email).filter((m) => m.text.includes(LINK_PARAMETERS.emailVerification)).at(-1)!, LINK_PARAMETERS.emailVerification);

    expect(await client.verifyEmail(token)).toEqual({ emailVerified: true });
    expect((await rejected(client.verifyEmail(token))).code).toBe('invalid_token');
    expect(decodeClaims((await signedIn(client.login(email, password))).accessToken).email_verified).toBe(true);
  });
});
