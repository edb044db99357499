"""infra/bench/compact's measurements: one hour of N delivery objects of Vercel-like log lines
(~2 KB of gzip each, two dozen lines) and one of N objects of OTLP spans as drain stores them,
in a folder and in s3s-fs; `drain compact` to gzip NDJSON and to Parquet on copies of each (wall
time, peak RSS, output size); DuckDB over the hour (a count, a filter on `level` or `kind`, a
search in `message` or `name`; best of three) through the views `drain sql duckdb` prints: the
delivery objects, the NDJSON output, the Parquet output; and `drain ui`'s first screen of the log
hour (its histogram and its first page of rows, best of three) before and after. Prints Markdown
tables.

    python infra/bench/bench_compact.py DRAIN WORKDIR N
"""
import calendar
import glob
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import urllib.request

import duckdb
import duckdb_ext

drain, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ext_dir = os.path.join(list(duckdb_ext.__path__)[0], "extensions")
hour = time.gmtime(time.time() - 3 * 3600)
day, hh = time.strftime("%Y-%m-%d", hour), hour.tm_hour
endpoint = os.environ["AWS_ENDPOINT_URL_S3"]
rng = random.Random(7)
LINES = 24


def log_line(dt, i, j):
    level = "error" if (i * LINES + j) % 50 == 0 else "info"
    return (f'{{"dt":"{dt}","level":"{level}","message":"GET /api/items/{rng.randrange(10**6)} 200 in {rng.randrange(900)}ms",'
            f'"drain":"bench","source":"lambda","requestId":"{rng.getrandbits(96):024x}","path":"/api/items",'
            f'"statusCode":200,"host":"app.example.com","deploymentId":"dpl_{rng.getrandbits(64):016x}",'
            f'"traceId":"{rng.getrandbits(128):032x}","spanId":"{rng.getrandbits(64):016x}","received_at":"{dt}"}}')


def span_line(dt, i, j):
    kind = "server" if j == 0 else "client" if j % 3 else "internal"
    return (f'{{"dt":"{dt}","end_dt":"{dt}","duration_ns":{rng.randrange(10**8)},"trace_id":"{rng.getrandbits(128):032x}",'
            f'"span_id":"{rng.getrandbits(64):016x}","parent_span_id":"{rng.getrandbits(64):016x}","name":"GET /api/items/{rng.randrange(1000)}",'
            f'"kind":"{kind}","status_code":"unset","service":"web","resource":{{"service.name":"web","host.name":"ip-10-0-0-{i % 250}"}},'
            f'"scope":{{"name":"@opentelemetry/instrumentation-http","version":"0.57.0"}},'
            f'"attributes":{{"http.method":"GET","http.status_code":200,"net.peer.name":"api.example.com"}},'
            f'"drain":"otel","received_at":"{dt}"}}')


SIGNALS = {
    # signal: (data prefix, source, line maker, view, (filter, search))
    "logs": ("logs", "bench", log_line, "logs", ("level = 'error'", "message LIKE '%items/12%'")),
    "traces": ("traces", "otel", span_line, "traces", ("kind = 'server'", "name LIKE '%items/12%'")),
}

pristine = os.path.join(work, "pristine")
parts = {}
for signal, (prefix, source, make, _, _) in SIGNALS.items():
    part = f"{prefix}/drain={source}/day={day}/hour={hh:02}"
    os.makedirs(os.path.join(pristine, part))
    parts[signal] = part
    size = 0
    for i in range(n):
        lines = [make(f"{day}T{hh:02}:{(i // 60) % 60:02}:{i % 60:02}.{j:03}123456Z", i, j) for j in range(LINES)]
        body = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
        size += len(body)
        name = f"{day.replace('-', '')}T{hh:02}{(i // 60) % 60:02}{i % 60:02}Z-{i:08x}.ndjson.gz"
        with open(os.path.join(pristine, part, name), "wb") as f:
            f.write(body)
    print(f"{signal}: {n} objects of {size / n:.0f} B on average ({size} B), {LINES * n} lines, in {day} hour {hh:02}")

configs = {}
for fmt in ("ndjson", "parquet"):
    configs[fmt] = os.path.join(work, f"drain-{fmt}.toml")
    with open(configs[fmt], "w") as f:
        f.write(f'[compaction]\nformat = "{fmt}"\n\n[[source]]\nname = "bench"\nkind = "betterstack"\ntokens = ["t"]\n')


def store_of(kind, name):
    """A copy of the pristine hour: a folder, or a bucket of s3s-fs (a folder under its root)."""
    root = os.path.join(work, name) if kind == "folder" else os.path.join(work, "s3", name)
    shutil.copytree(pristine, root)
    return root, (["--data", root] if kind == "folder" else ["--s3-bucket", name])


