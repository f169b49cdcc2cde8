/**
 * docs/operations.md against the code: every alarm has its runbook (under
 * the heading its description links to) and its threshold, every metric
 * its row, and the hand-run DynamoDB commands that lock, revoke and unlock
 * a user are run (their arguments, as the shell would pass them) against
 * the table layout, and do what the page says.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALARM_NOTIFY, DEBUG_LOG_SAMPLE_RATE, LOG_LEVEL, LOG_RETENTION } from '../../lib/config';
import { ALARMS, API_5XX_MIN_REQUESTS, runbookAnchor } from '../../lib/constructs/wristband-monitoring';
import { InvalidTokenError, TooManyAttemptsError } from '../../lambdas/contract/errors';
import { GATEWAY_METRICS, METRICS, METRICS_NAMESPACE, type MetricSpec } from '../../lambdas/contract/metric-catalog';
import { domain, tokensOf } from '../support/domain';

const page = readFileSync(join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');

/** GitHub's anchor for a Markdown heading. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
const headings = [...page.matchAll(/^#{2,3} (.+)$/gm)].map(([, text]) => text!);
/** The text of a section, up to the next heading of any level. */
function section(heading: string): string {
  const start = page.indexOf(`\n### ${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const next = page.slice(start + 1).search(/\n#{2,3} /);
  return page.slice(start, next < 0 ? undefined : start + 1 + next);
}
const tableRow = (first: string) => page.split('\n').find((line) => line.startsWith(`| \`${first}\` |`));

describe('docs/operations.md', () => {
  it.each(Object.values(ALARMS).map((a) => [a.id, a] as const))('has a runbook for %s where its description points, with its threshold', (id, alarm) => {
    expect(headings).toContain(alarm.title);
    expect(runbookAnchor(alarm)).toBe(slug(alarm.title));
    const runbook = section(alarm.title);
    expect(runbook).toContain(`\`${id}\``);
    expect(runbook).toMatch(/\*\*Means:\*\*/);
    expect(runbook).toMatch(/\*\*Do:\*\*/);
    const row = tableRow(id);
    expect([id, row]).toEqual([id, expect.stringContaining(`| ${alarm.threshold} `)]);
  });

  it('gives the 5xx rate its minimum traffic', () => {
    expect(tableRow(ALARMS.api5xxRate.id)).toContain(`${API_5XX_MIN_REQUESTS} requests or more`);
  });

  it.each([...Object.values(METRICS), ...Object.values(GATEWAY_METRICS)].map((m) => [m.name, m] as const))('describes the metric %s and its reasons', (name, metric) => {
    const row = tableRow(name);
    expect([name, row]).toEqual([name, expect.any(String)]);
    for (const reason of (metric as MetricSpec).reasons ?? []) expect(row).toContain(`\`${reason}\``);
  });

  it('names the namespace and the settings an operator turns', () => {
    expect(page).toContain(`\`${METRICS_NAMESPACE}\``);
    for (const key of [ALARM_NOTIFY.key, LOG_LEVEL.key, DEBUG_LOG_SAMPLE_RATE.key, LOG_RETENTION.key]) expect(page).toContain(`\`${key}\``);
    expect(page).toContain(`\`${LOG_LEVEL.env}\``);
    expect(page).toContain(`\`${DEBUG_LOG_SAMPLE_RATE.env}\``);
  });
});

/**
 * The words of a shell command line, as the shell passes them on: quoted
 * segments joined, `$VAR` and `$(date +%s)` expanded inside double quotes,
 * line continuations dropped.
 */
