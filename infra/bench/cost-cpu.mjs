// The CPU a Worker spends on each infra/cost delivery: drain's Worker path (the body read from a
// Request, from 64 KiB its HMAC by crypto.subtle, then the core at the gzip level wrangler.toml
// ships) compiled to wasm and run warm in Node 22's V8, the engine workerd uses; the median of
// repeated runs, as JSON {scenario: ms}. What a deployed Worker is billed also holds the runtime's
// own request handling and the R2 call, which this does not see.
//   node infra/bench/cost-cpu.mjs WASM_BINDGEN_JS BODIES_DIR
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { SECRET, WORKER_LEVEL, drainWorker, median } from "./wasm-bench-common.mjs";
const require = createRequire(import.meta.url);
const { Pipeline } = require(process.argv[2]);
const dir = process.argv[3];

const pipeline = new Pipeline(SECRET, WORKER_LEVEL);
const vercel = drainWorker(pipeline);
const otlp = async (request) => {
  const body = new Uint8Array(await request.arrayBuffer());
  const stored = pipeline.otlp_traces(body, SECRET);
  if (!stored) throw new Error("drain stored nothing");
  return stored;
};

const out = {};
for (const file of readdirSync(dir).filter((f) => f.endsWith(".body")).sort()) {
  const slug = file.replace(/\.body$/, "");
  const body = readFileSync(`${dir}/${file}`);
  const headers = JSON.parse(readFileSync(`${dir}/${slug}.json`, "utf8"));
  const path = slug.startsWith("otlp") ? "/otel/v1/traces" : "/vercel";
  const run = slug.startsWith("otlp") ? otlp : vercel;
  const make = () => new Request(`http://drain.local${path}`, { method: "POST", headers, body });
  for (let i = 0; i < 20; i++) await run(make());
  const runs = Math.max(30, Math.min(2000, Math.round(200_000_000 / body.length)));
  const times = [];
  for (let i = 0; i < runs; i++) {
    const r = make();
    const t = performance.now();
    await run(r);
    times.push(performance.now() - t);
  }
  out[slug] = { ms: median(times), runs, bytes: body.length, gzip_level: WORKER_LEVEL };
}
console.log(JSON.stringify(out));
