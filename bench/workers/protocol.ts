/** How the bench talks to its child processes: a JSON job file in, one marked JSON line out. */
export const RESULT_MARKER = 'BENCH_RESULT ';

export function report(result: unknown): void {
  process.stdout.write(`\n${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

/** The last marked line of a child's output, parsed. */
export function parseReport<T>(stdout: string): T {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(RESULT_MARKER));
  if (!line) throw new Error(`no result in the child's output:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice(RESULT_MARKER.length)) as T;
}

/** The tokens of the warm runs; the bundle to time is the worker's second argument. */
export interface WarmJob {
  readonly methodArn: string;
  readonly checks: readonly { readonly name: string; readonly token: string; readonly allow: boolean }[];
  readonly warmup: readonly string[];
  readonly distinct: readonly string[];
  readonly realistic: { readonly tokens: readonly string[]; readonly order: readonly number[] };
}

export interface WarmResult {
  /** Checks whose answer differed from the expected one. */
  readonly disagreements: readonly string[];
  readonly distinctMeanUs: number;
  readonly distinctCpuUs: number;
  readonly realisticMeanUs: number;
  readonly realisticCpuUs: number;
}

export interface LoginJob {
  readonly registerBundle: string;
  readonly loginBundle: string;
  readonly cost: number;
  readonly warmups: number;
  readonly pairs: number;
}

export interface LoginResult {
  readonly handlerMs: readonly number[];
  /** CPU time the handler's process spent in each timed login (the rest is waiting on DynamoDB and the scheduler). */
  readonly handlerCpuMs: readonly number[];
  readonly bcryptMs: readonly number[];
}
