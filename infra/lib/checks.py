"""The Python runners' checks (infra/run/*.py): each check prints `ok` or `FAIL` and a name, and
`done()` ends the run with `N passed, N failed` (exit 1 on any failure)."""

import socket
import sys

_failures = []
_checks = 0


def check(name, ok, detail=""):
    global _checks
    _checks += 1
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"[:2000]), flush=True)
    if not ok:
        _failures.append(name)
    return ok


def failed():
    return len(_failures)


def done():
    print(f"{_checks - len(_failures)} passed, {len(_failures)} failed")
    sys.exit(1 if _failures else 0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
