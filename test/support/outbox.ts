/**
 * Reads the local stack's outbox (DATA_DIR/outbox/*.eml) the way a person
 * would read their inbox: the mails to one address, their text, the link.
 * The parsing is the local mailbox's (local/mailbox.ts), the one the demo page reads through.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { outboxFiles, parseEml } from '../../local/mailbox';
import { LOCAL_OUTBOX_DIR } from '../../local/stack';

export interface ReceivedMail {
  readonly file: string;
  readonly raw: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Every mail in the outbox (oldest first), or only those to `to`. */
export function outbox(dataDir: string, to?: string): ReceivedMail[] {
  const dir = join(dataDir, LOCAL_OUTBOX_DIR);
  let files: string[];
  try {
    files = outboxFiles(readdirSync(dir));
  } catch {
    return [];
  }
  return files
    .map((file) => {
      const raw = readFileSync(join(dir, file), 'utf8');
      const { from, to, subject, text, html } = parseEml(raw);
      return { file, raw, from, to, subject, text, html };
    })
    .filter((mail) => to === undefined || mail.to === to);
}

/** The token a mail's link carries in its fragment (`#reset_token=...` or `#verify_token=...`). */
export function tokenIn(mail: ReceivedMail, parameter: string): string {
  const match = new RegExp(`#${parameter}=([A-Za-z0-9_-]+)`).exec(mail.text);
  if (!match) throw new Error(`no ${parameter} link in the mail to ${mail.to}: ${mail.text}`);
  return match[1]!;
}
