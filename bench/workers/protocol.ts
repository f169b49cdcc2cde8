/**
 * How the bench talks to its child processes: a JSON job file in, the
 * result out in the file BENCH_RESULT_FILE names. Stdout is the functions'
 * own: the authorizer writes an EMF metric line per decision, as deployed.
 */
import { writeFileSync } from 'node:fs';

export const RESULT_FILE_ENV = 'BENCH_RESULT_FILE';

export function report(result: unknown): void {
  const file = process.env[RESULT_FILE_ENV];
  if (!file) throw new Error(`${RESULT_FILE_ENV} is not set: bench workers are run by bench/children.ts`);
  writeFileSync(file, JSON.stringify(result));
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
