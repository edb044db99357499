"""Sends to drain with the senders' own Python clients, then reads back what drain stored in the
folder given and checks every line: `python senders_client.py URL DATA_DIR`.
- Datadog's official API client (`datadog-api-client`, its logs v2 `submit_log`) pointed at a
  custom host, plain and gzip, with the query-string tags;
- `python-logging-loki` (a `logging` handler posting the Loki JSON push) at the host root, Basic
  auth picking the source."""

import glob
import gzip
import json
import logging
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, done  # noqa: E402

from datadog_api_client import ApiClient, Configuration  # noqa: E402
from datadog_api_client.v2.api.logs_api import LogsApi  # noqa: E402
from datadog_api_client.v2.model.content_encoding import ContentEncoding  # noqa: E402
from datadog_api_client.v2.model.http_log import HTTPLog  # noqa: E402
from datadog_api_client.v2.model.http_log_item import HTTPLogItem  # noqa: E402
import logging_loki  # noqa: E402

url, data = sys.argv[1], sys.argv[2]


def lines(source):
    out = []
    for path in sorted(glob.glob(os.path.join(data, "logs", f"drain={source}", "**", "*.ndjson.gz"), recursive=True)):
        with gzip.open(path, "rt") as f:
            out += [json.loads(line) for line in f if line.strip()]
    return out


# Datadog: the API client with its host set to the drain source (as `DD_SITE` can't be).
configuration = Configuration(host=f"{url}/dd")
configuration.api_key["apiKeyAuth"] = "client-dd-key"
with ApiClient(configuration) as api_client:
    api = LogsApi(api_client)
    now_ms = int(time.time() * 1000)
    plain = HTTPLog([
        HTTPLogItem(ddsource="python", ddtags="env:test,team:pay", hostname="i-0abc", service="billing",
                    message="payment failed", status="error", timestamp=now_ms, order_id=17),
        HTTPLogItem(ddsource="python", hostname="i-0abc", service="billing", message="retrying"),
    ])
    reply = api.submit_log(body=plain)
    check("datadog-api-client: submit_log is answered 202 {}", reply == {}, reply)
    zipped = HTTPLog([HTTPLogItem(hostname="i-0def", service="billing", message="gzip body")])
    reply = api.submit_log(body=zipped, content_encoding=ContentEncoding.GZIP, ddtags="source:gzip")
    check("datadog-api-client: submit_log with gzip is answered 202 {}", reply == {}, reply)

dd = {line["message"]: line for line in lines("dd")}
check("datadog: three logs stored", len(dd) == 3, dd)
first = dd.get("payment failed", {})
check("datadog: status is the level, fields as sent, the timestamp is dt",
      first.get("level") == "error" and first.get("ddtags") == "env:test,team:pay" and first.get("order_id") == 17
      and first.get("dt", "").startswith(time.strftime("%Y-%m-%dT", time.gmtime(now_ms / 1000))), first)
check("datadog: a log without a timestamp takes the reception time", dd.get("retrying", {}).get("dt") == dd.get("retrying", {}).get("received_at"), dd.get("retrying"))
check("datadog: the gzip body's ddtags come from the query string", dd.get("gzip body", {}).get("ddtags") == "source:gzip", dd.get("gzip body"))

# Loki JSON: python-logging-loki at the host root, its Basic credential picking the source.
handler = logging_loki.LokiHandler(url=f"{url}/loki/api/v1/push", tags={"application": "pyapp"},
                                   auth=("py", "client-py-pass"), version="1")
logger = logging.getLogger("pyapp")
logger.propagate = False
logger.addHandler(handler)
logger.setLevel(logging.INFO)
errors = []
handler.handleError = lambda record: errors.append(sys.exc_info()[1])
logger.info("user signed in", extra={"tags": {"route": "/login"}})
logger.error('db timeout "primary"')
check("python-logging-loki: every push accepted (204)", not errors, errors)

py = lines("pylog")
check("python-logging-loki: two entries stored under the source its credential picked", len(py) == 2, py)
by = {line["message"]: line for line in py}
signed_in = by.get("user signed in", {})
check("python-logging-loki: labels as an object, severity as level",
      signed_in.get("labels", {}).get("application") == "pyapp" and signed_in.get("labels", {}).get("route") == "/login"
      and signed_in.get("level") == "info", signed_in)
check("python-logging-loki: the error line kept with its quotes", by.get('db timeout "primary"', {}).get("level") == "error", py)
check("python-logging-loki: the nanosecond time is dt (within a minute of now)",
      all(abs(time.mktime(time.strptime(line["dt"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone - time.time()) < 60 for line in py), py)
done()
