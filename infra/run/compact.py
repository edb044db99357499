"""Compaction over a real store (infra/run/compact starts them): copies of a folder and of an s3s-fs
bucket that a conformance run and a burst of deliveries filled are compacted by `drain compact`
stopped after each step and rerun, by two runs at once, while deliveries land, with an input
deleted behind its back, by `drain serve`'s timer and (bucket) by the Lambda compaction function
under the cargo lambda emulator. After each, every stored line is there exactly once (in the
delivery objects, the NDJSON outputs, or the Parquet tables' `json` column). The format is the
config's `[compaction] format` (Parquet unless it says `ndjson`); with Parquet, pyarrow, DuckDB
and chdb read every table object, DuckDB's union view returns every row as before compaction,
and a query of dt, level and message reads a fraction of the bytes an NDJSON scan does.
Prints `N passed, N failed` last.

    python infra/run/compact.py DRAIN BOOTSTRAP CONFIG STORE...
    STORE: folder=DIR,url=http://… | bucket=NAME,root=S3S_ROOT,url=http://…
"""
import calendar
import collections
import concurrent.futures
import glob
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib

import chdb
import duckdb
import pyarrow.parquet as pq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, done, free_port  # noqa: E402

drain, bootstrap, config = sys.argv[1], sys.argv[2], sys.argv[3]
stores = [dict(kv.split("=", 1) for kv in arg.split(",")) for arg in sys.argv[4:]]
SINCE = "2000-01-01"
# The burst goes into the hour that ended two hours ago: closed, and within drain serve's 48-hour
# look-back, so its timer compacts it too.
_burst = time.gmtime(time.time() - 3 * 3600)
BURST_DAY, BURST_HOUR = time.strftime("%Y-%m-%d", _burst), _burst.tm_hour
BURST_PART = f"logs/drain=burst/day={BURST_DAY}/hour={BURST_HOUR:02}"
DELIVERY = re.compile(r"^\d{8}T\d{6}Z-.+\.ndjson\.gz$")
NDJSON = re.search(r'(?m)^format = "ndjson"', open(config).read()) is not None
FORMAT = "ndjson" if NDJSON else "parquet"
# Where a compacted hour goes, and what its output is named.
OUTPUT = (re.compile(r"^logs/drain=[^/]+/day=[^/]+/hour=\d\d/c\d{6}-[0-9a-f]{12}\.ndjson\.gz$") if NDJSON
          else re.compile(r"^tables/logs/drain=[^/]+/day=[^/]+/hour=\d\d/c\d{6}-[0-9a-f]{12}\.parquet$"))


def files(store):
    return store["folder"] if "folder" in store else os.path.join(store["root"], store["bucket"])


def where(store):
    return ["--data", store["folder"]] if "folder" in store else ["--s3-bucket", store["bucket"]]


def copy(store, name):
    name = f"{name}-{FORMAT}"
    if "folder" in store:
        dst = f"{store['folder']}-{name}"
        shutil.copytree(store["folder"], dst)
        return {"folder": dst, "name": f"folder {name}"}
    shutil.copytree(files(store), os.path.join(store["root"], name))
    return {"bucket": name, "root": store["root"], "name": f"bucket {name}"}


def lines(store):
    """Every stored line (and each unreadable object) with how often it is stored."""
    out = collections.Counter()
    root = files(store)
    for path in glob.glob(f"{root}/**/*.ndjson.gz", recursive=True):
        rel = os.path.relpath(path, root)
        if rel.startswith("_drain/"):
            continue
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                out.update(l.rstrip("\n") for l in f if l.strip())
        except (OSError, EOFError, UnicodeDecodeError, zlib.error):
            out["unreadable " + rel] += 1
    for path in glob.glob(f"{root}/**/*.parquet", recursive=True):
        out.update(pq.read_table(path, columns=["json"]).column("json").to_pylist())
    return out


def objects(store):
    """Every data object (NDJSON and Parquet) with its size."""
    root = files(store)
    return sorted((os.path.relpath(f, root), os.path.getsize(f)) for ext in ("ndjson.gz", "parquet")
                  for f in glob.glob(f"{root}/**/*.{ext}", recursive=True) if "/_drain/" not in f)


def diff(got, want):
    d = [f"{n}× before, {got.get(l, 0)}× now: {l[:120]}" for l, n in want.items() if got.get(l, 0) != n]
    d += [f"new: {l[:120]}" for l in got if l not in want]
    return f"{len(d)} lines differ, e.g. {d[:3]}"


