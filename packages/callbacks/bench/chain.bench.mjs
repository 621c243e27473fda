// Chain building at scale (issue 10, defect 8): CallbackChain.step() and combineChains must
// grow linearly. Each figure compares with a peer measured in the same run:
//   - step(): against the copy-per-step build the chain used before (a new array of every step
//     on each call, quadratic), and against a bare Array.push of the same step records (the
//     floor); scaling is printed as time(4n) / time(n), which is 4 for linear growth and 16
//     for quadratic.
//   - combineChains: a million one-step parts (the array form), against a plain loop that
//     concatenates the same parts' arrays.
//   node --expose-gc bench/chain.bench.mjs [--quick]
import { CallbackChain, combineChains } from "@npurt/callbacks";
import { figure, medianSeconds, quick } from "../../../scripts/bench-kit.mjs";

const inc = (x) => x + 1;
const small = quick ? 4_000 : 16_000;
const big = small * 4;
const huge = quick ? 100_000 : 1_000_000;
const runs = quick ? 3 : 5;

function buildChain(n) {
  let chain = CallbackChain.start();
  for (let i = 0; i < n; i++) chain = chain.step(inc);
  if (chain.length !== n) throw new Error("chain lost steps");
  return chain;
}

// What step() did before: an immutable array copied on every append.
function buildCopying(n) {
  let steps = [];
  for (let i = 0; i < n; i++) steps = [...steps, { fn: inc, options: undefined }];
  return steps;
}

function buildPush(n) {
  const steps = [];
  for (let i = 0; i < n; i++) steps.push({ fn: inc, options: undefined });
  return steps;
}

const tSmall = await medianSeconds(() => buildChain(small), { runs });
const tMid = await medianSeconds(() => buildChain(small * 2), { runs });
const tBig = await medianSeconds(() => buildChain(big), { runs });
const tHuge = await medianSeconds(() => buildChain(huge), { runs: 3 });
const copySmall = await medianSeconds(() => buildCopying(small / 4), { runs: 3 });
const copyBig = await medianSeconds(() => buildCopying(small), { runs: 3 });
const pushHuge = await medianSeconds(() => buildPush(huge), { runs: 3 });
console.log(
  `step(): ${small} steps ${(tSmall * 1e3).toFixed(2)} ms, ${small * 2} steps ${(tMid * 1e3).toFixed(2)} ms, ${big} steps ${(tBig * 1e3).toFixed(2)} ms ` +
    `(×${(tBig / tSmall).toFixed(2)} for 4× the steps; linear is 4), ${huge} steps ${(tHuge * 1e3).toFixed(1)} ms`,
);
console.log(
  `copy-per-step (before): ${small / 4} steps ${(copySmall * 1e3).toFixed(2)} ms, ${small} steps ` +
    `${(copyBig * 1e3).toFixed(2)} ms (×${(copyBig / copySmall).toFixed(2)} for 4×; quadratic is 16)`,
);
figure({
  name: `chain step() build, n=${small}`,
  unit: "steps/s",
  value: small / tSmall,
  baseline: { name: "copy per step (the build before the fix)", value: small / copyBig },
  ratio: copyBig / tSmall,
});
figure({
  name: `chain step() build scaling, time(${big}) / time(${small})`,
  unit: "×",
  value: tBig / tSmall,
  baseline: { name: `copy per step, time(${small}) / time(${small / 4})`, value: copyBig / copySmall },
  goal: "≈ 4 (linear)",
});
figure({
  name: `chain step() build, n=${huge}`,
  unit: "steps/s",
  value: huge / tHuge,
  baseline: { name: "Array.push of the same step records (the floor)", value: huge / pushHuge },
  ratio: pushHuge / tHuge,
});

const parts = [];
for (let i = 0; i < huge; i++) parts.push(CallbackChain.start().step(inc));
const quarter = parts.slice(0, huge / 4);
const partArrays = parts.map(() => [{ fn: inc, options: undefined }]);
const tCombine = await medianSeconds(() => combineChains(parts), { runs: 3 });
const tCombineQuarter = await medianSeconds(() => combineChains(quarter), { runs: 3 });
const tConcat = await medianSeconds(
  () => {
    const out = [];
    for (const a of partArrays) for (let j = 0; j < a.length; j++) out.push(a[j]);
    return out;
  },
  { runs: 3 },
);
if (combineChains(parts).length !== huge) throw new Error("combineChains lost steps");
console.log(
  `combineChains: ${huge / 4} parts ${(tCombineQuarter * 1e3).toFixed(1)} ms, ${huge} parts ` +
    `${(tCombine * 1e3).toFixed(1)} ms (×${(tCombine / tCombineQuarter).toFixed(2)} for 4×; linear is 4)`,
);
figure({
  name: `combineChains, ${huge} one-step parts`,
  unit: "parts/s",
  value: huge / tCombine,
  baseline: { name: "plain loop concatenating the parts' step arrays", value: huge / tConcat },
  ratio: tConcat / tCombine,
});
figure({
  name: `combineChains scaling, time(${huge}) / time(${huge / 4})`,
  unit: "×",
  value: tCombine / tCombineQuarter,
  goal: "≈ 4 (linear)",
});
