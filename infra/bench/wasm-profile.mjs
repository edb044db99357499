// drain's Worker path (a signed Vercel body, its HMAC handed in as crypto.subtle would give it,
// the core at the shipped gzip level) looped for a few seconds in Node 22's V8, for
// `node --cpu-prof`; infra/bench/wasm-profile builds the wasm, runs this and sums the profile.
//   node --cpu-prof wasm-profile.mjs DRAIN_WASM_BENCH_JS [BODY_BYTES] [SECONDS]
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { SECRET, WORKER_LEVEL, batch } from "./wasm-bench-common.mjs";
const require = createRequire(import.meta.url);
const { Pipeline } = require(process.argv[2]);
const size = Number(process.argv[3] || 100_000);
const seconds = Number(process.argv[4] || 8);
const pipeline = new Pipeline(SECRET, WORKER_LEVEL);
const body = new Uint8Array(batch(size));
const sig = createHmac("sha1", SECRET).update(body).digest("hex");
const mac = new Uint8Array(createHmac("sha1", SECRET).update(body).digest());
const start = performance.now();
let n = 0;
while (performance.now() - start < seconds * 1000) {
  if (!pipeline.vercel_with_mac(body, sig, mac)) throw new Error("drain stored nothing");
  n++;
}
console.log(`${body.length} B body, gzip level ${WORKER_LEVEL}: ${((performance.now() - start) / n).toFixed(3)} ms a delivery over ${n}`);
