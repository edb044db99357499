"""Compaction on the Worker under `wrangler dev` with its local R2 (infra/run/conformance worker runs
this after the cases): deliveries into a closed hour, then the Worker's Cron handler run again and
again through the reader Worker's `/__r2/scheduled`. The session's DRAIN_COMPACT_BUDGET is small,
so each run stops part way through the protocol (as a Worker out of subrequests or CPU would) and
the next goes on; after every run no line is lost, and at the end every line is stored once. The
Worker compacts to Parquet (wrangler.compact.toml's DRAIN_COMPACT_FORMAT): its tables are read
with pyarrow, every row's `json` a line.

    python infra/run/compact_worker.py URL CONFIG
"""
import collections
import gzip
import json
import sys
import time
import tomllib
import urllib.parse
import urllib.request
import os

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, done  # noqa: E402

url, config = sys.argv[1], sys.argv[2]


def get(path):
    with urllib.request.urlopen(url + path, timeout=120) as r:
        return r.read()


def keys():
    return json.loads(get("/__r2/list"))


def lines(prefix=""):
    """The lines under `prefix` (and, for a data partition, its table partition's rows)."""
    out = collections.Counter()
    tables = "tables/" + prefix if prefix else "tables/"
    for k in keys():
        if k.startswith(prefix) and k.endswith(".ndjson.gz") and not k.startswith("_drain/"):
            out.update(l for l in gzip.decompress(get("/__r2/get?key=" + urllib.parse.quote(k))).decode().splitlines() if l)
        elif k.startswith(tables) and k.endswith(".parquet"):
            table = pq.read_table(pa.BufferReader(get("/__r2/get?key=" + urllib.parse.quote(k))))
            out.update(table.column("json").to_pylist())
    return out


with open(config, "rb") as f:
    source = next(s for s in tomllib.load(f)["source"] if s["kind"] == "betterstack")
hour = time.gmtime(time.time() - 3 * 3600)
day = time.strftime("%Y-%m-%d", hour)
part = f"logs/drain={source['name']}/day={day}/hour={hour.tm_hour:02}/"
sent = []
for i in range(120):
    body = json.dumps([{"dt": f"{day}T{hour.tm_hour:02}:{i % 60:02}:30.{i:06}Z", "message": f"cron burst {i}"}]).encode()
    req = urllib.request.Request(url + "/" + source["name"], data=body, method="POST",
                                 headers={"authorization": f"Bearer {source['tokens'][0]}", "content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        sent.append(r.status)
check(f"worker: 120 deliveries into {part}", sent == [202] * 120, collections.Counter(sent))
before_all = lines()
before = lines(part)
deliveries = lambda: [k for k in keys() if k.startswith(part) and "/c0" not in k]
runs = 0
for runs in range(1, 41):
    outcome = json.loads(get("/__r2/scheduled"))
    now = lines(part)
    lost = [l for l, n in before.items() if now.get(l, 0) < n]
    if outcome.get("outcome") != "ok" or lost:
        check(f"worker: Cron run {runs} loses nothing", False, f"{outcome} lost {lost[:3]}")
        break
    if not deliveries() and now == before:
        break
check(f"worker: the Cron handler compacted the hour over {runs} runs cut short by the budget, no line lost after any",
      not deliveries() and runs > 1, f"{len(deliveries())} delivery objects left after {runs} runs")
after_all = lines()
check("worker: every line in the bucket stored exactly once afterwards", after_all == before_all,
      f"{sum((before_all - after_all).values())} missing, {sum((after_all - before_all).values())} extra")
manifests = [k for k in keys() if k.startswith("_drain/manifests/" + part)]
outputs = [k for k in keys() if k.startswith("tables/" + part + "c0") and k.endswith(".parquet")]
check(f"worker: {len(outputs)} Parquet outputs under tables/{part} and as many manifests, under _drain/",
      outputs and len(manifests) >= len(outputs), (outputs, manifests))
done()
