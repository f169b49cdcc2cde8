/**
 * Figure 5: login. The bundled login handler against the local DynamoDB
 * emulator (dynalite, in this process, reached over HTTP from the child),
 * at each bcrypt cost, alternated with bare bcrypt compares at the same
 * cost in the same process. The overhead wristband adds is the median
 * handler time minus the median compare.
 */
import dynalite from 'dynalite';
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createDb } from '../../lambdas/edge/dynamo';
import { WIRING_ENV } from '../../lambdas/contract/settings';
import { ensureTable } from '../../local/table';
import { progress, runChild } from '../children';
import { BENCH_CREDENTIALS } from '../key-server';
import { median } from '../stats';
import type { LoginJob, LoginResult } from '../workers/protocol';
import type { BenchContext } from './context';

export interface LoginFigures {
  readonly cost: number;
  readonly handlerMs: number;
  readonly bcryptMs: number;
  readonly overheadMs: number;
  /** Median CPU time of the handler's process per login (bcrypt included): the rest of handlerMs is waiting. */
  readonly handlerCpuMs: number;
  readonly samples: LoginResult;
}

const TABLE_NAME = 'wristband-bench';

export async function benchLogin(ctx: BenchContext): Promise<LoginFigures[]> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const db = createDb({ tableName: TABLE_NAME, endpoint, region: 'local' });
    await ensureTable(db);
    db.client.destroy();

    const figures: LoginFigures[] = [];
    for (const cost of ctx.settings.loginCosts) {
      progress(`login: bcrypt cost ${cost}`);
      const job: LoginJob = {
        registerBundle: (ctx.functionBundles.register ?? missing('register')).file,
        loginBundle: (ctx.functionBundles.login ?? missing('login')).file,
        cost,
        warmups: ctx.settings.loginWarmups,
        pairs: ctx.settings.loginPairs,
      };
      const jobFile = join(ctx.workDir, `login-${cost}.json`);
      writeFileSync(jobFile, JSON.stringify(job));
      const samples = await runChild<LoginResult>(ctx.scripts.login, [jobFile], {
        timeoutMs: 240_000,
        env: {
          ...ctx.functionEnv,
          ...BENCH_CREDENTIALS,
          AWS_REGION: 'local',
          BCRYPT_COST: String(cost),
          [WIRING_ENV.tableName]: TABLE_NAME,
          [WIRING_ENV.dynamoEndpoint]: endpoint,
          // The signing key from files, as the local stack reads it (deployed: Secrets Manager, once per 5 minutes).
          [WIRING_ENV.localKeysDir]: ctx.keys.dir,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      });
      const handlerMs = median(samples.handlerMs);
      const bcryptMs = median(samples.bcryptMs);
      figures.push({ cost, handlerMs, bcryptMs, overheadMs: handlerMs - bcryptMs, handlerCpuMs: median(samples.handlerCpuMs), samples });
    }
    return figures;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function missing(name: string): never {
  throw new Error(`no bundle for ${name}`);
}
