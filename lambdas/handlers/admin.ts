import { protectedHandler } from '../protect';

/** `GET /api/admin`: proof that the caller has a user-manager role (the route's roles, checked by protectedHandler). */
export const handler = protectedHandler(async (_event, { sub, role }) => ({ message: 'Admin dashboard', user: { id: sub, role } }));
