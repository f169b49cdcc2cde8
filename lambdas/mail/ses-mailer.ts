/**
 * Mail through Amazon SES (API v2, `SendEmail`), from the configured sender.
 * The function's IAM policy allows sending from that identity only
 * (lib/constructs/wristband-function.ts). The SDK retries throttling and
 * transient errors itself; what still fails is reported to the caller.
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Mail, Mailer } from './mailer';

export class SesMailer implements Mailer {
  private readonly client: SESv2Client;

  constructor(
    private readonly from: string,
    options: { region: string; endpoint?: string | undefined },
  ) {
    this.client = new SESv2Client({ region: options.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
  }

  async send(mail: Mail): Promise<void> {
    await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: [mail.to] },
        Content: {
          Simple: {
            Subject: { Data: mail.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: mail.text, Charset: 'UTF-8' }, Html: { Data: mail.html, Charset: 'UTF-8' } },
          },
        },
      }),
    );
  }
}
