/**
 * The mails wristband sends, as small templates a team edits to change the
 * wording, the language or the look. Placeholders are `{{name}}`; values are
 * HTML-escaped in the HTML body. Each mail carries exactly one secret, the
 * link, and nothing else from the account (no password, hash or other token).
 */
import type { Mail } from './mailer';

export interface MailTemplate {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export const MAIL_TEMPLATES = {
  passwordReset: {
    subject: 'Reset your password',
    text: [
      'Someone (we hope you) asked to reset the password of the account for this address.',
      '',
      'To choose a new password, open this link within {{minutes}} minutes:',
      '',
      '{{link}}',
      '',
      'The link works once; asking again makes it stop working. Resetting signs you out everywhere.',
      'If you did not ask, ignore this mail: your password stays as it is.',
    ].join('\n'),
    html: [
      '<p>Someone (we hope you) asked to reset the password of the account for this address.</p>',
      '<p><a href="{{link}}">Choose a new password</a> within {{minutes}} minutes.</p>',
      '<p>The link works once; asking again makes it stop working. Resetting signs you out everywhere.</p>',
      '<p>If you did not ask, ignore this mail: your password stays as it is.</p>',
    ].join('\n'),
  },
  emailVerification: {
    subject: 'Confirm your email address',
    text: [
      'Please confirm that this address belongs to the account just created with it.',
      '',
      'Open this link within {{hours}} hours:',
      '',
      '{{link}}',
      '',
      'If you did not create an account, ignore this mail.',
    ].join('\n'),
    html: [
      '<p>Please confirm that this address belongs to the account just created with it.</p>',
      '<p><a href="{{link}}">Confirm my email address</a> within {{hours}} hours.</p>',
      '<p>If you did not create an account, ignore this mail.</p>',
    ].join('\n'),
  },
} as const satisfies Record<string, MailTemplate>;

export type MailTemplateName = keyof typeof MAIL_TEMPLATES;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function fill(template: string, values: Readonly<Record<string, string>>, encode: (value: string) => string): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`mail template placeholder ${whole} has no value`);
    return encode(value);
  });
}

/** A mail from a template: the text body as is, the HTML body with every value escaped. */
export function renderMail(template: MailTemplate, to: string, values: Readonly<Record<string, string>>): Mail {
  return {
    to,
    subject: fill(template.subject, values, (v) => v),
    text: fill(template.text, values, (v) => v),
    html: fill(template.html, values, (v) => v.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c)),
  };
}
