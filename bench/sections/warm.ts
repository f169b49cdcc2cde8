/**
 * Figures 1 and 2: warm authorizers. Every authorizer decides the same
 * events in a fresh process per run (runs interleaved, in a shuffled order
 * each time, so that a noisy neighbour hurts them all alike):
 *
 * 1. realistic traffic: `users` users x `requestsPerUser` requests, shuffled
 *    (each client reuses its token), mean time per decision;
 * 2. all-distinct tokens (no token seen twice), mean time per decision.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTHORIZERS, type AuthorizerId } from '../authorizers';
import { progress, runChild } from '../children';
import { authorizerEnv } from '../key-server';
import { median, seededRandom, shuffle } from '../stats';
import { decisionChecks, METHOD_ARN, mintTokens } from '../tokens';
import type { WarmJob, WarmResult } from '../workers/protocol';
import type { BenchContext } from './context';

export interface WarmFigures {
  readonly realisticMeanUs: number;
  readonly distinctMeanUs: number;
  /** The same in CPU time of the authorizer's process: much less disturbed by other load on the machine. */
  readonly realisticCpuUs: number;
  readonly distinctCpuUs: number;
  readonly runs: { readonly realisticMeanUs: number[]; readonly distinctMeanUs: number[]; readonly realisticCpuUs: number[]; readonly distinctCpuUs: number[] };
}

export type WarmResults = Record<AuthorizerId, WarmFigures>;

export async function benchWarm(ctx: BenchContext): Promise<WarmResults> {
  const { settings } = ctx;
  const order = shuffle(
    Array.from({ length: settings.users * settings.requestsPerUser }, (_, i) => i % settings.users),
    seededRandom(20_260_101),
  );
  const jobFile = join(ctx.workDir, 'warm-job.json');
  // Fresh tokens for every run: on a busy machine the whole section can outlast a token's 15 minutes (and the
  // checks' nbf), and then every authorizer would be timed refusing expired tokens, or the checks would fail.
  const mintJob = async (run: number) => {
    progress(`warm: run ${run}/${settings.warmRuns}, minting ${settings.users + settings.distinctTokens + settings.warmupTokens} tokens`);
    const job: WarmJob = {
      methodArn: METHOD_ARN,
      checks: await decisionChecks(ctx.keys),
      warmup: await mintTokens(ctx.keys, settings.warmupTokens, 'warmup'),
      distinct: await mintTokens(ctx.keys, settings.distinctTokens, 'distinct'),
      realistic: { tokens: await mintTokens(ctx.keys, settings.users, 'user'), order },
    };
    writeFileSync(jobFile, JSON.stringify(job));
  };

  const env = { ...ctx.functionEnv, ...authorizerEnv(ctx.keyServer) };
  const runs = Object.fromEntries(
    AUTHORIZERS.map((a) => [a.id, { realisticMeanUs: [] as number[], distinctMeanUs: [] as number[], realisticCpuUs: [] as number[], distinctCpuUs: [] as number[] }]),
  ) as Record<
    AuthorizerId,
    WarmFigures['runs']
  >;
  const random = seededRandom(7);
  for (let run = 1; run <= settings.warmRuns; run++) {
    await mintJob(run);
    for (const authorizer of shuffle([...AUTHORIZERS], random)) {
      progress(`warm: run ${run}/${settings.warmRuns}, ${authorizer.label}`);
      const result = await runChild<WarmResult>(ctx.scripts.warm, [jobFile, ctx.authorizerBundles[authorizer.id].file], { env: { ...env, ...authorizer.env } });
      if (result.disagreements.length > 0) {
        throw new Error(`${authorizer.label} decided these tokens wrongly, so it does not do the same job: ${result.disagreements.join(', ')}`);
      }
      runs[authorizer.id].realisticMeanUs.push(result.realisticMeanUs);
      runs[authorizer.id].distinctMeanUs.push(result.distinctMeanUs);
      runs[authorizer.id].realisticCpuUs.push(result.realisticCpuUs);
      runs[authorizer.id].distinctCpuUs.push(result.distinctCpuUs);
    }
  }
  return Object.fromEntries(
    AUTHORIZERS.map((a) => [
      a.id,
      {
        realisticMeanUs: median(runs[a.id].realisticMeanUs),
        distinctMeanUs: median(runs[a.id].distinctMeanUs),
        realisticCpuUs: median(runs[a.id].realisticCpuUs),
        distinctCpuUs: median(runs[a.id].distinctCpuUs),
        runs: runs[a.id],
      },
    ]),
  ) as WarmResults;
}
