/**
 * The page globals the tests touch inside `page.evaluate` callbacks, typed here because the project's
 * tsconfig has no DOM lib (adding it would apply to the Lambda code too). Only types: the callbacks run
 * in the browser, where these are the real objects.
 */
export interface PageGlobals {
  readonly document: { getElementById(id: string): { click(): void; textContent: string | null } | null };
  readonly localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  getComputedStyle(element: unknown): { outlineStyle: string };
}
