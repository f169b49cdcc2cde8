/**
 * Nothing is lost across a stop and a start on the same DATA_DIR: users,
 * orders, sessions, and the signing keys (tokens issued before the restart
 * still verify after it).
 */
import { ALICE, login, startTestStack, strongPassword, uniqueEmail } from '../support/local-stack';

it('keeps users, orders, refresh tokens and signing keys across a restart', async () => {
  const first = await startTestStack();
  expect(first.stack.seeded).toEqual(['alice@example.com', 'admin@example.com']);
  const email = uniqueEmail();
  const password = strongPassword();
  expect((await first.api('POST', '/register', { body: { email, password } })).status).toBe(201);
  const session = await login(first.api, email, password);
  const order = await first.api('POST', '/api/orders', { token: session.accessToken, body: { items: [{ sku: 'kept', quantity: 1 }] } });
  expect(order.status).toBe(201);
  const jwks = (await first.api('GET', '/.well-known/jwks.json')).json;
  await first.stack.stop();

  // A fresh module registry, as a new process would have.
  jest.resetModules();
  const second = await startTestStack({}, first.dataDir);
  try {
    expect(second.stack.seeded).toEqual([]);
    expect((await second.api('GET', '/.well-known/jwks.json')).json).toEqual(jwks);
    // The access token from before the restart verifies.
    const orders = await second.api('GET', '/api/orders', { token: session.accessToken });
    expect(orders.status).toBe(200);
    expect(orders.json.orders.map((o: { id: string }) => o.id)).toEqual([order.json.order.id]);
    // The refresh token from before the restart still rotates.
    expect((await second.api('POST', '/refresh', { body: { refreshToken: session.refreshToken } })).status).toBe(200);
    // The demo accounts were not recreated or changed.
    await login(second.api, ALICE.email, ALICE.password);
  } finally {
    await second.stack.stop();
  }
});
