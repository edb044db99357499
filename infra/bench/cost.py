"""What drain costs to run, from measured figures (infra/cost runs this; BENCHMARKS.md "Price").

    python infra/bench/cost.py bodies DIR              the deliveries, as files, for cost-cpu.mjs
    python infra/bench/cost.py aws BOOTSTRAP S3_ROOT PROXY_URL RUNTIME_PORT K OUT.json
    python infra/bench/cost.py worker URL WRANGLER_LOG K OUT.json
    python infra/bench/cost.py table AWS.json WORKER.json CPU.json

The deliveries: Vercel-like NDJSON of 10, 100 and 1,000 events (~500 B each, signed) and an
OpenTelemetry SDK's OTLP/HTTP protobuf export of 512 spans (its BatchSpanProcessor's batch), all
in the hour that ended three hours ago (closed, within compaction's look-back).

`aws`: the release Lambda function under the cargo lambda emulator, storing through a counting
proxy in front of s3s-fs: per scenario K deliveries into a bucket of their own (wall per invoke,
the function's CPU from /proc, the function's log bytes, the S3 requests the proxy saw), then the
compaction function over a copy of that bucket once per format (wall, CPU, the requests the proxy
saw and the ones compaction's report counts).
`worker`: the same deliveries to the drain Worker under `wrangler dev` with its local R2 (each
delivery record's `objects` are its R2 puts), then the compaction Worker's Cron handler until the
hours are compacted (its report's puts, gets, lists and deletes).
`table`: those counts and times priced (the prices below, with their pages), per million events.
"""
import base64
import datetime
import gzip
import hashlib
import hmac
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request

SECRET = "bench-secret"  # the one infra/bench/wasm-bench-common.mjs signs with
HOUR = time.gmtime(time.time() - 3 * 3600)
HOUR_START_MS = (int(time.time()) - 3 * 3600) // 3600 * 3600 * 1000
SCENARIOS = [("vercel10", "Vercel, 10 events", 10), ("vercel100", "Vercel, 100 events", 100),
             ("vercel1000", "Vercel, 1,000 events", 1000), ("otlp512", "OTLP export, 512 spans", 512)]
CONFIG = f"""prefix = "logs/"
[[source]]
name = "vercel"
kind = "vercel"
secrets = ["{SECRET}"]
[[source]]
name = "otel"
kind = "otlp"
auth = {{ bearer = "{SECRET}" }}
"""


def vercel(n, start):
    lines = []
    for i in range(start, start + n):
        lines.append(json.dumps({
            "id": f"1573817187330377061717{i:06}", "deploymentId": "dpl_233NRGRjVZX1caZrXWtz5g1TAksD",
            "source": "lambda" if i % 3 else "build", "host": "my-app-abc123.vercel.app",
            "timestamp": HOUR_START_MS + (i * 997) % 3_600_000, "projectId": "gdufoJxB6b9b1fEqr1jUtFkyavUU",
            "level": "error" if i % 10 == 0 else "info", "message": f"API request processed in {i % 997} ms for user {i * 31 % 10007}",
            "requestId": f"643af4e3-975a-4cc7-9e7a-{i:012x}", "statusCode": 200, "environment": "production",
            "proxy": {"method": "GET", "path": f"/api/users?page={i % 50}", "statusCode": 200,
                      "clientIp": f"120.75.{i % 256}.{i * 7 % 256}", "region": "sfo1", "vercelCache": "MISS"},
        }, separators=(",", ":")))
    body = ("\n".join(lines) + "\n").encode()
    sig = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    return body, {"content-type": "application/x-ndjson", "x-vercel-signature": sig}, "/vercel"


