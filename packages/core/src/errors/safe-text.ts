/**
 * Text about user values for error messages and reports, made so that no value can break the
 * message or the code building it: a value whose `String()` throws (`Object.create(null)`), a
 * Proxy whose every trap throws, a revoked Proxy, an error whose `message` getter throws, or a
 * label full of newlines that would forge extra lines in a multi-line report. Every function here
 * returns a string and never throws.
 */

/** Longest user text kept by {@link quote} unless told otherwise. */
const DEFAULT_MAX = 80;

/**
 * A short, safe description of any value's type, for "must be X, got Y" messages:
 * `the string "abc"`, `number NaN`, `an object (Map)`, `an array`, `a function`.
 */
export function describe(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return `the string ${quote(value, 40)}`;
    case "number":
    case "boolean":
    case "bigint":
      return `${typeof value} ${String(value)}`;
    case "undefined":
      return "undefined";
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
    default:
      return describeObject(value as object);
  }
}

function describeObject(value: object): string {
  try {
    // Array.isArray and the prototype walk both throw on a revoked Proxy; the constructor read
    // runs a Proxy's `get` trap: either may throw, and a description must not.
    if (Array.isArray(value)) return "an array";
    const proto = Object.getPrototypeOf(value) as { constructor?: unknown } | null;
    if (proto === null) return "an object (no prototype)";
    const ctor = proto.constructor;
    const name = typeof ctor === "function" ? (ctor as { name?: unknown }).name : undefined;
    return typeof name === "string" && name !== "" ? `an object (${quote(name, 40, false)})` : "an object";
  } catch {
    return "an object (unreadable)";
  }
}

/**
 * User text (a label, a kernel name, a tag) made safe to embed in a message or a one-line report:
 * control characters, quotes and backslashes are escaped as in a JSON string, and text longer
 * than `maxLength` characters is cut with `…`. Anything that is not a string is described with
 * {@link describe} instead.
 *
 * @param quoted - wrap the result in double quotes (default `true`).
 * @example
 * ```ts
 * quote('a\nb'); // '"a\\nb"'
 * ```
 */
export function quote(text: unknown, maxLength = DEFAULT_MAX, quoted = true): string {
  if (typeof text !== "string") return describe(text);
  const max = Number.isSafeInteger(maxLength) && maxLength > 0 ? maxLength : DEFAULT_MAX;
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  // JSON.stringify escapes control characters (newlines included), quotes and backslashes, and
  // lone surrogates (as \uXXXX), so the result is one printable line.
  const json = JSON.stringify(cut);
  return quoted ? json : json.slice(1, -1);
}

/**
 * The message of a thrown value, safely and bounded (to `maxLength` characters): an `Error`'s
 * `message`, a string as it is, anything else through `String()` — and when even that throws, a
 * {@link describe} of it. Use it wherever a caught value goes into a message.
 *
 * @example
 * ```ts
 * errorMessage(new RangeError("too big")); // "too big"
 * errorMessage(Object.create(null));       // "an object (no prototype)"
 * ```
 */
export function errorMessage(value: unknown, maxLength = 500): string {
  let text: string;
  try {
    if (value instanceof Error) {
      const message = value.message;
      text = typeof message === "string" ? message : describe(message);
    } else if (typeof value === "string") {
      text = value;
    } else if (typeof value === "object" && value !== null) {
      text = String(value);
      // "[object Object]" says nothing; the type does.
      if (text.startsWith("[object ")) text = describe(value);
    } else {
      text = typeof value === "symbol" ? value.toString() : String(value);
    }
  } catch {
    text = describe(value);
  }
  if (typeof text !== "string") text = describe(value);
  const max = Number.isSafeInteger(maxLength) && maxLength > 0 ? maxLength : 500;
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
