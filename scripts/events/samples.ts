/**
 * The sample events under events/, built from the route table with the
 * local gateway's own event builders, so they are exactly what `npm start`
 * hands each function for these requests and can never drift from the
 * routes. `npm run events` writes them; a test checks the checked-in files
 * against this module.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { authorizerContextOf, LOCAL_API_STAGE, methodArnOf, proxyEvent, tokenAuthorizerEvent } from '../../local/events';
import { DEMO_ACCOUNTS } from '../../local/stack';
import { policyFor } from '../../lambdas/authorizer/policy';
import type { RotationEvent } from '../../lambdas/keys/rotation';
import { ROUTES, SYSTEM_FUNCTIONS, type FunctionName, type Role, type RouteHandlerName } from '../../lambdas/contract/routes';
import { TOKEN_IDENTITY } from '../../lambdas/contract/settings';
import { placeholder } from './placeholders';

/** Who a sample acts as: an account of the local stack, by email. */
interface Account {
  readonly email: string;
  readonly role: Role;
}

function demoAccount(role: Role): Account {
  const account = DEMO_ACCOUNTS.find((a) => a.role === role);
  if (!account) throw new Error(`the local stack has no demo account with role ${role}`);
  return { email: account.email, role };
}

export const ALICE = demoAccount('user');
export const ADMIN = demoAccount('admin');

/** The account register.json creates and delete-user.json deletes, so that the pair can run again and again. */
export const NEW_USER = { email: 'new-user@example.com', password: 'a long passphrase of my own', name: 'New User' } as const;
const NEW_USER_CALLER: Account = { email: NEW_USER.email, role: 'user' };

/**
 * The signing key secret, as the rotation sample names it and as
 * `npm run invoke` resolves the template's reference to it (off AWS there is
 * no real ARN). A real rotation event carries the secret's full ARN.
 */
export const SAMPLE_SIGNING_KEY_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:wristband-signing-key-a1b2c3';

/** When the sample requests were "made": fixed, so the files stay the same. */
const SAMPLE_TIME_MS = Date.UTC(2025, 0, 1);
/**
 * The `exp` in the samples' authorizer context (2100-01-01): protected
 * handlers refuse an `exp` in the past, and a checked-in event must keep
 * working.
 */
export const SAMPLE_CONTEXT_EXP = Date.UTC(2100, 0, 1) / 1000;

