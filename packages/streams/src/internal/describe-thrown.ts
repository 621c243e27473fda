/**
 * A one-line description of a thrown value for an error message, which never throws itself: a
 * value whose `String()` throws (`Object.create(null)`, a hostile `toString`) must not turn a
 * reported failure into a lost one.
 */
export function describeThrown(value: unknown): string {
  try {
    if (value instanceof Error) return value.message;
    return String(value);
  } catch {
    return `an unprintable ${value === null ? "null" : typeof value} value`;
  }
}
