/**
 * The mailer a function uses, from its environment: the local outbox when
 * MAIL_OUTBOX_DIR is set (local stack, tests), SES when MAIL_FROM is, and
 * none otherwise (the stack was deployed without a sender: the flows answer
 * as usual and log that no mail went out).
 */
import type { MailConfig } from '../contract/config';
import type { Mailer } from '../mail/mailer';
import { OutboxMailer } from '../mail/outbox-mailer';
import { SesMailer } from '../mail/ses-mailer';

/** Optional SES endpoint (moto in `npm run test:aws`); unset when deployed. */
export const SES_ENDPOINT_ENV = 'SES_ENDPOINT';

export function mailerFromConfig(config: MailConfig, env: Readonly<Record<string, string | undefined>> = process.env): Mailer | undefined {
  if (config.outboxDir) return new OutboxMailer(config.outboxDir, config.mailFrom ?? 'wristband@localhost');
  if (!config.mailFrom) return undefined;
  return new SesMailer(config.mailFrom, { region: env.AWS_REGION ?? 'us-east-1', endpoint: env[SES_ENDPOINT_ENV] || undefined });
}
