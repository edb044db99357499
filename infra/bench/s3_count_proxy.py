"""A counting proxy in front of a local S3 server (infra/cost): every request is forwarded unchanged
(headers, body, so SigV4 signatures still hold) and counted by what S3 bills it as: PUT, GET (HEAD
too), LIST, DELETE (a batch delete counts its keys). `GET /__counts` answers the counts so far as
JSON; nothing else is answered by the proxy itself.

    python infra/bench/s3_count_proxy.py PORT UPSTREAM_PORT
"""
import http.client
import http.server
import json
import re
import socket
import sys
import threading
import urllib.parse

port, upstream = int(sys.argv[1]), int(sys.argv[2])
counts = {"put": 0, "get": 0, "list": 0, "delete": 0, "other": 0}
lock = threading.Lock()


def classify(method, path, body):
    url = urllib.parse.urlsplit(path)
    query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
    if method == "PUT":
        return "put", 1
    if method in ("GET", "HEAD"):
        if "list-type" in query or url.path.strip("/").count("/") == 0:
            return "list", 1
        return "get", 1
    if method == "DELETE":
        return "delete", 1
    if method == "POST" and "delete" in query:
        return "delete", max(1, len(re.findall(rb"<Object>", body)))
    return "other", 1


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # Headers and body go out as two writes: without this, Nagle's algorithm and the client's
        # delayed ACK hold the body ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def body(self):
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out, True
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("content-length") or 0)
        return self.rfile.read(n), False

    def forward(self):
        if self.path == "/__counts":
            with lock:
                data = json.dumps(counts).encode()
            self.send_response(200)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        body, chunked = self.body()
        what, n = classify(self.command, self.path, body)
        with lock:
            counts[what] += n
        conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=120)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            if chunked and k.lower() == "transfer-encoding":
                continue
            conn.putheader(k, v)
        if chunked:
            conn.putheader("content-length", str(len(body)))
        conn.endheaders(body if body or self.command in ("PUT", "POST") else None)
        r = conn.getresponse()
        data = r.read()
        self.send_response(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "content-length", "connection"):
                self.send_header(k, v)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward


http.server.ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()