def crowded(store):
    """Closed partitions that still hold two or more delivery objects."""
    per = collections.Counter()
    root = files(store)
    cutoff = time.time() - 3600 - 15 * 60
    for path in glob.glob(f"{root}/**/day=*/hour=*/*.ndjson.gz", recursive=True):
        m = re.search(r"/day=(\d{4}-\d{2}-\d{2})/hour=(\d{2})/([^/]+)$", path)
        if not m or not DELIVERY.match(m.group(3)) or "/_drain/" in path:
            continue
        try:
            with gzip.open(path) as f:
                f.read()
        except (OSError, EOFError, zlib.error):
            continue  # unreadable: compaction leaves it where it is
        start = calendar.timegm(time.strptime(f"{m.group(1)} {m.group(2)}", "%Y-%m-%d %H"))
        if start < cutoff:
            per[os.path.dirname(os.path.relpath(path, root))] += 1
    return {p: n for p, n in per.items() if n >= 2}


def compact(store, *args, timeout=300):
    return subprocess.run([drain, "compact", *where(store), "--config", config, "--since", SINCE,
                           "--max-inputs", per, *args], capture_output=True, text=True, timeout=timeout)


def settled(store, before, what, only=None):
    got = lines(store)
    check(f"{store['name']}: {what}: every line exactly once", got == before, diff(got, before))
    left = {p: n for p, n in crowded(store).items() if only is None or p == only}
    check(f"{store['name']}: {what}: no closed hour left with two or more delivery objects", not left,
          list(left.items())[:3])


RETRIED = []


