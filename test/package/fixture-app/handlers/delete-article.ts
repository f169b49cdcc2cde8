import { noContent, protectedHandler } from 'wristband/handler';

/** DELETE /api/articles/{id}: editors and admins (the route says so; protectedHandler checks it again behind a cached Allow). */
export const handler = protectedHandler(async () => noContent());
