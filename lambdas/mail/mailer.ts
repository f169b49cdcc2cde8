/**
 * Sending mail, behind one narrow interface: the domain composes a message
 * and hands it over; where it goes (Amazon SES when deployed, files under
 * DATA_DIR/outbox on the local stack) is wiring (lambdas/wiring/mail-from-env.ts).
 */

export interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface Mailer {
  /** Resolves once the message is accepted for delivery; throws when it was not (the caller decides what that means). */
  send(mail: Mail): Promise<void>;
}