function shellWords(command: string, vars: Record<string, string>): string[] {
  const text = command.replace(/\\\n/g, ' ');
  const words: string[] = [];
  let word: string | undefined;
  const expand = (s: string) =>
    s.replace(/\$\(date \+%s\)/g, String(Math.floor(Date.now() / 1000))).replace(/\$([A-Z_]+)/g, (_, name: string) => {
      // Not known yet (set by an earlier command of the block): marked, and refused where it is used.
      return name in vars ? vars[name]! : `<unset ${name}>`;
    });
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      const inner = text.slice(i + 1, end);
      word = (word ?? '') + (c === '"' ? expand(inner) : inner);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The `aws dynamodb <operation>` commands of a code block, each as its flags. */
function dynamoCommands(block: string, vars: Record<string, string>): { operation: string; flags: Record<string, string> }[] {
  return block
    .split(/(?=aws dynamodb )/)
    .filter((part) => part.startsWith('aws dynamodb '))
    .map((part) => {
      const line = part.split(/\n(?!\s)/)[0]!; // up to the end of the command (continuations are indented)
      const words = shellWords(line.replace(/\); do$|\)$/, ''), vars);
      const flags: Record<string, string> = {};
      for (let i = 3; i < words.length; i++) if (words[i]!.startsWith('--')) flags[words[i]!.slice(2)] = words[++i]!;
      return { operation: words[2]!, flags };
    });
}

const json = (text: string | undefined) => {
  if (text === undefined || text.includes('<unset ')) throw new Error(`argument not available: ${text}`);
  return JSON.parse(text) as Record<string, AttributeValue>;
};

describe('the lock, revoke and unlock commands', () => {
  const blocks = [...page.matchAll(/```sh\n([\s\S]*?)```/g)].map(([, body]) => body!);
  const lockBlock = blocks.find((b) => b.includes('put-item') && b.includes('LOCK#'))!;
  const unlockBlock = blocks.find((b) => b.includes('delete-item'))!;

  it('lock the email and revoke the sessions, and unlocking lets the owner in again', async () => {
    const d = await domain();
    const email = 'locked-by-hand@example.com';
    const password = 'a passphrase for the lock test';
    await d.registration.register({ email, password });
    const { refreshToken } = tokensOf(await d.login.login(email, password));
    const vars: Record<string, string> = { TABLE: d.db.tableName, EMAIL: email, UNTIL: String(Math.floor(Date.now() / 1000) + 365 * 24 * 3600) };

    const commands = dynamoCommands(lockBlock, vars);
    expect(commands.map((c) => c.operation)).toEqual(['put-item', 'get-item', 'query', 'update-item']);
    const [put, get, query] = commands as [(typeof commands)[number], (typeof commands)[number], (typeof commands)[number]];
    await d.db.client.send(new PutItemCommand({ TableName: put.flags['table-name'], Item: json(put.flags.item) }));
    const account = await d.db.client.send(new GetItemCommand({ TableName: get.flags['table-name'], Key: json(get.flags.key) }));
    expect(get.flags.query).toBe('Item.userId.S');
    vars.USER_ID = account.Item!.userId!.S!;
    const [, , found, update] = dynamoCommands(lockBlock, vars) as [unknown, unknown, (typeof commands)[number], (typeof commands)[number]];
    const families = await d.db.client.send(
      new QueryCommand({
        TableName: found.flags['table-name'],
        KeyConditionExpression: found.flags['key-condition-expression'],
        ExpressionAttributeValues: json(found.flags['expression-attribute-values']),
      }),
    );
    expect(query.flags.query).toBe('Items[].sk.S');
    expect(families.Items!.length).toBeGreaterThan(0);
    for (const item of families.Items!) {
      const [, , , revoke] = dynamoCommands(lockBlock, { ...vars, SK: item.sk!.S! }) as (typeof commands)[number][];
      await d.db.client.send(
        new UpdateItemCommand({
          TableName: revoke!.flags['table-name'],
          Key: json(revoke!.flags.key),
          UpdateExpression: revoke!.flags['update-expression'],
          ExpressionAttributeValues: json(revoke!.flags['expression-attribute-values']),
        }),
      );
    }
    expect(update.flags['update-expression']).toBe('SET revokedAt = :now');

    await expect(d.login.login(email, password)).rejects.toBeInstanceOf(TooManyAttemptsError);
    await expect(d.sessions.refresh(refreshToken)).rejects.toBeInstanceOf(InvalidTokenError);

    const [unlock] = dynamoCommands(unlockBlock, vars);
    expect(unlock!.operation).toBe('delete-item');
    await d.db.client.send(new DeleteItemCommand({ TableName: unlock!.flags['table-name'], Key: json(unlock!.flags.key) }));
    await expect(d.login.login(email, password)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });
});
