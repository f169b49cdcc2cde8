/**
 * An authenticator app in a test: codes computed from the secret the enrolment answered, with otpauth (not
 * the server's own TOTP code), so a test proves the server agrees with what a phone would show.
 */
import * as OTPAuth from 'otpauth';
import { TOTP } from '../../lambdas/contract/settings';

/**
 * The code for the current time step plus `stepsAhead` (one step of drift is accepted, so `1` gives a code
 * that differs from one just used), computed well inside the step: a code computed in its last seconds
 * could reach the server in the next step and count as two steps away.
 */
export async function authenticatorCode(secret: string, stepsAhead = 0): Promise<string> {
  const period = TOTP.periodSeconds * 1000;
  const into = Date.now() % period;
  if (into > period - 4000) await new Promise((resolve) => setTimeout(resolve, period - into + 200));
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: TOTP.digits, period: TOTP.periodSeconds });
  return totp.generate({ timestamp: Date.now() + stepsAhead * period });
}
