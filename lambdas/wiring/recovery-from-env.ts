/**
 * Wiring of the recovery routes (and register's verification mail), apart
 * from from-env.ts so that only the functions that send mail bundle the
 * mailer and the SES client.
 */
import { mailerFromConfig } from './mail-from-env';
import { mailConfig, passwordConfig, refreshTokenConfig } from '../contract/config';
import { dbFromEnv } from './from-env';
import { PasswordHasher } from '../domain/passwords';
import { EmailVerification, MailQuota, PasswordRecovery } from '../domain/recovery';
import { RefreshTokens } from '../domain/refresh-tokens';
import { Users } from '../domain/users';

/** Email verification: the table, the mailer, no keys. */
export function emailVerificationFromEnv(): EmailVerification {
  const db = dbFromEnv();
  const mail = mailConfig();
  return new EmailVerification(db, new Users(db), new MailQuota(db, mail), mailerFromConfig(mail), mail);
}

/** Forgot-password and reset: the table, the mailer, bcrypt for the new password; no keys (a reset opens no session). */
export function passwordRecoveryFromEnv(): PasswordRecovery {
  const db = dbFromEnv();
  const mail = mailConfig();
  const passwords = passwordConfig();
  return new PasswordRecovery(
    db,
    new Users(db),
    new MailQuota(db, mail),
    mailerFromConfig(mail),
    new PasswordHasher(passwords.bcryptCost),
    new RefreshTokens(db, refreshTokenConfig()),
    { ...mail, minLength: passwords.minLength },
  );
}
