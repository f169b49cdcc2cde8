/**
 * Child process: login at one bcrypt cost (BCRYPT_COST in the environment,
 * read by the bundled handlers at import, as in Lambda). Registers a user
 * through the bundled register handler, warms login up, then alternates
 * timed logins (the bundled login handler against the local DynamoDB
 * emulator) with timed bare bcrypt compares at the same cost.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import bcrypt from 'bcryptjs';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { report, type LoginJob, type LoginResult } from './protocol';

type Handler = (event: APIGatewayProxyEvent, context: unknown) => Promise<APIGatewayProxyResult>;

const job = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as LoginJob;
const { handler: register } = (await import(pathToFileURL(job.registerBundle).href)) as { handler: Handler };
const { handler: login } = (await import(pathToFileURL(job.loginBundle).href)) as { handler: Handler };

const email = `bench-${job.cost}-${process.pid}@example.com`;
const password = 'bench passphrase, long enough and not breached';

let requests = 0;
function post(path: string, body: object): [APIGatewayProxyEvent, unknown] {
  const requestId = `bench-${++requests}`;
  const event = {
    resource: path,
    path,
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    isBase64Encoded: false,
    requestContext: { requestId, authorizer: null },
    body: JSON.stringify(body),
  } as unknown as APIGatewayProxyEvent;
  const context = { functionName: path.slice(1), awsRequestId: requestId, getRemainingTimeInMillis: () => 10_000 };
  return [event, context];
}

/** CPU time of this process during the last expectStatus (user + system, ms): the handler's own work, not its waits. */
let lastCpuMs = 0;

async function expectStatus(handler: Handler, path: string, body: object, status: number): Promise<number> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const response = await handler(...post(path, body));
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  lastCpuMs = (used.user + used.system) / 1000;
  if (response.statusCode !== status) throw new Error(`${path} answered ${response.statusCode}, not ${status}: ${response.body}`);
  return ms;
}

await expectStatus(register, '/register', { email, password }, 201);
for (let i = 0; i < job.warmups; i++) await expectStatus(login, '/login', { email, password }, 200);

const hash = await bcrypt.hash(password, job.cost);
if (!(await bcrypt.compare(password, hash))) throw new Error('bcrypt does not match its own hash');
const compare = async () => {
  const start = performance.now();
  await bcrypt.compare(password, hash);
  return performance.now() - start;
};

const handlerMs: number[] = [];
const handlerCpuMs: number[] = [];
const bcryptMs: number[] = [];
for (let i = 0; i < job.pairs; i++) {
  // Alternate which goes first, so that neither always follows the other's garbage.
  if (i % 2 === 0) {
    handlerMs.push(await expectStatus(login, '/login', { email, password }, 200));
    handlerCpuMs.push(lastCpuMs);
    bcryptMs.push(await compare());
  } else {
    bcryptMs.push(await compare());
    handlerMs.push(await expectStatus(login, '/login', { email, password }, 200));
    handlerCpuMs.push(lastCpuMs);
  }
}

const result: LoginResult = { handlerMs, handlerCpuMs, bcryptMs };
report(result);
process.exit(0);
