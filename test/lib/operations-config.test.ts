/** The operations keys of the configuration: log level, debug log sampling, where alarms notify. */
import { ALARM_NOTIFY, CONFIG_KEYS, DEBUG_LOG_SAMPLE_RATE, LOG_LEVEL, resolveConfig } from '../../lib/config';
import { context, problemsOf } from './synth';


describe('the operations configuration', () => {
  it('defaults to INFO logs, 1% debug sampling and alarms that notify nobody', () => {
    const config = resolveConfig();

    expect([config.logLevel, config.debugLogSampleRate, config.alarmNotify]).toEqual([LOG_LEVEL.default, DEBUG_LOG_SAMPLE_RATE.default, undefined]);
    expect([LOG_LEVEL.default, DEBUG_LOG_SAMPLE_RATE.default]).toEqual(['INFO', 0.01]);
  });

  it('lists its keys among the configuration keys', () => {
    expect(CONFIG_KEYS).toEqual(expect.arrayContaining([LOG_LEVEL.key, DEBUG_LOG_SAMPLE_RATE.key, ALARM_NOTIFY.key]));
  });

  it.each([
    ['debug', 'DEBUG'],
    ['WARN', 'WARN'],
    [' error ', 'ERROR'],
  ])('takes log level %j as %s', (value, level) => {
    expect(resolveConfig(context({ logLevel: value })).logLevel).toBe(level);
  });

  it.each(['loud', 'TRACE', 'SILENT', 3])('refuses log level %j', (value) => {
    expect(problemsOf(context({ logLevel: value }))).toEqual([`logLevel must be one of DEBUG, INFO, WARN, ERROR, got ${typeof value === 'string' ? JSON.stringify(value) : value}`]);
  });

  it.each([
    ['0', 0],
    ['0.05', 0.05],
    [1, 1],
    [0.5, 0.5],
  ])('takes debug log sample rate %j as %s', (value, rate) => {
    expect(resolveConfig({ props: { debugLogSampleRate: value as number } }).debugLogSampleRate).toBe(rate);
  });

  it.each(['1.5', -0.1, 'often', '5%', Number.NaN])('refuses debug log sample rate %j', (value) => {
    expect(problemsOf(context({ debugLogSampleRate: value }))).toEqual([expect.stringMatching(/^debugLogSampleRate must be a number from 0 to 1, got /)]);
  });

  it('takes an email address: the stack creates a topic and subscribes it', () => {
    expect(resolveConfig(context({ alarmNotify: 'ops@example.com' })).alarmNotify).toEqual({ kind: 'email', address: 'ops@example.com' });
  });

  it.each(['arn:aws:sns:eu-west-1:123456789012:wristband-alarms', 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:ops', 'arn:aws-cn:sns:cn-north-1:123456789012:ops'])(
    'takes the SNS topic ARN %s',
    (arn) => {
      expect(resolveConfig(context({ alarmNotify: arn })).alarmNotify).toEqual({ kind: 'topic', arn });
    },
  );

  it.each([
    'nope',
    'ops@example',
    'Ops <ops@example.com>',
    'a@example.com,b@example.com',
    'arn:aws:sns:eu-west-1:123456789012:alarms.fifo',
    'arn:aws:sqs:eu-west-1:123456789012:alarms',
    'arn:aws:sns:eu-west-1:1234:alarms',
    42,
  ])('refuses %j as where alarms notify', (value) => {
    expect(problemsOf(context({ alarmNotify: value }))).toEqual([expect.stringMatching(/^alarmNotify must be an email address or a standard SNS topic ARN/)]);
  });

  it('catches a near-miss spelling of the new keys', () => {
    expect(problemsOf({ contextKeys: ['alarmnotify', 'LogLevel'] })).toEqual([
      'context key alarmnotify is misspelt: did you mean alarmNotify?',
      'context key LogLevel is misspelt: did you mean logLevel?',
    ]);
  });
});
