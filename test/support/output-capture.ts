/**
 * Captures what the functions write to stdout and stderr: Powertools'
 * Logger and Metrics write through their own Console on process.stdout /
 * process.stderr (past jest's console), the authorizer's EMF writer with
 * process.stdout.write. Everything written while capturing is kept and
 * nothing reaches the terminal.
 */
import fs from 'node:fs';

export interface EmfPoint {
  readonly namespace: string;
  readonly name: string;
  readonly dimensionSets: string[][];
  readonly dimensions: Record<string, string>;
  readonly value: unknown;
  readonly unit: string;
}

export interface Capture {
  /** Everything written so far, stdout and stderr interleaved. */
  text(): string;
  /** Every JSON line written that is not an EMF document (the logs). */
  logLines(): Record<string, unknown>[];
  /** One entry per metric in every EMF line written. */
  metrics(): EmfPoint[];
  /** Forgets what was written so far. */
  clear(): void;
  restore(): void;
}

export function captureOutput(): Capture {
  const chunks: string[] = [];
  const record = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
    return true;
  };
  const realWriteSync = fs.writeSync;
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(record),
    jest.spyOn(process.stderr, 'write').mockImplementation(record),
    // The authorizer's lines go straight to the descriptors (lambdas/telemetry/write-line.ts).
    jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, data: unknown, ...rest: unknown[]) => {
      if (fd !== 1 && fd !== 2) return (realWriteSync as (...a: unknown[]) => number)(fd, data, ...rest);
      const bytes = Buffer.isBuffer(data) ? data.subarray(typeof rest[0] === 'number' ? rest[0] : 0) : Buffer.from(String(data));
      record(bytes);
      return bytes.length;
    }) as typeof fs.writeSync),
  ];
  const jsonLines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line.trim().startsWith('{'))
      .map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          return undefined;
        }
      })
      .filter((line): line is Record<string, unknown> => line !== undefined);
  return {
    text: () => chunks.join(''),
    logLines: () => jsonLines().filter((line) => !('_aws' in line)),
    metrics: () => jsonLines().flatMap(emfPoints),
    clear: () => {
      chunks.length = 0;
    },
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: string }[];
}

/** The metrics of one EMF document, each with the dimension values its first dimension set names, plus `reason` if present. */
export function emfPoints(doc: Record<string, unknown>): EmfPoint[] {
  const aws = doc._aws as { CloudWatchMetrics?: EmfDirective[] } | undefined;
  if (!aws?.CloudWatchMetrics) return [];
  return aws.CloudWatchMetrics.flatMap((directive) => {
    const names = [...new Set(directive.Dimensions.flat())];
    const dimensions = Object.fromEntries(names.map((name) => [name, String(doc[name])]));
    return directive.Metrics.map((metric) => ({
      namespace: directive.Namespace,
      name: metric.Name,
      unit: metric.Unit,
      dimensionSets: directive.Dimensions,
      dimensions,
      value: doc[metric.Name],
    }));
  });
}
