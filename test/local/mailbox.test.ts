/**
 * The local mailbox (local/mailbox.ts) over real HTTP: GET /_local/outbox lists the newest mails of the
 * local stack's outbox with their links, for this machine only, and is no part of the API.
 */
import { LOCAL_MAILBOX_LIMIT, LOCAL_MAILBOX_PATH, isLoopbackAddress, namesLoopbackHost } from '../../local/mailbox';
import { FORGOT_PASSWORD_ANSWER } from '../../lambdas/contract/recovery-answers';
import { LINK_PARAMETERS } from '../../lambdas/contract/settings';
import { strongPassword, startTestStack, uniqueEmail, type RunningStack } from '../support/local-stack';
import { outbox } from '../support/outbox';
import { rawRequest } from '../support/raw-request';

interface MailboxMail {
  to: string;
  from: string;
  subject: string;
  date: string;
  text: string;
  links: string[];
}

let running: RunningStack;

beforeAll(async () => {
  running = await startTestStack();
});

afterAll(async () => {
  await running.stack.stop();
});

const mailbox = async (): Promise<MailboxMail[]> => {
  const response = await fetch(`${running.stack.url}${LOCAL_MAILBOX_PATH}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { mails: MailboxMail[] }).mails;
};

async function register(email: string): Promise<void> {
  expect((await running.api('POST', '/register', { body: { email, password: strongPassword() } })).status).toBe(201);
}

it('lists a reset mail, newest first, with its recipient, subject, date, text and the link that opens the page', async () => {
  const email = uniqueEmail('mailbox');
  await register(email);
  const forgot = await running.api('POST', '/password/forgot', { body: { email } });
  expect([forgot.status, forgot.json.message]).toEqual([202, FORGOT_PASSWORD_ANSWER.message]);

  const response = await fetch(`${running.stack.url}${LOCAL_MAILBOX_PATH}`);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('access-control-allow-origin')).toBeNull(); // another site's page cannot read it
  const [newest, previous] = ((await response.json()) as { mails: MailboxMail[] }).mails;

  const eml = outbox(running.dataDir, email).at(-1)!;
  expect(newest).toMatchObject({ to: email, from: eml.from, subject: eml.subject, text: eml.text });
  expect(newest!.date).toBe(new Date(/^Date: (.*)$/m.exec(eml.raw)![1]!).toISOString());
  expect(newest!.links).toHaveLength(1);
  expect(newest!.links[0]).toMatch(new RegExp(`^${running.stack.url}/demo/#${LINK_PARAMETERS.passwordReset}=[A-Za-z0-9_-]{43,}$`));
  expect(eml.text).toContain(newest!.links[0]);
  // The verification mail of the registration came first.
  expect(previous).toMatchObject({ to: email });
  expect(previous!.links[0]).toContain(`#${LINK_PARAMETERS.emailVerification}=`);
});

it(`lists only the newest ${LOCAL_MAILBOX_LIMIT} mails, whatever the outbox holds`, async () => {
  const emails = Array.from({ length: LOCAL_MAILBOX_LIMIT + 2 }, (_, i) => uniqueEmail(`mailbox-limit-${i}`));
  for (const email of emails) await register(email);
  const mails = await mailbox();
  expect(mails.map((m) => m.to)).toEqual(emails.slice(-LOCAL_MAILBOX_LIMIT).reverse());
});

it('is no part of the API: absent from /openapi.json, and 404 for every method but GET and every other /_local/ path', async () => {
  const openapi = (await running.api('GET', '/openapi.json')).json as { paths: Record<string, unknown> };
  expect(Object.keys(openapi.paths).length).toBeGreaterThan(0);
  expect(Object.keys(openapi.paths).filter((path) => path.startsWith('/_local'))).toEqual([]);

  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']) {
    const response = await fetch(`${running.stack.url}${LOCAL_MAILBOX_PATH}`, { method });
    expect([method, response.status]).toEqual([method, 404]);
  }
  for (const path of ['/_local', '/_local/', '/_local/outbox/', '/_local/outbox/x.eml', '/_local/keys']) {
    const response = await fetch(`${running.stack.url}${path}`);
    expect([path, response.status, await response.json()]).toEqual([path, 404, { error: 'not_found', message: 'Not found.' }]);
  }
});

it('answers 404 to a request that names another host (a DNS-rebinding page), and only loopback peers are let in', async () => {
  const url = running.stack.url;
  const port = new URL(url).port;
  for (const host of [`attacker.example:${port}`, `192.0.2.1:${port}`, `localhost.attacker.example:${port}`]) {
    const response = await rawRequest(url, 'GET', LOCAL_MAILBOX_PATH, [['Host', host]]);
    expect([host, response.status]).toEqual([host, 404]);
    expect(response.text).not.toContain('token');
  }
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `app.localhost:${port}`]) {
    expect([host, (await rawRequest(url, 'GET', LOCAL_MAILBOX_PATH, [['Host', host]])).status]).toEqual([host, 200]);
  }
  // The peer check: with HOST=0.0.0.0 another machine's address is refused.
  expect(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'].map(isLoopbackAddress)).toEqual([true, true, true, true]);
  expect(['192.0.2.7', '::ffff:192.0.2.7', '10.0.0.1', 'fe80::1', '', undefined].map(isLoopbackAddress)).toEqual([false, false, false, false, false, false]);
  expect(namesLoopbackHost(undefined)).toBe(false);
});
