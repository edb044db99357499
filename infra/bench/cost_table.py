"""Prices infra/cost's measured counts and times per million events (`cost.py table`).

List prices, US East / Cloudflare's global list, as this file records them on 2026-12-06. They
were not fetched by this script (the build machine reaches package registries only): check each
page before relying on a figure. Free tiers, the Workers Paid plan's $5 monthly minimum and its
included usage (10 M requests, 30 M CPU-ms, 20 M log events) are left out, so the rows are what
usage past them costs.
"""
import json
import math

PRICES = {
    # https://aws.amazon.com/lambda/pricing/ (arm64, first 7.5 billion GB-s a month)
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_s": 0.0000133334,
    # https://aws.amazon.com/s3/pricing/ (S3 Standard; DELETE is free)
    "s3_put": 0.005 / 1000,  # PUT, COPY, POST, LIST
    "s3_get": 0.0004 / 1000,  # GET, SELECT, HEAD
    "s3_gb_month": 0.023,
    # https://aws.amazon.com/cloudwatch/pricing/ (Logs, standard class: collect, per GB)
    "cw_logs_gb": 0.50,
    # https://developers.cloudflare.com/workers/platform/pricing/ (Standard usage model)
    "worker_request": 0.30 / 1e6,
    "worker_cpu_ms": 0.02 / 1e6,
    # https://developers.cloudflare.com/workers/observability/logs/workers-logs/#pricing
    "worker_log_event": 0.60 / 1e6,
    # https://developers.cloudflare.com/r2/pricing/ (Standard storage; deletes are free)
    "r2_class_a": 4.50 / 1e6,  # PutObject, ListObjects, ...
    "r2_class_b": 0.36 / 1e6,  # GetObject, HeadObject
    "r2_gb_month": 0.015,
}

# What the same job costs elsewhere, per GB of raw events (or per million events), from each page.
ALTERNATIVES = [
    ("Amazon Data Firehose, Direct PUT to S3", "https://aws.amazon.com/firehose/pricing/",
     "$0.029/GB ingested, each record rounded up to 5 KB", lambda gb, ev: max(gb, ev * 5e3 / 1e9) * 0.029, "one event per record"),
    ("Amazon Data Firehose, Direct PUT, Parquet conversion", "https://aws.amazon.com/firehose/pricing/",
     "+$0.018/GB converted, same 5 KB rounding", lambda gb, ev: max(gb, ev * 5e3 / 1e9) * (0.029 + 0.018), "one event per record"),
    ("Amazon Data Firehose, records packed to 5 KB", "https://aws.amazon.com/firehose/pricing/",
     "$0.029/GB (+$0.018/GB Parquet)", lambda gb, ev: gb * (0.029 + 0.018), "with Parquet; needs a batching producer in front"),
    ("Datadog Log Management", "https://www.datadoghq.com/pricing/?product=log-management",
     "$0.10/GB ingested + $1.70 per million events indexed (15 days, annual)", lambda gb, ev: gb * 0.10 + ev / 1e6 * 1.70, "indexed 15 days"),
    ("Grafana Cloud Logs (Pro)", "https://grafana.com/pricing/",
     "$0.50/GB ingested (30 days kept)", lambda gb, ev: gb * 0.50, "kept 30 days"),
    ("Better Stack Telemetry", "https://betterstack.com/pricing", "not priced here: per-GB, retention-dependent tiers the page did not give us in a form we could record", None, ""),
    ("Cloudflare Pipelines", "https://developers.cloudflare.com/pipelines/platform/pricing/", "not priced here: in beta, its page gave no final per-GB price we could record", None, ""),
]

# The platform lines Lambda writes per invoke (text format): START, END, REPORT, each with a
# 36-character request id (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html).
REPORT_LINES = [
    "START RequestId: 8f5d7a2c-1b2e-4c1a-9b0e-3f6a7d8e9c10 Version: $LATEST",
    "END RequestId: 8f5d7a2c-1b2e-4c1a-9b0e-3f6a7d8e9c10",
    "REPORT RequestId: 8f5d7a2c-1b2e-4c1a-9b0e-3f6a7d8e9c10\tDuration: 4.21 ms\tBilled Duration: 5 ms\tMemory Size: 256 MB\tMax Memory Used: 31 MB\t",
]
# CloudWatch Logs counts 26 bytes per log event beside its message (PutLogEvents' batch size).
CW_EVENT_OVERHEAD = 26
LAMBDA_GB, COMPACT_GB = 256 / 1024, 512 / 1024  # template.yaml's MemorySize of each function
NAMES = {"vercel10": "Vercel, 10 events", "vercel100": "Vercel, 100 events", "vercel1000": "Vercel, 1,000 events",
         "otlp512": "OTLP export, 512 spans"}


def usd(x):
    return f"${x:,.4f}" if x < 10 else f"${x:,.2f}"


