/**
 * The README's facts are read from the code, so a changed default or a
 * renamed script fails here instead of misleading a reader.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALARM_NOTIFY, DEBUG_LOG_SAMPLE_RATE, LOG_LEVEL, LOG_LEVELS, LOG_RETENTION, REMOVAL_POLICY, resolveConfig, STACK_SETTINGS } from '../../lib/config';
import { AUTH_RATE_LIMIT, AUTH_RATE_LIMIT_WINDOW, EMAIL_VERIFICATION_MODES, MAIL_SETTINGS, SETTINGS, TOKEN_IDENTITY } from '../../lambdas/contract/settings';
import { DEMO_ACCOUNTS } from '../../local/stack';

const ROOT = join(__dirname, '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

function row(key: string): string[] {
  const line = readme.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
  if (!line) throw new Error(`README configuration table has no row for ${key}`);
  return line.split('|').slice(1, -1).map((cell) => cell.trim());
}

it('lists every setting with its variable, default and deployed range', () => {
  for (const setting of Object.values(SETTINGS)) {
    const [, env, def, allowed] = row(setting.key);
    expect([setting.key, env]).toEqual([setting.key, `\`${setting.env}\``]);
    expect([setting.key, def]).toEqual([setting.key, String(setting.default)]);
    const min = 'deployedMin' in setting ? setting.deployedMin : setting.min;
    expect(allowed).toContain(`${min}–${setting.max}`);
  }
});

it('lists the mail settings with their variables, the verification modes and the default mode', () => {
  const [, env, def, allowed] = row(MAIL_SETTINGS.emailVerification.key);
  expect([env, def, allowed]).toEqual([`\`${MAIL_SETTINGS.emailVerification.env}\``, `\`${MAIL_SETTINGS.emailVerification.default}\``, EMAIL_VERIFICATION_MODES.map((m) => `\`${m}\``).join(', ').replace(/, ([^,]+)$/, ' or $1')]);
  expect(row(MAIL_SETTINGS.mailFrom.key).slice(1, 3)).toEqual([`\`${MAIL_SETTINGS.mailFrom.env}\``, 'none']);
  expect(row(MAIL_SETTINGS.appUrl.key)[1]).toBe(`\`${MAIL_SETTINGS.appUrl.env}\``);
});

it('lists the issuer, audience and stack-only settings with their defaults', () => {
  expect(row(TOKEN_IDENTITY.issuer.key)[2]).toBe(`\`${TOKEN_IDENTITY.issuer.default}\``);
  expect(row(TOKEN_IDENTITY.audience.key)[2]).toBe(`\`${TOKEN_IDENTITY.audience.default}\``);
  for (const setting of Object.values(STACK_SETTINGS)) {
    const [, , def, allowed] = row(setting.key);
    expect([setting.key, def]).toEqual([setting.key, String(setting.default)]);
    expect(allowed).toBe(`${setting.min}–${setting.max}`);
  }
  expect(row(LOG_RETENTION.key)[2]).toBe(String(LOG_RETENTION.default));
  expect(row(REMOVAL_POLICY.key)[2]).toBe(`\`${REMOVAL_POLICY.default}\``);
});

it('lists the operations settings: log level, debug log sampling, where alarms notify', () => {
  expect(row(LOG_LEVEL.key).slice(1, 4)).toEqual([`\`${LOG_LEVEL.env}\``, `\`${LOG_LEVEL.default}\``, LOG_LEVELS.map((l) => `\`${l}\``).join(', ').replace(/, ([^,]+)$/, ' or $1')]);
  expect(row(DEBUG_LOG_SAMPLE_RATE.key).slice(1, 4)).toEqual([
    `\`${DEBUG_LOG_SAMPLE_RATE.env}\``,
    String(DEBUG_LOG_SAMPLE_RATE.default),
    `${DEBUG_LOG_SAMPLE_RATE.min}–${DEBUG_LOG_SAMPLE_RATE.max}`,
  ]);
  expect(row(ALARM_NOTIFY.key).slice(1, 3)).toEqual(['–', 'none']);
  expect(readme).toContain('[docs/operations.md](docs/operations.md)');
});

it('lists the per-client rate limit with its variables, defaults and the ranges AWS WAF accepts', () => {
  expect(row(AUTH_RATE_LIMIT.key).slice(1, 4)).toEqual([`\`${AUTH_RATE_LIMIT.env}\``, String(AUTH_RATE_LIMIT.default), `${AUTH_RATE_LIMIT.off} (no WAF) or ${AUTH_RATE_LIMIT.min}–${AUTH_RATE_LIMIT.max}`]);
  expect(row(AUTH_RATE_LIMIT_WINDOW.key).slice(1, 4)).toEqual([
    `\`${AUTH_RATE_LIMIT_WINDOW.env}\``,
    String(AUTH_RATE_LIMIT_WINDOW.default),
    AUTH_RATE_LIMIT_WINDOW.allowed.join(', ').replace(/, ([^,]+)$/, ' or $1'),
  ]);
});

it('names the demo accounts the local stack creates', () => {
  for (const account of DEMO_ACCOUNTS) {
    expect(readme).toContain(`| \`${account.email}\` | \`${account.password}\` | ${account.role} |`);
  }
});

it('documents only npm scripts that exist', () => {
  for (const [, name] of readme.matchAll(/npm (?:run )?([a-z][a-z:-]*)/g)) {
    if (['ci', 'install', 'run'].includes(name as string)) continue;
    expect([name, scripts[name as string]]).toEqual([name, expect.any(String)]);
  }
});

it("states the Node.js version package.json's engines asks for", () => {
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  expect(engines).toMatch(/^>=\d+\.\d+$/);
  expect(readme).toContain(`Node.js ${engines.slice(2)} or newer`);
});

it('gives the issuer and audience the rule their synth error states (no spaces)', () => {
  expect(() => resolveConfig({ context: (key) => (key === TOKEN_IDENTITY.issuer.key ? 'has space' : undefined) })).toThrow(/printable characters without spaces/);
  expect(row(TOKEN_IDENTITY.issuer.key)[3]).toMatch(/printable characters without spaces/);
  expect(row(TOKEN_IDENTITY.audience.key)[3]).toMatch(/printable characters without spaces/);
});
