import { npurtProject } from "../../vitest.shared.ts";

export default npurtProject("profiler", { testTimeout: 60_000 });