def per_input(c):
    """Compaction's requests that grow with the hour (a GET and a delete per input), per input, and
    those that don't (self-test, listings, manifests, the output and its read-back), per hour."""
    n, hours = c["inputs"], max(1, c["committed"])
    q = c["requests"]
    get = (q["get"] - hours) / n
    fixed = {"writes": (q["put"] + q["list"]) / hours, "reads": 1.0}
    return get, fixed


def aws_rows(aws, fmt):
    rows = []
    for slug, r in aws.items():
        per_m = 1e6 / r["events"]  # deliveries per million events
        c = r[f"compact_{fmt}"]
        get, _ = per_input(c)
        req = r["requests"]
        # Billed per started millisecond of the function's own time (its delivery line's decode_ms +
        # store_ms); the emulator's loopback transport around it is not Lambda's.
        billed_s = math.ceil(r["handler_ms"]) / 1000
        platform = sum(len(x) + 1 for x in REPORT_LINES) + CW_EVENT_OVERHEAD * (len(REPORT_LINES) + r["log_lines"])
        parts = {
            "requests": per_m * PRICES["lambda_request"],
            "compute": per_m * (LAMBDA_GB * billed_s * PRICES["lambda_gb_s"]
                                + COMPACT_GB * c["wall_ms"] / 1000 / c["inputs"] * PRICES["lambda_gb_s"]),
            "writes": per_m * (req["put"] + req["list"]) * PRICES["s3_put"],
            "reads": per_m * (req["get"] + get) * PRICES["s3_get"],
            "logs": per_m * (r["log_bytes"] + platform) / 1e9 * PRICES["cw_logs_gb"],
        }
        stored_gb = per_m * r["stored_bytes"] * c["bytes_out"] / c["bytes_in"] / 1e9
        rows.append((slug, parts, stored_gb, stored_gb * PRICES["s3_gb_month"]))
    return rows


def worker_rows(worker, cpu, aws):
    rows = []
    comp = worker["compact"]
    scenarios = {k: v for k, v in worker.items() if k != "compact"}
    get, _ = per_input({"inputs": comp["merged"], "committed": comp["committed"], **comp})
    stored_all = sum(v["stored_bytes"] * v["deliveries"] for v in scenarios.values())
    for slug, r in scenarios.items():
        per_m = 1e6 / aws[slug]["events"]
        # Compaction's time shared by stored bytes (its wall under wrangler dev: an upper bound of its CPU).
        compact_ms = comp["wall_ms"] * r["stored_bytes"] / stored_all
        parts = {
            "requests": per_m * PRICES["worker_request"],
            "compute": per_m * (cpu[slug]["ms"] + compact_ms) * PRICES["worker_cpu_ms"],
            "writes": per_m * r["objects"] * PRICES["r2_class_a"],
            "reads": per_m * get * PRICES["r2_class_b"],
            # One log line per delivery and the invocation log.
            "logs": per_m * 2 * PRICES["worker_log_event"],
        }
        stored_gb = per_m * r["stored_bytes"] * comp["bytes_out"] / comp["bytes_in"] / 1e9
        rows.append((slug, parts, stored_gb, stored_gb * PRICES["r2_gb_month"]))
    return rows


