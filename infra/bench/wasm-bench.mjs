// Times drain-core's pipeline compiled to wasm in Node (V8, as workerd uses), warm, beside a
// hand-written JavaScript Worker doing the same job the way Cloudflare's documentation writes one
// (await request.text(), a WebCrypto HMAC check, JSON.parse, add the fields, JSON.stringify,
// CompressionStream("gzip")), on the same signed Vercel NDJSON bodies (~750 B per event), timed
// alternately (drain, JS, drain, JS, ...): the median of each and of the per-pair ratios. Then the
// stages alone: HMAC-SHA1 in wasm against crypto.subtle, gzip in wasm against CompressionStream.
// drain is timed at gzip level 4 (the default) and at the level wrangler.toml ships for Workers.
//   infra/bench/wasm   (builds the wasm, then runs this with the pinned Node 22)
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { SECRET, WORKER_LEVEL, batch, drainWorker, median, request } from "./wasm-bench-common.mjs";
const require = createRequire(import.meta.url);
const { Pipeline, hmac_sha1, gzip } = require(process.argv[2]);

const enc = new TextEncoder();

// drain's Worker at the default gzip level (4) and at the one wrangler.toml ships.
const atDefault = drainWorker(new Pipeline(SECRET, 4));
const atWorkerLevel = drainWorker(new Pipeline(SECRET, WORKER_LEVEL));

// The hand-written Worker (its HMAC key imported once per isolate, which only helps it).
const key = await crypto.subtle.importKey("raw", enc.encode(SECRET), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
async function jsWorker(request) {
  const text = await request.text();
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(text)));
  const hex = Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
  if (hex !== request.headers.get("x-vercel-signature")) throw new Error("403");
  const receivedAt = new Date(1795348800000).toISOString();
  let out = "";
  for (const line of text.split("\n")) {
    if (!line) continue;
    const event = JSON.parse(line);
    event.dt = new Date(event.timestamp).toISOString();
    event.drain = "vercel";
    event.received_at = receivedAt;
    out += JSON.stringify(event) + "\n";
  }
  const gz = await new Response(new Blob([out]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
  return gz.byteLength;
}

const ms = (x) => x.toFixed(3);

// Alternately times a() and b() (each given a fresh request) `runs` times after a warm-up.
async function pairs(a, b, make, runs) {
  for (let i = 0; i < 20; i++) { await a(make()); await b(make()); }
  const ta = [], tb = [], ratio = [];
  for (let i = 0; i < runs; i++) {
    let r = make();
    let t = performance.now();
    await a(r);
    const da = performance.now() - t;
    r = make();
    t = performance.now();
    await b(r);
    const db = performance.now() - t;
    ta.push(da); tb.push(db); ratio.push(db / da);
  }
  return [median(ta), median(tb), median(ratio)];
}

console.log(`Node ${process.version} (V8 ${process.versions.v8}); medians of interleaved pairs, warm`);
console.log("");
console.log(`| Vercel body | bytes | drain (wasm) ms | hand-written JS Worker ms | JS ÷ drain | drain at level ${WORKER_LEVEL} (wrangler.toml) ms | level ${WORKER_LEVEL} ÷ level 4 | JS ÷ drain at level ${WORKER_LEVEL} | HMAC-SHA1 wasm ms | crypto.subtle ms | gzip wasm (level 4) ms | gzip wasm (level ${WORKER_LEVEL}) ms | CompressionStream ms |`);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const [name, target, runs] of [["10 KB", 10_000, 2000], ["100 KB", 100_000, 400], ["1 MiB", 1 << 20, 60]]) {
  const body = batch(target);
  const sig = createHmac("sha1", SECRET).update(body).digest("hex");
  const [drain, js, ratio] = await pairs(atDefault, jsWorker, () => request(body, sig), runs);
  const [, drainWorkerLevel, levelRatio] = await pairs(atDefault, atWorkerLevel, () => request(body, sig), runs);
  const [, , ratioWorkerLevel] = await pairs(atWorkerLevel, jsWorker, () => request(body, sig), runs);
  const [wasmHmac, subtle] = await pairs(
    async () => hmac_sha1(body, SECRET),
    async () => crypto.subtle.sign("HMAC", key, body),
    () => null,
    runs,
  );
  const ndjson = Buffer.from(body);
  const [wasmGzip, stream] = await pairs(
    async () => gzip(ndjson, 4),
    async () => new Response(new Blob([ndjson]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
    () => null,
    runs,
  );
  const [wasmGzipWorkerLevel] = await pairs(async () => gzip(ndjson, WORKER_LEVEL), async () => null, () => null, runs);
  console.log(
    `| ${name} | ${body.length} | ${ms(drain)} | ${ms(js)} | ${ratio.toFixed(2)} | ${ms(drainWorkerLevel)} | ${levelRatio.toFixed(2)} | ${ratioWorkerLevel.toFixed(2)} | ${ms(wasmHmac)} | ${ms(subtle)} | ${ms(wasmGzip)} | ${ms(wasmGzipWorkerLevel)} | ${ms(stream)} |`,
  );
}
