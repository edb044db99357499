// Times drain-core's pipeline compiled to wasm in Node (V8, as workerd uses), warm:
// a signed Vercel NDJSON batch of ~100 KB and of ~1 MiB (~750 B per event), config parse included.
//   infra/bench-wasm   (builds the wasm, then runs this with the pinned Node 22)
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { vercel_delivery } = require(process.argv[2]);

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

for (const [name, target, runs] of [["100 KB", 100_000, 300], ["1 MiB", 1 << 20, 40]]) {
  const body = batch(target);
  const sig = createHmac("sha1", "bench-secret").update(body).digest("hex");
  for (let i = 0; i < 20; i++) if (!vercel_delivery(body, sig, "bench-secret")) throw new Error("nothing stored");
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    vercel_delivery(body, sig, "bench-secret");
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const p = (q) => times[Math.floor(q * (times.length - 1))].toFixed(2);
  console.log(`wasm (V8, Node ${process.version}) Vercel ${name} batch (${body.length} bytes): median ${p(0.5)} ms, p90 ${p(0.9)} ms, min ${p(0)} ms`);
}
