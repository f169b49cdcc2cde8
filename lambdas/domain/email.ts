import { LIMITS } from '../contract/settings';

/**
 * An address that looks deliverable: one `@`, a local part of at most 64
 * characters, a dotted domain, no spaces or control characters. Full RFC
 * 5322 syntax (quoted local parts, comments) is deliberately refused: no
 * mail system a user signs up with needs it, and every accepted form is a
 * form an attacker can use to make two spellings of one mailbox.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this pattern refuses
const EMAIL = /^[^\s@"(),:;<>[\\\]\u0000-\u001f\u007f]{1,64}@(?:[^\s@"(),:;<>[\\\]\u0000-\u001f\u007f.]+\.)+[^\s@"(),:;<>[\\\]\u0000-\u001f\u007f.]{2,}$/u;

/** Trimmed and lower-cased, as the contract says; undefined if it does not look like an address. */
export function normalizeEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  if ([...email].length > LIMITS.emailMaxLength) return undefined;
  return EMAIL.test(email) ? email : undefined;
}
