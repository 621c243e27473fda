import { createDevice } from "@npurt/core";
import { simulatedNpu } from "@npurt/device-sim";
import { describe, expect, it } from "vitest";
import { StreamManager } from "../src/index.js";
import { BOTH_PROFILES, noop, rejection } from "./backends.js";

describe("issue 10 defect 4: a non-blocking host callback dropped by a device loss", () => {
  it.each(BOTH_PROFILES)("fails the synchronize that covers it, not the next one (%s)", async (profile) => {
    const npu = simulatedNpu({ preset: "tiny", seed: 3 });
    const manager = new StreamManager(createDevice(npu), { profile });
    const s = manager.create();
    s.launch(noop(1_000));
    await s.synchronize();
    let ran = false;
    npu.injectFault({ kind: "device-lost" });
    const cb = s.launchHostCallback(
      () => {
        ran = true;
      },
      { blocking: false },
    );
    const first = await rejection(s.synchronize());
    expect(ran).toBe(false);
    expect(cb.status).not.toBe("done");
    expect(first?.code).toBe("DEVICE_LOST");
    // The loss was reported once, where it happened; cann leaves the stream usable after it
    // (continue-on-failure), cuda keeps the sticky error.
    const second = await rejection(s.synchronize());
    expect(second?.code).toBe(profile === "cuda" ? "DEVICE_LOST" : undefined);
  });
});
