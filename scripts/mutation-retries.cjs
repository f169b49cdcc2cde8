// For Stryker runs only (stryker.config.mjs). On a loaded machine a test can fail from load alone (a DynamoDB call
// past the client's 1 s timeout under Stryker's instrumentation): tried again, such a failure neither aborts the
// initial run nor counts as a killed mutant. A mutant that really breaks a test fails it every time.
jest.retryTimes(2);
