import { NpuError, NpuTypeError } from "@npurt/core";
import { describe } from "@npurt/core/internal";
import { printable } from "./failures.js";

/** `describe(value)`, which reads `constructor`: a Proxy's trap may throw there. */
export function safeDescribe(value: unknown): string {
  try {
    return describe(value);
  } catch {
    return `an unreadable ${typeof value}`;
  }
}

function unreadable(what: string, error: unknown): NpuTypeError {
  return new NpuTypeError(`${what} could not be read: ${printable(error)}`);
}

/**
 * A plain copy of an options object's own enumerable properties (`undefined` gives `{}`), read
 * once: the simulator keeps the copy, so a getter that throws or a Proxy trap fails here with a
 * `TypeError`, at the call, and a later change to the caller's object changes nothing.
 */
export function readOptions(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined) return {};
  let isArray: boolean;
  try {
    isArray = Array.isArray(value);
  } catch (error) {
    throw unreadable(what, error);
  }
  if (typeof value !== "object" || value === null || isArray) {
    throw new NpuTypeError(`${what} must be an object, got ${safeDescribe(value)}`);
  }
  const out: Record<string, unknown> = {};
  let keys: string[];
  try {
    keys = Object.keys(value);
  } catch (error) {
    throw unreadable(what, error);
  }
  for (const key of keys) {
    try {
      // defineProperty, not assignment: an own "__proto__" key (JSON.parse makes them) would
      // otherwise replace the copy's prototype instead of being refused as an unknown option.
      Object.defineProperty(out, key, {
        value: (value as Record<string, unknown>)[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } catch (error) {
      throw unreadable(`${what}.${key}`, error);
    }
  }
  return out;
}

/**
 * A dense copy of an array option (`undefined` gives `[]`) of at most `maxLength` elements: a
 * hole reads as `undefined`, so the caller's element check refuses it (`map` would skip it and
 * leave a hole that a later `for…of` hands on as `undefined`).
 */
export function readArray(value: unknown, what: string, maxLength: number): unknown[] {
  if (value === undefined) return [];
  let isArray: boolean;
  try {
    isArray = Array.isArray(value);
  } catch (error) {
    throw unreadable(what, error);
  }
  if (!isArray) throw new NpuTypeError(`${what} must be an array, got ${safeDescribe(value)}`);
  let length: number;
  try {
    length = (value as unknown[]).length;
  } catch (error) {
    throw unreadable(what, error);
  }
  if (length > maxLength) {
    throw new NpuError("INVALID_PARAM", `${what} has ${length} elements; at most ${maxLength} are accepted`);
  }
  const out: unknown[] = new Array(length);
  for (let i = 0; i < length; i++) {
    try {
      out[i] = (value as unknown[])[i];
    } catch (error) {
      throw unreadable(`${what}[${i}]`, error);
    }
  }
  return out;
}
