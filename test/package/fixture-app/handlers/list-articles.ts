import { protectedHandler } from 'wristband/handler';

/** GET /api/articles: any signed-in caller. */
export const handler = protectedHandler(async (_event, caller) => ({ articles: [{ id: 'a1', title: 'Hello' }], caller: { sub: caller.sub, role: caller.role } }));
