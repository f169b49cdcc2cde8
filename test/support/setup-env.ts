// Quiet logs unless a test captures them on purpose.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Metrics are EMF lines written straight to stdout (past jest's console capture): off unless a test captures them on purpose.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// Powertools Tracer imports @aws/lambda-invoke-store, which hangs an `awslambda` object on globalThis; jest's cleanup of
// globals between test files then warns when a later module looks at it. Outside Lambda nothing needs that global.
process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// CDK's built-in CloudFormation validation (a WASM engine, started per App) is most of a synth's time; test synths skip
// it, and test/lib/cfn-validation.test.ts runs it on the stack, as `cdk synth` does.
process.env.CDK_VALIDATION ??= 'false';
