/**
 * Figure 3: cold starts. A fresh Node process imports a bundled authorizer
 * (the esbuild output `cdk synth` ships, with the deployed environment,
 * NODE_OPTIONS included) and makes its first decision, its keys read from
 * the local stand-in. Time from process start to that decision, median of
 * `coldProcesses` processes, minus the median of the same script importing
 * nothing. Processes are interleaved in a shuffled order each round.
 */
import { AUTHORIZERS, type AuthorizerId } from '../authorizers';
import { progress, runChild } from '../children';
import { authorizerEnv } from '../key-server';
import { median, seededRandom, shuffle } from '../stats';
import { METHOD_ARN, mintTokens } from '../tokens';
import type { BenchContext } from './context';

export interface ColdFigures {
  /** Median time from process start to the first decision. */
  readonly medianMs: number;
  /** medianMs minus the empty process's median: what the authorizer adds. */
  readonly addedMs: number;
  /**
   * The same for CPU time (user + system, all threads): what the work
   * costs, without the waits. Much less sensitive to other load on the
   * machine than wall time, so a cross-check when the machine is busy.
   */
  readonly addedCpuMs: number;
  /** Key-source requests per process (1: one read at cold start, as intended). */
  readonly keyReadsPerProcess: number;
  readonly samplesMs: number[];
  readonly cpuSamplesMs: number[];
}

export interface ColdResults {
  readonly empty: { readonly medianMs: number; readonly medianCpuMs: number; readonly samplesMs: number[]; readonly cpuSamplesMs: number[] };
  readonly authorizers: Record<AuthorizerId, ColdFigures>;
}

type Variant = AuthorizerId | 'empty';

export async function benchCold(ctx: BenchContext): Promise<ColdResults> {
  const [token] = await mintTokens(ctx.keys, 1, 'cold');
  const env = { ...ctx.functionEnv, ...authorizerEnv(ctx.keyServer) };
  const variants: Variant[] = ['empty', ...AUTHORIZERS.map((a) => a.id)];
  const samples = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  const cpuSamples = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  const reads = Object.fromEntries(variants.map((v) => [v, 0])) as Record<Variant, number>;
  const counts = ctx.keyServer.counts;

  const once = async (variant: Variant): Promise<{ ms: number; cpuMs: number }> => {
    const bundle = variant === 'empty' ? '-' : ctx.authorizerBundles[variant].file;
    const before = counts.ssm + counts.jwks + counts.refused;
    const extra = variant === 'empty' ? {} : (AUTHORIZERS.find((a) => a.id === variant)?.env ?? {});
    const result = await runChild<{ ms: number; cpuMs: number }>(ctx.scripts.cold, [bundle, token as string, METHOD_ARN], { env: { ...env, ...extra }, timeoutMs: 30_000 });
    reads[variant] += counts.ssm + counts.jwks + counts.refused - before;
    return result;
  };

  // One unmeasured round: the file cache and the key stand-in warm up.
  for (const variant of variants) await once(variant);
  for (const v of variants) reads[v] = 0;

  const random = seededRandom(11);
  for (let round = 1; round <= ctx.settings.coldProcesses; round++) {
    if (round === 1 || round % 5 === 0) progress(`cold: round ${round}/${ctx.settings.coldProcesses}`);
    for (const variant of shuffle([...variants], random)) {
      const { ms, cpuMs } = await once(variant);
      samples[variant].push(ms);
      cpuSamples[variant].push(cpuMs);
    }
  }

  const emptyMs = median(samples.empty);
  const emptyCpuMs = median(cpuSamples.empty);
  const n = ctx.settings.coldProcesses;
  return {
    empty: { medianMs: emptyMs, medianCpuMs: emptyCpuMs, samplesMs: samples.empty, cpuSamplesMs: cpuSamples.empty },
    authorizers: Object.fromEntries(
      AUTHORIZERS.map((a) => {
        const medianMs = median(samples[a.id]);
        return [
          a.id,
          {
            medianMs,
            addedMs: medianMs - emptyMs,
            addedCpuMs: median(cpuSamples[a.id]) - emptyCpuMs,
            keyReadsPerProcess: reads[a.id] / n,
            samplesMs: samples[a.id],
            cpuSamplesMs: cpuSamples[a.id],
          },
        ];
      }),
    ) as Record<AuthorizerId, ColdFigures>,
  };
}
