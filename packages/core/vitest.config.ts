import { npurtProject } from "../../vitest.shared.ts";

export default npurtProject("core");
