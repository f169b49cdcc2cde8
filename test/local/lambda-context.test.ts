/**
 * The local gateway's Lambda context counts down from the function's own
 * configured timeout, as Lambda does: handlers plan their 503 deadline from
 * it (lambdas/edge/http.ts), so a context that claimed 30 s for a 5 s
 * function would hide a function running into its timeout.
 */
import { FUNCTION_SPECS } from '../../lib/function-specs';
import type { FunctionName } from '../../lambdas/contract/routes';
import { lambdaContext } from '../../local/events';

it.each(Object.keys(FUNCTION_SPECS) as FunctionName[])('%s gets its configured timeout', (name) => {
  const remaining = lambdaContext(name, 'r').getRemainingTimeInMillis();
  const timeoutMs = FUNCTION_SPECS[name].timeoutSeconds * 1000;
  expect(remaining).toBeLessThanOrEqual(timeoutMs);
  expect(remaining).toBeGreaterThan(timeoutMs - 1000);
});
