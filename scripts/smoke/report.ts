/** The smoke test's printed report: short, one line per check. */
import type { SmokeReport } from './smoke';

export function formatReport(report: SmokeReport, apiUrl: string): string {
  const lines = [`wristband smoke test of ${apiUrl}`, '', 'Contract paths:'];
  for (const check of report.checks) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
  lines.push('', 'Behaviour the documentation leaves open (recorded, not judged):');
  for (const observation of report.observations) lines.push(`  - ${observation.question}: ${observation.answer}`);
  const count = report.authorizerCount;
  const { apiId, region } = apiOf(apiUrl);
  const regionFlag = region ? ` --region ${region}` : '';
  lines.push(
    '',
    'Authorizer invocations for this run (needs CloudWatch; the metric lags a few minutes, and other traffic counts too):',
    `  fn=$(aws apigateway get-authorizers${regionFlag} --rest-api-id ${apiId} --query 'items[0].authorizerUri' --output text | sed -E 's#.*:function:([^/]+)/invocations#\\1#')`,
    `  aws cloudwatch get-metric-statistics${regionFlag} --namespace AWS/Lambda --metric-name Invocations --dimensions Name=FunctionName,Value="$fn" --start-time ${minuteFloor(count.from)} --end-time ${minuteCeil(count.to)} --period 60 --statistics Sum`,
    `  Expect ${count.ifBothCached} if API Gateway caches Allow and 401 per token, ${count.ifAllowCachedOnly} if it caches Allow only, ${count.ifNothingCached} with no cache.`,
  );
  lines.push('', report.leftBehind.length === 0 ? 'Left behind: nothing.' : `Left behind: ${report.leftBehind.join('; ')}`);
  lines.push('', report.ok ? 'Result: every contract path passed.' : `Result: ${report.checks.filter((c) => !c.ok).length} contract path(s) FAILED.`);
  return `${lines.join('\n')}\n`;
}

/** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}/` -> its API id and region (placeholders for other URLs). */
export function apiOf(apiUrl: string): { apiId: string; region: string | undefined } {
  const match = /^https:\/\/([a-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(apiUrl);
  return match ? { apiId: match[1] as string, region: match[2] as string } : { apiId: '<rest-api-id>', region: undefined };
}

function minuteFloor(iso: string): string {
  return `${iso.slice(0, 16)}:00Z`;
}

function minuteCeil(iso: string): string {
  const date = new Date(iso);
  date.setUTCSeconds(0, 0);
  date.setUTCMinutes(date.getUTCMinutes() + 1);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
