"""`drain ui` in Debian's Chromium, headless, through Selenium (infra/run/ui fills the folder and
starts `drain serve`): a known burst of log events, a trace and a metric are delivered; then what
the page renders is checked against DuckDB (the histogram's bars) and `drain logs --json` (the
table's rows), the filters, the detail of a clicked row, live mode, a trace's waterfall, a
metric's chart, a phone-sized window, the JSON errors and the token rule. Screenshots go to SHOTS.
Prints `N passed, N failed` last.

    python infra/run/ui.py DRAIN CONFIG DATA SERVE_URL SHOTS S3S_ROOT
"""
import collections
import json
import os
import random
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

import duckdb
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, done, free_port  # noqa: E402

drain, config, data, serve, shots, s3_root = sys.argv[1:7]
now = time.time()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1e6) % 1_000_000:06d}Z"


def post(path, body, token):
    req = urllib.request.Request(serve + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status


# A burst of 300 log events over the last 50 minutes, ten to a delivery.
LEVELS = ["info", "info", "info", "debug", "warning", "error"]
burst = [{"dt": iso(now - 30 - i * 10), "level": LEVELS[i % 6], "message": f"ui burst {i}", "user": {"id": i}}
         for i in range(300)]
sent = [post("/web", burst[k:k + 10], "ui-web-token") for k in range(0, 300, 10)]
check("300 log events delivered in 30 deliveries", sent == [202] * 30, collections.Counter(sent))

# One trace of four spans (a root, two children, a grandchild) 20 minutes ago, and six points of
# a gauge over the last half hour.
t0 = int((now - 1200) * 1e9)
trace_id = "%032x" % random.getrandbits(128)
SPANS = [("GET /checkout", "a" * 16, "", 0, 120), ("SELECT cart", "b" * 16, "a" * 16, 10, 40),
         ("POST payment", "c" * 16, "a" * 16, 50, 110), ("charge card", "d" * 16, "c" * 16, 60, 100)]
spans = [{"traceId": trace_id, "spanId": sid, "parentSpanId": parent, "name": name, "kind": 2 if not parent else 3,
          "startTimeUnixNano": str(t0 + a * 1_000_000), "endTimeUnixNano": str(t0 + b * 1_000_000),
          "status": {"code": 2 if name == "charge card" else 1}} for name, sid, parent, a, b in SPANS]
resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]}
st = post("/otel-ui/v1/traces", {"resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": {"name": "ui"}, "spans": spans}]}]},
          "ui-otel-token")
points = [{"timeUnixNano": str(int((now - 1800 + k * 300) * 1e9)), "asDouble": v} for k, v in enumerate([3, 5, 4, 8, 6, 7])]
sm = post("/otel-ui/v1/metrics", {"resourceMetrics": [{"resource": resource, "scopeMetrics": [{"scope": {"name": "ui"}, "metrics": [
    {"name": "queue.depth", "unit": "1", "gauge": {"dataPoints": points}}]}]}]}, "ui-otel-token")
check("a trace of 4 spans and 6 metric points delivered", (st, sm) == (200, 200), (st, sm))

# DuckDB over the same folder, through drain sql's views.
con = duckdb.connect()
for stmt in subprocess.run([drain, "sql", "duckdb", "--data", data, "--config", config], capture_output=True, text=True,
                           check=True).stdout.splitlines():
    if stmt.strip() and not stmt.startswith("--"):
        con.execute(stmt)

port = free_port()
ui = subprocess.Popen([drain, "ui", "--data", data, "--config", config, "--listen", f"127.0.0.1:{port}"],
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
base = f"http://127.0.0.1:{port}"
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/api/meta", timeout=1)
        break
    except OSError:
        time.sleep(0.1)

o = webdriver.ChromeOptions()
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800", "--disable-dev-shm-usage",
          "--no-first-run", "--disable-background-networking", "--disable-component-update"]:
    o.add_argument(a)
o.binary_location = "/usr/bin/chromium"
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
d.set_script_timeout(30)


def ready():
    WebDriverWait(d, 60).until(lambda d: d.execute_script("return document.body.dataset.ready || ''") != "")


def open_(query):
    d.get(f"{base}/?{query}")
    ready()


def bars():
    return d.execute_script(
        "const s = document.getElementById('hist');"
        "return [Number(s.dataset.from), Number(s.dataset.to), Number(s.dataset.width),"
        " [...document.querySelectorAll('rect.bar')].map(r => [Number(r.dataset.t), r.dataset.level, Number(r.dataset.count)])]")


def duck_buckets(frm, to, width, where="true"):
    rows = con.execute(
        f"SELECT (epoch_ms(dt) - {frm}) // {width}, level, count(*) FROM logs WHERE drain = 'web' AND epoch_ms(dt) >= {frm} "
        f"AND epoch_ms(dt) < {to} AND {where} GROUP BY ALL").fetchall()
    return {(int(b), lvl): n for b, lvl, n in rows}


