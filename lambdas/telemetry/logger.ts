/**
 * The one structured logger (AWS Lambda Powertools). JSON lines with the
 * Lambda request id and the API Gateway request id as correlation id.
 * Nothing secret is ever passed to it: callers log reasons and ids, never
 * passwords, hashes, tokens or keys.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wristband' });
