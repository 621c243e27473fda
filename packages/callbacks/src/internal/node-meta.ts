import { NpuError, NpuTypeError } from "@npurt/core";
import { check } from "@npurt/core/internal";
import type { NodeOptions } from "../callback-graph.js";
import { ERROR_POLICIES, type ErrorPolicy } from "../error-policy.js";
import { timeoutOption } from "./options.js";

/** Per-node options that most nodes of a large graph do not have. */
export interface NodeMeta {
  readonly label: string | undefined;
  readonly data: unknown;
  readonly expectedMs: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly policy: ErrorPolicy | undefined;
  readonly resources: readonly string[] | undefined;
  /** The callback declares a parameter, so it gets a {@link NodeContext}. */
  readonly wantsContext: boolean;
}

/** The options slot of a node with no options whose callback takes a context. */
export const PLAIN_WITH_CONTEXT: NodeMeta = {
  label: undefined,
  data: undefined,
  expectedMs: undefined,
  timeoutMs: undefined,
  policy: undefined,
  resources: undefined,
  wantsContext: true,
};

/** A node's options, checked, or `undefined` when it has none worth a slot. */
export function nodeMeta(o: Partial<NodeOptions>, wantsContext: boolean): NodeMeta | undefined {
  const label = o.label === undefined ? undefined : check.string(o.label, "label");
  const expectedMs =
    o.expectedDurationMs === undefined ? undefined : nonNegative(o.expectedDurationMs, "expectedDurationMs");
  const timeoutMs = o.timeoutMs === undefined ? undefined : timeoutOption(o.timeoutMs);
  const policy =
    o.errorPolicy === undefined ? undefined : check.oneOf(o.errorPolicy, ERROR_POLICIES, "errorPolicy");
  let resources: readonly string[] | undefined;
  if (o.resources !== undefined) {
    if (!Array.isArray(o.resources)) throw new NpuTypeError("resources must be an array of resource keys");
    resources = o.resources.map((key) => check.string(key, "resource key"));
  }
  if (
    label === undefined &&
    o.data === undefined &&
    expectedMs === undefined &&
    timeoutMs === undefined &&
    policy === undefined &&
    resources === undefined
  ) {
    return wantsContext ? PLAIN_WITH_CONTEXT : undefined;
  }
  return { label, data: o.data, expectedMs, timeoutMs, policy, resources, wantsContext };
}

function nonNegative(value: unknown, what: string): number {
  const n = check.number(value, what);
  if (n < 0) throw new NpuError("INVALID_PARAM", `${what} must not be negative, got ${n}`);
  return n;
}
