/**
 * `npm run invoke -- <function> [event.json]`: `sam local invoke` without
 * Docker. Runs one function of the synthesized template (cdk.out, brought
 * up to date first) in a child Node process with one event, prints the
 * result as JSON on stdout and the function's log on stderr. With the local
 * stack running (`npm start`, same DATA_DIR), the function talks to its
 * DynamoDB and uses its keys.
 */
import { existsSync, fstatSync, readFileSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FUNCTION_NAMES, ensureTemplate, findFunction, functionLabel, lambdaFunctions, readTemplate } from './template';
import { readEnvVarsFile } from './environment';
import { authorizerEventFor, invoke, routeEventFor, sampleEventFile } from './invoke';

const USAGE = `usage: npm run invoke -- <function> [event.json | -] [options]

  <function>             a logical id of the synthesized template, or a name:
                         ${FUNCTION_NAMES.join(', ')},
                         or the name an app's addRoute gave a function (get-api-articles), or a
                         protected route it serves: "DELETE /api/articles/{id}" or "DELETE /api/articles/42"
  event.json             the event (also -e/--event); "-", a shell pipe or a redirect reads stdin;
                         with neither, events/<function>.json, else (an app's route) a request to
                         the route as a caller it allows, else {}
  -t, --template <file>  use this template as it is (default: cdk.out/Wristband.template.json,
                         synthesized first when older than bin/ lib/ lambdas/ cdk.json package-lock.json;
                         npx wristband invoke: the app's stack with a Wristband in its cdk.out)
  -n, --env-vars <file>  environment overrides in SAM's format: {"Parameters": {...}, "<LogicalId>": {...}}
  --token <jwt>          authorizer only: the event is a TOKEN authorizer event for this token
  --method-arn <arn>     with --token: the method ARN (default: the local stage's GET /api/profile)
  --list                 list the template's functions (name and logical id) and exit
  --aws                  let the function call AWS itself with your credentials (refused without it
                         when no local stack, endpoint or table of your own is given)

  The result goes to stdout as JSON (use npm run -s to keep npm's banner out of it), the
  function's log to stderr. With npm start running under the same DATA_DIR (default .data),
  the function uses its DynamoDB and keys, and {{...}} placeholders in the event are filled in.
  Exit status: 0 the function answered, 1 it failed or timed out, 2 it could not be run.`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Whether stdin is a shell pipe or a redirected file (`… | npm run invoke`,
 * `< event.json`): read it then. A terminal, /dev/null or a socket another
 * program left open is not read without `-`, so nothing waits forever.
 */
function stdinIsPiped(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isFile();
  } catch {
    return false;
  }
}

function parseEvent(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`the event from ${source} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

class UsageError extends Error {}

const note = (line: string) => process.stderr.write(`invoke: ${line}\n`);

/** Paths on the command line are the user's: relative to where they ran npm (npm run itself starts in the package root). */
const userPath = (path: string) => resolve(process.env.INIT_CWD ?? process.cwd(), path);

/**
 * `app`: the folder of a CDK app (`npx wristband invoke`, local/cli.ts): its
 * stack's template from its cdk.out, synthesized there when older than the app.
 */
export async function main(argv: readonly string[], options: { app?: string } = {}): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        event: { type: 'string', short: 'e' },
        template: { type: 'string', short: 't' },
        'env-vars': { type: 'string', short: 'n' },
        token: { type: 'string' },
        'method-arn': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        list: { type: 'boolean' },
        aws: { type: 'boolean' },
      },
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [name, eventFile, ...rest] = positionals;
  const problem =
    rest.length > 0
      ? `unexpected argument ${rest.map((r) => JSON.stringify(r)).join(' ')}: give one function and at most one event`
      : eventFile !== undefined && values.event !== undefined
        ? `two events (${eventFile} and --event ${values.event}): give one`
        : !name && !values.list
          ? 'no function given'
          : undefined;
  if (problem) {
    process.stderr.write(`invoke: ${problem}\n\n${USAGE}\n`);
    return 2;
  }

  try {
    const templatePath = ensureTemplate(values.template === undefined ? undefined : userPath(values.template), note, options.app === undefined ? {} : { root: options.app, app: true });
    const functions = lambdaFunctions(readTemplate(templatePath), templatePath);
    if (values.list || !name) {
      for (const f of functions) process.stdout.write(`${functionLabel(f).padEnd(14)} ${f.logicalId}\n`);
      return 0;
    }
    const fn = findFunction(functions, name);

    let event: unknown;
    const file = eventFile ?? values.event;
    if (values.token !== undefined) {
      if (fn.name !== 'authorizer') throw new UsageError(`--token builds an authorizer event; ${name} is not the authorizer`);
      if (file !== undefined) throw new UsageError('give --token or an event, not both');
      event = authorizerEventFor(values.token, values['method-arn']);
    } else if (file === '-') {
      event = parseEvent(await readStdin(), 'stdin');
    } else if (file !== undefined) {
      if (!existsSync(userPath(file))) throw new UsageError(`no event file ${file}`);
      if (statSync(userPath(file)).isDirectory()) throw new UsageError(`${file} is a directory, not an event file`);
      event = parseEvent(readFileSync(userPath(file), 'utf8'), file);
    } else {
      const piped = stdinIsPiped() ? await readStdin() : '';
      const sample = sampleEventFile(fn);
      const routed = sample ? undefined : routeEventFor(fn, name);
      if (piped.trim() !== '') event = parseEvent(piped, 'stdin');
      else if (sample) {
        note(`no event given: using ${relative(process.cwd(), sample)}`);
        event = parseEvent(readFileSync(sample, 'utf8'), sample);
      } else if (routed) {
        note(`no event given: ${routed.event.httpMethod} ${routed.event.path} as a caller with role ${routed.role}, from the route table in its environment`);
        event = routed.event;
      } else event = {};
    }

    const envVars = values['env-vars'] === undefined ? undefined : readEnvVarsFile(userPath(values['env-vars']));
    const dataDir = process.env.DATA_DIR || '.data';
    const label = fn.name ?? fn.appName;
    process.stderr.write(`Invoking ${fn.handler} (${fn.runtime}) ${fn.logicalId}${label ? ` [${label}]` : ''}\n`);
    const requestId = randomUUID();
    const report = await invoke({
      function: fn.logicalId,
      requestId,
      onStart: () => process.stderr.write(`START RequestId: ${requestId} Version: $LATEST\n`),
      templatePath,
      event,
      dataDir,
      ...(envVars ? { envVars } : {}),
      onNote: note,
      ...(values.aws ? { aws: true } : {}),
      onLog: (chunk) => process.stderr.write(chunk),
    });

    const { outcome } = report;
    if (outcome.kind === 'timeout') process.stderr.write(`Function '${fn.logicalId}' timed out after ${fn.timeoutSeconds} seconds\n`);
    const init = report.initDurationMs === undefined ? '' : `Init Duration: ${report.initDurationMs} ms\t`;
    const memory = report.maxMemoryUsedMb === undefined ? '' : `\tMax Memory Used: ${report.maxMemoryUsedMb} MB`;
    process.stderr.write(
      `END RequestId: ${requestId}\nREPORT RequestId: ${requestId}\t${init}Duration: ${report.durationMs} ms\tMemory Size: ${fn.memoryMb} MB${memory}\n`,
    );
    process.stdout.write(`${outcome.text}\n`);
    return outcome.kind === 'result' ? 0 : 1;
  } catch (error) {
    process.stderr.write(`invoke: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

if (require.main === module) {
  // Filling placeholders uses the AWS SDK here, on Node 20: its warning about Node 22 is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