def otlp(n, start):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

    def kv(k, v):
        return KeyValue(key=k, value=AnyValue(int_value=v) if isinstance(v, int) else AnyValue(string_value=v))

    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.extend([kv("service.name", "checkout"), kv("service.version", "1.4.2"),
                                   kv("deployment.environment", "production"), kv("telemetry.sdk.language", "python"),
                                   kv("telemetry.sdk.name", "opentelemetry"), kv("telemetry.sdk.version", "1.45.2")])
    ss = rs.scope_spans.add()
    ss.scope.name, ss.scope.version = "opentelemetry.instrumentation.flask", "0.66b2"
    for i in range(start, start + n):
        t = (HOUR_START_MS + (i * 997) % 3_600_000) * 1_000_000
        s = ss.spans.add(trace_id=hashlib.md5(f"t{i // 8}".encode()).digest(), span_id=hashlib.md5(f"s{i}".encode()).digest()[:8],
                         name=f"GET /api/items/{i % 5000}", kind=Span.SPAN_KIND_SERVER if i % 8 == 0 else Span.SPAN_KIND_INTERNAL,
                         start_time_unix_nano=t, end_time_unix_nano=t + (i % 997) * 1_000_000)
        if i % 8:
            s.parent_span_id = hashlib.md5(f"s{i - i % 8}".encode()).digest()[:8]
        s.attributes.extend([kv("http.request.method", "GET"), kv("http.route", "/api/items/<id>"),
                             kv("http.response.status_code", 200), kv("url.path", f"/api/items/{i % 5000}")])
        s.status.code = Status.STATUS_CODE_ERROR if i % 50 == 0 else Status.STATUS_CODE_UNSET
    body = req.SerializeToString()
    return body, {"content-type": "application/x-protobuf", "authorization": f"Bearer {SECRET}"}, "/otel/v1/traces"


def delivery(slug, n, i):
    """The i-th delivery of a scenario: distinct events each time (a retry would be a duplicate)."""
    return (otlp if slug.startswith("otlp") else vercel)(n, i * n)


def post_lambda(rt, path, headers, body, timeout=120):
    post_lambda.n = getattr(post_lambda, "n", 0) + 1
    event = {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "", "headers": headers,
             "requestContext": {"accountId": "a", "apiId": "a", "domainName": "d", "domainPrefix": "d",
                                "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "u"},
                                "requestId": f"cost-{os.getpid()}-{post_lambda.n}", "routeKey": "$default", "stage": "$default", "time": "t", "timeEpoch": 0},
             "body": base64.b64encode(body).decode(), "isBase64Encoded": True}
    req = urllib.request.Request(f"http://127.0.0.1:{rt}/2015-03-31/functions/_/invocations", data=json.dumps(event).encode(), method="POST")
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=timeout) as r:
        answer = json.loads(r.read())
    return answer, (time.perf_counter() - t) * 1000


def counts(proxy):
    with urllib.request.urlopen(proxy + "/__counts", timeout=10) as r:
        return json.loads(r.read())


def minus(a, b):
    return {k: a[k] - b.get(k, 0) for k in a}


