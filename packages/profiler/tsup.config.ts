import { npurtBuild } from "../../tsup.shared";

export default npurtBuild(["src/index.ts", "src/node/index.ts"]);
