// Times today's drain Worker path against the wasm build that set issue 18's Worker target
// (commit 773fcab: 6.41 ms per 1 MiB and 0.58 ms per 100 KB Vercel batch on the 2026-11-22
// machine), alternately in one Node process, so that the machine's own speed cancels out: the
// median of the per-pair ratios (now ÷ then), and that ratio times the 2026-11-22 figure.
//   infra/bench-wasm-then-now   (builds both, then runs this with the pinned Node 22)
// "then" is that commit's own exported function, called as its own infra/wasm-bench.mjs called
// it (config parsed, HMAC-SHA1 in wasm, gzip level 4, nothing kept between deliveries), from the
// body's bytes. "now" is infra/wasm-bench.mjs's drain Worker (the HMAC by crypto.subtle from
// 64 KiB, the core with its config and scratch kept per isolate), at the level wrangler.toml ships
// and at the core's default (4), from the same bytes (that figure's scope) and from a Request.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const then = require(process.argv[2]);
const now = require(process.argv[3]);
const rounds = Number(process.argv[4] ?? 3);

const SECRET = "bench-secret";
const enc = new TextEncoder();
const THEN_MS = { "100 KB": 0.58, "1 MiB": 6.41 };
const TARGET_MS = { "100 KB": 0.4, "1 MiB": 4 };

// The same bodies as infra/wasm-bench.mjs (and as 773fcab's): ~750 B per Vercel event.
function batch(target) {
  const lines = [];
  let size = 0;
  for (let i = 0; size < target; i++) {
    const line = JSON.stringify({
      id: String(1573817187330377061717300000n + BigInt(i)), deploymentId: "dpl_233NRGRjVZX1caZrXWtz5g1TAksD",
      source: i % 3 ? "lambda" : "build", host: "my-app-abc123.vercel.app", timestamp: 1795348800000 + i * 7,
      projectId: "gdufoJxB6b9b1fEqr1jUtFkyavUU", level: i % 10 ? "info" : "error",
      message: `API request processed in ${i % 997} ms for user ${(i * 31) % 10007}`, entrypoint: "api/index.js",
      requestId: `643af4e3-975a-4cc7-9e7a-${i.toString(16).padStart(12, "0")}`, statusCode: 200, path: "/api/users",
      executionRegion: "sfo1", environment: "production",
      proxy: { timestamp: 1795348800172 + i, method: "GET", host: "my-app.vercel.app", path: `/api/users?page=${i % 50}`,
        userAgent: ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36"], referer: "https://my-app.vercel.app",
        region: "sfo1", statusCode: 200, clientIp: `120.75.${i % 256}.${(i * 7) % 256}`, scheme: "https", vercelCache: "MISS" },
    });
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(lines.join("\n") + "\n");
}

const WORKER_LEVEL = Number(
  readFileSync(new URL("../wrangler.toml", import.meta.url), "utf8").match(/^gzip_level = (\d)/m)[1],
);
const drainKey = crypto.subtle.importKey("raw", enc.encode(SECRET), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
const drainWorker = (pipeline) => async (request) => {
  const body = new Uint8Array(await request.arrayBuffer());
  return drainBytes(pipeline)(body, request.headers.get("x-vercel-signature"));
};
// The same from the body's bytes and signature: the scope 773fcab's figure was timed in (Node's
// Request and its body stream are not workerd's, and cost ~0.3 ms of a 100 KB delivery here).
const drainBytes = (pipeline) => async (body, sig) => {
  let stored;
  if (body.length >= 64 * 1024) {
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await drainKey, body));
    stored = pipeline.vercel_with_mac(body, sig, mac);
  } else {
    stored = pipeline.vercel(body, sig);
  }
  if (!stored) throw new Error("drain stored nothing");
  return stored;
};
const request = (body, sig) =>
  new Request("http://drain.local/vercel", {
    method: "POST",
    headers: { "content-type": "application/x-ndjson", "x-vercel-signature": sig },
    body,
  });

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)];

// Alternately: then, now; the median of each and of the per-pair ratios now ÷ then.
async function pairs(body, sig, worker, runs) {
  const old = () => {
    if (!then.vercel_delivery(body, sig, SECRET)) throw new Error("773fcab stored nothing");
  };
  const arg = () => (worker.fromRequest ? request(body, sig) : body);
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
        const worker = fromRequest ? (r) => drainWorker(pipeline)(r) : drainBytes(pipeline);
        worker.fromRequest = fromRequest;
        const [a, b, r] = await pairs(body, sig, worker, runs);
        console.log(
          `| ${name} | ${round} | ${level}${level === WORKER_LEVEL ? " (wrangler.toml)" : ""} | ${fromRequest ? "a Request" : "bytes"} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${r.toFixed(3)} | ${(r * THEN_MS[name]).toFixed(2)} ms | ${TARGET_MS[name]} ms |`,
        );
      }
    }
  }
}
