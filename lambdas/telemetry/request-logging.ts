/**
 * Per-request log keys for the HTTP handlers: the Lambda context (request
 * id, function, cold start), the API Gateway request id, and a correlation
 * id; plus a fresh debug-sampling decision per invocation.
 *
 * The correlation id is the caller's `X-Correlation-Id` header when it is a
 * plain token (letters, digits, `._:-`, at most 128 characters), so a
 * service calling wristband can follow its own id through our logs;
 * otherwise API Gateway's request id. `apiRequestId` always carries API
 * Gateway's id as well, which is what the access logs hold: a client
 * choosing its correlation id cannot hide a request from that join.
 * (Browsers cannot send the header cross-origin: CORS allows only
 * Authorization and Content-Type.)
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { logger } from './logger';

export const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function header(event: APIGatewayProxyEvent | undefined, wanted: string): string | undefined {
  const headers = event?.headers;
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === wanted && typeof value === 'string') return value;
  }
  return undefined;
}

/** The correlation id for a request: a well-formed `X-Correlation-Id`, else API Gateway's request id. */
export function correlationIdOf(event: APIGatewayProxyEvent | undefined): string | undefined {
  const incoming = header(event, CORRELATION_HEADER)?.trim();
  if (incoming && CORRELATION_ID.test(incoming)) return incoming;
  const requestId = (event?.requestContext as { requestId?: unknown } | undefined)?.requestId;
  return typeof requestId === 'string' ? requestId : undefined;
}

/** Resets the request-scoped log keys and sets this request's. Call first thing in every invocation. */
export function startRequestLog(event: APIGatewayProxyEvent | undefined, context: Context | undefined): void {
  logger.resetKeys();
  // POWERTOOLS_LOGGER_SAMPLE_RATE: a new draw per warm invocation, not one per container for its whole life.
  logger.refreshSampleRateCalculation();
  if (context) logger.addContext(context);
  const requestId = (event?.requestContext as { requestId?: unknown } | undefined)?.requestId;
  const correlationId = correlationIdOf(event);
  logger.appendKeys({
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(typeof requestId === 'string' ? { apiRequestId: requestId } : {}),
  });
  // The route, never the path: paths carry user ids, and nothing here needs them.
  logger.debug('request', { method: event?.httpMethod, resource: event?.resource });
}
