/**
 * One HTTP request with full control of the header list (repeated names,
 * any size) and the body, which fetch does not give: fetch merges repeated
 * headers into one.
 */
import { request } from 'node:http';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** `headers` as name/value pairs in order, repeats kept. */
export function rawRequest(baseUrl: string, method: string, path: string, headers: readonly (readonly [string, string])[] = [], body?: Buffer | string): Promise<RawResponse> {
  const url = new URL(path, baseUrl);
  // With a header list, Node adds no Host header of its own, and HTTP/1.1 requires one.
  const list = headers.some(([name]) => name.toLowerCase() === 'host') ? headers : [['Host', url.host] as const, ...headers];
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path: `${url.pathname}${url.search}`, headers: list.flat() },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    // The server may answer before it has read a large body (API Gateway does too): a reset after the answer is fine.
    req.on('error', reject);
    req.end(body);
  });
}
