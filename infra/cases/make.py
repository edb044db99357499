#!/usr/bin/env python3
"""Writes drain's own conformance cases (the format of ../shared/fixtures/README.md) for the
version 3 kinds: webhook, splunk_hec, datadog, loki. Run it after changing a case; its output is
committed, so the test command never runs it. Needs the `zstd` command for the zstd bodies."""

import base64
import datetime
import gzip
import hashlib
import hmac
import json
import os
import subprocess
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1764936000  # 2025-12-05T12:00:00Z


def dt(ns):
    """SPEC section 3: RFC 3339 UTC with 0, 3, 6 or 9 fractional digits, the fewest exact."""
    secs, frac = divmod(ns, 1_000_000_000)
    text = datetime.datetime.fromtimestamp(secs, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    for digits in (0, 3, 6, 9):
        if frac % 10 ** (9 - digits) == 0:
            return text + ("" if digits == 0 else "." + str(frac // 10 ** (9 - digits)).zfill(digits)) + "Z"


def gz(b):
    return gzip.compress(b, mtime=0)


def zstd(b):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=b, capture_output=True, check=True).stdout


def deflate(b):
    return zlib.compress(b)


def snappy(b):
    """A snappy block of literals only (valid snappy that any decoder reads)."""
    out = bytearray()
    n = len(b)
    while True:
        x = n & 0x7F
        n >>= 7
        out.append(x | (0x80 if n else 0))
        if not n:
            break
    for i in range(0, len(b), 65536):
        chunk = b[i:i + 65536]
        m = len(chunk) - 1
        if m < 60:
            out.append(m << 2)
        elif m < 256:
            out += bytes([60 << 2, m])
        else:
            out += bytes([61 << 2, m & 0xFF, m >> 8])
        out += chunk
    return bytes(out)


def varint(n):
    out = bytearray()
    while True:
        x = n & 0x7F
        n >>= 7
        out.append(x | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pb(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def pbv(num, v):
    return varint(num << 3) + varint(v)


def loki_push(streams):
    """logproto.PushRequest: [(labels text, [(seconds, nanos, line, [(name, value)])])]."""
    out = b""
    for labels, entries in streams:
        s = pb(1, labels.encode())
        for secs, nanos, line, meta in entries:
            e = pb(1, pbv(1, secs) + pbv(2, nanos)) + pb(2, line.encode())
            for k, v in meta:
                e += pb(3, pb(1, k.encode()) + pb(2, v.encode()))
            s += pb(2, e)
        out += pb(1, s)
    return out


def nd(objs):
    return b"".join(json.dumps(o).encode() + b"\n" for o in objs)


CASES = []


def case(name, about, path, headers, body, status, objects, events=None, method="POST", repeat=None,
         body_json=None, exact_body=None, headers_present=None, expect_headers=None):
    c = {"about": about, "request": {"method": method, "path": path, "headers": headers}}
    if body is not None:
        c["request"]["body"] = f"{name}.body"
    if repeat:
        c["repeat"] = repeat
        c["repeat_delay_ms"] = 1500
    e = {"status": status}
    if expect_headers:
        e["headers"] = expect_headers
    if headers_present:
        e["headers_present"] = headers_present
    if exact_body is not None:
        e["body"] = exact_body
    if body_json is not None:
        e["body_json"] = body_json
    e["objects"] = objects
    e["events"] = events if events is not None else []
    c["expect"] = e
    CASES.append((name, c, body))


JSON = {"content-type": "application/json"}
OK = {"ok": True}
HOOK = {"authorization": "Bearer case-hook-token"}

# ---- webhook ----
evs = [
    {"timestamp": "2025-12-05T12:00:01.5Z", "level": "info", "message": "user signed in", "user": {"id": 7}},
    {"time": T0 + 2, "msg": "cache miss", "severity": "warn"},
    "a bare line",
]
case("201-webhook-json-array", "webhook: a JSON array of objects and a string, Bearer; time, message and level from the default field lists",
     "/hook", {**JSON, **HOOK}, json.dumps(evs).encode(), 200, 2,
     [{"drain": "hook", "dt": "2025-12-05T12:00:01.500Z", "message": "user signed in", "level": "info", "user": {"id": 7}},
      {"drain": "hook", "dt": dt((T0 + 2) * 10**9), "message": "cache miss", "msg": "cache miss", "level": "warn", "severity": "warn", "time": T0 + 2},
      {"drain": "hook", "dt": "$received_at", "message": "a bare line"}],
     body_json=OK, expect_headers={"content-type": "application/json"})
lines = [{"ts": T0 * 1000 + 5, "log": "ndjson one"}, {"ts": T0 * 1000 + 6, "log": "ndjson two", "level": "error"}]
case("202-webhook-ndjson-gzip", "webhook: gzip NDJSON (Fluent Bit's and Vector's http outputs), ms times",
     "/hook", {"content-type": "application/x-ndjson", "content-encoding": "gzip", **HOOK}, gz(nd(lines)), 200, 1,
     [{"dt": dt((T0 * 1000 + 5) * 10**6), "message": "ndjson one", "log": "ndjson one"},
      {"dt": dt((T0 * 1000 + 6) * 10**6), "message": "ndjson two", "level": "error"}], body_json=OK)
case("203-webhook-text-deflate", "webhook: text/plain, one event per non-empty line, deflate",
     "/hook", {"content-type": "text/plain", "content-encoding": "deflate", **HOOK}, deflate(b"first line\n\n  \nsecond line\r\n"), 200, 1,
     [{"dt": "$received_at", "message": "first line"}, {"dt": "$received_at", "message": "second line"}], body_json=OK)
case("204-webhook-zstd", "webhook: a single object, zstd",
     "/hook", {**JSON, "content-encoding": "zstd", **HOOK}, zstd(json.dumps({"dt": T0, "text": "zstd body"}).encode()), 200, 1,
     [{"dt": dt(T0 * 10**9), "message": "zstd body", "_dt": T0}], body_json=OK)
case("205-webhook-no-auth", "webhook: no credentials: 401 with a challenge, nothing stored",
     "/hook", JSON, b'[{"message":"x"}]', 401, 0, headers_present=["www-authenticate"])
case("206-webhook-wrong-token", "webhook: a wrong Bearer token: 401",
     "/hook", {**JSON, "authorization": "Bearer nope"}, b'[{"message":"x"}]', 401, 0)
case("207-webhook-basic", "webhook: Basic",
     "/hook-basic", {**JSON, "authorization": "Basic " + base64.b64encode(b"u:case-hook-pass").decode()},
     b'{"message":"basic"}', 200, 1, [{"drain": "hook-basic", "message": "basic", "dt": "$received_at"}], body_json=OK)
case("208-webhook-header", "webhook: a named header (Auth0's and Netlify's custom header)",
     "/hook-header", {**JSON, "x-drain-token": "case-hook-header"}, b'{"message":"header"}', 200, 1,
     [{"drain": "hook-header", "message": "header"}], body_json=OK)
case("209-webhook-query", "webhook: a query parameter token (a sender that can set only a URL)",
     "/hook-query?token=case-hook-query", JSON, b'{"message":"query"}', 200, 1,
     [{"drain": "hook-query", "message": "query"}], body_json=OK)
case("210-webhook-query-wrong", "webhook: a wrong query token: 401",
     "/hook-query?token=nope", JSON, b'{"message":"query"}', 401, 0)
signed = json.dumps([{"timestamp": T0 * 1000, "message": "signed"}]).encode()
sig = "sha256=" + hmac.new(b"case-new-secret", signed, hashlib.sha256).hexdigest()
case("211-webhook-signature-rotation", "webhook: HMAC-SHA256 hex with a prefix, signed with the second of two secrets (rotation)",
     "/hook-signed", {**JSON, "x-signature-256": sig}, signed, 200, 1,
     [{"drain": "hook-signed", "message": "signed", "dt": dt(T0 * 10**9)}], body_json=OK)
case("212-webhook-signature-wrong", "webhook: a signature that doesn't match: 403",
     "/hook-signed", {**JSON, "x-signature-256": "sha256=" + "0" * 64}, signed, 403, 0)
case("213-webhook-signature-missing", "webhook: no signature header: 401",
     "/hook-signed", JSON, signed, 401, 0)
sig1 = base64.b64encode(hmac.new(b"case-sha1-secret", signed, hashlib.sha1).digest()).decode()
case("214-webhook-signature-sha1-base64", "webhook: HMAC-SHA1 in base64, no prefix",
     "/hook-sha1", {**JSON, "x-hub-signature": sig1}, signed, 200, 1, [{"drain": "hook-sha1", "message": "signed"}], body_json=OK)
supa = [{"id": "2b5a0f", "timestamp": T0 * 1_000_000 + 250_000, "event_message": "GET | 200 | /rest/v1/todos",
         "metadata": [{"request": [{"method": "GET"}]}]}]
case("215-webhook-supabase", "webhook: a Supabase log drain batch (µs timestamp, event_message as the message)",
     "/supabase", {**JSON, "authorization": "Bearer case-supabase-token"}, json.dumps(supa).encode(), 200, 1,
     [{"drain": "supabase", "dt": dt(T0 * 10**9 + 250_000_000), "message": "GET | 200 | /rest/v1/todos",
       "event_message": "GET | 200 | /rest/v1/todos", "id": "2b5a0f", "metadata": [{"request": [{"method": "GET"}]}]}], body_json=OK)
logpush = [{"ClientIP": "192.0.2.1", "ClientRequestHost": "example.com", "ClientRequestMethod": "GET",
            "ClientRequestPath": "/", "EdgeResponseStatus": 200, "EdgeStartTimestamp": (T0 + 3) * 10**9 + 7, "RayID": "8f1e2d"},
           {"ClientIP": "192.0.2.2", "ClientRequestHost": "example.com", "ClientRequestMethod": "POST",
            "ClientRequestPath": "/api", "EdgeResponseStatus": 201, "EdgeStartTimestamp": "2025-12-05T12:00:04Z", "RayID": "8f1e2e"}]
case("216-webhook-logpush", "webhook: a Cloudflare Logpush HTTP destination batch (gzip NDJSON, Unix ns and RFC 3339 times)",
     "/logpush", {"content-type": "application/json", "content-encoding": "gzip", "x-logpush-secret": "case-logpush"},
     gz(nd(logpush)), 200, 1,
     [{"drain": "logpush", "dt": dt((T0 + 3) * 10**9 + 7), "message": "/", "RayID": "8f1e2d", "EdgeResponseStatus": 200},
      {"drain": "logpush", "dt": dt((T0 + 4) * 10**9), "message": "/api", "RayID": "8f1e2e"}], body_json=OK)
case("217-webhook-bad-json", "webhook: a body that isn't JSON: 400 naming where",
     "/hook", {**JSON, **HOOK}, b'[{"message": "x"},', 400, 0)
case("218-webhook-too-many-hours", "webhook: events over 25 hours pass max_objects: 413, nothing stored",
     "/hook", {**JSON, **HOOK}, json.dumps([{"time": T0 + h * 3600, "message": str(h)} for h in range(25)]).encode(), 413, 0)
case("219-webhook-retry-same-key", "webhook: the same timed delivery again after 1.5 s lands on the same key",
     "/hook", {**JSON, **HOOK}, json.dumps([{"time": T0 + 9, "message": "once"}]).encode(), 200, 1,
     [{"message": "once", "dt": dt((T0 + 9) * 10**9)}], repeat=2, body_json=OK)
forms = [("s", T0 + 10, (T0 + 10) * 10**9), ("ms", (T0 + 11) * 1000 + 1, (T0 + 11) * 10**9 + 1_000_000),
         ("us", (T0 + 12) * 10**6 + 1, (T0 + 12) * 10**9 + 1000), ("ns", (T0 + 13) * 10**9 + 1, (T0 + 13) * 10**9 + 1),
         ("numeric string", str(T0 + 14) + ".25", (T0 + 14) * 10**9 + 250_000_000),
         ("offset", "2025-12-05T14:00:15+02:00", (T0 + 15) * 10**9), ("space", "2025-12-05 12:00:16.5Z", (T0 + 16) * 10**9 + 500_000_000)]
case("220-webhook-time-forms", "webhook: every time form: Unix s, ms, µs, ns by magnitude, a numeric string, RFC 3339 with an offset or a space",
     "/hook", {**JSON, **HOOK}, json.dumps([{"ts": v, "message": m} for m, v, _ in forms]).encode(), 200, 1,
     [{"message": m, "dt": dt(ns)} for m, _, ns in forms], body_json=OK)
case("221-webhook-unsupported-type", "webhook: a content type it doesn't read: 415",
     "/hook", {"content-type": "application/xml", **HOOK}, b"<log/>", 415, 0)
case("222-webhook-unsupported-coding", "webhook: a content coding it doesn't know: 415",
     "/hook", {**JSON, "content-encoding": "br", **HOOK}, b"{}", 415, 0)

# ---- splunk_hec ----
HEC = {"authorization": "Splunk case-hec-token"}
env = (json.dumps({"time": T0 + 0.5, "host": "gh", "source": "github", "sourcetype": "github:audit", "index": "main",
                   "event": {"action": "repo.create", "message": "created a repository", "level": "info"}})
       + json.dumps({"time": str(T0 + 1) + ".250", "event": "a plain event", "fields": {"team": "a"}})
       + "\n" + json.dumps({"event": {"msg": "msg is the message", "severity": "debug"}}))
SUCCESS = {"text": "Success", "code": 0}
case("230-hec-event-concatenated", "splunk_hec: envelopes back to back (with and without whitespace), time as a number and a string",
     "/hec/services/collector/event", {**JSON, **HEC}, env.encode(), 200, 2,
     [{"drain": "hec", "dt": dt(T0 * 10**9 + 500_000_000), "message": "created a repository", "level": "info", "host": "gh",
       "sourcetype": "github:audit", "index": "main", "time": T0 + 0.5, "event": {"action": "repo.create", "message": "created a repository", "level": "info"}},
      {"drain": "hec", "dt": dt((T0 + 1) * 10**9 + 250_000_000), "message": "a plain event", "event": "a plain event", "fields": {"team": "a"}},
      {"drain": "hec", "dt": "$received_at", "message": "msg is the message", "level": "debug"}],
     body_json=SUCCESS)
arr = [{"time": T0 + 2, "event": "in an array"}, {"time": T0 + 3, "event": {"k": 1}}]
case("231-hec-array-gzip", "splunk_hec: a JSON array of envelopes at /services/collector, gzip",
     "/hec/services/collector", {**JSON, "content-encoding": "gzip", **HEC}, gz(json.dumps(arr).encode()), 200, 1,
     [{"message": "in an array", "dt": dt((T0 + 2) * 10**9)}, {"message": "", "event": {"k": 1}, "dt": dt((T0 + 3) * 10**9)}],
     body_json=SUCCESS)
case("232-hec-root", "splunk_hec at the host root: the token picks the source (GitHub's stream is given a domain and port)",
     "/services/collector/event/1.0", {**JSON, "authorization": "Splunk case-hec-next"}, b'{"event":"at the root","time":1764936004}', 200, 1,
     [{"drain": "hec", "message": "at the root"}], body_json=SUCCESS)
case("233-hec-root-second-source", "splunk_hec at the host root: another source's token routes to that source",
     "/services/collector/event", {**JSON, "authorization": "Splunk case-hec2-token"}, b'{"event":"second","time":1764936005}', 200, 1,
     [{"drain": "hec2", "message": "second"}], body_json=SUCCESS)
case("234-hec-root-other-kinds-token", "splunk_hec at the host root: a Datadog source's key never routes: 403 Invalid token",
     "/services/collector/event", {**JSON, "authorization": "Splunk case-dd-key"}, b'{"event":"x"}', 403, 0,
     body_json={"text": "Invalid token", "code": 4})
case("235-hec-raw", "splunk_hec /raw: a line per event, host/source/sourcetype/index/time from the query; the channel accepted",
     "/hec/services/collector/raw?channel=0aa1b2c3-d4e5-f6a7-b8c9-d0e1f2a3b4c5&host=web-1&sourcetype=nginx&source=access.log&index=web&time=1764936006",
     {"content-type": "text/plain", **HEC}, b"GET / 200\nGET /favicon.ico 404\n", 200, 1,
     [{"message": "GET / 200", "host": "web-1", "sourcetype": "nginx", "source": "access.log", "index": "web", "dt": dt((T0 + 6) * 10**9)},
      {"message": "GET /favicon.ico 404", "host": "web-1", "dt": dt((T0 + 6) * 10**9)}], body_json=SUCCESS)
case("236-hec-no-token", "splunk_hec: no token: 401 Token is required",
     "/hec/services/collector/event", JSON, b'{"event":"x"}', 401, 0, body_json={"text": "Token is required", "code": 2})
case("237-hec-wrong-token", "splunk_hec: a wrong token: 403 Invalid token",
     "/hec/services/collector/event", {**JSON, "authorization": "Splunk nope"}, b'{"event":"x"}', 403, 0,
     body_json={"text": "Invalid token", "code": 4})
case("238-hec-no-event", "splunk_hec: the second envelope has no event: 400 code 12, nothing stored",
     "/hec/services/collector/event", {**JSON, **HEC}, b'{"event":"ok"}{"time":1}', 400, 0,
     body_json={"text": "Event field is required", "code": 12, "invalid-event-number": 1})
case("239-hec-blank-event", "splunk_hec: a blank event: 400 code 13",
     "/hec/services/collector/event", {**JSON, **HEC}, b'{"event":""}', 400, 0,
     body_json={"text": "Event field cannot be blank", "code": 13, "invalid-event-number": 0})
case("240-hec-invalid-json", "splunk_hec: JSON that breaks after the first envelope: 400 code 6 naming the event",
     "/hec/services/collector/event", {**JSON, **HEC}, b'{"event":"ok"}{"event":', 400, 0,
     body_json={"text": "Invalid data format", "code": 6, "invalid-event-number": 1})
case("241-hec-no-data", "splunk_hec: an empty body: 400 code 5",
     "/hec/services/collector/event", {**JSON, **HEC}, b"", 400, 0, body_json={"text": "No data", "code": 5, "invalid-event-number": 0})
case("242-hec-health", "splunk_hec health, no auth",
     "/hec/services/collector/health", {}, None, 200, 0, method="GET", body_json={"text": "HEC is healthy", "code": 17})
case("243-hec-zstd-bearer", "splunk_hec: zstd, the token as Bearer",
     "/hec/services/collector/event", {**JSON, "content-encoding": "zstd", "authorization": "Bearer case-hec-token"},
     zstd(b'{"event":"zstd","time":1764936007}'), 200, 1, [{"message": "zstd", "dt": dt((T0 + 7) * 10**9)}], body_json=SUCCESS)
case("244-hec-basic", "splunk_hec: the token as a Basic password (any user)",
     "/hec/services/collector/event", {**JSON, "authorization": "Basic " + base64.b64encode(b"x:case-hec-token").decode()},
     b'{"event":"basic","time":1764936008}', 200, 1, [{"message": "basic"}], body_json=SUCCESS)
case("245-hec-retry-same-key", "splunk_hec: the same timed delivery again after 1.5 s lands on the same key",
     "/hec/services/collector/event", {**JSON, **HEC}, b'{"event":"retried","time":1764936009}', 200, 1,
     [{"message": "retried"}], repeat=2, body_json=SUCCESS)
case("246-hec-too-many-hours", "splunk_hec: envelopes over 25 hours pass max_objects: 413 in HEC's form, nothing stored",
     "/hec/services/collector/event", {**JSON, **HEC}, "".join(json.dumps({"time": T0 + h * 3600, "event": str(h)}) for h in range(25)).encode(),
     413, 0)

# ---- datadog ----
DD = {"dd-api-key": "case-dd-key"}
logs = [{"message": "payment failed", "status": "error", "service": "billing", "ddsource": "python", "ddtags": "env:prod,team:pay",
         "hostname": "i-0abc", "timestamp": T0 * 1000 + 123, "attributes": {"order": 17}},
        {"message": "retrying", "level": "warning", "service": "billing", "date": "2025-12-05T12:00:01.000Z"}]
case("250-datadog-array", "datadog: a JSON array of logs; level from status, else level; time from timestamp (ms) or date",
     "/dd/api/v2/logs", {**JSON, **DD}, json.dumps(logs).encode(), 202, 1,
     [{"drain": "dd", "message": "payment failed", "level": "error", "status": "error", "ddtags": "env:prod,team:pay",
       "hostname": "i-0abc", "dt": dt(T0 * 10**9 + 123_000_000), "attributes": {"order": 17}},
      {"drain": "dd", "message": "retrying", "level": "warning", "dt": dt((T0 + 1) * 10**9)}],
     body_json={})
case("251-datadog-root", "datadog at the host root (the Agent's logs_dd_url): the key picks the source",
     "/api/v2/logs", {**JSON, **DD}, b'[{"message":"from the agent","timestamp":1764936002000}]', 202, 1,
     [{"drain": "dd", "message": "from the agent"}], body_json={})
case("252-datadog-query-key-and-tags", "datadog: the key as dd-api-key query parameter; ddtags, service and hostname from the query fill events lacking them",
     "/dd/api/v2/logs?dd-api-key=case-dd-key&ddtags=env:staging&service=web&hostname=h1",
     JSON, b'[{"message":"one","service":"own","timestamp":1764936003000},{"message":"two","timestamp":1764936003001}]', 202, 1,
     [{"message": "one", "service": "own", "ddtags": "env:staging", "hostname": "h1"},
      {"message": "two", "service": "web", "ddtags": "env:staging", "hostname": "h1"}], body_json={})
case("253-datadog-no-key", "datadog: no key: 403 Forbidden",
     "/dd/api/v2/logs", JSON, b"[]", 403, 0, body_json={"errors": ["Forbidden"]})
case("254-datadog-wrong-key", "datadog: a wrong key (a HEC token at the Datadog root never routes): 403 Forbidden",
     "/api/v2/logs", {**JSON, "dd-api-key": "case-hec-token"}, b"[]", 403, 0, body_json={"errors": ["Forbidden"]})
case("255-datadog-zstd", "datadog: zstd, as the Agent sends by default",
     "/dd/api/v2/logs", {**JSON, "content-encoding": "zstd", **DD}, zstd(b'[{"message":"zstd","timestamp":1764936004000}]'), 202, 1,
     [{"message": "zstd", "dt": dt((T0 + 4) * 10**9)}], body_json={})
case("256-datadog-deflate", "datadog: deflate (Vector's Datadog sink can send it)",
     "/dd/api/v2/logs", {**JSON, "content-encoding": "deflate", **DD}, deflate(b'{"message":"one object","@timestamp":"2025-12-05T12:00:05Z"}'), 202, 1,
     [{"message": "one object", "dt": dt((T0 + 5) * 10**9)}], body_json={})
case("257-datadog-bad-json", "datadog: a body that isn't JSON: 400 with errors",
     "/dd/api/v2/logs", {**JSON, **DD}, b"[{", 400, 0)
case("258-datadog-too-many-hours", "datadog: logs over 25 hours pass max_objects: 413 with errors, nothing stored",
     "/dd/api/v2/logs", {**JSON, **DD}, json.dumps([{"message": str(h), "timestamp": (T0 + h * 3600) * 1000} for h in range(25)]).encode(),
     413, 0)

# ---- loki ----
ALLOY = {"authorization": "Basic " + base64.b64encode(b"alloy:case-loki-pass").decode()}
push = loki_push([('{job="api", env="prod", msg="say \\"hi\\"", path="C:\\\\logs"}',
                   [(T0, 123456789, "GET /health 200", []),
                    (T0 + 1, 0, "level=error boom", [("trace_id", "4bf92f3577b34da6"), ("detected_level", "error")])]),
                  ('{job="worker", level="warn"}', [(T0 + 2, 5, "slow job", [])])])
case("260-loki-protobuf", "loki: snappy protobuf with label escapes, structured metadata and the tenant",
     "/alloy/loki/api/v1/push", {"content-type": "application/x-protobuf", "x-scope-orgid": "team-a", **ALLOY}, snappy(push), 204, 1,
     [{"drain": "alloy", "message": "GET /health 200", "dt": dt(T0 * 10**9 + 123456789), "tenant": "team-a",
       "labels": {"job": "api", "env": "prod", "msg": 'say "hi"', "path": "C:\\logs"}},
      {"drain": "alloy", "message": "level=error boom", "level": "error", "dt": dt((T0 + 1) * 10**9),
       "metadata": {"trace_id": "4bf92f3577b34da6", "detected_level": "error"}},
      {"drain": "alloy", "message": "slow job", "level": "warn", "labels": {"job": "worker", "level": "warn"}, "dt": dt((T0 + 2) * 10**9 + 5)}],
     exact_body="")
lj = {"streams": [{"stream": {"app": "shop", "level": "info"},
                   "values": [[str((T0 + 3) * 10**9 + 1), "json line one"],
                              [str((T0 + 3) * 10**9 + 2), "json line two", {"user": "u1"}]]}]}
case("261-loki-json", "loki: the JSON push, nanosecond strings, structured metadata",
     "/alloy/loki/api/v1/push", {**JSON, **ALLOY}, json.dumps(lj).encode(), 204, 1,
     [{"message": "json line one", "level": "info", "labels": {"app": "shop", "level": "info"}, "dt": dt((T0 + 3) * 10**9 + 1)},
      {"message": "json line two", "metadata": {"user": "u1"}, "dt": dt((T0 + 3) * 10**9 + 2)}], exact_body="")
case("262-loki-root", "loki at the host root: the Bearer token picks the source",
     "/loki/api/v1/push", {**JSON, "authorization": "Bearer case-promtail-token"},
     json.dumps({"streams": [{"stream": {"job": "p"}, "values": [[str((T0 + 4) * 10**9), "from promtail"]]}]}).encode(), 204, 1,
     [{"drain": "promtail", "message": "from promtail"}], exact_body="")
case("263-loki-no-auth", "loki: no credentials: 401 with a challenge",
     "/alloy/loki/api/v1/push", JSON, b'{"streams":[]}', 401, 0, headers_present=["www-authenticate"])
case("264-loki-bad-snappy", "loki: protobuf that isn't snappy (a 16-byte block whose copy points before its start): 400",
     "/alloy/loki/api/v1/push", {"content-type": "application/x-protobuf", **ALLOY}, b"\x10\xff\xff\xff", 400, 0)
case("265-loki-gzip-json", "loki: the JSON push, gzip",
     "/alloy/loki/api/v1/push", {**JSON, "content-encoding": "gzip", **ALLOY},
     gz(json.dumps({"streams": [{"stream": {"job": "g"}, "values": [[str((T0 + 5) * 10**9), "gzipped"]]}]}).encode()), 204, 1,
     [{"message": "gzipped", "dt": dt((T0 + 5) * 10**9)}], exact_body="")
case("266-loki-bad-labels", "loki: protobuf whose label text can't be read: 400",
     "/alloy/loki/api/v1/push", {"content-type": "application/x-protobuf", **ALLOY},
     snappy(loki_push([('{job=api}', [(T0, 0, "x", [])])])), 400, 0)
case("267-loki-retry-same-key", "loki: the same push again after 1.5 s lands on the same key",
     "/alloy/loki/api/v1/push", {"content-type": "application/x-protobuf", **ALLOY},
     snappy(loki_push([('{job="r"}', [(T0 + 6, 0, "retried", [])])])), 204, 1, [{"message": "retried"}], repeat=2, exact_body="")
case("268-loki-too-many-hours", "loki: entries over 25 hours pass max_objects: 413, nothing stored",
     "/alloy/loki/api/v1/push", {"content-type": "application/x-protobuf", **ALLOY},
     snappy(loki_push([('{job="h"}', [(T0 + h * 3600, 0, str(h), []) for h in range(25)])])), 413, 0)

# ---- keep what you want (issue 32): a webhook source with redact, drop and min_level ----
KEPT = {**JSON, "authorization": "Bearer case-kept-token"}
kept = [
    {"time": T0 + 20, "level": "debug", "message": "chatty detail"},
    {"time": T0 + 21, "level": "info", "message": "signup by ann@example.com from 120.75.16.101",
     "proxy": {"clientIp": "120.75.16.101", "path": "/signup"}, "headers": {"cookie": "sid=abc", "authorization": "Bearer abcdef123456"},
     "payment": {"card": "4111 1111 1111 1111", "order": "4111111111111112", "key": "sk_live_51HxYz"}},
    {"time": T0 + 22, "message": "no level: kept", "user": "bob@example.org"},
]
case("280-keep-redact-drop-min-level", "redact (built-ins and a pattern), drop paths, min_level: the debug event not stored, matches replaced everywhere, the dropped paths gone",
     "/kept", KEPT, json.dumps(kept).encode(), 200, 1,
     [{"drain": "kept", "level": "info", "dt": dt((T0 + 21) * 10**9),
       "message": "signup by [REDACTED:email] from [REDACTED:ipv4]", "proxy": {"path": "/signup"},
       "headers": {"authorization": "[REDACTED:bearer]"},
       "payment": {"card": "[REDACTED:card]", "order": "4111111111111112", "key": "[REDACTED:stripe]"}},
      {"drain": "kept", "message": "no level: kept", "user": "[REDACTED:email]", "dt": dt((T0 + 22) * 10**9)}],
     body_json=OK)
case("281-keep-all-below-min-level", "every event below min_level: success, nothing stored",
     "/kept", KEPT, json.dumps([{"time": T0 + 23, "level": "debug", "message": "a"}, {"time": T0 + 24, "level": "trace", "message": "b"}]).encode(),
     200, 0, body_json=OK)
case("282-keep-refused", "keep_refused: an authenticated delivery refused as undecodable answers as ever (400) and is kept under _drain/refused/ with its reason and body",
     "/kept", KEPT, b'[{"message": "cut off', 400, 1,
     [{"drain": "kept", "kind": "webhook", "status": 400, "refusal": "undecodable", "path": "/kept", "level": "error",
       "body": '[{"message": "cut off', "body_bytes": 21, "body_truncated": False, "dt": "$received_at"}])
case("284-keep-refused-unsupported-type", "keep_refused: a content type the kind doesn't read answers 415 as ever and is kept with its body",
     "/kept", {"content-type": "application/xml", "authorization": "Bearer case-kept-token"}, b"<log>hello</log>", 415, 1,
     [{"drain": "kept", "status": 415, "refusal": "unsupported_type", "body": "<log>hello</log>", "dt": "$received_at"}])
case("283-keep-refused-not-unauthenticated", "keep_refused: an unauthenticated delivery is never kept",
     "/kept", {**JSON, "authorization": "Bearer nope"}, b'[{"message": "cut off', 401, 0)

for old in os.listdir(HERE):
    if old[:1].isdigit():
        os.remove(os.path.join(HERE, old))
for name, c, body in CASES:
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(c, f, indent=2, ensure_ascii=False)
        f.write("\n")
    if body is not None:
        with open(os.path.join(HERE, name + ".body"), "wb") as f:
            f.write(body)
print(f"{len(CASES)} cases written to {HERE}")
