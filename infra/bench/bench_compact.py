"""infra/bench/compact's measurements: one hour of N delivery objects (~2 KB of gzip each, two dozen
Vercel-like lines) in a folder and in s3s-fs; `drain compact` on each (wall time, peak RSS); DuckDB
over that hour before and after (best of three). Prints a Markdown table.

    python infra/bench/bench_compact.py DRAIN WORKDIR N
"""
import gzip
import os
import random
import re
import shutil
import subprocess
import sys
import time

import duckdb
import duckdb_ext

drain, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ext_dir = os.path.join(list(duckdb_ext.__path__)[0], "extensions")
hour = time.gmtime(time.time() - 3 * 3600)
day, hh = time.strftime("%Y-%m-%d", hour), hour.tm_hour
folder = os.path.join(work, "data")
part = os.path.join(folder, f"logs/drain=bench/day={day}/hour={hh:02}")
os.makedirs(part)
rng = random.Random(7)
LINES = 24
sizes = []
for i in range(n):
    lines = []
    for j in range(LINES):
        dt = f"{day}T{hh:02}:{(i // 60) % 60:02}:{i % 60:02}.{j:03}Z"
        lines.append(
            f'{{"dt":"{dt}","level":"info","message":"GET /api/items/{rng.randrange(10**6)} 200 in {rng.randrange(900)}ms",'
            f'"drain":"bench","source":"lambda","requestId":"{rng.getrandbits(96):024x}","path":"/api/items",'
            f'"statusCode":200,"host":"app.example.com","deploymentId":"dpl_{rng.getrandbits(64):016x}",'
            f'"traceId":"{rng.getrandbits(128):032x}","spanId":"{rng.getrandbits(64):016x}","received_at":"{dt}"}}')
    body = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    sizes.append(len(body))
    name = f"{day.replace('-', '')}T{hh:02}{(i // 60) % 60:02}{i % 60:02}Z-{i:08x}.ndjson.gz"
    with open(os.path.join(part, name), "wb") as f:
        f.write(body)
shutil.copytree(folder, os.path.join(work, "s3", "bench"))
print(f"{n} objects of {sum(sizes) / n:.0f} B on average ({sum(sizes)} B), {LINES * n} lines, in {day} hour {hh:02}")

endpoint = os.environ["AWS_ENDPOINT_URL_S3"]
where = {"folder": ["--data", folder], "s3s-fs": ["--bucket", "bench", "--endpoint", endpoint, "--inline-credentials"]}
query = f"SELECT count(*), count(DISTINCT requestId) FROM logs WHERE drain = 'bench' AND day = DATE '{day}' AND hour = {hh}"


def duck(store):
    con = duckdb.connect(config={"extension_directory": ext_dir, "autoinstall_known_extensions": False})
    sql = subprocess.run([drain, "sql", "duckdb", *where[store]], capture_output=True, text=True, check=True).stdout
    for stmt in sql.splitlines():
        if stmt.strip() and not stmt.startswith("--") and "VIEW traces" not in stmt and "VIEW metrics" not in stmt:
            con.execute(stmt)
    best, rows = None, None
    for _ in range(3):
        t = time.perf_counter()
        rows = con.execute(query).fetchone()
        took = time.perf_counter() - t
        best = took if best is None else min(best, took)
    assert rows == (LINES * n, LINES * n), rows
    return best


def compact(store):
    args = ["--data", folder] if store == "folder" else ["--s3-bucket", "bench"]
    p = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M", drain, "compact", *args, "--since", day],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    secs, rss = re.search(r"TIME (\S+) (\d+)", p.stderr).groups()
    return float(secs), int(rss) / 1024, p.stdout.strip()


rows = []
for store in ["folder", "s3s-fs"]:
    before = duck(store)
    secs, rss, summary = compact(store)
    after = duck(store)
    objects = sum(len(fs) for _, _, fs in os.walk(part if store == "folder" else os.path.join(work, "s3", "bench", os.path.relpath(part, folder))))
    rows.append((store, secs, rss, before, after, objects, summary))

print()
print("| store | compact: wall | peak RSS | objects in the hour after | DuckDB over the hour: before | after |")
print("| --- | --- | --- | --- | --- | --- |")
for store, secs, rss, before, after, objects, _ in rows:
    print(f"| {store} | {secs:.2f} s | {rss:.0f} MiB | {objects} | {before * 1000:.0f} ms | {after * 1000:.0f} ms |")
for store, *_, summary in rows:
    print(f"{store}: {summary}")
