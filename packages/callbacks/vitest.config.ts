import { npurtProject } from "../../vitest.shared";

export default npurtProject("callbacks");
