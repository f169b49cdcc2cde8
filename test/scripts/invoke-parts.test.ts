/**
 * The parts of `npm run invoke` that need no synthesized stack: the child
 * runtime (results, errors, timeouts), the environment layers, reading
 * env.json and the local stack's state file, finding functions and
 * handlers in a template, and when cdk.out counts as stale.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENTS_DIR, eventsDrift, renderEvents } from '../../scripts/events/main';
import { SAMPLE_SIGNING_KEY_SECRET_ARN } from '../../scripts/events/samples';
import { functionEnvironment, readEnvVarsFile, readLocalStack, unintendedAwsServices, type LocalStackState } from '../../scripts/invoke/environment';
import { runFunction, type RunInput } from '../../scripts/invoke/runner';
import { ensureTemplate, findFunction, handlerFile, lambdaFunctions, staleReason, type CfnTemplate } from '../../scripts/invoke/template';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wristband-invoke-parts-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An asset folder holding one handler file. */
function asset(name: string, file: string, code: string): string {
  const assetDir = join(dir, name);
  mkdirSync(assetDir, { recursive: true });
  writeFileSync(join(assetDir, file), code);
  return assetDir;
}

function run(assetDir: string, overrides: Partial<RunInput> = {}) {
  const logs: Buffer[] = [];
  const report = runFunction({
    logicalId: 'TestFunction',
    assetDir,
    handler: 'index.handler',
    timeoutSeconds: 5,
    memoryMb: 128,
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', GREETING: 'hello' },
    event: { n: 1 },
    onLog: (chunk) => logs.push(chunk),
    ...overrides,
  });
  return report.then((r) => ({ ...r, log: Buffer.concat(logs).toString('utf8') }));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the child runtime', () => {
  it('calls an ESM handler with the event and a Lambda context, returns its result, and keeps its output out of the result', async () => {
    const assetDir = asset(
      'echo',
      'index.mjs',
      `export const handler = async (event, context) => {
        console.log('a log line');
        return { event, env: process.env.GREETING, cwd: process.cwd(), name: context.functionName, memory: context.memoryLimitInMB,
          requestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis(), arn: context.invokedFunctionArn };
      };`,
    );

    const report = await run(assetDir, { requestId: 'req-1' });

    expect(report.outcome.kind).toBe('result');
    expect(report.outcome.payload).toMatchObject({
      event: { n: 1 },
      env: 'hello',
      cwd: assetDir,
      name: 'TestFunction',
      memory: '128',
      requestId: 'req-1',
      arn: 'arn:aws:lambda:eu-west-1:123456789012:function:TestFunction',
    });
    const remaining = (report.outcome.payload as { remaining: number }).remaining;
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(5000);
    expect(report.log).toContain('a log line');
    expect(report.outcome.text).not.toContain('a log line');
  });

  it('runs CommonJS and callback-style handlers, and answers null for undefined', async () => {
    const cjs = asset('cjs', 'index.js', `exports.handler = (event, context, callback) => callback(null, { got: event.n });`);
    const empty = asset('empty', 'index.mjs', `export const handler = async () => undefined;`);

    expect((await run(cjs)).outcome).toMatchObject({ kind: 'result', payload: { got: 1 } });
    expect((await run(empty)).outcome).toMatchObject({ kind: 'result', payload: null, text: 'null' });
  });

  it("reports a thrown error in Lambda's shape", async () => {
    const assetDir = asset('throws', 'index.mjs', `export const handler = async () => { throw new Error('Unauthorized'); };`);

    const { outcome } = await run(assetDir);

    expect(outcome.kind).toBe('error');
    expect(outcome.payload).toMatchObject({ errorType: 'Error', errorMessage: 'Unauthorized' });
  });

  it('reports a missing module, a missing export, and a function that ends its own process', async () => {
    const noExport = asset('no-export', 'index.mjs', `export const other = () => 1;`);
    const exits = asset('exits', 'index.mjs', `export const handler = async () => { process.exit(3); };`);

    expect((await run(noExport, { handler: 'missing.handler' })).outcome.payload).toMatchObject({ errorType: 'Runtime.ImportModuleError' });
    expect((await run(noExport)).outcome.payload).toMatchObject({ errorType: 'Runtime.HandlerNotFound' });
    expect((await run(exits)).outcome.payload).toMatchObject({ errorType: 'Runtime.ExitError', errorMessage: expect.stringContaining('exit status 3') });
  });

  it('kills a function that runs past its timeout and reports it as Lambda does', async () => {
    const pidFile = join(dir, 'hang.pid');
    const assetDir = asset(
      'hang',
      'index.mjs',
      `import { writeFileSync } from 'node:fs';
       export const handler = () => { writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); return new Promise(() => setInterval(() => {}, 1000)); };`,
    );

    const report = await run(assetDir, { timeoutSeconds: 1 });

    expect(report.outcome.kind).toBe('timeout');
    expect(report.outcome.payload).toMatchObject({ errorType: 'Sandbox.Timedout', errorMessage: expect.stringContaining('Task timed out after 1.00 seconds') });
    expect(report.durationMs).toBeGreaterThanOrEqual(990);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(isAlive(pid)).toBe(false);
  });
});

