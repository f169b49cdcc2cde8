/**
 * AWS X-Ray tracing (AWS Lambda Powertools Tracer). The stack turns on
 * active tracing for every function and the API stage; this module adds
 * what the Lambda runtime cannot see by itself:
 *
 * - a `## handler` subsegment per invocation, annotated with ColdStart and
 *   Service; the response is never recorded (tracers record it by default,
 *   and ours carry tokens, keys and personal data);
 * - DynamoDB calls as `DynamoDB` subsegments (the SDK client, captured);
 * - Secrets Manager and SSM calls, which go through our own SigV4 client
 *   instead of the SDK, as manual `Secrets Manager` / `SSM` subsegments.
 *
 * The tracer is off outside Lambda (no AWS_EXECUTION_ENV): the local stack
 * and the tests record nothing, and every helper here passes straight
 * through. The authorizer does not use this module (Tracer would more than
 * double its bundle); see docs/operations.md.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Tracer } from '@aws-lambda-powertools/tracer';

export const tracer = new Tracer({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'wristband',
  // Every outbound call is an AWS call, traced below by service and operation; a second, host-named subsegment per call is noise.
  captureHTTPsRequests: false,
});

type Segment = NonNullable<ReturnType<Tracer['getSegment']>>;

/** The part of Tracer these helpers use, so tests can hand in a recording fake. */
export type TracerLike = Pick<
  Tracer,
  'isTracingEnabled' | 'getSegment' | 'setSegment' | 'annotateColdStart' | 'addServiceNameAnnotation' | 'addErrorAsMetadata'
>;

/**
 * Wraps a Lambda handler in a `## <handler>` subsegment. Errors are recorded
 * (name and message); responses never are.
 */
export function tracedHandler<A extends unknown[], R>(fn: (...args: A) => Promise<R>, t: TracerLike = tracer): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    const parent = t.isTracingEnabled() ? t.getSegment() : undefined;
    if (!parent) return fn(...args);
    const subsegment = parent.addNewSubsegment(`## ${process.env._HANDLER || 'handler'}`);
    t.setSegment(subsegment);
    try {
      t.annotateColdStart();
      t.addServiceNameAnnotation();
      return await fn(...args);
    } catch (error) {
      t.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      subsegment.close();
      t.setSegment(parent);
    }
  };
}

/**
 * Runs one AWS call in a subsegment named after the service, with the
 * `aws` namespace and operation X-Ray's service map expects (the SDK's own
 * instrumentation does the same). Nothing of the request or the answer is
 * recorded: they hold keys.
 */
export async function awsSubsegment<T>(
  service: string,
  operation: string,
  region: string,
  call: () => Promise<T>,
  t: TracerLike = tracer,
): Promise<T> {
  const parent = t.isTracingEnabled() ? t.getSegment() : undefined;
  if (!parent) return call();
  const subsegment = parent.addNewSubsegment(service);
  subsegment.addAttribute('namespace', 'aws');
  subsegment.addAttribute('aws', { operation, region });
  try {
    return await call();
  } catch (error) {
    markFailure(subsegment, error);
    throw error;
  } finally {
    subsegment.close();
  }
}

const THROTTLING = /Throttl|TooManyRequests|RequestLimitExceeded/;

/** X-Ray's flags: throttle (429 or a throttling error) and error for client errors, fault (with the exception) otherwise. */
function markFailure(subsegment: Segment, error: unknown): void {
  const { status, name } = (error ?? {}) as { status?: unknown; name?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    subsegment.addErrorFlag();
    if (status === 429 || (typeof name === 'string' && THROTTLING.test(name))) subsegment.addThrottleFlag();
    return;
  }
  subsegment.addError(error instanceof Error ? error : String(error), true);
}

/** Captures an SDK v3 DynamoDB client: each call becomes a `DynamoDB` subsegment (table name and operation only, never keys or items). */
export function traceDynamoDb<C extends DynamoDBClient>(client: C, t: Pick<Tracer, 'captureAWSv3Client'> = tracer): C {
  return t.captureAWSv3Client(client);
}
