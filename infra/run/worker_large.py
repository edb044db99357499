#!/usr/bin/env python3
"""A large signed Vercel delivery to the Worker under `wrangler dev`: from 64 KiB the Worker
computes the body's HMAC-SHA1 with crypto.subtle and hands it to the core. Checks that a body
signed with either secret is stored whole, a retry lands on the same object, and a forged or
missing signature is refused with nothing stored.
  python3 infra/run/worker_large.py URL CONFIG   (run by `infra/run/conformance worker`)"""
import gzip
import hashlib
import hmac
import json
import sys
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import os

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import check, done  # noqa: E402

url, config_path = sys.argv[1], sys.argv[2]
with open(config_path, "rb") as f:
    source = next(s for s in tomllib.load(f)["source"] if s["kind"] == "vercel")


def get(path):
    with urllib.request.urlopen(url + path, timeout=120) as r:
        return r.read()


def keys():
    return set(json.loads(get("/__r2/list")))


def post(body, signature):
    headers = {"content-type": "application/x-ndjson"}
    if signature is not None:
        headers["x-vercel-signature"] = signature
    req = urllib.request.Request(url + "/" + source["name"], data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


run = hashlib.sha1(str(sorted(keys())).encode()).hexdigest()[:12]
events = [
    {"id": f"large-{run}-{i}", "timestamp": 1790000000000 + i, "message": f"large body event {i} " + "x" * 600,
     "source": "lambda", "level": "info"}
    for i in range(300)
]
body = "".join(json.dumps(e) + "\n" for e in events).encode()
assert len(body) >= 150_000, len(body)
sign = lambda secret: hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()

before = keys()
check("forged signature: 403", post(body, sign("not-a-secret")) == 403)
check("no signature: 403", post(body, None) == 403)
check("nothing stored for the refused ones", keys() == before)
for n, secret in enumerate(source["secrets"]):
    check(f"signed with secret {n + 1} ({len(body)} bytes): 200", post(body, sign(secret)) == 200)
created = sorted(keys() - before)
check("one object for the body and its resend", len(created) == 1, created)
stored = [json.loads(l) for k in created for l in gzip.decompress(get("/__r2/get?key=" + urllib.parse.quote(k))).decode().splitlines()]
check("every event stored once", sorted(e.get("id") for e in stored) == sorted(e["id"] for e in events),
      f"{len(stored)} stored")
done()
