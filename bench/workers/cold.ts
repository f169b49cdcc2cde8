/**
 * Child process: a cold start. With a bundle, import it as Lambda does and
 * make the first decision (its keys come from the local stand-in); without
 * one, nothing (the empty-process baseline). Reports milliseconds since the
 * process began (performance.timeOrigin), so process exit is not counted,
 * and the CPU time the process has used by then (all its threads).
 */
import { pathToFileURL } from 'node:url';
import { report } from './protocol';

const [bundle, token, methodArn] = process.argv.slice(2) as [string, string, string];
if (bundle !== '-') {
  const { handler } = (await import(pathToFileURL(bundle).href)) as {
    handler: (event: object) => Promise<{ policyDocument?: { Statement: { Effect: string }[] } }>;
  };
  const result = await handler({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn });
  if (result.policyDocument?.Statement[0]?.Effect !== 'Allow') throw new Error('the first decision was not an Allow');
}
const cpu = process.cpuUsage();
report({ ms: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000 });
process.exit(0);
