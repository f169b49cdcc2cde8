/**
 * `npm run events`: (re)writes events/ from the route table, so the sample
 * events never drift from the routes. `npm run events -- --check` writes
 * nothing and exits 1 if events/ differs from what it would write.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventsReadme, sampleEvents } from './samples';

export const EVENTS_DIR = join(__dirname, '..', '..', 'events');

/** Every file events/ should hold, by name, with its exact text. */
export function renderEvents(): Map<string, string> {
  const samples = sampleEvents();
  const files = new Map<string, string>();
  for (const sample of samples) {
    if (files.has(sample.file)) throw new Error(`two samples want events/${sample.file}`);
    files.set(sample.file, `${JSON.stringify(sample.event, null, 2)}\n`);
  }
  files.set('README.md', eventsReadme(samples));
  return files;
}

/** What differs between `dir` and `files`: missing, changed and extra file names. */
export function eventsDrift(dir: string, files: ReadonlyMap<string, string>): { missing: string[]; changed: string[]; extra: string[] } {
  const present = new Set(listDir(dir));
  const missing: string[] = [];
  const changed: string[] = [];
  for (const [name, text] of files) {
    if (!present.has(name)) missing.push(name);
    else if (readFileSync(join(dir, name), 'utf8') !== text) changed.push(name);
  }
  const extra = [...present].filter((name) => !files.has(name)).sort();
  return { missing, changed, extra };
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function main(argv: readonly string[]): number {
  const files = renderEvents();
  if (argv.includes('--check')) {
    const drift = eventsDrift(EVENTS_DIR, files);
    const problems = [
      ...drift.missing.map((f) => `missing: events/${f}`),
      ...drift.changed.map((f) => `differs: events/${f}`),
      ...drift.extra.map((f) => `not generated: events/${f}`),
    ];
    if (problems.length === 0) return 0;
    process.stderr.write(`${problems.join('\n')}\nrun npm run events to regenerate events/\n`);
    return 1;
  }
  mkdirSync(EVENTS_DIR, { recursive: true });
  // Files the generator no longer makes would otherwise linger as stale samples.
  for (const name of listDir(EVENTS_DIR)) if (!files.has(name)) rmSync(join(EVENTS_DIR, name));
  for (const [name, text] of files) writeFileSync(join(EVENTS_DIR, name), text);
  process.stderr.write(`wrote ${files.size} files to events/\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