/** A fixed, well-formed UUID derived from `seed`: request ids and jtis that do not change between runs. */
function sampleUuid(seed: string): string {
  const hex = createHash('sha256').update(`wristband sample ${seed}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface SampleRequest {
  readonly caller?: Account;
  /** Concrete values for the route's `{name}` parameters. */
  readonly pathParameters?: Record<string, string>;
  readonly query?: readonly (readonly [string, string])[];
  /** A JSON body. */
  readonly body?: unknown;
}

/** One sample request per route: every route handler must have one (the type says so). */
const ROUTE_SAMPLES: Record<RouteHandlerName, SampleRequest> = {
  root: {},
  register: { body: NEW_USER },
  login: { body: { email: ALICE.email, password: DEMO_ACCOUNTS.find((a) => a.email === ALICE.email)!.password } },
  refresh: { body: { refreshToken: placeholder('refresh-token', ALICE.email) } },
  logout: { body: { refreshToken: placeholder('refresh-token', ALICE.email) } },
  jwks: {},
  'forgot-password': { body: { email: ALICE.email } },
  // A well-formed token no mail carried: the answer is the 401 a used or expired link gets. Real tokens are in the outbox.
  'reset-password': { body: { token: 'sample-reset-token-from-a-mail-link-0000000', newPassword: 'a new passphrase of my own' } },
  'verify-email': { body: { token: 'sample-verify-token-from-a-mail-link-000000' } },
  'resend-verification': { body: { email: ALICE.email } },
  'openid-configuration': {},
  openapi: {},
  profile: { caller: ALICE },
  'create-order': { caller: ALICE, body: { items: [{ sku: 'tee-black-m', quantity: 2 }] } },
  'list-orders': { caller: ALICE, query: [['limit', '10']] },
  // The new password may equal the old one: the sample changes nothing but signs new-user out of its other sessions.
  'change-password': { caller: NEW_USER_CALLER, body: { currentPassword: NEW_USER.password, newPassword: NEW_USER.password } },
  'list-sessions': { caller: ALICE },
  'revoke-session': { caller: ALICE, pathParameters: { id: '00000000-0000-4000-8000-000000000000' } },
  'revoke-all-sessions': { caller: NEW_USER_CALLER },
  'delete-profile': { caller: NEW_USER_CALLER, body: { password: NEW_USER.password } },
  admin: { caller: ADMIN },
  'list-users': { caller: ADMIN, query: [['limit', '10']] },
  'set-user-role': { caller: ADMIN, pathParameters: { id: placeholder('user-id', ALICE.email) }, body: { role: 'user' } },
  'delete-user': { caller: ADMIN, pathParameters: { id: placeholder('user-id', NEW_USER.email) } },
  'revoke-user-sessions': { caller: ADMIN, pathParameters: { id: placeholder('user-id', ALICE.email) } },
  // A challenge comes from a POST /login of an account with TOTP; this one names none (401 invalid_token).
  'login-mfa': { body: { challenge: 'A'.repeat(43), code: '123456' } },
  // Stores a pending secret only: nothing changes for alice's sign-in until it is confirmed.
  'mfa-totp-enrol': { caller: ALICE },
  'mfa-totp-confirm': { caller: ALICE, body: { code: '123456' } },
  'mfa-totp-disable': { caller: ALICE, body: { password: DEMO_ACCOUNTS.find((a) => a.email === ALICE.email)!.password, code: '123456' } },
};

export interface SampleEvent {
  /** File name under events/. */
  readonly file: string;
  readonly function: FunctionName;
  /** One line for events/README.md. */
  readonly summary: string;
  readonly event: unknown;
}

function routeEvent(route: (typeof ROUTES)[number], sample: SampleRequest): APIGatewayProxyEvent {
  const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = sample.pathParameters?.[name];
    if (value === undefined) throw new Error(`sample for ${route.handler} has no value for {${name}}`);
    return value;
  });
  const headers: [string, string][] = [
    ['Host', 'localhost:3000'],
    ['User-Agent', 'curl/8.5.0'],
    ['Accept', 'application/json'],
  ];
  let authorizer;
  if (sample.caller) {
    headers.push(['Authorization', `Bearer ${placeholder('access-token', sample.caller.email)}`]);
    const sub = placeholder('user-id', sample.caller.email);
    const claims = {
      sub,
      role: sample.caller.role,
      jti: sampleUuid(`${route.handler} jti`),
      iat: SAMPLE_TIME_MS / 1000,
      exp: SAMPLE_CONTEXT_EXP,
      iss: TOKEN_IDENTITY.issuer.default,
      aud: TOKEN_IDENTITY.audience.default,
    };
    authorizer = authorizerContextOf(policyFor(claims, methodArnOf(LOCAL_API_STAGE, route.method, path)));
  }
  if (sample.body !== undefined) headers.push(['Content-Type', 'application/json']);
  return proxyEvent(LOCAL_API_STAGE, {
    route,
    path,
    pathParameters: sample.pathParameters ?? {},
    headers,
    query: sample.query ?? [],
    body: sample.body === undefined ? null : JSON.stringify(sample.body),
    requestId: sampleUuid(route.handler),
    requestTimeEpoch: SAMPLE_TIME_MS,
    sourceIp: '127.0.0.1',
    userAgent: 'curl/8.5.0',
    protocol: 'HTTP/1.1',
    authorizer,
  });
}

function authorizerEvent(account: Account, method: string, path: string) {
  return tokenAuthorizerEvent(`Bearer ${placeholder('access-token', account.email)}`, methodArnOf(LOCAL_API_STAGE, method, path));
}

const rotationEvent: RotationEvent = {
  SecretId: SAMPLE_SIGNING_KEY_SECRET_ARN,
  ClientRequestToken: sampleUuid('rotate-keys'),
  Step: 'createSecret',
};

/** Every sample event, in the order a walkthrough would run them (register before delete-user). */
export function sampleEvents(): SampleEvent[] {
  const samples: SampleEvent[] = ROUTES.map((route) => {
    const sample = ROUTE_SAMPLES[route.handler];
    const as = sample.caller ? ` as ${sample.caller.email}` : '';
    return {
      file: `${route.handler}.json`,
      function: route.handler,
      summary: `\`${route.method} ${route.path}\`${as}`,
      event: routeEvent(route, sample),
    };
  });
  const system: Record<(typeof SYSTEM_FUNCTIONS)[number], SampleEvent[]> = {
    authorizer: [
      {
        file: 'authorizer.json',
        function: 'authorizer',
        summary: `TOKEN authorizer: ${ALICE.email}'s access token, for \`GET /api/profile\``,
        event: authorizerEvent(ALICE, 'GET', '/api/profile'),
      },
      {
        file: 'authorizer-admin.json',
        function: 'authorizer',
        summary: `TOKEN authorizer: ${ADMIN.email}'s access token, for \`GET /api/admin\``,
        event: authorizerEvent(ADMIN, 'GET', '/api/admin'),
      },
    ],
    'rotate-keys': [
      {
        file: 'rotate-keys.json',
        function: 'rotate-keys',
        summary: 'Secrets Manager rotation, step `createSecret`, of the signing key secret',
        event: rotationEvent,
      },
    ],
  };
  return [...samples, ...SYSTEM_FUNCTIONS.flatMap((name) => system[name])];
}

