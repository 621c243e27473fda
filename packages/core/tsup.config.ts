import { npurtBuild } from "../../tsup.shared";

// vitest stays external: it is an optional peer, needed only by the conformance suite.
export default npurtBuild(
  ["src/index.ts", "src/internal.ts", "src/testing/index.ts", "src/testing/conformance/index.ts"],
  {
    external: ["vitest"],
  },
);
