/**
 * The deployed mail path against moto's SES v2 (and moto's DynamoDB): the
 * forgot-password handler, wired from its environment exactly as in Lambda,
 * sends the reset mail with `SendEmail` from the configured sender once that
 * identity is verified; an unverified sender is refused by SES, and the
 * route still answers the same 202.
 */
import { CreateEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { FORGOT_PASSWORD_ANSWER, LINK_PARAMETERS } from '../../lambdas/domain/recovery';
import { Users } from '../../lambdas/domain/users';
import { createDb } from '../../lambdas/edge/dynamo';
import { ensureTable } from '../../local/table';
import { motoEndpoint, REGION, TEST_CREDENTIALS } from './support';

const MAIL_FROM = `no-reply@${randomUUID().slice(0, 8)}.mail.example.com`;
const APP_URL = 'https://app.example.com/account';

interface MotoMessage {
  readonly source: string;
  readonly destinations: { readonly ToAddresses: string[] };
  readonly subject: string;
  /** moto keeps one body: the HTML one when there is one. */
  readonly body: string;
}

async function sentMessages(): Promise<MotoMessage[]> {
  const data = (await (await fetch(`${motoEndpoint()}/moto-api/data.json`)).json()) as { ses?: { Message?: MotoMessage[] } };
  return data.ses?.Message ?? [];
}

function forgotEvent(email: string): APIGatewayProxyEvent {
  return {
    resource: '/password/forgot',
    path: '/password/forgot',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: { 'Content-Type': ['application/json'] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: JSON.stringify({ email }),
    isBase64Encoded: false,
    requestContext: { requestId: randomUUID(), identity: { sourceIp: '127.0.0.1' } } as APIGatewayProxyEvent['requestContext'],
  };
}

let handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
let users: Users;
const ses = () => new SESv2Client({ region: REGION, endpoint: motoEndpoint(), credentials: TEST_CREDENTIALS });

beforeAll(async () => {
  const tableName = `wristband-ses-${randomUUID()}`;
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: motoEndpoint(),
    SES_ENDPOINT: motoEndpoint(),
    MAIL_FROM,
    APP_URL,
    PUBLIC_KEYS_PARAMETER: '/wristband/unused',
  });
  const db = createDb({ tableName, endpoint: motoEndpoint(), region: REGION });
  await ensureTable(db);
  users = new Users(db);
  ({ handler } = (await import('../../lambdas/handlers/forgot-password')) as unknown as { handler: typeof handler });
});

async function newAccount(): Promise<string> {
  const email = `user-${randomUUID().slice(0, 8)}@example.com`;
  await users.create({ email, role: 'user', passwordHash: '$2a$04$notarealhashnotarealhashnotarealhashnotarealhash12' }, new Date().toISOString());
  return email;
}

it('answers 202 and sends nothing while the sender identity is not verified (SES refuses it)', async () => {
  const email = await newAccount();

  const response = await handler(forgotEvent(email));

  expect([response.statusCode, JSON.parse(response.body)]).toEqual([202, FORGOT_PASSWORD_ANSWER]);
  expect((await sentMessages()).filter((m) => m.destinations.ToAddresses.includes(email))).toEqual([]);
});

it('sends the reset mail through SES v2 from mailFrom once its domain is verified, with the link to appUrl', async () => {
  await ses().send(new CreateEmailIdentityCommand({ EmailIdentity: MAIL_FROM.slice(MAIL_FROM.indexOf('@') + 1) }));
  const email = await newAccount();

  const response = await handler(forgotEvent(email));

  expect(response.statusCode).toBe(202);
  const mails = (await sentMessages()).filter((m) => m.destinations.ToAddresses.includes(email));
  expect(mails).toHaveLength(1);
  const [mail] = mails;
  expect([mail!.source, mail!.subject]).toEqual([MAIL_FROM, 'Reset your password']);
  expect(mail!.body).toMatch(new RegExp(`href="${APP_URL}#${LINK_PARAMETERS.passwordReset}=[A-Za-z0-9_-]{43}"`));
});
