/** What every section of the bench gets: settings, built bundles, keys, the key stand-in, a scratch directory. */
import type { Bundle } from '../bundle';
import type { AuthorizerId } from '../authorizers';
import type { KeyServer } from '../key-server';
import type { BenchKeys } from '../tokens';

export interface BenchSettings {
  /** Warm runs: each authorizer in a fresh process per run, the figure is the median of the runs. */
  readonly warmRuns: number;
  readonly users: number;
  readonly requestsPerUser: number;
  readonly distinctTokens: number;
  readonly warmupTokens: number;
  /** Cold-start processes per authorizer (and for the empty process). */
  readonly coldProcesses: number;
  readonly loginCosts: readonly number[];
  readonly loginWarmups: number;
  readonly loginPairs: number;
  readonly loadRuns: number;
  readonly loadSeconds: number;
  readonly loadConnections: number;
  readonly loadWarmupSeconds: number;
}

export const FULL_SETTINGS: BenchSettings = {
  warmRuns: 7,
  users: 1000,
  requestsPerUser: 20,
  distinctTokens: 5000,
  warmupTokens: 1000,
  coldProcesses: 21,
  // 10, 11 (the default) and 12, as deployable; 4 as a cross-check: bcrypt is then ~1 ms, so the handler time is nearly all overhead.
  loginCosts: [4, 10, 11, 12],
  loginWarmups: 3,
  loginPairs: 11,
  loadRuns: 3,
  loadSeconds: 10,
  loadConnections: 32,
  loadWarmupSeconds: 2,
};

/** `--quick`: every code path once, in seconds (the test suite runs this). No figure from it means anything. */
export const QUICK_SETTINGS: BenchSettings = {
  warmRuns: 1,
  users: 10,
  requestsPerUser: 3,
  distinctTokens: 10,
  warmupTokens: 5,
  coldProcesses: 2,
  loginCosts: [4],
  loginWarmups: 1,
  loginPairs: 1,
  loadRuns: 1,
  loadSeconds: 1,
  loadConnections: 2,
  loadWarmupSeconds: 0,
};

export interface BenchContext {
  readonly settings: BenchSettings;
  readonly workDir: string;
  readonly keys: BenchKeys;
  readonly keyServer: KeyServer;
  readonly authorizerBundles: Readonly<Record<AuthorizerId, Bundle>>;
  readonly functionBundles: Readonly<Record<string, Bundle>>;
  readonly scripts: { readonly warm: string; readonly cold: string; readonly login: string };
  /** The environment the stack gives every function (settings, NODE_OPTIONS, Powertools), as deployed. */
  readonly functionEnv: Readonly<Record<string, string>>;
}