/** The sample event a function gets when `npm run invoke` is given none: `events/<function>.json`. */
export function defaultSampleFile(name: FunctionName): string {
  return `${name}.json`;
}

/** events/README.md, generated with the events so that it lists exactly what is there. */
export function eventsReadme(samples: readonly SampleEvent[]): string {
  return `# Sample events

Generated by \`npm run events\` from the route table (\`lambdas/contract/routes.ts\`)
with the local gateway's own event builders (\`local/events.ts\`): each file is
what \`npm start\` would hand that function for the request. Do not edit them by
hand; a test fails when they differ from what the generator writes.

| file | function | event |
|---|---|---|
${samples.map((s) => `| \`${s.file}\` | \`${s.function}\` | ${s.summary} |`).join('\n')}

## Placeholders

A user's id is random per \`DATA_DIR\`, and tokens are signed with that local
stack's keys, so the events carry placeholders instead:

- \`{{user-id:<email>}}\`: the id of that account;
- \`{{access-token:<email>}}\`: a fresh access token for it;
- \`{{refresh-token:<email>}}\`: a fresh refresh token for it (a new session).

\`npm run invoke\` fills them in from the local stack running under the same
\`DATA_DIR\` (\`npm start\` in another terminal). Without one, or under
\`sam local invoke\`, they reach the function as they are, and it answers as
the contract says for an unknown user (\`404\`) or an invalid token (\`401\`).

The authorizer context of the protected-route events carries
\`exp\` ${SAMPLE_CONTEXT_EXP} (2100-01-01), so that handlers never refuse it as expired.
\`register.json\` creates \`${NEW_USER.email}\` and \`delete-user.json\` deletes it
again (\`404\` when it does not exist); \`set-user-role.json\` sets
${ALICE.email}'s role to \`user\`, which changes nothing. \`revoke-user-sessions.json\`
signs ${ALICE.email} out everywhere; \`revoke-session.json\` names a session
nobody has (\`404\`); \`change-password.json\` and \`revoke-all-sessions.json\` act on
${NEW_USER.email}, and \`delete-profile.json\` deletes it (\`404\` when
\`delete-user.json\` already did). \`rotate-keys.json\`
names the secret \`${SAMPLE_SIGNING_KEY_SECRET_ARN}\`, which is what
\`npm run invoke\` sets \`SIGNING_KEY_SECRET_ID\` to off AWS; rotation talks to
Secrets Manager and SSM only (the local stack keeps its keys in files).
`;
}
