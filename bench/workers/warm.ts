/**
 * Child process: one authorizer bundle, warm. Checks that it decides the
 * known tokens right, warms it up on tokens it will not see again, then
 * times (1) a run of all-distinct tokens and (2) the realistic shuffled
 * traffic, each decision awaited in turn as Lambda invokes them.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { report, type WarmJob, type WarmResult } from './protocol';

type Handler = (event: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

const job = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as WarmJob;
const { handler } = (await import(pathToFileURL(process.argv[3] as string).href)) as { handler: Handler };

const eventOf = (token: string): APIGatewayTokenAuthorizerEvent => ({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: job.methodArn });
/** Events as the Lambda runtime hands them over: parsed from JSON, so every request brings its own strings. */
const events = (tokens: readonly string[]): APIGatewayTokenAuthorizerEvent[] => JSON.parse(JSON.stringify(tokens.map(eventOf)));

const disagreements: string[] = [];
for (const check of job.checks) {
  const allowed = await handler(eventOf(check.token)).then(
    (result) => result.policyDocument.Statement.some((s) => s.Effect === 'Allow'),
    () => false,
  );
  if (allowed !== check.allow) disagreements.push(check.name);
}

for (const event of events(job.warmup)) await handler(event);

/** Mean wall time and mean CPU time (this process, all threads) per decision, in µs. */
async function meanMicros(batch: APIGatewayTokenAuthorizerEvent[]): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (const event of batch) await handler(event);
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wall: (wall * 1000) / batch.length, cpu: (used.user + used.system) / batch.length };
}

const distinct = await meanMicros(events(job.distinct));
const realistic = await meanMicros(events(job.realistic.order.map((i) => job.realistic.tokens[i] as string)));

const result: WarmResult = {
  disagreements,
  distinctMeanUs: distinct.wall,
  distinctCpuUs: distinct.cpu,
  realisticMeanUs: realistic.wall,
  realisticCpuUs: realistic.cpu,
};
report(result);
process.exit(0);
