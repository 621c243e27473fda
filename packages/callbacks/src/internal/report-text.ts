import { describe } from "@npurt/core/internal";

/** Longest piece of user text (a label) quoted in a message or report line, in characters. */
export const MAX_TEXT = 64;

/**
 * A label as it appears in messages and report lines: quoted and escaped (a newline in a
 * label cannot forge a line of `validate().toString()`), cut to {@link MAX_TEXT} characters (a
 * megabyte label cannot flood a log), and followed by the node's id, so two nodes with the
 * same label are told apart in a cycle path.
 */
export function nodeText(id: number, label: string | undefined): string {
  if (label === undefined) return `#${id}`;
  // A plain word reads better bare, and cannot be mistaken for the surrounding text.
  return `${PLAIN.test(label) && label.length <= MAX_TEXT ? label : quoted(label)}#${id}`;
}

// Letters, digits and a few separators: nothing that quotes, arrows, spaces or line breaks
// could be forged from.
const PLAIN = /^[\p{L}\p{N}_.:/-]+$/u;

/** `text` cut to {@link MAX_TEXT} characters and JSON-quoted (control characters escaped). */
export function quoted(text: string): string {
  const cut = text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
  return JSON.stringify(cut);
}

/**
 * A message for any thrown value, never throwing itself. `String()` throws for some values
 * (`Object.create(null)`, a symbol-keyed `toString` that throws, a revoked Proxy), and a throw
 * while wrapping a callback's error would escape the run's error handling and leave the run
 * (or a task's `done`) unsettled forever. Bounded like labels, since it is user text too.
 */
export function messageOf(value: unknown): string {
  let text: string;
  try {
    text = value instanceof Error ? String(value.message) : String(value);
  } catch {
    try {
      text = `unprintable value (${describe(value)})`;
    } catch {
      text = "unprintable value";
    }
  }
  return text.length > 4 * MAX_TEXT ? `${text.slice(0, 4 * MAX_TEXT)}…` : text;
}
