import { httpHandler, jsonResponse } from '../edge/http';

/** `GET /`: liveness. Touches nothing, so it answers even when DynamoDB is down. */
export const handler = httpHandler(async () => jsonResponse(200, { name: 'wristband', status: 'ok' }));
