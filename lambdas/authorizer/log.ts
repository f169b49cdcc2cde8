/**
 * The authorizer's log lines: the same JSON shape Powertools' Logger
 * writes for the other functions (`level`, `message`, `timestamp`,
 * `service`, the Lambda context keys, `sampling_rate`, `xray_trace_id`,
 * then the attributes), so one Logs Insights query reads them all; the
 * same level variables; ERROR to stderr, the rest to stdout.
 *
 * Why not Powertools itself: the authorizer logs two lines (a refusal and
 * a failure), and Powertools' Logger is ~23 KB of its bundle and ~3 ms of
 * every cold start (docs/performance.md), paid on the path that answers
 * almost every request with an Allow and logs nothing.
 */
import { STDERR, STDOUT, writeText } from '../telemetry/write-line';

/** Powertools' numeric levels. */
const LEVELS = { TRACE: 6, DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, CRITICAL: 24, SILENT: 28 } as const;
type LevelName = keyof typeof LEVELS;

export interface LogContext {
  readonly functionName?: string;
  readonly awsRequestId?: string;
  readonly invokedFunctionArn?: string;
  readonly memoryLimitInMB?: string | number;
}

type Env = Readonly<Record<string, string | undefined>>;

function levelOf(value: string | undefined): LevelName | undefined {
  const name = value?.trim().toUpperCase();
  return name && name in LEVELS ? (name as LevelName) : undefined;
}

export class AuthorizerLog {
  private readonly threshold: number;
  private readonly service: string;
  private readonly samplingRate: number;
  private readonly pretty: boolean;
  private coldStart = true;
  private context: LogContext | undefined;

  constructor(
    private readonly env: Env = process.env,
    private readonly write: (level: LevelName, line: string) => void = defaultWrite,
  ) {
    // Powertools' order: Lambda's advanced logging controls, then its own variable, then LOG_LEVEL.
    const level = levelOf(env.AWS_LAMBDA_LOG_LEVEL) ?? levelOf(env.POWERTOOLS_LOG_LEVEL) ?? levelOf(env.LOG_LEVEL) ?? 'INFO';
    this.threshold = LEVELS[level];
    this.service = env.POWERTOOLS_SERVICE_NAME || 'wristband';
    const rate = Number(env.POWERTOOLS_LOGGER_SAMPLE_RATE);
    this.samplingRate = Number.isFinite(rate) ? rate : 0;
    this.pretty = env.POWERTOOLS_DEV === 'true';
  }

  /** The invocation the next lines belong to (call first thing in the handler). */
  startInvocation(context: LogContext | undefined): void {
    if (this.context !== undefined) this.coldStart = false;
    this.context = context ?? {};
  }

  info(message: string, attributes: Record<string, unknown> = {}): void {
    this.log('INFO', message, attributes);
  }

  error(message: string, attributes: Record<string, unknown> = {}): void {
    this.log('ERROR', message, attributes);
  }

  private log(level: LevelName, message: string, attributes: Record<string, unknown>): void {
    if (LEVELS[level] < this.threshold) return;
    const c = this.context;
    const line = {
      level,
      message,
      timestamp: new Date().toISOString(),
      service: this.service,
      cold_start: c ? this.coldStart : undefined,
      function_arn: c?.invokedFunctionArn,
      function_memory_size: c?.memoryLimitInMB === undefined ? undefined : Number(c.memoryLimitInMB),
      function_name: c?.functionName,
      function_request_id: c?.awsRequestId,
      sampling_rate: this.samplingRate,
      xray_trace_id: /Root=([^;]+)/.exec(this.env._X_AMZN_TRACE_ID ?? '')?.[1],
      ...attributes,
    };
    this.write(level, `${JSON.stringify(line, undefined, this.pretty ? 4 : undefined)}\n`);
  }
}

function defaultWrite(level: LevelName, line: string): void {
  writeText(LEVELS[level] >= LEVELS.ERROR ? STDERR : STDOUT, line);
}
