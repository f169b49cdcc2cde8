/**
 * wristband/client: log in, keep the token pair, send `Authorization: Bearer`, refresh before `exp` and
 * once after a 401, and never race yourself while doing it. ESM, no dependencies, browsers and Node 20+.
 *
 * Refresh tokens are single use (docs/security.md, "Refresh"): two refreshes with one token are a reuse
 * unless the server's grace interval covers them. So every refresh goes through one gate: one promise
 * per client (single flight), then a Web Lock per origin (tabs), and inside the lock the stored pair is
 * read again, so a tab that waited uses the pair another tab just obtained instead of spending the old one.
 */

import type { ErrorCode, FieldProblem } from '../lambdas/contract/errors';

/** What the client keeps: the pair, and when (local clock) the access token stops working. */
export interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Local clock, ms: receipt time + `expiresIn`, so a skewed device clock does not matter. */
  readonly expiresAt: number;
  /** Local clock, ms: when the pair arrived. */
  readonly issuedAt: number;
}

/** The API's answer to login, refresh and a password change. */
interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
}

/** Login's answer for an account with a second factor: no tokens yet, a challenge for `completeMfa`. */
export interface MfaChallenge {
  readonly mfaRequired: true;
  readonly challenge: string;
}

/** The second factor: a code from the authenticator app, or one of the recovery codes (each works once). */
export type MfaProof = { readonly code: string } | { readonly recoveryCode: string };

/** Where the pair lives. Sync or async; one instance per client. */
export interface TokenStorage {
  get(): Tokens | null | Promise<Tokens | null>;
  set(tokens: Tokens | null): void | Promise<void>;
}

export interface User {
  readonly id: string;
  readonly email: string;
  readonly name?: string;
  readonly role: string;
  readonly createdAt: string;
}

export interface Session {
  readonly id: string;
  readonly createdAt: string;
  readonly lastUsedAt?: string;
  readonly client?: string;
  readonly current?: boolean;
}

/** A session change, as listeners (this tab's and, through BroadcastChannel, other tabs') see it. */
export type SessionEvent = 'signedIn' | 'refreshed' | 'signedOut';

export interface ClientOptions {
  /** The API's base URL, e.g. `http://localhost:3000` or the stage URL. */
  readonly baseUrl: string;
  /** Default: memory (nothing survives a reload; nothing for an injected script to read from storage). */
  readonly storage?: TokenStorage;
  /** Refresh this many seconds before `exp` (at most half the token's lifetime). Default 30. */
  readonly refreshLeewaySeconds?: number;
  /**
   * BroadcastChannel and Web Lock name; `false` turns both off. Default: `wristband` in a page, off
   * elsewhere (in Node, clients of one process are usually different users, not tabs of one).
   */
  readonly channel?: string | false;
  readonly fetch?: typeof fetch;
}

/** The contract's error codes (types only: nothing of the server is bundled), or `http_error` for an answer without one. */
export type ClientErrorCode = ErrorCode | 'http_error';

/** An answer that was not a success: the contract's `error` code, `message`, and `Retry-After` in seconds. */
export class WristbandError extends Error {
  override readonly name = 'WristbandError';
  constructor(
    readonly status: number,
    readonly code: ClientErrorCode,
    message: string,
    readonly retryAfter?: number,
    readonly details?: readonly FieldProblem[],
  ) {
    super(message);
  }
}

/** The part of the Web Storage API the localStorage option uses. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function memoryStorage(): TokenStorage {
  let tokens: Tokens | null = null;
  return { get: () => tokens, set: (next) => void (tokens = next) };
}

/**
 * Survives reloads and is shared by the origin's tabs, and so is readable by any script that runs on the
 * origin: an XSS bug hands over the refresh token (README, "The client": storage trade-offs).
 */
export function localStorageStorage(key = 'wristband.tokens', store: KeyValueStore = (globalThis as unknown as { localStorage: KeyValueStore }).localStorage): TokenStorage {
  return {
    get() {
      try {
        const value = JSON.parse(store.getItem(key) ?? 'null') as Tokens | null;
        return value && typeof value.accessToken === 'string' && typeof value.refreshToken === 'string' ? value : null;
      } catch {
        return null;
      }
    },
    set: (tokens) => (tokens ? store.setItem(key, JSON.stringify(tokens)) : store.removeItem(key)),
  };
}

