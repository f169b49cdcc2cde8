/**
 * The local mailbox: `GET /_local/outbox` answers the newest mails of the local stack's outbox
 * (DATA_DIR/outbox/*.eml, written by lambdas/mail/outbox-mailer.ts) as JSON, for the demo page's
 * "Mailbox (local stack)" panel. Local only, like /demo/: it sits in front of the gateway, so it is no
 * route of the API, of its route table or of its OpenAPI document, and a deployed API answers it 404.
 *
 * The mails hold live reset links, so the mailbox answers only what the local stack is meant for: a
 * client on this machine (a loopback peer) that names this machine in its Host header. A page of another
 * site cannot read it (no CORS headers), nor through DNS rebinding (its Host names that site), and with
 * HOST=0.0.0.0 the other machines on the network get 404 too. Everything else under /_local/ is 404.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { errorBody } from '../lambdas/contract/errors';

export const LOCAL_MAILBOX_PATH = '/_local/outbox';
/** The newest mails the mailbox lists: enough for a demo, and a bounded answer whatever the outbox holds. */
export const LOCAL_MAILBOX_LIMIT = 20;

const LOCAL_PREFIX = '/_local';

/**
 * The links in a text body, in order (the pattern of outbox-mailer's `firstLink`, not imported: that module
 * loads the function logger at import, before `npm start` has set up its environment).
 */
export function links(text: string): string[] {
  return text.match(/https?:\/\/\S+/g) ?? [];
}

/** One mail as the outbox holds it, its bodies decoded. */
export interface OutboxMail {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  /** ISO 8601, from the Date header. */
  readonly date: string;
  readonly text: string;
  readonly html: string;
}

/** RFC 2047 encoded-words (what the outbox writes for a header that is not plain ASCII) back to text. */
function decodeHeader(value: string): string {
  return value.replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/gi, (_, base64: string) => Buffer.from(base64, 'base64').toString('utf8'));
}

function header(raw: string, name: string): string {
  const match = new RegExp(`^${name}: (.*)$`, 'mi').exec(raw.split('\r\n\r\n')[0] ?? '');
  return decodeHeader(match?.[1] ?? '');
}

function part(raw: string, type: string): string {
  const match = new RegExp(`Content-Type: ${type}; charset=utf-8\\r\\nContent-Transfer-Encoding: base64\\r\\n\\r\\n([A-Za-z0-9+/=\\r\\n]+)`).exec(raw);
  return match ? Buffer.from(match[1]!.replace(/\r\n/g, ''), 'base64').toString('utf8') : '';
}

/** An .eml file of the outbox, read back (the format lambdas/mail/outbox-mailer.ts `toEml` writes). */
export function parseEml(raw: string): OutboxMail {
  const date = new Date(header(raw, 'Date'));
  return {
    from: header(raw, 'From'),
    to: header(raw, 'To'),
    subject: header(raw, 'Subject'),
    date: Number.isNaN(date.getTime()) ? '' : date.toISOString(),
    text: part(raw, 'text/plain'),
    html: part(raw, 'text/html'),
  };
}

/** The outbox's .eml file names, oldest first (the mailer names them by time). */
export function outboxFiles(names: readonly string[]): string[] {
  return names.filter((name) => name.endsWith('.eml')).sort();
}

/** The newest `limit` mails, newest first, with the links in their text. A missing outbox is an empty one. */
export async function readMailbox(dir: string, limit = LOCAL_MAILBOX_LIMIT): Promise<(Omit<OutboxMail, 'html'> & { links: string[] })[]> {
  const names = outboxFiles(await readdir(dir).catch(() => [])).slice(-limit).reverse();
  const mails = await Promise.all(names.map((name) => readFile(join(dir, name), 'utf8').catch(() => undefined)));
  return mails
    .filter((raw) => raw !== undefined)
    .map((raw) => {
      const { html: _html, ...mail } = parseEml(raw);
      return { ...mail, links: links(mail.text) };
    });
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 addresses. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

/** A Host header that names this machine: localhost (or a name under .localhost) or a loopback address. */
export function namesLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  return hostname === 'localhost' || hostname.endsWith('.localhost') || isLoopbackAddress(hostname.replace(/^\[(.*)\]$/, '$1'));
}

const HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** The listener, with /_local/... answered here and everything else passed on. */
export function withLocalMailbox(outboxDir: string, next: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    if (path !== LOCAL_PREFIX && !path.startsWith(`${LOCAL_PREFIX}/`)) return next(req, res);
    const allowed = req.method === 'GET' && path === LOCAL_MAILBOX_PATH && isLoopbackAddress(req.socket.remoteAddress) && namesLoopbackHost(req.headers.host);
    if (!allowed) {
      res.writeHead(404, HEADERS).end(JSON.stringify(errorBody('not_found')));
      return;
    }
    readMailbox(outboxDir).then(
      (mails) => res.writeHead(200, HEADERS).end(JSON.stringify({ mails })),
      (error: unknown) => res.writeHead(500, HEADERS).end(JSON.stringify({ error: 'internal_error', message: `mailbox: ${error instanceof Error ? error.message : String(error)}` })),
    );
  };
}
