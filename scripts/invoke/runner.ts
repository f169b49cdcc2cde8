/**
 * Runs one invocation of a bundled function in a child Node process
 * (scripts/invoke/runtime.mjs), the way `sam local invoke` runs it in a
 * container: the function's environment only, its asset folder as the
 * working directory and task root, its memory as the V8 heap limit, and
 * its timeout enforced by killing the process.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { LOCAL_ACCOUNT_ID } from './environment';

const RUNTIME = join(__dirname, 'runtime.mjs');

/** Lambda gives a function's init (loading its module) 10 s, separately from its timeout. */
export const INIT_LIMIT_MS = 10_000;

export interface RunInput {
  /** Lambda's awsRequestId; a new UUID by default. */
  readonly requestId?: string;
  readonly logicalId: string;
  readonly assetDir: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly env: Readonly<Record<string, string>>;
  readonly event: unknown;
  /** Where the function's output (its log) goes; stderr by default. */
  readonly onLog?: (chunk: Buffer) => void;
}

/** Lambda's error payload. */
export interface ErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

export type RunOutcome =
  | { readonly kind: 'result'; readonly payload: unknown; readonly text: string }
  | { readonly kind: 'error'; readonly payload: ErrorPayload; readonly text: string }
  | { readonly kind: 'timeout'; readonly payload: ErrorPayload; readonly text: string };

export interface RunReport {
  readonly outcome: RunOutcome;
  readonly requestId: string;
  /** Milliseconds from the start of the handler (after init) to its answer, or to the timeout. */
  readonly durationMs: number;
  readonly initDurationMs: number | undefined;
  readonly maxMemoryUsedMb: number | undefined;
}

type ChildMessage =
  | { type: 'started' }
  | { type: 'result'; payload: string; maxRssKb: number }
  | { type: 'error'; phase: 'init' | 'invoke'; error: ErrorPayload; maxRssKb: number };

/** Invokes the function once with `event`. Never throws for what the function does; only when the child cannot start. */
export function runFunction(input: RunInput): Promise<RunReport> {
  const requestId = input.requestId ?? randomUUID();
  const timeoutMs = input.timeoutSeconds * 1000;
  const onLog = input.onLog ?? ((chunk: Buffer) => process.stderr.write(chunk));
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [`--max-old-space-size=${input.memoryMb}`, RUNTIME], {
    cwd: input.assetDir,
    env: input.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', onLog);
  child.stderr?.on('data', onLog);

  return new Promise<RunReport>((resolve, reject) => {
    let startedAt: number | undefined;
    let endedAt: number | undefined;
    let maxRssKb: number | undefined;
    /** The answer, once there is one; reported when the process has closed, so that every log line comes first. */
    let outcome: RunOutcome | undefined;
    let failed = false;
    let timer = setTimeout(() => timedOut('init'), INIT_LIMIT_MS);

    const record = (next: RunOutcome) => {
      if (outcome) return;
      outcome = next;
      endedAt = Date.now();
      clearTimeout(timer);
    };
    const errorOutcome = (kind: 'error' | 'timeout', payload: ErrorPayload): RunOutcome => ({ kind, payload, text: JSON.stringify(payload) });

    function timedOut(phase: 'init' | 'invoke') {
      if (outcome) return;
      const seconds = phase === 'init' ? INIT_LIMIT_MS / 1000 : input.timeoutSeconds;
      const what = phase === 'init' ? 'Init' : 'Task';
      record(errorOutcome('timeout', { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: ${what} timed out after ${seconds.toFixed(2)} seconds` }));
      child.kill('SIGKILL');
    }

    child.on('message', (message: ChildMessage) => {
      if (message.type === 'started') {
        startedAt = Date.now();
        clearTimeout(timer);
        timer = setTimeout(() => timedOut('invoke'), timeoutMs);
        return;
      }
      maxRssKb = message.maxRssKb;
      if (message.type === 'result') {
        let payload: unknown;
        try {
          payload = JSON.parse(message.payload);
        } catch {
          payload = message.payload;
        }
        record({ kind: 'result', payload, text: message.payload });
      } else {
        record(errorOutcome('error', message.error));
      }
    });
    child.on('error', (cause) => {
      if (failed) return;
      failed = true;
      clearTimeout(timer);
      reject(new Error(`could not run node for ${input.logicalId}: ${cause.message}`));
    });
    child.on('close', (code, signal) => {
      if (failed) return;
      // Before an answer, the function brought its process down (process.exit, a crash, an unhandled rejection).
      record(
        errorOutcome('error', {
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${requestId} Error: Runtime exited ${signal ? `with signal: ${signal}` : `with error: exit status ${code}`}`,
        }),
      );
      const end = endedAt ?? Date.now();
      resolve({
        outcome: outcome!,
        requestId,
        durationMs: startedAt === undefined ? 0 : end - startedAt,
        initDurationMs: startedAt === undefined ? undefined : startedAt - spawnedAt,
        maxMemoryUsedMb: maxRssKb === undefined ? undefined : Math.ceil(maxRssKb / 1024),
      });
    });

    child.send({
      handler: input.handler,
      taskRoot: input.assetDir,
      event: input.event,
      timeoutMs,
      context: {
        functionName: input.logicalId,
        functionVersion: '$LATEST',
        invokedFunctionArn: `arn:aws:lambda:${input.env.AWS_REGION ?? 'us-east-1'}:${LOCAL_ACCOUNT_ID}:function:${input.logicalId}`,
        memoryLimitInMB: String(input.memoryMb),
        awsRequestId: requestId,
        logGroupName: `/aws/lambda/${input.logicalId}`,
        logStreamName: '$LATEST',
      },
    });
  });
}
