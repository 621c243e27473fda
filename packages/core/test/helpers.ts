import type { DeviceBackend } from "@npurt/core";
import type { MockDeviceBackend } from "@npurt/core/testing";

/** A backend that delegates to `mock` but overrides some of its properties. */
export function overriding(
  mock: MockDeviceBackend,
  overrides: Partial<Record<keyof DeviceBackend, unknown>>,
): DeviceBackend {
  return new Proxy(mock, {
    get(target, key, _receiver) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof DeviceBackend];
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
