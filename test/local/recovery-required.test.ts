/**
 * EMAIL_VERIFICATION=required over HTTP against the local stack, and links
 * that expire: reset tokens live 1 second here, verification tokens 4.
 */
import { decodeJwt } from 'jose';
import { LINK_PARAMETERS } from '../../lambdas/domain/recovery';
import type { Api } from '../support/http-client';
import { ADMIN, login, startTestStack, strongPassword, uniqueEmail, type RunningStack } from '../support/local-stack';
import { outbox, tokenIn } from '../support/outbox';

let running: RunningStack;
let api: Api;

beforeAll(async () => {
  running = await startTestStack({ EMAIL_VERIFICATION: 'required', PASSWORD_RESET_TTL_SECONDS: '1', EMAIL_VERIFICATION_TTL_SECONDS: '4' });
  api = running.api;
});

afterAll(async () => {
  await running.stack.stop();
  for (const name of ['EMAIL_VERIFICATION', 'PASSWORD_RESET_TTL_SECONDS', 'EMAIL_VERIFICATION_TTL_SECONDS']) delete process.env[name];
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mailsTo = (email: string) => outbox(running.dataDir, email);
const signIn = (email: string, password: string) => api('POST', '/login', { body: { email, password } });

async function newUser() {
  const email = uniqueEmail('required');
  const password = strongPassword();
  expect((await api('POST', '/register', { body: { email, password } })).status).toBe(201);
  return { email, password };
}

/** Lifetimes are counted in whole seconds: one more second and a little is surely past them. */
const RESET_EXPIRED_AFTER_MS = 2100;
const VERIFICATION_EXPIRED_AFTER_MS = 5100;

describe('emailVerification: required', () => {
  it('refuses the right password of an unverified account with 403 email_not_verified, and a wrong one with the usual 401', async () => {
    const { email, password } = await newUser();

    const right = await signIn(email, password);
    const wrong = await signIn(email, strongPassword('wrong'));
    const unknown = await signIn(uniqueEmail('nobody'), password);

    expect([right.status, right.json.error]).toEqual([403, 'email_not_verified']);
    expect(right.json.message).toEqual(expect.any(String));
    expect(right.json).not.toHaveProperty('accessToken');
    // Without the password nothing tells an unverified account from a wrong password or from no account at all.
    expect([wrong.status, wrong.text]).toEqual([401, unknown.text]);
    expect(unknown.json.error).toBe('invalid_credentials');
  });

  it('lets the account log in once its link is used, with email_verified in the access token', async () => {
    const { email, password } = await newUser();
    const token = tokenIn(mailsTo(email)[0]!, LINK_PARAMETERS.emailVerification);

    expect((await api('POST', '/verify-email', { body: { token } })).status).toBe(200);

    expect(decodeJwt((await login(api, email, password)).accessToken).email_verified).toBe(true);
  });

  it('lets the demo accounts log in: they are verified', async () => {
    expect(decodeJwt((await login(api, ADMIN.email, ADMIN.password)).accessToken)).toMatchObject({ role: 'admin', email_verified: true });
  });
});

describe('expired links', () => {
  it('refuses a verification link after its lifetime with 401, and the account stays unverified', async () => {
    const { email, password } = await newUser();
    const token = tokenIn(mailsTo(email)[0]!, LINK_PARAMETERS.emailVerification);
    await sleep(VERIFICATION_EXPIRED_AFTER_MS);

    const response = await api('POST', '/verify-email', { body: { token } });

    expect([response.status, response.json.error]).toEqual([401, 'invalid_token']);
    expect((await signIn(email, password)).status).toBe(403);
  });

  it('refuses a reset link after its lifetime with 401, and the old password still works', async () => {
    const { email, password } = await newUser();
    expect((await api('POST', '/password/forgot', { body: { email } })).status).toBe(202);
    const token = tokenIn(mailsTo(email).find((m) => m.text.includes(LINK_PARAMETERS.passwordReset))!, LINK_PARAMETERS.passwordReset);
    await sleep(RESET_EXPIRED_AFTER_MS);

    const response = await api('POST', '/password/reset', { body: { token, newPassword: strongPassword('too-late') } });

    expect([response.status, response.json.error]).toEqual([401, 'invalid_token']);
    // Unchanged: the right old password still gets as far as the verification check.
    expect((await signIn(email, password)).status).toBe(403);
  });
});
