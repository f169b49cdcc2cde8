/**
 * A fault-injecting HTTP proxy in front of dynalite: the handlers' DynamoDB
 * client talks to it as it would to DynamoDB, and a test decides which
 * calls hang, lose their connection, come back slow, fail the way DynamoDB
 * fails, or land and then lose their answer (so the SDK retries a write
 * that already happened).
 *
 * Rules match by operation (`PutItem`, ...), by a predicate on the request
 * body, and by position: the Nth matching call, then `times` calls from
 * there (Infinity: every one until the rule is cleared). Every call is
 * logged with the fault it got, so tests can count what they injected.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** Never answers: the SDK's request timeout fires. */
  | { readonly kind: 'hang' }
  /** Closes the connection without an answer (ECONNRESET / socket hang up). */
  | { readonly kind: 'drop' }
  /** Forwards after a pause. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Answers the way DynamoDB answers an error (ThrottlingException 400, InternalServerError 500, ...). */
  | { readonly kind: 'error'; readonly status: number; readonly type: string }
  /** Forwards (the write lands in dynalite), then closes the connection instead of answering. */
  | { readonly kind: 'lose-answer' };

export interface FaultRule {
  /** DynamoDB operation name, e.g. `PutItem`; any operation when absent. */
  readonly operation?: string;
  /** Only calls whose JSON body passes this. */
  readonly when?: (body: DynamoRequestBody) => boolean;
  /** The first matching call to fault, counting from 1 (default 1). */
  readonly nth?: number;
  /** How many matching calls to fault from the Nth on (default 1; Infinity for all). */
  readonly times?: number;
  readonly fault: Fault;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DynamoRequestBody = Record<string, any>;

export interface ProxiedCall {
  readonly operation: string;
  readonly fault: Fault['kind'] | undefined;
}

interface ActiveRule {
  readonly rule: FaultRule;
  seen: number;
  applied: number;
}

export const THROTTLED: Fault = { kind: 'error', status: 400, type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException' };
export const INTERNAL_ERROR: Fault = { kind: 'error', status: 500, type: 'com.amazonaws.dynamodb.v20120810#InternalServerError' };

/** The partition key of the item a Put/Update/Delete/Get names, if any. */
export function itemKeyOf(body: DynamoRequestBody): string | undefined {
  const pk = body.Item?.pk?.S ?? body.Key?.pk?.S;
  return typeof pk === 'string' ? pk : undefined;
}

export class DynamoProxy {
  readonly calls: ProxiedCall[] = [];
  private rules: ActiveRule[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
    readonly endpoint: string,
  ) {}

  /** Starts a proxy in front of the DynamoDB endpoint `target`. */
  static async start(target: string): Promise<DynamoProxy> {
    let proxy: DynamoProxy | undefined;
    const server = createServer((req, res) => proxy?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new DynamoProxy(server, new URL(target), `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('connection', (socket) => {
      proxy?.sockets.add(socket);
      socket.on('close', () => proxy?.sockets.delete(socket));
    });
    return proxy;
  }

  inject(rule: FaultRule): this {
    this.rules.push({ rule, seen: 0, applied: 0 });
    return this;
  }

  /** Removes every rule (calls already hanging stay hung until `stop`). */
  clear(): this {
    this.rules = [];
    return this;
  }

  /** How many calls got a fault (of one kind, or any). */
  faulted(kind?: Fault['kind']): number {
    return this.calls.filter((c) => c.fault !== undefined && (kind === undefined || c.fault === kind)).length;
  }

  /** Stops listening and cuts every open connection, hung ones included. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.slice(target.indexOf('.') + 1);
      let body: DynamoRequestBody = {};
      try {
        body = JSON.parse(raw.toString('utf8')) as DynamoRequestBody;
      } catch {
        // Not JSON: only operation rules can match.
      }
      const fault = this.pick(operation, body);
      this.calls.push({ operation, fault: fault?.kind });
      switch (fault?.kind) {
        case undefined:
          return this.forward(req, raw, res, false);
        case 'hang':
          return;
        case 'drop':
          return void res.socket?.destroy();
        case 'delay': {
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            if (!res.socket?.destroyed) this.forward(req, raw, res, false);
          }, fault.ms);
          this.timers.add(timer);
          return;
        }
        case 'error':
          res.writeHead(fault.status, { 'Content-Type': 'application/x-amz-json-1.0' });
          return void res.end(JSON.stringify({ __type: fault.type, message: `injected ${fault.type.slice(fault.type.indexOf('#') + 1)}` }));
        case 'lose-answer':
          return this.forward(req, raw, res, true);
      }
    });
  }

  private pick(operation: string, body: DynamoRequestBody): Fault | undefined {
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      if (rule.when && !rule.when(body)) continue;
      active.seen += 1;
      if (active.seen < (rule.nth ?? 1) || active.applied >= (rule.times ?? 1)) continue;
      active.applied += 1;
      return rule.fault;
    }
    return undefined;
  }

  private forward(req: IncomingMessage, raw: Buffer, res: ServerResponse, loseAnswer: boolean): void {
    const upstream = httpRequest(
      { host: this.target.hostname, port: this.target.port, path: req.url, method: req.method, headers: { ...req.headers, host: this.target.host } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          if (loseAnswer) return void res.socket?.destroy();
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          res.end(Buffer.concat(chunks));
        });
      },
    );
    upstream.on('error', () => res.socket?.destroy());
    upstream.end(raw);
  }
}
