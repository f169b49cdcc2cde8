/**
 * Reads the local stack's outbox (DATA_DIR/outbox/*.eml) the way a person
 * would read their inbox: the mails to one address, their text, the link.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

function header(raw: string, name: string): string {
  const match = new RegExp(`^${name}: (.*)$`, 'mi').exec(raw.split('\r\n\r\n')[0] ?? '');
  return match?.[1] ?? '';
}

function part(raw: string, type: string): string {
  const match = new RegExp(`Content-Type: ${type}; charset=utf-8\\r\\nContent-Transfer-Encoding: base64\\r\\n\\r\\n([A-Za-z0-9+/=\\r\\n]+)`).exec(raw);
  return match ? Buffer.from(match[1]!.replace(/\r\n/g, ''), 'base64').toString('utf8') : '';
}

/** Every mail in the outbox (oldest first), or only those to `to`. */
export function outbox(dataDir: string, to?: string): ReceivedMail[] {
  const dir = join(dataDir, LOCAL_OUTBOX_DIR);
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
  } catch {
    return [];
  }
  return files
    .map((file) => {
      const raw = readFileSync(join(dir, file), 'utf8');
      return { file, raw, from: header(raw, 'From'), to: header(raw, 'To'), subject: header(raw, 'Subject'), text: part(raw, 'text/plain'), html: part(raw, 'text/html') };
    })
    .filter((mail) => to === undefined || mail.to === to);
}

/** The token a mail's link carries in its fragment (`#reset_token=...` or `#verify_token=...`). */
export function tokenIn(mail: ReceivedMail, parameter: string): string {
  const match = new RegExp(`#${parameter}=([A-Za-z0-9_-]+)`).exec(mail.text);
  if (!match) throw new Error(`no ${parameter} link in the mail to ${mail.to}: ${mail.text}`);
  return match[1]!;
}
