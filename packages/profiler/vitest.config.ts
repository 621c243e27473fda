import { npurtProject } from "../../vitest.shared";

export default npurtProject("profiler", { testTimeout: 60_000 });