def post(url, body):
    """One delivery, retried on 503 as every sender does (SPEC section 5: 503 means retry); the
    retries are printed, so a run that needed them says so."""
    for attempt in range(5):
        req = urllib.request.Request(url + "/burst", data=body, method="POST",
                                     headers={"authorization": "Bearer burst-token", "content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as e:
            if e.code != 503 or attempt == 4:
                raise
            RETRIED.append(e.read()[:200].decode("utf-8", "replace"))
            print(f"note: a burst delivery answered 503 ({RETRIED[-1]!r}); retried", flush=True)
            time.sleep(0.2)


def burst(url, first, n, minute=None):
    """n deliveries of one event each into the burst hour."""
    def one(i):
        m = minute if minute is not None else i % 60
        dt = f"{BURST_DAY}T{BURST_HOUR:02}:{m:02}:{i % 60:02}.{i:06}Z"
        return post(url, json.dumps([{"dt": dt, "level": "info", "message": f"burst {i}"}]).encode())
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        return list(ex.map(one, range(first, first + n)))


def serve(store, *extra):
    port = free_port()
    log = open(os.path.join(os.path.dirname(files(store)), f"serve-{port}.log"), "w+")
    p = subprocess.Popen([drain, "serve", "--config", config, *where(store), "--listen", f"127.0.0.1:{port}", *extra],
                         stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return p, url, log
        except OSError:
            time.sleep(0.1)
    p.kill()
    raise RuntimeError(f"drain serve on {store['name']} did not start")


def duckdb_rows(folder):
    """Every row of DuckDB's logs view (drain sql duckdb) as JSON text, counted."""
    sql = subprocess.run([drain, "sql", "duckdb", "--data", folder, "--config", config],
                         capture_output=True, text=True, check=True).stdout
    con = duckdb.connect()
    for stmt in sql.splitlines():
        if stmt.strip() and not stmt.startswith("--"):
            con.execute(stmt)
    return collections.Counter(r[0] for r in con.execute("SELECT to_json(logs)::VARCHAR FROM logs").fetchall())


def tables_read_by_every_engine(store):
    """pyarrow, DuckDB and chdb each read every Parquet object whole: as many rows as its json
    column has lines, dt typed as microseconds in UTC. Returns the failures."""
    bad = []
    for path in glob.glob(f"{files(store)}/tables/**/*.parquet", recursive=True):
        t = pq.read_table(path)
        n = t.num_rows
        if str(t.schema.field("dt").type) != "timestamp[us, tz=UTC]":
            bad.append(f"{path}: dt is {t.schema.field('dt').type}")
        d = duckdb.sql(f"SELECT count(*), count(dt) FROM read_parquet('{path}')").fetchone()
        c = str(chdb.query(f"SELECT count(), count(dt) FROM file('{path}', 'Parquet')", "CSV")).strip()
        lines_with_dt = sum(1 for l in t.column("json").to_pylist() if '"dt":' in l)
        if d != (n, lines_with_dt) or c != f"{n},{lines_with_dt}":
            bad.append(f"{path}: pyarrow {n} rows, DuckDB {d}, chdb {c}")
    return bad


def bytes_for_three_columns(store, part):
    """What a query of dt, level and message reads from the compacted hour `part` (the Parquet
    column chunks, from the files' own statistics) and what an NDJSON scan of the same rows reads
    (the gzip objects they came from, in the pristine store)."""
    read = 0
    for path in glob.glob(f"{files(store)}/tables/{part}/*.parquet"):
        meta = pq.ParquetFile(path).metadata
        for g in range(meta.num_row_groups):
            rg = meta.row_group(g)
            for c in range(rg.num_columns):
                if rg.column(c).path_in_schema in ("dt", "level", "message"):
                    read += rg.column(c).total_compressed_size
    return read


for pristine in stores:
    kind = "folder" if "folder" in pristine else "bucket"
    pristine["name"] = f"{kind} pristine"
    print(f"== {kind}, compacting to {FORMAT}")
    # Fewer on s3s-fs, whose every request takes tens of milliseconds here; still several
    # generations per hour (--max-inputs).
    n, per = (400, "100") if kind == "folder" else (150, "40")
    sent = burst(pristine["url"], 0, n)
    check(f"{kind}: {n} deliveries into {BURST_DAY} hour {BURST_HOUR} stored", sent == [202] * n, collections.Counter(sent))
    before = lines(pristine)
    check(f"{kind}: the pristine store has crowded hours to compact", len(crowded(pristine)) >= 3, crowded(pristine))

    # A crash after each step, then a rerun.
    for step in ["claimed", "written", "committed", "deleted"]:
        s = copy(pristine, f"crash-{step}")
        p = compact(s, "--crash-after", step)
        check(f"{s['name']}: the run stopped after {step}", p.returncode in (-6, 134) and f"after {step}" in p.stderr,
              f"rc {p.returncode} {p.stderr[-300:]}")
        got = lines(s)
        lost = [l for l, n in before.items() if got.get(l, 0) < n]
        check(f"{s['name']}: nothing lost while stopped after {step}", not lost, lost[:3])
        p = compact(s)
        check(f"{s['name']}: the rerun finishes", p.returncode == 0, p.stderr[-500:])
        settled(s, before, f"after a crash after {step} and a rerun")

    # A full run: what it says, what it leaves, and a rerun that changes nothing.
    s = copy(pristine, "once")
    p = compact(s)
    m = re.search(r"(\d+) outputs committed from (\d+) objects", p.stdout)
    check(f"{s['name']}: one run compacts ({(p.stdout.strip() or p.stderr)[:160]})",
          p.returncode == 0 and m and int(m.group(1)) >= 5 and int(m.group(2)) >= n, p.stdout + p.stderr[-300:])
    settled(s, before, "one run")
    listing = objects(s)
    p = compact(s)
    again = objects(s)
    check(f"{s['name']}: a rerun over compacted hours changes nothing",
          p.returncode == 0 and "0 outputs committed" in p.stdout and again == listing, p.stdout)
    # A sender's retry after the commit re-creates one of the merged delivery keys (same key, same
    # bytes): the next run deletes it whatever its version, so its events stay stored once
    # (issue 28, item 3; it stayed doubled on S3 and the folder).
    merged = sorted(os.path.relpath(f, files(pristine)) for f in glob.glob(f"{files(pristine)}/logs/**/*.ndjson.gz", recursive=True)
                    if not os.path.exists(os.path.join(files(s), os.path.relpath(f, files(pristine)))))
    if merged:
        shutil.copyfile(os.path.join(files(pristine), merged[0]), os.path.join(files(s), merged[0]))
    p = compact(s)
    check(f"{s['name']}: a retry that re-creates a merged delivery after the commit is gone after the next run",
          merged and p.returncode == 0 and not os.path.exists(os.path.join(files(s), merged[0])), (merged[:1], p.stdout, p.stderr[-300:]))
    settled(s, before, "a retry after the commit")
    outputs = [k for k, _ in listing if "/c0" in k]
    where_to = "in the same partitions, named apart from deliveries" if NDJSON else "Parquet in the tables/logs/ partitions"
    check(f"{s['name']}: outputs are {where_to}", outputs and all(OUTPUT.match(k) for k in outputs if k.startswith(("logs/", "tables/logs/"))),
          outputs[:3])
    manifests = glob.glob(f"{files(s)}/_drain/manifests/**/g*.json", recursive=True)
    states = collections.Counter(json.load(open(f))["state"] for f in manifests)
    check(f"{s['name']}: one committed manifest per output, under _drain/", states == {"committed": len(outputs)}, states)

    # What readers see is the same: drain logs over everything, and (folder) DuckDB's view.
    def read_all(store):
        r = subprocess.run([drain, "logs", *where(store), "--config", config, "--since", SINCE, "--json", "--color", "never"],
                           capture_output=True, text=True, timeout=300)
        return r.returncode, sorted(r.stdout.splitlines())
    rc0, old = read_all(pristine)
    rc1, new = read_all(s)
    check(f"{s['name']}: drain logs reads the same events as before compaction ({len(new)})", rc0 == rc1 == 0 and old == new and new,
          f"{len(old)} vs {len(new)}")
    if kind == "folder":
        b, a = duckdb_rows(pristine["folder"]), duckdb_rows(s["folder"])
        check(f"{s['name']}: DuckDB's logs view returns every row as before, once, same dt, partitions and fields ({sum(a.values())})",
              a == b and sum(a.values()) > n, diff(a, b))
    if not NDJSON:
        bad = tables_read_by_every_engine(s)
        tables = glob.glob(f"{files(s)}/tables/**/*.parquet", recursive=True)
        check(f"{s['name']}: pyarrow, DuckDB and chdb read all {len(tables)} Parquet objects", tables and not bad, bad[:3])
        if kind == "folder":
            scan = sum(os.path.getsize(f) for f in glob.glob(f"{files(pristine)}/{BURST_PART}/*.ndjson.gz"))
            three = bytes_for_three_columns(s, BURST_PART)
            print(f"note: dt, level and message of the burst hour: {three} bytes of Parquet column chunks "
                  f"against {scan} bytes of gzip NDJSON scanned ({three / max(scan, 1):.3f})")
            check(f"{s['name']}: a query of dt, level and message reads under a quarter of the NDJSON scan's bytes",
                  0 < three < scan / 4, (three, scan))

    # An object in the burst hour that is not gzip: left in place and reported.
    s = copy(pristine, "corrupt")
    bad = os.path.join(files(s), BURST_PART, f"{BURST_DAY.replace('-', '')}T{BURST_HOUR:02}0000Z-corrupt.ndjson.gz")
    with open(bad, "wb") as f:
        f.write(b"this is not gzip")
    p = compact(s)
    check(f"{s['name']}: the unreadable object is reported and left in place",
          p.returncode == 0 and "corrupt.ndjson.gz" in p.stderr and "1 unreadable objects left in place" in p.stdout
          and os.path.exists(bad), p.stdout + p.stderr[-300:])
    settled(s, before + collections.Counter({f"unreadable {os.path.relpath(bad, files(s))}": 1}), "an unreadable object")

    # Two runs at once.
    s = copy(pristine, "twice")
    procs = [subprocess.Popen([drain, "compact", *where(s), "--config", config, "--since", SINCE, "--max-inputs", per],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    # s3s-fs checks a condition, then writes: two runs can both pass one. The loser withdraws its
    # output and says so (S3 and R2 decide conditional writes atomically; so does the folder).
    raced = "at the same time" if kind == "bucket" else "\0"
    check(f"{s['name']}: two runs at once both finish", all(p.returncode == 0 or raced in o[1] for p, o in zip(procs, outs)),
          [o[1][:600] for o in outs])
    p = compact(s)
    check(f"{s['name']}: a rerun after them has nothing left to fix", p.returncode == 0, p.stderr[-300:])
    settled(s, before, "two runs at once, then a rerun")

    # An input deleted behind its back: its generation is aborted, the rest compacted.
    s = copy(pristine, "behind")
    p = compact(s, "--crash-after", "claimed")
    pending = [json.load(open(f)) for f in glob.glob(f"{files(s)}/_drain/manifests/**/g*.json", recursive=True)]
    victim = pending[0]["inputs"][0]["key"] if len(pending) == 1 else None
    check(f"{s['name']}: one pending manifest after stopping at the claim", victim is not None, pending)
    if victim:
        with gzip.open(os.path.join(files(s), victim), "rt") as f:
            gone = collections.Counter(l.rstrip("\n") for l in f if l.strip())
        os.remove(os.path.join(files(s), victim))
        p = compact(s)
        check(f"{s['name']}: the rerun aborts that generation and goes on", p.returncode == 0 and "1 generations aborted" in p.stdout,
              p.stdout + p.stderr[-300:])
        settled(s, before - gone, "an input deleted behind its back")

    # Deliveries landing in the hour being compacted.
    s = copy(pristine, "live")
    srv, url, _ = serve(s, "--compact-every-minutes", "0")
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            landing = ex.submit(burst, url, 10_000, 300, 7)
            p = compact(s)
            statuses = landing.result()
    finally:
        srv.terminate()
        srv.wait()
    check(f"{s['name']}: 300 deliveries landed while it ran", statuses == [202] * 300 and p.returncode == 0,
          f"{collections.Counter(statuses)} {p.stderr[-300:]}")
    got = lines(s)
    landed = sum(n for l, n in got.items() if '"message":"burst 1' in l and l not in before)
    check(f"{s['name']}: the racing deliveries are all stored once", landed == 300 and all(got[l] == n for l, n in before.items()),
          f"{landed} of 300; {diff({l: got.get(l, 0) for l in before}, before)}")
    after_race = got
    compact(s)
    settled(s, after_race, "racing deliveries, then a rerun")

    # drain serve's timer compacts at start (then every interval).
    s = copy(pristine, "timer")
    srv, url, log = serve(s, "--compact-every-minutes", "60")
    try:
        seen = ""
        for _ in range(600):
            log.seek(0)
            seen = log.read()
            if "compaction run" in seen:
                break
            time.sleep(0.1)
    finally:
        srv.terminate()
        srv.wait()
    check(f"{s['name']}: drain serve compacts on its timer", "compaction run" in seen and "committed=0" not in seen, seen[-400:])
    settled(s, before, "drain serve's timer (the burst hour)", only=BURST_PART)

    if kind == "bucket":
        # The Lambda compaction function (DRAIN_ROLE=compact) under the cargo lambda emulator,
        # invoked with the event EventBridge Scheduler sends.
        s = copy(pristine, "lambda")
        rt = free_port()
        logdir = os.path.dirname(files(s))
        watch = subprocess.Popen(["cargo", "lambda", "watch", "--only-lambda-apis", "--invoke-address", "127.0.0.1",
                                  "--invoke-port", str(rt)], stdout=open(f"{logdir}/watch.log", "w"), stderr=subprocess.STDOUT)
        fn = None
        try:
            for _ in range(100):
                if "starting Runtime server" in open(f"{logdir}/watch.log").read():
                    break
                time.sleep(0.1)
            env = dict(os.environ, AWS_LAMBDA_FUNCTION_VERSION="1", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512",
                       AWS_LAMBDA_FUNCTION_NAME="_", AWS_LAMBDA_RUNTIME_API=f"http://127.0.0.1:{rt}/.rt",
                       DRAIN_ROLE="compact", DRAIN_BUCKET=s["bucket"], DRAIN_COMPACT_PREFIXES="logs/ traces/ metrics/",
                       DRAIN_COMPACT_FORMAT=FORMAT)
            fn = subprocess.Popen([bootstrap], env=env, stdout=open(f"{logdir}/fn.log", "w"), stderr=subprocess.STDOUT)
            event = {"version": "0", "id": "c0ffee00-0000-4000-8000-000000000000", "detail-type": "Scheduled Event",
                     "source": "aws.scheduler", "account": "123456789012", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "region": "us-east-1", "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/drain"],
                     "detail": "{}"}
            req = urllib.request.Request(f"http://127.0.0.1:{rt}/2015-03-31/functions/_/invocations",
                                         data=json.dumps(event).encode(), method="POST")
            with urllib.request.urlopen(req, timeout=300) as r:
                answer = json.loads(r.read())
        finally:
            for proc in (fn, watch):
                if proc:
                    proc.terminate()
                    proc.wait()
        check(f"{s['name']}: the Lambda compaction function reports its run ({answer.get('committed')} outputs)",
              answer.get("committed", 0) >= 1 and answer.get("errors") == [], str(answer)[:300])
        settled(s, before, "the Lambda compaction function (the burst hour)", only=BURST_PART)

done()