describe('the environment', () => {
  const template: CfnTemplate = {
    Resources: {
      Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      Keys: { Type: 'AWS::SSM::Parameter', Properties: { Name: '/wristband/Wristband/public-keys' } },
      Secret: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
      Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
      FunctionsLoginABCDEF12: {
        Type: 'AWS::Lambda::Function',
        Metadata: { 'aws:cdk:path': 'Wristband/Functions/Login/Resource', 'aws:asset:path': 'asset.login' },
        Properties: {
          Handler: 'index.handler',
          Runtime: 'nodejs22.x',
          Timeout: 10,
          MemorySize: 1769,
          Environment: {
            Variables: {
              BCRYPT_COST: '11',
              TABLE_NAME: { Ref: 'Table' },
              DYNAMODB_ENDPOINT: '',
              PUBLIC_KEYS_PARAMETER: { Ref: 'Keys' },
              SIGNING_KEY_SECRET_ID: { Ref: 'Secret' },
              QUEUE: { Ref: 'Queue' },
              ARN: { 'Fn::GetAtt': ['Queue', 'Arn'] },
              WHERE: { 'Fn::Join': ['', ['https://x.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
            },
          },
        },
      },
      FunctionsRotateKeys12345678: {
        Type: 'AWS::Lambda::Function',
        Properties: { Handler: 'index.handler', Environment: { Variables: { PUBLIC_KEYS_PARAMETER: { Ref: 'Keys' }, SIGNING_KEY_SECRET_ID: { Ref: 'Secret' } } } },
      },
    },
  };
  const templatePath = '/somewhere/cdk.out/Wristband.template.json';
  const functions = lambdaFunctions(template, templatePath);
  const login = findFunction(functions, 'login');
  const rotate = findFunction(functions, 'rotate-keys');
  const localStack: LocalStackState = { url: 'http://localhost:3000', dynamoEndpoint: 'http://127.0.0.1:8000', tableName: 'wristband-local', keysDir: '/data/keys', pid: process.pid };

  it('reads functions from the template: by name (from the construct path or the logical id) or by logical id', () => {
    expect(login).toMatchObject({ logicalId: 'FunctionsLoginABCDEF12', name: 'login', assetDir: '/somewhere/cdk.out/asset.login', timeoutSeconds: 10, memoryMb: 1769 });
    expect(rotate).toMatchObject({ name: 'rotate-keys', assetDir: undefined, timeoutSeconds: 3, memoryMb: 128 });
    expect(findFunction(functions, 'FunctionsRotateKeys12345678')).toBe(rotate);
    expect(() => findFunction(functions, 'nope')).toThrow(/no function "nope".*\n.*login +FunctionsLoginABCDEF12/);
  });

  it("sets what Lambda sets, the template's values, and local stand-ins for references", () => {
    const { env, notes } = functionEnvironment({ fn: login, template, shell: { AWS_REGION: 'eu-west-1' } });

    expect(env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: 'FunctionsLoginABCDEF12',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'defaultkey',
      LAMBDA_TASK_ROOT: '/somewhere/cdk.out/asset.login',
      _HANDLER: 'index.handler',
      BCRYPT_COST: '11',
      TABLE_NAME: 'wristband-local',
      DYNAMODB_ENDPOINT: '',
      PUBLIC_KEYS_PARAMETER: '/wristband/Wristband/public-keys',
      SIGNING_KEY_SECRET_ID: SAMPLE_SIGNING_KEY_SECRET_ARN,
      QUEUE: 'Queue',
      ARN: '',
      WHERE: 'https://x.eu-west-1.amazonaws.com',
      // Lambda sets it on every on-demand start; without it Powertools logs cold_start false.
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    });
    expect(env).not.toHaveProperty('LOCAL_KEYS_DIR');
    expect(notes).toEqual(['QUEUE: Ref Queue resolved to its logical id', expect.stringMatching(/^ARN: Fn::GetAtt is not resolved off AWS: set to ""/)]);
  });

  it("takes the shell's value of declared variables only, and its AWS credentials and endpoints", () => {
    const shell = { BCRYPT_COST: '4', UNDECLARED: 'x', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'tok', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' };

    const { env } = functionEnvironment({ fn: login, template, shell });

    expect(env).toMatchObject({ BCRYPT_COST: '4', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'tok', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' });
    expect(env).not.toHaveProperty('UNDECLARED');
  });

  it("points table and key users at the running local stack, but not the rotation function, which rotates Secrets Manager's key", () => {
    const forLogin = functionEnvironment({ fn: login, template, shell: { TABLE_NAME: 'from-the-shell' }, localStack });
    const forRotation = functionEnvironment({ fn: rotate, template, shell: {}, localStack });

    expect(forLogin.env).toMatchObject({ TABLE_NAME: 'wristband-local', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000', LOCAL_KEYS_DIR: '/data/keys' });
    expect(forLogin.notes.join('\n')).toContain('using the local stack at http://localhost:3000');
    expect(forRotation.env).not.toHaveProperty('LOCAL_KEYS_DIR');
    expect(forRotation.env.SIGNING_KEY_SECRET_ID).toBe(SAMPLE_SIGNING_KEY_SECRET_ARN);
  });

  it("applies env.json's Parameters, then the function's own entry, to declared variables only (as SAM does)", () => {
    const envVars = {
      Parameters: { BCRYPT_COST: '5', TABLE_NAME: 'everyone', NOT_DECLARED: 'x' },
      FunctionsLoginABCDEF12: { TABLE_NAME: 'mine', DYNAMODB_ENDPOINT: 'http://host.docker.internal:8000' },
      FunctionsSomethingElse: { BCRYPT_COST: '6' },
    };

    const { env, notes } = functionEnvironment({ fn: login, template, shell: {}, localStack, envVars });

    expect(env).toMatchObject({ BCRYPT_COST: '5', TABLE_NAME: 'mine', DYNAMODB_ENDPOINT: 'http://host.docker.internal:8000' });
    expect(env).not.toHaveProperty('NOT_DECLARED');
    expect(notes.join('\n')).toMatch(/Parameters\.NOT_DECLARED ignored/);
  });

  describe('calls to AWS itself', () => {
    const reached = (input: Omit<Parameters<typeof functionEnvironment>[0], 'fn' | 'template'>, fn = login) =>
      unintendedAwsServices(fn, functionEnvironment({ fn, template, ...input }));

    it('are what a function would make with no local stack, nothing pointing it elsewhere', () => {
      expect(reached({ shell: {} })).toEqual(['DynamoDB', 'SSM', 'Secrets Manager']);
      expect(reached({ shell: {} }, rotate)).toEqual(['SSM', 'Secrets Manager']);
    });

    it('leave out SSM for a function that only names the key parameter and may not read it (profile)', () => {
      // Login's entry as profile's: the same wiring, less the signing key profile is never given.
      const { SIGNING_KEY_SECRET_ID: _secret, ...variables } = login.variables;
      const profile = { ...login, name: 'profile' as const, variables };

      expect(reached({ shell: {} }, profile)).toEqual(['DynamoDB']);
      expect(reached({ shell: {} }, { ...profile, name: 'login' as const })).toEqual(['DynamoDB', 'SSM']);
    });

    it('are none with the local stack, an endpoint override, or values the user set on purpose', () => {
      expect(reached({ shell: {}, localStack })).toEqual([]);
      expect(reached({ shell: { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' } })).toEqual([]);
      expect(reached({ shell: { TABLE_NAME: 'Wristband-Table' } })).toEqual(['SSM', 'Secrets Manager']);
      expect(reached({ shell: {}, envVars: { Parameters: { DYNAMODB_ENDPOINT: 'http://localhost:8000' } } })).toEqual(['SSM', 'Secrets Manager']);
      expect(reached({ shell: { AWS_ENDPOINT_URL_SSM: 'http://x', AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://y' } })).toEqual(['DynamoDB']);
    });
  });
});

describe('env.json and the local stack state file', () => {
  it("reads SAM's env.json format, values as strings", () => {
    const file = join(dir, 'env.json');
    writeFileSync(file, JSON.stringify({ Parameters: { A: 1, B: true, C: 'c' }, Fn: { D: null } }));

    expect(readEnvVarsFile(file)).toEqual({ Parameters: { A: '1', B: 'true', C: 'c' }, Fn: { D: '' } });
  });

  it('refuses what is not that format', () => {
    const bad = (text: string) => {
      const file = join(dir, 'bad-env.json');
      writeFileSync(file, text);
      return () => readEnvVarsFile(file);
    };

    expect(bad('[1]')).toThrow(/must hold a JSON object/);
    expect(bad('{"Parameters": 3}')).toThrow(/"Parameters" must be an object/);
    expect(bad('{"Fn": {"A": {"Ref": "X"}}}')).toThrow(/Fn\.A must be a string/);
    expect(bad('{')).toThrow(/cannot read --env-vars/);
  });

  it('finds a running local stack under DATA_DIR, and ignores one whose process is gone', () => {
    const running = join(dir, 'running');
    const gone = join(dir, 'gone');
    mkdirSync(running);
    mkdirSync(gone);
    const state = { url: 'http://localhost:1', dynamoEndpoint: 'http://127.0.0.1:2', tableName: 't', keysDir: '/k' };
    writeFileSync(join(running, 'local-stack.json'), JSON.stringify({ ...state, pid: process.pid }));
    // Far above Linux's pid_max: no process has it.
    writeFileSync(join(gone, 'local-stack.json'), JSON.stringify({ ...state, pid: 2 ** 30 }));

    expect(readLocalStack(running).state).toMatchObject(state);
    expect(readLocalStack(gone)).toEqual({ note: expect.stringContaining('which is gone') });
    expect(readLocalStack(join(dir, 'nothing-here'))).toEqual({});
  });
});

describe('the template on disk', () => {
  it('finds the handler file as Lambda does: .js, then .mjs, then .cjs', () => {
    const assetDir = asset('handler-files', 'index.mjs', '');

    expect(handlerFile(assetDir, 'index.handler')).toBe(join(assetDir, 'index.mjs'));
    writeFileSync(join(assetDir, 'index.js'), '');
    expect(handlerFile(assetDir, 'index.handler')).toBe(join(assetDir, 'index.js'));
    expect(handlerFile(assetDir, 'other.handler')).toBeUndefined();
    expect(handlerFile(assetDir, 'nodot')).toBeUndefined();
  });

  it('is synthesized when missing or older than bin/ lib/ lambdas/ cdk.json package-lock.json, and never when given with -t', () => {
    const root = join(dir, 'project');
    mkdirSync(join(root, 'lambdas'), { recursive: true });
    writeFileSync(join(root, 'lambdas', 'a.ts'), '');
    const synths: string[] = [];
    const synth = (r: string) => {
      synths.push(r);
      mkdirSync(join(r, 'cdk.out'), { recursive: true });
      writeFileSync(join(r, 'cdk.out', 'Wristband.template.json'), '{}');
    };

    expect(staleReason(root, join(root, 'cdk.out', 'Wristband.template.json'))).toBe('cdk.out/Wristband.template.json does not exist');
    ensureTemplate(undefined, () => undefined, { root, synth });
    expect(synths).toEqual([root]);

    ensureTemplate(undefined, () => undefined, { root, synth });
    expect(synths).toHaveLength(1);

    const later = new Date(Date.now() + 60_000);
    writeFileSync(join(root, 'cdk.json'), '{}');
    utimesSync(join(root, 'cdk.json'), later, later);
    expect(staleReason(root, join(root, 'cdk.out', 'Wristband.template.json'))).toMatch(/^cdk\.json changed after/);
    ensureTemplate(join(root, 'cdk.out', 'Wristband.template.json'), () => undefined, { root, synth });
    expect(synths).toHaveLength(1);
    ensureTemplate(undefined, () => undefined, { root, synth });
    expect(synths).toHaveLength(2);
  });

  it("in an app's folder (wristband invoke): its Wristband stack from cdk.out's manifest, synthesized when missing or older than any file of the app", () => {
    const root = join(dir, 'team-app');
    mkdirSync(join(root, 'src'), { recursive: true });
    writeFileSync(join(root, 'src', 'articles.ts'), '');
    const wristbandStack = { Resources: { AuthFunctionsAuthorizerABCDEF12: { Type: 'AWS::Lambda::Function', Metadata: { 'aws:cdk:path': 'Articles/Auth/Functions/Authorizer/Resource' } } } };
    const synths: string[] = [];
    const synth = (r: string) => {
      synths.push(r);
      mkdirSync(join(r, 'cdk.out'), { recursive: true });
      writeFileSync(join(r, 'cdk.out', 'Other.template.json'), JSON.stringify({ Resources: {} }));
      writeFileSync(join(r, 'cdk.out', 'Articles.template.json'), JSON.stringify(wristbandStack));
      const stack = (file: string) => ({ type: 'aws:cloudformation:stack', properties: { templateFile: file } });
      writeFileSync(join(r, 'cdk.out', 'manifest.json'), JSON.stringify({ artifacts: { Other: stack('Other.template.json'), Articles: stack('Articles.template.json') } }));
    };
    const options = { root, synth, app: true };

    expect(ensureTemplate(undefined, () => undefined, options)).toBe(join(root, 'cdk.out', 'Articles.template.json'));
    expect(ensureTemplate(undefined, () => undefined, options)).toBe(join(root, 'cdk.out', 'Articles.template.json'));
    expect(synths).toEqual([root]);

    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'src', 'articles.ts'), later, later);
    const notes: string[] = [];
    ensureTemplate(undefined, (line) => notes.push(line), options);
    expect([synths.length, notes]).toEqual([2, [expect.stringMatching(/src.* changed after cdk\.out\/Articles\.template\.json was written/)]]);

    const empty = join(dir, 'not-an-app');
    mkdirSync(empty);
    expect(() => ensureTemplate(undefined, () => undefined, { root: empty, synth: () => undefined, app: true })).toThrow(/has no stack with a Wristband: is this the folder of your CDK app\?/);
  });
});

describe('the drift check', () => {
  it('names missing, changed and extra files', () => {
    const events = join(dir, 'events');
    mkdirSync(events);
    const files = renderEvents();
    const [first, second] = [...files.keys()];
    for (const [name, text] of files) if (name !== first) writeFileSync(join(events, name), text);
    writeFileSync(join(events, second!), 'changed');
    writeFileSync(join(events, 'stale.json'), '{}');

    expect(eventsDrift(events, files)).toEqual({ missing: [first], changed: [second], extra: ['stale.json'] });
    expect(EVENTS_DIR).toMatch(/events$/);
  });
});
