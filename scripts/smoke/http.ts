/** The smoke test's HTTP: one request, a timeout, and an answer that never throws. */

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body, undefined when it is not JSON. */
  readonly json: unknown;
  /** Set when no HTTP answer came (connection refused or reset, timeout). */
  readonly error?: string;
}

export interface RequestSpec {
  readonly method: string;
  readonly path: string;
  readonly token?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export type Send = (request: RequestSpec) => Promise<Answer>;

/** Requests against `baseUrl` (the ApiUrl output, with or without its trailing slash). */
export function sender(baseUrl: string, timeoutMs = 15_000): Send {
  const base = baseUrl.replace(/\/+$/, '');
  return async ({ method, path, token, body, headers = {} }) => {
    const all: Record<string, string> = { ...headers };
    if (token !== undefined) all.Authorization = `Bearer ${token}`;
    if (body !== undefined) all['Content-Type'] = 'application/json';
    try {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: all,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, json: parse(text) };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { status: 0, headers: new Headers(), text: '', json: undefined, error: cause ?? (error instanceof Error ? error.name : 'request failed') };
    }
  };
}

function parse(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}
