/**
 * The local stack's mail: every message becomes an `.eml` file under
 * DATA_DIR/outbox (any mail client opens it) and one console line naming the
 * recipient, the subject and the link in it, so a developer can follow a
 * reset or verification flow with no mail server.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logger } from '../telemetry/logger';
import type { Mail, Mailer } from './mailer';

/** RFC 2047 encoded-word for a header value that is not plain ASCII. */
function headerValue(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** Lines of at most 76 characters of base64: bodies stay 7-bit whatever they hold. */
function base64Body(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64').replace(/.{1,76}/g, '$&\r\n');
}

/** A complete RFC 5322 message with a text and an HTML alternative. */
export function toEml(mail: Mail, from: string, date: Date = new Date()): string {
  const boundary = `wristband-${randomUUID()}`;
  return [
    `From: ${headerValue(from)}`,
    `To: ${headerValue(mail.to)}`,
    `Subject: ${headerValue(mail.subject)}`,
    `Date: ${date.toUTCString()}`,
    `Message-ID: <${randomUUID()}@wristband.local>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Body(mail.text),
    `--${boundary}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Body(mail.html),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

/** The first link in a text body: what the console line shows. */
export function firstLink(text: string): string | undefined {
  return /https?:\/\/\S+/.exec(text)?.[0];
}

export class OutboxMailer implements Mailer {
  constructor(
    readonly dir: string,
    private readonly from: string,
    /** Through the function log by default: on the console with `npm start`, quiet in tests (POWERTOOLS_LOG_LEVEL). */
    private readonly announce: (line: string, details: Record<string, string>) => void = (line, details) => logger.info(line, details),
  ) {}

  async send(mail: Mail): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // Sortable by time, unique under concurrency.
    const file = join(this.dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}.eml`);
    await writeFile(file, toEml(mail, this.from), { mode: 0o600 });
    const link = firstLink(mail.text);
    // The link is the mail's one secret and this is the local stack only: showing it is the point.
    this.announce(`mail to ${mail.to}: "${mail.subject}"${link ? ` ${link}` : ''}`, { outboxFile: file });
  }
}
