import { NpuError, NpuTypeError } from "../errors/npu-error.js";
import { describe, quote } from "../errors/safe-text.js";

function kindOf(h: Handle): unknown {
  try {
    return h.kind;
  } catch {
    return undefined;
  }
}

/**
 * The base of every handle a {@link Device} issues. A handle is valid only on the device that
 * issued it and only until it is destroyed: each slot of a handle table carries a generation
 * that changes when the slot is reused, so a stale handle is refused even after its slot holds
 * a new object. Handles cannot be forged: validity is checked by identity and a private field,
 * never by the public fields.
 */
export abstract class Handle {
  readonly #owner: object;
  // Private, so that no assignment or defineProperty on a handle can change what a table sees.
  readonly #slot: number;
  readonly #generation: number;

  /** @internal */
  constructor(owner: object, slot: number, generation: number) {
    this.#owner = owner;
    this.#slot = slot;
    this.#generation = generation;
  }

  /** @internal The table slot the handle names. */
  get slot(): number {
    return this.#slot;
  }

  /** The generation of the slot when this handle was issued. */
  get generation(): number {
    return this.#generation;
  }

  /** What kind of resource the handle names. */
  abstract get kind(): string;

  /** @internal */
  static ownerOf(value: unknown): object | undefined {
    return typeof value === "object" && value !== null && #owner in value ? value.#owner : undefined;
  }

  /** @internal The slot of a value {@link Handle.ownerOf} accepted, read from the private field. */
  static slotOf(value: Handle): number {
    return value.#slot;
  }

  /** @internal The generation of a value {@link Handle.ownerOf} accepted. */
  static generationOf(value: Handle): number {
    return value.#generation;
  }

  /** A short name for messages, such as `queue#3.1` (slot 3, generation 1). */
  toString(): string {
    return `${this.kind}#${this.#slot}.${this.#generation}`;
  }
}

/**
 * A table of live handles of one kind with generation-checked slots. Internal to npurt's
 * packages: streams and events use it for their own handles, so every package refuses stale,
 * foreign and forged handles the same way.
 */
export class HandleTable<H extends Handle, V> {
  readonly #owner: object;
  readonly #kind: string;
  #handles: (H | undefined)[] = [];
  #values: (V | undefined)[] = [];
  #generations: number[] = [];
  #free: number[] = [];
  #live = 0;

  /**
   * @param owner - the identity handles are bound to (one per device or manager).
   * @param kind - the handle kind, for messages.
   */
  constructor(owner: object, kind: string) {
    if (typeof owner !== "object" || owner === null)
      throw new NpuTypeError(`HandleTable owner must be an object, got ${describe(owner)}`);
    if (typeof kind !== "string")
      throw new NpuTypeError(`HandleTable kind must be a string, got ${describe(kind)}`);
    this.#owner = owner;
    this.#kind = kind;
  }

  /** Live handles in the table. */
  get size(): number {
    return this.#live;
  }

  /**
   * Issues a handle for `value`. `make` builds the handle from the owner, slot and generation
   * (so subclasses with their own fields can be issued).
   */
  issue(value: V, make: (owner: object, slot: number, generation: number) => H): H {
    if (typeof make !== "function")
      throw new NpuTypeError(`HandleTable.issue needs a make function, got ${describe(make)}`);
    const slot = this.#free.length > 0 ? this.#free.pop()! : this.#handles.length;
    const generation = (this.#generations[slot] ?? 0) + 1;
    const handle = make(this.#owner, slot, generation);
    this.#handles[slot] = handle;
    this.#values[slot] = value;
    this.#generations[slot] = generation;
    this.#live++;
    return handle;
  }

  /** The value behind `handle`; throws `INVALID_HANDLE` (or a `TypeError`) when it is not live here. */
  get(handle: unknown, what: string = this.#kind): V {
    const slot = this.#checkedSlot(handle, what);
    return this.#values[slot]!;
  }

  /**
   * The value behind `handle` when it is live in this table, else `undefined` (never throws):
   * one lookup where `has` then `get` would make two.
   */
  find(handle: unknown): V | undefined {
    if (Handle.ownerOf(handle) !== this.#owner) return undefined;
    const slot = Handle.slotOf(handle as Handle);
    return this.#handles[slot] === handle ? this.#values[slot] : undefined;
  }

  /** Whether `handle` is live in this table. */
  has(handle: unknown): boolean {
    if (Handle.ownerOf(handle) !== this.#owner) return false;
    return this.#handles[Handle.slotOf(handle as Handle)] === handle;
  }

  /** Removes `handle` and returns its value; throws like {@link HandleTable.get}. */
  remove(handle: unknown, what: string = this.#kind): V {
    const slot = this.#checkedSlot(handle, what);
    const value = this.#values[slot]!;
    this.#handles[slot] = undefined;
    this.#values[slot] = undefined;
    this.#free.push(slot);
    this.#live--;
    return value;
  }

  /** Every live `[handle, value]` pair. */
  *entries(): IterableIterator<[H, V]> {
    for (let i = 0; i < this.#handles.length; i++) {
      const h = this.#handles[i];
      if (h !== undefined) yield [h, this.#values[i]!];
    }
  }

  #checkedSlot(handle: unknown, what: string): number {
    const owner = Handle.ownerOf(handle);
    if (owner === undefined) {
      if (typeof handle !== "object" || handle === null) {
        throw new NpuTypeError(`${what} must be a ${this.#kind} handle, got ${describe(handle)}`);
      }
      throw new NpuError(
        "INVALID_HANDLE",
        `${what} is not a ${this.#kind} handle issued by npurt (forged or copied)`,
      );
    }
    const h = handle as Handle;
    // Names come from the private fields, never from the (overridable) `kind` or `toString`.
    const slot = Handle.slotOf(h);
    const generation = Handle.generationOf(h);
    if (owner !== this.#owner) {
      const kind = kindOf(h);
      const name = `${typeof kind === "string" ? quote(kind, 20, false) : "handle"}#${slot}.${generation}`;
      throw new NpuError("INVALID_HANDLE", `${what} ${name} belongs to another device or manager`, {
        details: { handle: name },
      });
    }
    if (this.#handles[slot] !== handle) {
      const current = this.#generations[slot] ?? 0;
      // Same owner, another table: a handle of the wrong kind (a counter where a queue belongs).
      // `kind` only picks the message; identity above is what refuses the handle.
      const kind = kindOf(h);
      if (kind !== this.#kind) {
        throw new NpuError(
          "INVALID_HANDLE",
          `${what} must be a ${this.#kind} handle, got a ${quote(kind)} handle`,
        );
      }
      const name = `${this.#kind}#${slot}.${generation}`;
      const reason =
        current === generation
          ? "it was destroyed"
          : `it was destroyed and the slot reused (generation ${current})`;
      throw new NpuError("INVALID_HANDLE", `${what} ${name} is not live: ${reason}`, {
        details: { handle: name, slotGeneration: current },
      });
    }
    return slot;
  }
}
