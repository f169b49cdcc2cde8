/**
 * Placeholders in the sample events for what only a running local stack
 * knows: a user's id (random per DATA_DIR) and fresh tokens (signed with
 * that stack's keys). `npm run invoke` fills them in from the local stack
 * under DATA_DIR; anything else (SAM, a deployed function) receives them as
 * they are, and answers as the contract says for an unknown id or an
 * invalid token.
 *
 * `{{user-id:alice@example.com}}`, `{{access-token:…}}`, `{{refresh-token:…}}`.
 */

export const PLACEHOLDER_KINDS = ['user-id', 'access-token', 'refresh-token'] as const;
export type PlaceholderKind = (typeof PLACEHOLDER_KINDS)[number];

export interface Placeholder {
  readonly kind: PlaceholderKind;
  readonly email: string;
}

const PATTERN = /\{\{(user-id|access-token|refresh-token):([^{}\s]+)\}\}/g;

/** The placeholder text for `kind` of the account `email`. */
export function placeholder(kind: PlaceholderKind, email: string): string {
  return `{{${kind}:${email}}}`;
}

/** Every distinct placeholder anywhere in `value` (strings inside objects and arrays), in order of appearance. */
export function placeholdersIn(value: unknown): Placeholder[] {
  const found = new Map<string, Placeholder>();
  visitStrings(value, (text) => {
    for (const [whole, kind, email] of text.matchAll(PATTERN)) found.set(whole, { kind: kind as PlaceholderKind, email: email as string });
    return text;
  });
  return [...found.values()];
}

/**
 * A copy of `value` with each placeholder replaced by `fill`'s answer;
 * placeholders `fill` has no answer for stay as they are.
 */
export function fillPlaceholders<T>(value: T, fill: (placeholder: Placeholder) => string | undefined): T {
  return visitStrings(value, (text) =>
    text.replace(PATTERN, (whole, kind: string, email: string) => fill({ kind: kind as PlaceholderKind, email }) ?? whole),
  ) as T;
}

function visitStrings(value: unknown, visit: (text: string) => string): unknown {
  if (typeof value === 'string') return visit(value);
  if (Array.isArray(value)) return value.map((item) => visitStrings(item, visit));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = visitStrings(item, visit);
    return out;
  }
  return value;
}
