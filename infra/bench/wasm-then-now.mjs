// Times today's drain Worker path against the wasm build that set issue 18's Worker target
// (commit 773fcab: 6.41 ms per 1 MiB and 0.58 ms per 100 KB Vercel batch on the 2026-11-22
// machine), alternately in one Node process, so that the machine's own speed cancels out: the
// median of the per-pair ratios (now ÷ then), and that ratio times the 2026-11-22 figure.
//   infra/bench/wasm-then-now   (builds both, then runs this with the pinned Node 22)
// "then" is that commit's own exported function, called as its own infra/bench/wasm-bench.mjs called
// it (config parsed, HMAC-SHA1 in wasm, gzip level 4, nothing kept between deliveries), from the
// body's bytes. "now" is infra/bench/wasm-bench.mjs's drain Worker (the HMAC by crypto.subtle from
// 64 KiB, the core with its config and scratch kept per isolate), at the level wrangler.toml ships
// and at the core's default (4), from the same bytes (that figure's scope) and from a Request.
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { SECRET, WORKER_LEVEL, batch, drainBytes, drainWorker, median, request } from "./wasm-bench-common.mjs";
const require = createRequire(import.meta.url);
const then = require(process.argv[2]);
const now = require(process.argv[3]);
const rounds = Number(process.argv[4] ?? 3);

const THEN_MS = { "100 KB": 0.58, "1 MiB": 6.41 };
const TARGET_MS = { "100 KB": 0.4, "1 MiB": 4 };

// Alternately: then, now; the median of each and of the per-pair ratios now ÷ then.
async function pairs(body, sig, worker, fromRequest, runs) {
  const old = () => {
    if (!then.vercel_delivery(body, sig, SECRET)) throw new Error("773fcab stored nothing");
  };
  const arg = () => (fromRequest ? request(body, sig) : body);
  for (let i = 0; i < 20; i++) { old(); await worker(arg(), sig); }
  const tThen = [], tNow = [], ratio = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    old();
    const a = performance.now() - t;
    const r = arg();
    t = performance.now();
    await worker(r, sig);
    const b = performance.now() - t;
    tThen.push(a); tNow.push(b); ratio.push(b / a);
  }
  return [median(tThen), median(tNow), median(ratio)];
}

console.log(`Node ${process.version} (V8 ${process.versions.v8}); ${rounds} rounds, medians of interleaved pairs, warm`);
console.log("");
console.log("| Vercel body | round | gzip level | now from | 773fcab ms | now ms | now ÷ 773fcab | × the 2026-11-22 figure | target |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const [name, target, runs] of [["100 KB", 100_000, 400], ["1 MiB", 1 << 20, 60]]) {
  const body = batch(target);
  const sig = createHmac("sha1", SECRET).update(body).digest("hex");
  for (let round = 1; round <= rounds; round++) {
    for (const level of [WORKER_LEVEL, 4]) {
      for (const fromRequest of [true, false]) {
        const pipeline = new now.Pipeline(SECRET, level);
        const worker = fromRequest ? drainWorker(pipeline) : drainBytes(pipeline);
        const [a, b, r] = await pairs(body, sig, worker, fromRequest, runs);
        console.log(
          `| ${name} | ${round} | ${level}${level === WORKER_LEVEL ? " (wrangler.toml)" : ""} | ${fromRequest ? "a Request" : "bytes"} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${r.toFixed(3)} | ${(r * THEN_MS[name]).toFixed(2)} ms | ${TARGET_MS[name]} ms |`,
        );
      }
    }
  }
}