def page_rows():
    return d.execute_script("return rows.map(e => JSON.stringify(e.line))")


def drain_logs(frm, to, *extra):
    r = subprocess.run([drain, "logs", "--data", data, "--config", config, "--source", "web", "--since", iso(frm / 1000),
                        "--until", iso(to / 1000), "--json", "--color", "never", *extra], capture_output=True, text=True, check=True)
    return [json.loads(l) for l in r.stdout.splitlines()]


try:
    # The main view: the last hour of one source.
    open_("range=1h&source=web")
    frm, to, width, drawn = bars()
    got = {((t - frm) // width, lvl): n for t, lvl, n in drawn}
    want = duck_buckets(frm, to, width)
    check(f"the histogram's {len(drawn)} bars are DuckDB's counts for the same {width} ms buckets, by level",
          got == want and sum(got.values()) == 300, f"page {sorted(got.items())[:4]} DuckDB {sorted(want.items())[:4]}")
    logs = drain_logs(frm, to)
    shown = [json.loads(l) for l in page_rows()]
    check(f"the table's first page is drain logs --json's newest {len(shown)} lines, newest first",
          len(shown) == 200 and shown == logs[::-1][:200], f"{len(shown)} rows; first {shown[:1]} vs {logs[-1:]}")
    d.execute_script("const w = document.getElementById('tablewrap'); w.scrollTop = w.scrollHeight")
    WebDriverWait(d, 30).until(lambda d: d.execute_script("return rows.length") == 300)
    shown = [json.loads(l) for l in page_rows()]
    check("scrolling loads the rest: all 300 rows, as drain logs prints them", shown == logs[::-1], f"{len(shown)} rows")
    d.execute_script("document.getElementById('tablewrap').scrollTop = 0")
    row = d.find_elements("css selector", "tr.row")[4]
    row.click()
    detail = json.loads(d.find_element("id", "line").text)
    check("clicking a row shows its stored line whole", detail == shown[4] and "user" in detail, detail)
    d.save_screenshot(os.path.join(shots, "main.png"))

    # j / k and /.
    body = d.find_element("tag name", "body")
    body.send_keys("j")
    check("j moves the selection down", json.loads(d.find_element("id", "line").text) == shown[5])
    body.send_keys("k")
    body.send_keys("k")
    check("k moves it up", json.loads(d.find_element("id", "line").text) == shown[3])
    body.send_keys("/")
    check("/ focuses the search", d.execute_script("return document.activeElement.id") == "q")

    # A level, then text: both the rows and the histogram narrow.
    Select(d.find_element("id", "level")).select_by_value("error")
    ready()
    frm, to, width, drawn = bars()
    want = duck_buckets(frm, to, width, "level = 'error'")
    classes = d.execute_script("return rows.map(e => e.class)")
    check(f"level error: {len(classes)} rows, all errors, and the histogram is DuckDB's error counts",
          classes and set(classes) == {"error"} and len(classes) == sum(want.values())
          and {((t - frm) // width, lvl): n for t, lvl, n in drawn} == want, (len(classes), sum(want.values())))
    q = d.find_element("id", "q")
    q.clear()
    q.send_keys("ui burst 1")
    WebDriverWait(d, 20).until(lambda d: "q=ui" in d.current_url)
    ready()
    frm, to, width, drawn = bars()
    want = duck_buckets(frm, to, width, "level = 'error' AND json::VARCHAR LIKE '%ui burst 1%'")
    msgs = d.execute_script("return rows.map(e => e.line.message)")
    check(f"and text: {len(msgs)} rows, each an error containing it; the histogram likewise",
          msgs and all("ui burst 1" in m for m in msgs) and len(msgs) == sum(want.values())
          and sum(n for *_, n in drawn) == len(msgs), (msgs[:3], sum(want.values())))
    check("the URL holds the view", all(k in d.current_url for k in ("level=error", "source=web", "range=1h")), d.current_url)
    d.refresh()
    ready()
    check("and a reload shows the same view", d.execute_script("return rows.map(e => e.line.message)") == msgs)

    # Live: a delivery made after the page opened appears.
    open_("range=15m&source=web&live=1")
    fresh = f"ui live {random.getrandbits(32):08x}"
    post("/web", [{"dt": iso(time.time()), "level": "warning", "message": fresh}], "ui-web-token")
    try:
        WebDriverWait(d, 20).until(lambda d: fresh in d.execute_script("return rows.length ? rows[0].line.message : ''"))
        seen = True
    except Exception:
        seen = False
    check("live mode shows a delivery made after the page opened, at the top", seen)

    # A trace: its spans in a waterfall, in start order.
    open_("signal=traces&range=1h&source=otel-ui")
    names = d.execute_script("return rows.map(e => e.line.name)")
    check("the traces view lists the 4 spans", sorted(names) == sorted(s[0] for s in SPANS), names)
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", d.find_elements("css selector", "tr.row")[names.index("SELECT cart")])
    d.find_elements("css selector", "tr.row")[names.index("SELECT cart")].click()
    WebDriverWait(d, 20).until(lambda d: len(d.find_elements("css selector", "#waterfall g.span")) == 4)
    drawn = d.execute_script("return [...document.querySelectorAll('#waterfall g.span')].map(g => [g.dataset.name, Number(g.dataset.start)])")
    check("clicking a span draws its trace as a waterfall: every span, in start order, at its offset",
          [n for n, _ in drawn] == [s[0] for s in SPANS] and [s for _, s in drawn] == [s[3] * 1_000_000 for s in SPANS], drawn)
    d.save_screenshot(os.path.join(shots, "trace.png"))

    # A metric: its points in a line chart.
    open_("signal=metrics&range=1h&source=otel-ui")
    WebDriverWait(d, 20).until(lambda d: d.execute_script("return document.getElementById('chart').dataset.points || '0'") != "0")
    values = d.execute_script("return [...document.querySelectorAll('#chart circle.point')].map(c => Number(c.dataset.v))")
    check("the metrics view charts queue.depth's 6 points in time order", values == [3, 5, 4, 8, 6, 7], values)
    d.save_screenshot(os.path.join(shots, "metric.png"))

    # A phone-sized window: the page fits its width and the rows are there.
    d.set_window_size(390, 844)
    open_("range=1h&source=web")
    width_ok = d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    check("at 390 px wide the page fits and shows its rows", width_ok and d.execute_script("return rows.length") == 200)
    d.save_screenshot(os.path.join(shots, "phone.png"))
    d.set_window_size(1280, 800)

    # The same page over a bucket: the folder as it is now, copied into s3s-fs.
    shutil.copytree(data, os.path.join(s3_root, "ui-bucket"))
    s3_port = free_port()
    over_s3 = subprocess.Popen([drain, "ui", "--s3-bucket", "ui-bucket", "--config", config, "--listen", f"127.0.0.1:{s3_port}"],
                               stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{s3_port}/api/meta", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        d.get(f"http://127.0.0.1:{s3_port}/?range=1h&source=web")
        ready()
        total = d.execute_script("return document.getElementById('hist').dataset.total")
        first = [json.loads(l) for l in page_rows()]
        check("over a bucket of s3s-fs the page shows the same hour: 301 events counted, the same newest rows",
              total == "301" and first[1:] == shown[:199] and "ui live" in first[0]["message"], (total, first[:1]))
    finally:
        over_s3.terminate()
        over_s3.wait()
finally:
    d.quit()
    ui.terminate()
    ui.wait()


def get(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


# The API's errors are JSON with a reason, brief.
port = free_port()
ui = subprocess.Popen([drain, "ui", "--data", data, "--listen", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL)
time.sleep(1)
try:
    code, body = get(f"http://127.0.0.1:{port}/api/events?signal=" + "x" * 5000)
    check("a bad parameter is a 400 with a brief JSON reason", code == 400 and len(body["error"]) < 200, (code, body))
    code, body = get(f"http://127.0.0.1:{port}/api/events?from=2026-13-40")
    check("a bad time is a 400 naming it", code == 400 and "from" in body["error"], (code, body))
finally:
    ui.terminate()
    ui.wait()

# The token rule.
r = subprocess.run([drain, "ui", "--data", data, "--listen", f"0.0.0.0:{free_port()}"], capture_output=True, text=True, timeout=30)
check("a non-loopback --listen without --token is refused at start", r.returncode != 0 and "--token" in r.stderr, r.stderr[-300:])
port = free_port()
ui = subprocess.Popen([drain, "ui", "--data", data, "--listen", f"0.0.0.0:{port}", "--token", "s3cr3t-ui"],
                      stdout=subprocess.PIPE, text=True)
try:
    line = ui.stdout.readline()
    time.sleep(0.5)
    code, _ = get(f"http://127.0.0.1:{port}/api/meta")
    wrong, _ = get(f"http://127.0.0.1:{port}/api/meta?token=nope")
    query, _ = get(f"http://127.0.0.1:{port}/api/meta?token=s3cr3t-ui")
    bearer, _ = get(f"http://127.0.0.1:{port}/api/meta", {"authorization": "Bearer s3cr3t-ui"})
    check("with --token: no token or a wrong one is 401, the token as ?token= or Bearer passes, the printed URL holds it",
          (code, wrong, query, bearer) == (401, 401, 200, 200) and "token=s3cr3t-ui" in line, (code, wrong, query, bearer, line))
finally:
    ui.terminate()
    ui.wait()
done()
