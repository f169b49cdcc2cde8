/** The client's size budget (docs/performance.md, "The client"): under 4 KB minified + gzipped. */
import { clientSize } from '../../client/bundle';

it('wristband/client stays under 4 KB minified + gzipped', async () => {
  const { gzipped } = await clientSize();
  expect(gzipped).toBeLessThan(4096);
});
