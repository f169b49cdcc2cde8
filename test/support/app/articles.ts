/** A team's own handler, as the README's "Protect your own API" writes one: protectedHandler and nothing else. */
import { protectedHandler } from '../../../lambdas/protect';

export const handler = protectedHandler(async (event, caller) => ({ route: `${event.httpMethod} ${event.resource}`, caller: { sub: caller.sub, role: caller.role } }));
