// Shared with the repository's own browser checks (tests/), which launch the same Chromium.
export { CHROMIUM_ARGS, findChromium } from "../../../tests/helpers/chromium.ts";