def cpu_ms(pid):
    """The CPU time of every thread of `pid` so far (schedstat's nanoseconds, not 10 ms ticks)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            total += int(open(f"/proc/{pid}/task/{task}/schedstat").read().split()[0])
        except FileNotFoundError:
            pass
    return total / 1e6


def start_fn(bootstrap, rt, log, env):
    env = dict(os.environ, AWS_LAMBDA_FUNCTION_VERSION="1", AWS_LAMBDA_FUNCTION_NAME="_",
               AWS_LAMBDA_RUNTIME_API=f"http://127.0.0.1:{rt}/.rt", **env)
    fn = subprocess.Popen([bootstrap], env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    for _ in range(300):
        if "ready" in open(log).read():
            return fn
        time.sleep(0.05)
    raise SystemExit(f"cost: the function did not start: {open(log).read()[-2000:]}")


def stop(proc):
    proc.terminate()
    proc.wait()


def aws(bootstrap, s3_root, proxy, rt, k, out):
    os.environ["AWS_ENDPOINT_URL_S3"] = proxy
    results = {}
    for slug, _, n in SCENARIOS:
        bucket = f"cost-{slug}"
        os.makedirs(os.path.join(s3_root, bucket), exist_ok=True)
        log = os.path.join(s3_root, f"../fn-{slug}.log")
        fn = start_fn(bootstrap, rt, log, {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "DRAIN_BUCKET": bucket, "DRAIN_CONFIG": CONFIG})
        bodies = [delivery(slug, n, i) for i in range(k + 3)]
        for body, headers, path in bodies[:3]:  # warm-up: the connection to S3, the first allocations
            post_lambda(rt, path, headers, body)
        log_before = os.path.getsize(log)
        before, cpu0, walls, statuses = counts(proxy), cpu_ms(fn.pid), [], []
        for body, headers, path in bodies[3:]:
            answer, wall = post_lambda(rt, path, headers, body)
            statuses.append(answer.get("statusCode"))
            walls.append(wall)
        cpu1, after = cpu_ms(fn.pid), counts(proxy)
        stop(fn)
        with open(log, "rb") as f:
            f.seek(log_before)
            logged = f.read().splitlines()
        records = [json.loads(line) for line in logged if b'"msg":"delivery"' in line]
        if len(records) != k or any(s not in (200, 202, 204) for s in statuses):
            raise SystemExit(f"cost: {slug}: {len(records)} delivery lines for {k} deliveries, answers {set(statuses)}")
        r = {"events": n, "deliveries": k, "body_bytes": statistics.mean(len(b[0]) for b in bodies[3:]),
             # The function's own time per delivery (reading and deciding, then storing), and the
             # invoke's wall through the emulator.
             "handler_ms": statistics.median(rec["decode_ms"] + rec["store_ms"] for rec in records),
             "wall_ms": statistics.median(walls), "wall_p90_ms": sorted(walls)[int(k * 0.9)], "cpu_ms": (cpu1 - cpu0) / k,
             "log_lines": len(logged) / k, "log_bytes": sum(len(line) + 1 for line in logged) / k,
             "objects": sum(rec["objects"] for rec in records) / k, "stored_bytes": sum(rec["bytes_stored"] for rec in records) / k,
             "requests": {key: v / k for key, v in minus(after, before).items()}}
        # Compaction of that hour, once per format, each over a copy of the bucket.
        for fmt in ("ndjson", "parquet"):
            copy = f"{bucket}-{fmt}"
            shutil.copytree(os.path.join(s3_root, bucket), os.path.join(s3_root, copy))
            clog = os.path.join(s3_root, f"../compact-{slug}-{fmt}.log")
            cfn = start_fn(bootstrap, rt, clog, {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "DRAIN_ROLE": "compact", "DRAIN_BUCKET": copy,
                                                 "DRAIN_COMPACT_PREFIXES": "logs/ traces/ metrics/", "DRAIN_COMPACT_FORMAT": fmt,
                                                 "DRAIN_TABLES_PREFIX": "tables/"})
            before, c0 = counts(proxy), cpu_ms(cfn.pid)
            event = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.scheduler", "detail": "{}"}
            req = urllib.request.Request(f"http://127.0.0.1:{rt}/2015-03-31/functions/_/invocations", data=json.dumps(event).encode(), method="POST")
            t = time.perf_counter()
            with urllib.request.urlopen(req, timeout=900) as resp:
                report = json.loads(resp.read())
            wall = (time.perf_counter() - t) * 1000
            c1, after = cpu_ms(cfn.pid), counts(proxy)
            stop(cfn)
            if report.get("merged") != k + 3 or report.get("errors"):
                raise SystemExit(f"cost: compaction of {copy}: {report}")
            seen = minus(after, before)
            if any(report[x + "s"] != seen[x] for x in ("put", "get", "list", "delete")):
                raise SystemExit(f"cost: compaction of {copy}: its report counts {report} but the proxy saw {seen}")
            r[f"compact_{fmt}"] = {"inputs": k + 3, "committed": report["committed"], "wall_ms": wall, "cpu_ms": c1 - c0, "bytes_out": report["bytes_out"],
                                   "bytes_in": report["bytes_in"], "requests": minus(after, before),
                                   "reported": {x: report[x + "s"] for x in ("put", "get", "list", "delete")}}
        results[slug] = r
        print(f"aws {slug}: {json.dumps(r)}", flush=True)
    # The function's log under each `[log] deliveries` choice, for the smallest deliveries.
    slug, _, n = SCENARIOS[0]
    results["log_policies"] = {}
    for policy in ("all", "sample", "failures"):
        log = os.path.join(s3_root, f"../fn-log-{policy}.log")
        config = CONFIG.replace("[[source]]", f'[log]\ndeliveries = "{policy}"\n[[source]]', 1)
        fn = start_fn(bootstrap, rt, log, {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "DRAIN_BUCKET": f"cost-{slug}", "DRAIN_CONFIG": config})
        body, headers, path = delivery(slug, n, 10_000)
        post_lambda(rt, path, headers, body)  # warm-up
        log_before = os.path.getsize(log)
        for i in range(k):
            body, headers, path = delivery(slug, n, 10_001 + i)
            post_lambda(rt, path, headers, body)
        stop(fn)
        with open(log, "rb") as f:
            f.seek(log_before)
            lines = f.read().splitlines()
        records = [json.loads(line) for line in lines if b'"msg":"delivery"' in line]
        results["log_policies"][policy] = {"deliveries": k, "log_lines": len(lines) / k, "log_bytes": sum(len(x) + 1 for x in lines) / k,
                                           "deliveries_counted": sum(r["deliveries"] for r in records)}
    print(f"aws log policies: {json.dumps(results['log_policies'])}", flush=True)
    json.dump(results, open(out, "w"), indent=1)


def logged(path, offset, marker):
    """The JSON lines after `offset` in a wrangler log that hold `marker` (wrangler prefixes each)."""
    with open(path, "rb") as f:
        f.seek(offset)
        return [json.loads(line[line.index(b"{"):]) for line in f.read().splitlines() if marker in line]


def worker(url, wrangler_log, k, out):
    results = {}
    for slug, _, n in SCENARIOS:
        log_before = os.path.getsize(wrangler_log)
        walls = []
        for i in range(k):
            body, headers, path = delivery(slug, n, 100_000 + i)
            req = urllib.request.Request(url + path, data=body, method="POST", headers=headers)
            t = time.perf_counter()
            with urllib.request.urlopen(req, timeout=60) as resp:
                resp.read()
            walls.append((time.perf_counter() - t) * 1000)
        time.sleep(1)
        records = logged(wrangler_log, log_before, b'"msg":"delivery"')
        if len(records) != k:
            raise SystemExit(f"cost: worker {slug}: {len(records)} delivery lines for {k} deliveries")
        results[slug] = {"deliveries": k, "wall_ms": statistics.median(walls),
                         "objects": sum(r["objects"] for r in records) / k, "stored_bytes": sum(r["bytes_stored"] for r in records) / k}
    # Compaction: the Cron handler (wrangler.compact.toml's format), run after run (each stops at
    # the Worker's subrequest budget) until every delivery is merged.
    log_before = os.path.getsize(wrangler_log)
    walls, reports, want = [], [], k * len(SCENARIOS)
    for _ in range(40):
        t = time.perf_counter()
        with urllib.request.urlopen(url + "/__r2/scheduled", timeout=600) as resp:
            outcome = json.loads(resp.read())
        walls.append((time.perf_counter() - t) * 1000)
        time.sleep(0.5)
        reports = logged(wrangler_log, log_before, b'"msg":"compaction run"')
        if outcome.get("outcome") != "ok" or sum(r["merged"] for r in reports) >= want:
            break
    total = {x: sum(r[x] for r in reports) for x in ("partitions", "committed", "merged", "puts", "gets", "lists", "deletes", "bytes_in", "bytes_out", "r2_calls")}
    if total["merged"] != want:
        raise SystemExit(f"cost: the compaction Worker merged {total['merged']} of {want} deliveries: {reports}")
    # The requests under the names the AWS rows use (one spelling for cost_table.py).
    requests = {x: total.pop(x + "s") for x in ("put", "get", "list", "delete")}
    results["compact"] = dict(total, requests=requests, runs=len(reports), wall_ms=sum(walls))
    print(f"worker: {json.dumps(results)}", flush=True)
    json.dump(results, open(out, "w"), indent=1)


def bodies(d):
    os.makedirs(d, exist_ok=True)
    for slug, _, n in SCENARIOS:
        body, headers, _ = delivery(slug, n, 0)
        open(os.path.join(d, f"{slug}.body"), "wb").write(body)
        open(os.path.join(d, f"{slug}.json"), "w").write(json.dumps(headers))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "bodies":
        bodies(sys.argv[2])
    elif mode == "aws":
        aws(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7])
    elif mode == "worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif mode == "table":
        import cost_table
        cost_table.main(*sys.argv[2:])
