// For Stryker runs only (stryker.config.mjs: setupFilesAfterEnv), so that machine load is never mistaken for a killed
// mutant or fails the initial run. Under Stryker the instrumented code, the tests and dynalite share one process, and
// on a busy machine a burst of 40 DynamoDB calls can outlast the client's 1 s request timeout (lambdas/edge/dynamo.ts)
// although nothing is wrong. So here DynamoDB calls get 15 s. (Retrying failed tests instead would triple the time
// of every killed mutant.)
const { NodeHttpHandler } = require('@smithy/node-http-handler');

const LOADED_MACHINE_TIMEOUT_MS = 15_000;
const resolveDefaultConfig = NodeHttpHandler.prototype.resolveDefaultConfig;
NodeHttpHandler.prototype.resolveDefaultConfig = function (options) {
  return resolveDefaultConfig.call(this, { ...options, requestTimeout: LOADED_MACHINE_TIMEOUT_MS, connectionTimeout: LOADED_MACHINE_TIMEOUT_MS });
};