/** The access token's claims, unverified (display only: the API verifies). */
export function decodeClaims(accessToken: string): Record<string, unknown> {
  const part = accessToken.split('.')[1] ?? '';
  const bytes = Uint8Array.from(atob(part.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

interface Locks {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
  request<T>(name: string, options: { ifAvailable: true }, callback: (lock: unknown) => Promise<T>): Promise<T>;
}

/** How long a tab that waited behind another tab's refresh waits for that tab's new pair to reach its storage. */
const HANDOVER_WAIT_MS = 2000;
interface Channel {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
  /** Node only: an open channel must not keep the process alive. */
  unref?(): void;
}

/** A response turned into a WristbandError. */
async function failure(response: Response): Promise<WristbandError> {
  const body = (await response.json().catch(() => ({}))) as { error?: ErrorCode; message?: string; details?: FieldProblem[] };
  const retry = Number(response.headers.get('Retry-After'));
  return new WristbandError(response.status, body.error ?? 'http_error', body.message ?? `HTTP ${response.status}`, retry > 0 ? retry : undefined, body.details);
}

export type WristbandClient = ReturnType<typeof createClient>;

export function createClient(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const storage = options.storage ?? memoryStorage();
  const leewayMs = (options.refreshLeewaySeconds ?? 30) * 1000;
  const send = options.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));
  const name = options.channel === false ? undefined : (options.channel ?? ('document' in globalThis ? 'wristband' : undefined));
  const locks = (globalThis as unknown as { navigator?: { locks?: Locks } }).navigator?.locks;
  const Broadcast = (globalThis as unknown as { BroadcastChannel?: new (name: string) => Channel }).BroadcastChannel;
  const channel = name && Broadcast ? new Broadcast(name) : undefined;
  channel?.unref?.();
  const listeners = new Set<(event: SessionEvent) => void>();
  let inflight: Promise<Tokens | null> | undefined;

  const emit = (event: SessionEvent, local: boolean) => {
    if (local) channel?.postMessage(event);
    for (const listener of listeners) listener(event);
  };
  const store = async (tokens: Tokens | null, event: SessionEvent) => {
    await storage.set(tokens);
    emit(event, true);
  };

  /** POST a JSON body to a public route; the parsed answer, or a WristbandError. */
  async function post<T>(path: string, body: unknown): Promise<T> {
    const response = await send(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw await failure(response);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  const toTokens = (pair: TokenPair): Tokens => {
    const now = Date.now();
    return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, issuedAt: now, expiresAt: now + pair.expiresIn * 1000 };
  };

  const stale = (tokens: Tokens) => Date.now() >= tokens.expiresAt - Math.min(leewayMs, (tokens.expiresAt - tokens.issuedAt) / 2);

  /**
   * Inside the lock: the stored pair again. Another tab (or an earlier flight) may have replaced `seen`
   * while this one waited; then that pair is the answer and nothing is spent.
   */
  async function rotate(seen: Tokens | null): Promise<Tokens | null> {
    const current = await storage.get();
    if (!current) return null;
    if (seen && current.refreshToken !== seen.refreshToken && !stale(current)) return current;
    const response = await send(`${base}/refresh`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refreshToken: current.refreshToken }) });
    if (response.status === 401) {
      // The session is over (revoked, reused, expired): only a new login helps.
      await store(null, 'signedOut');
      throw await failure(response);
    }
    if (!response.ok) throw await failure(response);
    const next = toTokens((await response.json()) as TokenPair);
    await store(next, 'refreshed');
    return next;
  }

  /**
   * Behind another tab's refresh. Chromium hands a localStorage write to the other tabs asynchronously, not in
   * step with the lock: that tab may have stored its new pair and let go before this tab's storage shows it, and
   * spending `seen` then is a reuse (strict single use revokes the session). So wait until the stored pair is no
   * longer `seen`, or give up after HANDOVER_WAIT_MS (that tab's refresh failed) and refresh here.
   */
  async function handedOver(seen: Tokens | null): Promise<void> {
    const until = Date.now() + HANDOVER_WAIT_MS;
    while (seen && Date.now() < until && (await storage.get())?.refreshToken === seen.refreshToken) await new Promise((r) => setTimeout(r, 20));
  }

  async function lockedRotate(locks: Locks, lock: string, seen: Tokens | null): Promise<Tokens | null> {
    const mine = await locks.request(lock, { ifAvailable: true }, async (free) => (free ? { tokens: await rotate(seen) } : undefined));
    if (mine) return mine.tokens;
    return locks.request(lock, async () => {
      await handedOver(seen);
      return rotate(seen);
    });
  }

  /** One refresh at a time: per client (single flight), and per origin (Web Lock) where the browser has them. */
  function refreshFrom(seen: Tokens | null): Promise<Tokens | null> {
    inflight ??= (locks && name ? lockedRotate(locks, `${name}:refresh`, seen) : rotate(seen)).finally(() => (inflight = undefined));
    return inflight;
  }

  /**
   * A pair that is not about to expire, refreshing first when it is; null when signed out. A refresh that
   * fails for another reason than a 401 (503, network) leaves the old token in use while it lasts.
   */
  async function freshTokens(): Promise<Tokens | null> {
    const tokens = await storage.get();
    if (!tokens || !stale(tokens)) return tokens;
    try {
      return await refreshFrom(tokens);
    } catch (error) {
      if ((error instanceof WristbandError && error.status === 401) || Date.now() >= tokens.expiresAt) throw error;
      return tokens;
    }
  }

  const withToken = (init: RequestInit, tokens: Tokens | null): RequestInit => {
    const headers = new Headers(init.headers);
    if (tokens) headers.set('Authorization', `Bearer ${tokens.accessToken}`);
    return { ...init, headers };
  };

  /**
   * fetch with the access token: refreshed shortly before `exp`, and once more after a 401 (the gateway
   * answers an expired token with a bare `Bearer` challenge, so any 401 on a request that carried a token
   * counts, but a wrong password's `invalid_credentials`), then the request is sent once more. A second 401
   * is returned as it is. A body sent twice
   * must be replayable (a string, FormData, Blob...; not a stream).
   */
  async function authFetch(path: string, init: RequestInit = {}): Promise<Response> {
    // The token goes to this API only: a URL elsewhere, or a path without its leading slash (which would
    // extend the host name), would hand it to someone else.
    const url = path.startsWith(`${base}/`) ? path : /^\/(?!\/)/.test(path) ? base + path : undefined;
    if (!url) throw new TypeError(`wristband fetch: ${JSON.stringify(path)} is not a path of the API (${base}), such as /api/orders`);
    const tokens = await freshTokens();
    const response = await send(url, withToken(init, tokens));
    if (response.status !== 401 || !tokens) return response;
    // A wrong current password (password change, account deletion) is a 401 too: sending it again would
    // only spend another attempt of the login lockout.
    if (((await response.clone().json().catch(() => ({}))) as { error?: string }).error === 'invalid_credentials') return response;
    const next = await refreshFrom(tokens).catch(() => null);
    return next ? send(url, withToken(init, next)) : response;
  }

  /** authFetch with a JSON body and answer; a WristbandError for anything but 2xx. */
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = body === undefined ? { method } : { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
    const response = await authFetch(path, init);
    if (!response.ok) throw await failure(response);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  if (channel) {
    channel.onmessage = ({ data }) => {
      if (data === 'signedIn' || data === 'refreshed' || data === 'signedOut') {
        // Our own pair may live in memory only: a logout elsewhere ends this tab's session too.
        if (data === 'signedOut') void signOutHere();
        else emit(data, false);
      }
    };
  }

  async function signOutHere(): Promise<void> {
    const tokens = await storage.get();
    if (tokens) {
      await storage.set(null);
      // A pair this tab kept to itself is a session of its own: revoke it as well.
      await post('/logout', { refreshToken: tokens.refreshToken }).catch(() => undefined);
    }
    emit('signedOut', false);
  }

  /** A token pair is stored and announced; a challenge is handed back untouched (nothing is signed in yet). */
  async function signIn(answer: TokenPair | MfaChallenge): Promise<Tokens | MfaChallenge> {
    if ('challenge' in answer) return { mfaRequired: true, challenge: answer.challenge };
    const tokens = toTokens(answer);
    await store(tokens, 'signedIn');
    return tokens;
  }

  return {
    /** The stored pair, or, for an account with a second factor, `{ mfaRequired: true, challenge }` for `completeMfa`. */
    login: async (email: string, password: string) => signIn(await post('/login', { email, password })),
    /** `POST /login/mfa`: the challenge and a code (or a recovery code); stores the pair. */
    completeMfa: async (challenge: string, proof: MfaProof) => (await signIn(await post('/login/mfa', { challenge, ...proof }))) as Tokens,
    /** `202` whether or not the account exists; its `message` says to check the mail. */
    forgotPassword: (email: string) => post<{ message: string }>('/password/forgot', { email }),
    /** The reset link's token and the new password; every session of that user is revoked (sign in again). */
    resetPassword: (token: string, newPassword: string) => post<{ passwordReset: true }>('/password/reset', { token, newPassword }),
    verifyEmail: (token: string) => post<{ emailVerified: true }>('/verify-email', { token }),
    resendVerification: (email: string) => post<{ message: string }>('/verify-email/resend', { email }),
    /** A new secret and its `otpauth://` URI, pending until `confirmTotp`. */
    enrolTotp: () => call<{ secret: string; otpauthUri: string }>('POST', '/api/mfa/totp'),
    /** Activates the pending secret; the ten recovery codes, shown this once. */
    confirmTotp: async (code: string) => (await call<{ recoveryCodes: string[] }>('POST', '/api/mfa/totp/confirm', { code })).recoveryCodes,
    disableTotp: (password: string, proof: MfaProof) => call<void>('DELETE', '/api/mfa/totp', { password, ...proof }),
    register: async (email: string, password: string, name?: string): Promise<User> =>
      (await post<{ user: User }>('/register', name === undefined ? { email, password } : { email, password, name })).user,
    /** Revokes this session on the server (a network failure still signs out locally) and tells other tabs. */
    async logout(): Promise<void> {
      const tokens = await storage.get();
      await storage.set(null);
      emit('signedOut', true);
      if (tokens) await post('/logout', { refreshToken: tokens.refreshToken }).catch(() => undefined);
    },
    /** Refresh now (shared with any refresh already under way). */
    refresh: async () => refreshFrom(await storage.get()),
    /** The stored pair, refreshed first when it is about to expire; null when signed out. */
    tokens: freshTokens,
    fetch: authFetch,
    request: call,
    profile: async () => (await call<{ user: User }>('GET', '/api/profile')).user,
    sessions: async () => (await call<{ sessions: Session[] }>('GET', '/api/sessions')).sessions,
    revokeSession: (id: string) => call<void>('DELETE', `/api/sessions/${encodeURIComponent(id)}`),
    /** Signs out every session of the user, this one included. */
    async revokeAllSessions(): Promise<void> {
      await call<void>('POST', '/api/sessions/revoke-all');
      await store(null, 'signedOut');
    },
    /** Deletes the account (its password required), its sessions and orders; signs out here and in other tabs. */
    async deleteAccount(password: string): Promise<void> {
      await call<void>('DELETE', '/api/profile', { password });
      await store(null, 'signedOut');
    },
    /** Every other session is revoked; the answer is this client's new pair. */
    async changePassword(currentPassword: string, newPassword: string): Promise<Tokens> {
      const tokens = toTokens(await call<TokenPair>('POST', '/api/password', { currentPassword, newPassword }));
      await store(tokens, 'signedIn');
      return tokens;
    },
    /** Called with every session change, this tab's and other tabs'; returns the unsubscribe function. */
    onChange(listener: (event: SessionEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Stops listening to other tabs. */
    close: () => channel?.close(),
  };
}
