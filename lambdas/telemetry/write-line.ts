/**
 * Writes text to stdout or stderr through the file descriptor, as the
 * Lambda runtime itself writes console output. The first touch of
 * `process.stdout` builds a stream object (1 to 2 ms in a fresh process on
 * a pipe), which the authorizer would otherwise pay on every cold start for
 * its first metric line. If the descriptor refuses (a full non-blocking
 * pipe), Node's stream takes the rest.
 */
import { writeSync } from 'node:fs';

export const STDOUT = 1;
export const STDERR = 2;

export function writeText(fd: typeof STDOUT | typeof STDERR, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  try {
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
  } catch {
    (fd === STDOUT ? process.stdout : process.stderr).write(bytes.subarray(offset));
  }
}
