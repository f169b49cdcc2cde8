import { httpHandler, jsonResponse } from '../edge/http';
import { openApiDocument } from '../contract/openapi';

const document = openApiDocument();

/** `GET /openapi.json`: the OpenAPI 3.1 document of this API (docs/openapi.json is the same, checked in). */
export const handler = httpHandler(async () => jsonResponse(200, document));
