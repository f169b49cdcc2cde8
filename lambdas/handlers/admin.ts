import { callerOf, httpHandler, jsonResponse } from '../shared/http';

/** `GET /api/admin`: proof that the caller is an admin (the authorizer already made sure). */
export const handler = httpHandler(async (request) => {
  const { sub, role } = callerOf(request.event);
  return jsonResponse(200, { message: 'Admin dashboard', user: { id: sub, role } });
});