def duck(kind, name, root, view, where, reps=3):
    con = duckdb.connect(config={"extension_directory": ext_dir, "autoinstall_known_extensions": False})
    place = ["--data", root] if kind == "folder" else ["--bucket", name, "--endpoint", endpoint, "--inline-credentials"]
    sql = subprocess.run([drain, "sql", "duckdb", *place], capture_output=True, text=True, check=True).stdout
    for stmt in sql.splitlines():
        if stmt.strip() and not stmt.startswith("--"):
            con.execute(stmt)
    out = []
    base = f"FROM {view} WHERE day = DATE '{day}' AND hour = {hh}"
    for q in (f"SELECT count(*) {base}", f"SELECT count(*) {base} AND {where[0]}", f"SELECT count(*) {base} AND {where[1]}"):
        best, got = None, None
        for _ in range(reps):
            t = time.perf_counter()
            got = con.execute(q).fetchone()
            took = time.perf_counter() - t
            best = took if best is None else min(best, took)
        out.append((best, got[0]))
    return out


def compact(fmt, args):
    p = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M", drain, "compact", *args, "--config", configs[fmt], "--since", day],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    secs, rss = re.search(r"TIME (\S+) (\d+)", p.stderr).groups()
    return float(secs), int(rss) / 1024


def ui_first_screen(kind, name, root, reps=3):
    """`drain ui`'s first screen of the log hour: /api/counts and /api/events (200 rows), best of
    three, in seconds."""
    port = 20000 + random.randrange(20000)
    where_ = ["--data", root] if kind == "folder" else ["--s3-bucket", name]
    p = subprocess.Popen([drain, "ui", *where_, "--listen", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/meta", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        start = calendar.timegm(time.strptime(f"{day} {hh}", "%Y-%m-%d %H")) * 1000
        q = f"signal=logs&source=bench&from={start}&to={start + 3_600_000}"
        best = None
        for _ in range(reps):
            t = time.perf_counter()
            counts = json.loads(urllib.request.urlopen(f"{base}/api/counts?{q}&buckets=60", timeout=300).read())
            page = json.loads(urllib.request.urlopen(f"{base}/api/events?{q}&limit=200", timeout=300).read())
            took = time.perf_counter() - t
            assert counts["total"] == LINES * n and len(page["events"]) == 200, (counts["total"], len(page["events"]))
            best = took if best is None else min(best, took)
        return best
    finally:
        p.terminate()
        p.wait()


results = []
ui_times = []
for kind in ("folder", "s3s-fs"):
    for fmt in ("ndjson", "parquet"):
        name = f"bench-{kind.replace('-', '')}-{fmt}"
        root, args = store_of(kind, name)
        # The delivery objects are read once per store (on s3s-fs a query over 3,600 objects
        # takes most of a minute: once, not best of three).
        reps = 3 if kind == "folder" else 1
        if fmt == "ndjson":
            before = {s: duck(kind, name, root, SIGNALS[s][3], SIGNALS[s][4], reps) for s in SIGNALS}
        ui_before = ui_first_screen(kind, name, root, reps) if fmt == "ndjson" else None
        secs, rss = compact(fmt, args)
        ui_times.append((kind, fmt, ui_before, ui_first_screen(kind, name, root)))
        for s in SIGNALS:
            after = duck(kind, name, root, SIGNALS[s][3], SIGNALS[s][4])
            assert [c for _, c in after] == [c for _, c in before[s]], (s, after, before[s])
            out_glob = (f"{root}/{parts[s]}/c*.ndjson.gz" if fmt == "ndjson"
                        else f"{root}/tables/{s}/{parts[s].split('/', 1)[1]}/*.parquet")
            outputs = glob.glob(out_glob)
            results.append((kind, fmt, s, secs, rss, sum(os.path.getsize(o) for o in outputs), len(outputs), before[s], after))

inputs = {s: sum(os.path.getsize(f) for f in glob.glob(f"{pristine}/{parts[s]}/*")) for s in SIGNALS}
print()
print("`drain compact` of both hours (3,600 objects each) on a copy of the pristine store, then DuckDB")
print("over each hour through `drain sql duckdb`'s view: count / filter / search, best of three (the")
print("delivery objects on s3s-fs: once).")
print()
print("| store | format | hour | compact (both hours): wall | peak RSS | output | ÷ input | DuckDB before: count / filter / search | after |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for kind, fmt, s, secs, rss, size, count, before, after in results:
    b = " / ".join(f"{t * 1000:.0f}" for t, _ in before)
    a = " / ".join(f"{t * 1000:.0f}" for t, _ in after)
    print(f"| {kind} | {fmt} | {s} | {secs:.2f} s | {rss:.0f} MiB | {size:,} B in {count} | {size / inputs[s]:.2f} | {b} ms | {a} ms |")
print()
print("rows matched (count / filter / search): " + "; ".join(
    f"{s} {' / '.join(str(c) for _, c in results[i][8])}" for i, s in enumerate(SIGNALS)))
print()
print("`drain ui`'s first screen of the log hour (the histogram and 200 rows), best of three:")
print()
print("| store | delivery objects | compacted to NDJSON | to Parquet |")
print("| --- | --- | --- | --- |")
for kind in ("folder", "s3s-fs"):
    mine = {fmt: (b, a) for k, fmt, b, a in ui_times if k == kind}
    print(f"| {kind} | {mine['ndjson'][0] * 1000:.0f} ms | {mine['ndjson'][1] * 1000:.0f} ms | {mine['parquet'][1] * 1000:.0f} ms |")
