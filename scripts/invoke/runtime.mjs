// The child side of `npm run invoke`: a stand-in for Lambda's Node.js
// runtime. Plain Node, no TypeScript loader, so the bundle runs exactly as
// it would in Lambda. The parent sends one message (the handler, the event,
// the context); this loads the handler module from the task root (init),
// says so, calls the handler with a Lambda context whose remaining time
// counts down from the function's timeout, and sends back the result (as
// the JSON text Lambda would return) or the error (in Lambda's shape).
// The function's own output (stdout, stderr) is its log; the parent shows
// it. The parent enforces the timeout by killing this process.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

process.once('message', (message) => {
  void run(message);
});

async function run({ handler: spec, taskRoot, event, timeoutMs, context: fields }) {
  let handler;
  try {
    handler = await loadHandler(taskRoot, spec);
  } catch (error) {
    return finish({ type: 'error', phase: 'init', error: describe(error) });
  }
  const deadline = Date.now() + timeoutMs;
  process.send({ type: 'started' });
  const context = {
    ...fields,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  let result;
  try {
    result = await call(handler, event, context);
  } catch (error) {
    return finish({ type: 'error', phase: 'invoke', error: describe(error) });
  }
  let payload;
  try {
    payload = JSON.stringify(result === undefined ? null : result);
  } catch (error) {
    return finish({ type: 'error', phase: 'invoke', error: { errorType: 'Runtime.MarshalError', errorMessage: `Unable to stringify response body: ${error.message}` } });
  }
  return finish({ type: 'result', payload });
}

/** Lambda's resolution of `dir/module.export`: module.js, module.mjs or module.cjs under the task root. */
async function loadHandler(taskRoot, spec) {
  const slash = spec.lastIndexOf('/');
  const base = spec.slice(slash + 1);
  const dot = base.indexOf('.');
  if (dot <= 0) throw named('Runtime.MalformedHandlerName', `Bad handler ${spec}: missing module or function name`);
  const modulePath = spec.slice(0, slash + 1) + base.slice(0, dot);
  const exportPath = base.slice(dot + 1).split('.');
  const file = ['.js', '.mjs', '.cjs'].map((ext) => join(taskRoot, modulePath + ext)).find((f) => existsSync(f));
  if (!file) throw named('Runtime.ImportModuleError', `Error: Cannot find module '${modulePath}'`);
  const module = await import(pathToFileURL(file).href);
  let target = module;
  for (const key of exportPath) target = target?.[key] ?? (target === module ? module.default?.[key] : undefined);
  if (typeof target !== 'function') throw named('Runtime.HandlerNotFound', `${spec} is undefined or not exported`);
  return target;
}

/** Async handlers return a promise; callback handlers (three parameters) call back. */
function call(handler, event, context) {
  if (handler.length < 3) return handler(event, context);
  return new Promise((resolve, reject) => {
    const returned = handler(event, context, (error, value) => (error ? reject(error) : resolve(value)));
    if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
  });
}

function named(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Lambda's error payload: errorType, errorMessage, trace. */
function describe(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

/** Sends the outcome, lets the logs drain, and ends: Lambda freezes the sandbox here, nothing after it runs. */
function finish(message) {
  const maxRssKb = process.resourceUsage().maxRSS;
  process.send({ ...message, maxRssKb }, () => {
    process.stdout.write('', () => process.stderr.write('', () => process.exit(0)));
  });
}
