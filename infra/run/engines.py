"""Real query engines read every object drain wrote (SPEC section 4), as the README shows them:
DuckDB over the conformance and golden cases' objects with one glob (hive partitioning,
union_by_name, dt as a timestamp) and over each object the fuzz seeds made; ClickHouse (chdb)
over every object as JSONEachRow with drain's columns. Every line must come back, with no error.
Prints `N passed, N failed` last.

    python infra/run/engines.py OBJECTS_DIR     (OBJECTS_DIR/cases/…, OBJECTS_DIR/fuzz/…)
"""
import glob
import gzip
import sys

import chdb
import duckdb

root = sys.argv[1]
groups = {g: sorted(glob.glob(f"{root}/{g}/**/*.ndjson.gz", recursive=True)) for g in ("cases", "fuzz")}
files = groups["cases"] + groups["fuzz"]
if not groups["cases"] or not groups["fuzz"]:
    sys.exit(f"engines: objects missing under {root}: {[(g, len(f)) for g, f in groups.items()]}")
lines = {f: sum(1 for _ in gzip.open(f, "rt", encoding="utf-8")) for f in files}
failures = []
checks = 0

# DuckDB's defaults (memory limit 80% of RAM, maximum_object_size 16 MB, above max_event_bytes):
# it reserves buffer memory per open file, so a glob over many files with a low memory_limit or
# a large maximum_object_size is refused for memory it never uses.
con = duckdb.connect()


def duck(where, expected):
    """Rows, rows whose dt is not a timestamp, rows without their partitions."""
    global checks
    checks += 1
    source = (
        f"read_json({where}, hive_partitioning = true, union_by_name = true, map_inference_threshold = -1, "
        "format = 'newline_delimited')"
    )
    try:
        n, bad_dt, bad_part = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE TRY_CAST(dt AS TIMESTAMPTZ) IS NULL), "
            f"count(*) FILTER (WHERE drain IS NULL OR day IS NULL OR hour IS NULL) FROM {source}"
        ).fetchone()
    except Exception as e:
        failures.append(f"duckdb {where}: {e}"[:500])
        return
    if (n, bad_dt, bad_part) != (expected, 0, 0):
        failures.append(f"duckdb {where}: {n} rows of {expected}, {bad_dt} bad dt, {bad_part} without partitions")


duck(f"'{root}/cases/**/*.ndjson.gz'", sum(lines[f] for f in groups["cases"]))
for f in groups["fuzz"]:
    duck(f"'{f}'", lines[f])

# ClickHouse: drain's own columns typed, the sender's fields skipped unless named (the default
# input_format_skip_unknown_fields). Every row must come back with its dt; a dt past
# ClickHouse's DateTime64 range (years 1900-2299) is stored as sent, so it is only counted.
for f in files:
    checks += 1
    try:
        got = str(
            chdb.query(
                f"SELECT count(), countIf(dt = '') FROM file('{f}', "
                "'JSONEachRow', 'dt String, drain String, received_at String, message Nullable(String)')",
                "CSV",
            )
        ).strip()
        if got != f"{lines[f]},0":
            failures.append(f"chdb {f}: got {got}, expected {lines[f]} rows with a dt")
    except Exception as e:
        failures.append(f"chdb {f}: {e}"[:500])

print(
    f"{len(files)} objects ({len(groups['cases'])} from the cases, {len(groups['fuzz'])} from the fuzz seeds), "
    f"{sum(lines.values())} lines, read by DuckDB {duckdb.__version__} and chdb {chdb.__version__}"
)
for p in failures:
    print("FAIL", p)
failed = min(len(failures), checks)
print(f"{checks - failed} passed, {failed} failed")
sys.exit(1 if failures else 0)
