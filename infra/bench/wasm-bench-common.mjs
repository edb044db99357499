// What infra/bench/wasm-bench.mjs and infra/bench/wasm-then-now.mjs share: the Vercel bodies, drain's Worker
// path around a wasm `Pipeline`, a Request for a body, and the median.
import { readFileSync } from "node:fs";

export const SECRET = "bench-secret";
const enc = new TextEncoder();

// Vercel NDJSON batches of about `target` bytes (~750 B per event).
export function batch(target) {
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

// drain's Worker: the body as bytes, from 64 KiB its HMAC by crypto.subtle (the key imported once
// per isolate, as handlers/worker/src/subtle.rs does), the core (config and scratch kept per isolate),
// from a Request. WORKER_LEVEL is the gzip level the shipped wrangler.toml sets for Workers.
export const WORKER_LEVEL = Number(
  readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8").match(/^gzip_level = (\d)/m)[1],
);
const drainKey = crypto.subtle.importKey("raw", enc.encode(SECRET), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
export const drainWorker = (pipeline) => async (request) => {
  const body = new Uint8Array(await request.arrayBuffer());
  return drainBytes(pipeline)(body, request.headers.get("x-vercel-signature"));
};
// The same from the body's bytes and its signature.
export const drainBytes = (pipeline) => async (body, sig) => {
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

export function request(body, sig) {
  return new Request("http://drain.local/vercel", {
    method: "POST",
    headers: { "content-type": "application/x-ndjson", "x-vercel-signature": sig },
    body,
  });
}

export const median = (v) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)];
