// How the conformance suite reports to a backend author: a case the manifest does not claim is
// skipped (not passed), a failing case still closes its device, and each area runs on its own.
import type { DeviceBackend, DeviceCapabilities } from "@npurt/core";
import { conformanceAreas } from "@npurt/core/conformance";
import { MockDeviceBackend } from "@npurt/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { runCase } from "../src/testing/conformance/context.js";
import { memoryTests } from "../src/testing/conformance/memory.js";
import { overriding } from "./helpers.js";

/** A mock whose manifest claims no priorities (so the priority cases do not apply). */
function withoutPriorities(): DeviceBackend {
  const mock = new MockDeviceBackend();
  const capabilities: DeviceCapabilities = {
    ...mock.capabilities,
    priorities: { supported: false, greatest: 0, least: 0 },
  };
  return overriding(mock, { capabilities });
}

describe("a case the manifest does not claim is reported skipped", () => {
  conformanceAreas.priorities({ name: "no priorities", factory: withoutPriorities });
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads hook fixtures from a destructuring pattern
  afterAll(({}, suite) => {
    const modes = suite.tasks
      .flatMap((t) => (t.type === "suite" ? t.tasks : [t]))
      .map((t) => t.result?.state);
    expect(modes).toEqual(["skip", "skip"]);
  });
});

describe("conformanceAreas", () => {
  it("exports every area of the suite, each a function taking the suite's options", () => {
    expect(Object.keys(conformanceAreas)).toEqual([
      "queue lifecycle",
      "ordering",
      "counters",
      "memory",
      "completions",
      "errors",
      "priorities",
    ]);
    expect(Object.isFrozen(conformanceAreas)).toBe(true);
    expect(() => conformanceAreas.memory(null as never)).toThrow(TypeError);
  });

  it("a failing case closes its device all the same (nothing leaks into the next case)", async () => {
    let closed = 0;
    const leaky = () => {
      const mock = new MockDeviceBackend();
      // Fails the accounting case: allocation counts never go back down.
      return overriding(mock, {
        memoryInfo: (device: number) => ({ ...mock.memoryInfo(device), allocations: 99 }),
        close: () => {
          closed++;
          mock.close();
        },
      });
    };
    const bodies: Parameters<typeof runCase>[0][] = [];
    memoryTests(
      { name: "leaky", factory: leaky },
      { describe: (_n, body) => body(), it: (_n, b) => bodies.push(b) },
    );
    const skip = (note: string): never => {
      throw new Error(note);
    };
    await expect(runCase(bodies[0]!, skip)).rejects.toThrow();
    expect(closed).toBe(1);
  });
});