def main(aws_path, worker_path, cpu_path):
    aws = json.load(open(aws_path))
    policies = aws.pop("log_policies", {})
    worker = json.load(open(worker_path))
    cpu = json.load(open(cpu_path))
    print("### Measured, per delivery\n")
    print("| delivery | body bytes | Lambda function ms (median) | invoke wall ms through the emulator (median, p90) | Lambda CPU ms | S3 PUT | S3 GET | S3 LIST | function log bytes | "
          "stored bytes | compaction to NDJSON: GET / DELETE per delivery, PUT+LIST + GET per hour | to Parquet | Worker CPU ms (V8) | R2 puts | Worker compaction to Parquet: GET / DELETE per delivery, Class A + B per hour |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    comp = worker["compact"]
    wget, wfixed = per_input({"inputs": comp["merged"], **comp})
    for slug, r in aws.items():
        cells = []
        for fmt in ("ndjson", "parquet"):
            c = r[f"compact_{fmt}"]
            get, fixed = per_input(c)
            cells.append(f"{get:.2f} / {(c['requests']['delete'] - 1) / c['inputs']:.2f} / {fixed['writes']:.0f} + {fixed['reads']:.0f}")
        w = worker[slug]
        print(f"| {NAMES[slug]} | {r['body_bytes']:,.0f} | {r['handler_ms']:.2f} | {r['wall_ms']:.2f}, {r['wall_p90_ms']:.2f} | {r['cpu_ms']:.2f} | "
              f"{r['requests']['put']:.2f} | {r['requests']['get']:.2f} | {r['requests']['list']:.2f} | {r['log_bytes']:,.0f} | "
              f"{r['stored_bytes']:,.0f} | {cells[0]} | {cells[1]} | {cpu[slug]['ms']:.3f} | {w['objects']:.2f} | "
              f"{wget:.2f} / {(comp['requests']['delete'] - 1) / comp['merged']:.2f} / {wfixed['writes']:.0f} + {wfixed['reads']:.0f} |")
    print()
    c = next(iter(aws.values()))["compact_parquet"]
    print(f"Compaction: on Lambda one invoke per scenario and format over an hour of {c['inputs']} deliveries; the S3 "
          f"requests the proxy saw equal the ones its report counts ({c['reported']} for the first). On the Worker, "
          f"{comp['runs']} Cron run(s) over all scenarios' hours ({comp['committed']} hours, {comp['merged']} deliveries, "
          f"{comp['wall_ms']:.0f} ms wall in all; its report's {comp['r2_calls']} R2 calls).\n")
    print("### Dollars per million events\n")
    print("| platform | delivery | deliveries | requests | compute | PUT/LIST (Class A) | GET (Class B) | logs | total | "
          "stored GB per month kept | storage $ per month kept | largest part |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    lines = []
    for fmt in ("ndjson", "parquet"):
        for slug, parts, gb, storage in aws_rows(aws, fmt):
            total = sum(parts.values())
            big = max(parts, key=parts.get)
            lines.append((f"Lambda + S3, compaction to {fmt}", slug, parts, total, gb, storage, big))
    for slug, parts, gb, storage in worker_rows(worker, cpu, aws):
        total = sum(parts.values())
        lines.append(("Workers + R2, compaction to Parquet", slug, parts, total, gb, storage, max(parts, key=parts.get)))
    for platform, slug, parts, total, gb, storage, big in lines:
        print(f"| {platform} | {NAMES[slug]} | {1e6 / aws[slug]['events']:,.0f} | {usd(parts['requests'])} | {usd(parts['compute'])} | "
              f"{usd(parts['writes'])} | {usd(parts['reads'])} | {usd(parts['logs'])} | **{usd(total)}** | {gb:.3f} | {usd(storage)} | "
              f"{big} ({parts[big] / total:.0%}) |")
    _, fixed = per_input(next(iter(aws.values()))["compact_parquet"])
    _, wfixed = per_input({"inputs": comp["merged"], **comp})
    s3_hour = fixed["writes"] * PRICES["s3_put"] + fixed["reads"] * PRICES["s3_get"]
    r2_hour = wfixed["writes"] * PRICES["r2_class_a"] + wfixed["reads"] * PRICES["r2_class_b"]
    print(f"\nNot in the rows: each compacted hour's fixed requests (self-test, listings, manifests, the output, its "
          f"read-back), {fixed['writes']:.0f} PUT/LIST and {fixed['reads']:.0f} GET on S3 ({usd(s3_hour)}; "
          f"{usd(s3_hour * 720)} a month for one source and signal compacted every hour), {wfixed['writes']:.0f} Class A and "
          f"{wfixed['reads']:.0f} Class B on R2 ({usd(r2_hour * 720)} a month), and the compaction function's hourly "
          f"invocation. Storage is what a million events keep after compaction, per month kept.\n")
    raw_gb = {slug: 1e6 / r["events"] * r["body_bytes"] / 1e9 for slug, r in aws.items()}
    print("### The same million events elsewhere (list prices; the events' raw size as sent)\n")
    print("| service | price (page) | " + " | ".join(NAMES[s] for s in aws) + " | note |")
    print("| --- | --- | " + " | ".join("---" for _ in aws) + " | --- |")
    for name, page, price, f, note in ALTERNATIVES:
        cells = [usd(f(raw_gb[s], 1e6)) if f else "–" for s in aws]
        print(f"| {name} | {price} ([page]({page})) | " + " | ".join(cells) + f" | {note} |")
    if policies:
        r = aws["vercel10"]
        platform = sum(len(x) + 1 for x in REPORT_LINES) + CW_EVENT_OVERHEAD * len(REPORT_LINES)
        per_m = 1e6 / r["events"]
        compute = per_m * LAMBDA_GB * math.ceil(r["handler_ms"]) / 1000 * PRICES["lambda_gb_s"]
        print("\n### The Lambda function's own log, by `[log] deliveries` (Vercel, 10 events a delivery)\n")
        print("| `[log] deliveries` | function log bytes per delivery | deliveries its lines count | CloudWatch Logs $ per million events | ÷ the function's compute |")
        print("| --- | --- | --- | --- | --- |")
        for name, p in policies.items():
            cost = per_m * (p["log_bytes"] + CW_EVENT_OVERHEAD * p["log_lines"] + platform) / 1e9 * PRICES["cw_logs_gb"]
            print(f"| `{name}` | {p['log_bytes']:,.0f} | {p['deliveries_counted']} of {p['deliveries']} | {usd(cost)} | {cost / compute:.1f}× |")
        print("\n(The START, END and REPORT lines Lambda writes itself are in every row: "
              f"{platform} bytes a delivery, {usd(per_m * platform / 1e9 * PRICES['cw_logs_gb'])} per million events here.)")
    print("\nRaw GB per million events: " + ", ".join(f"{NAMES[s]} {raw_gb[s]:.3f}" for s in aws) + ".")
