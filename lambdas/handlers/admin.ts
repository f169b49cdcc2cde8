import { adminOf, httpHandler, jsonResponse } from '../shared/http';

/** `GET /api/admin`: proof that the caller is an admin. */
export const handler = httpHandler(async (request) => {
  const { sub, role } = adminOf(request.event);
  return jsonResponse(200, { message: 'Admin dashboard', user: { id: sub, role } });
});
