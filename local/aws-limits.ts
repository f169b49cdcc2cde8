/**
 * API Gateway's and Lambda's own limits, and the answers they send when a
 * request breaks one: fixed answers no gateway response customises (no
 * contract body, no CORS headers), so the local stack sends them bare too,
 * and nothing that passes locally depends on an answer AWS cannot give.
 *
 * Sources (AWS developer guides): "Quotas for configuring and running a
 * REST API in API Gateway" (10 MB payload; 10,240 bytes of header values;
 * 29 s integration timeout), Lambda quotas (6 MB synchronous invocation
 * payload, request and response), "Handling Lambda errors with an API
 * Gateway API" (an invocation Lambda rejects: 500; a function error or a
 * malformed proxy result: 502; both with `{"message": "Internal server
 * error"}`).
 */

/** Header values of one request, all together, in bytes. */
export const MAX_HEADER_VALUE_BYTES = 10_240;
/** A request body. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;
/** A synchronous Lambda invocation's payload (the proxy event) and its result. */
export const MAX_LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;

export interface BareAnswer {
  readonly status: number;
  readonly message: string;
}

/**
 * The answers. The status for oversized headers is not documented (the
 * smoke test, scripts/smoke, records what a deployed stage sends); 431 is
 * the HTTP status for it. The messages are API Gateway's generic ones.
 */
export const BARE_ANSWERS = {
  headersTooLarge: { status: 431, message: 'Request Header Fields Too Large' },
  bodyTooLarge: { status: 413, message: 'Request Too Long' },
  /** Lambda refused the invocation (payload over 6 MB). */
  invocationRejected: { status: 500, message: 'Internal server error' },
  /** The function threw, timed out, or returned a malformed or oversized proxy result. */
  functionFailed: { status: 502, message: 'Internal server error' },
} as const satisfies Record<string, BareAnswer>;

/** Bytes of all header values, from Node's raw name/value list. */
export function headerValueBytes(rawHeaders: readonly string[]): number {
  let total = 0;
  for (let i = 1; i < rawHeaders.length; i += 2) total += Buffer.byteLength(rawHeaders[i] as string, 'utf8');
  return total;
}

/** Bytes of a value as Lambda receives or returns it (JSON). */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
