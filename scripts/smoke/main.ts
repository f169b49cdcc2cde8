/**
 * `npm run smoke -- <ApiUrl>`: run after `cdk deploy` against the deployed
 * stage (the ApiUrl output). Prints a short report; exits 1 when a contract
 * path fails, 2 on a bad command line. scripts/smoke/smoke.ts says what it
 * does and what it leaves behind.
 */
import { sender } from './http';
import { formatReport } from './report';
import { runSmoke } from './smoke';

async function main(argv: readonly string[]): Promise<number> {
  const [apiUrl, ...rest] = argv;
  if (!apiUrl || rest.length > 0 || !/^https?:\/\//.test(apiUrl)) {
    process.stderr.write('usage: npm run smoke -- <ApiUrl>   (the ApiUrl output of cdk deploy, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/prod/)\n');
    return 2;
  }
  const report = await runSmoke(sender(apiUrl));
  process.stdout.write(formatReport(report, apiUrl));
  return report.ok ? 0 : 1;
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
