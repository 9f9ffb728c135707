/**
 * The value, or a clear error naming what was missing. For values the code's own logic
 * guarantees (the row a statement always returns, the first element of a list just checked to be
 * non-empty): where `!` would let a broken guarantee surface later as an unrelated TypeError,
 * this fails at the place that made the promise and says which promise it was.
 */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`${what} is missing`);
  return value;
}
