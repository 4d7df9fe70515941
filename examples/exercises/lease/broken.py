#!/usr/bin/env python3
"""Exercise 1, the lease manager: a plausible but broken solution (Python 3).

The same client as reference.py, except for one thing: it writes without
fencing. It holds the lock, so why check? Because a holder can be paused (a
GC pause, a stopped VM, a slow disk) for longer than its lease. It wakes up
still believing it holds the lock, and overwrites what the next holder wrote.

  acquire -> POST /v1/locks/<resource>/acquire {holder, ttlMs, wait}
             the answer carries a fencing token: the core revision of the
             grant, larger for every later grant of the resource, and the
             grant's secret (given once: releasing or renewing needs it).
  write   -> store {"token": T, "value": V} at the data key (a blind put).
  release -> POST /v1/locks/<resource>/release {lease, secret}

Watch it fail:  ccm exercise check lease --solution broken
"""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

ENDPOINTS = os.environ["CCM_ENDPOINTS"].split(",")
TOKEN = os.environ.get("CCM_TOKEN")
ME = os.environ.get("CCM_CLIENT", "client")
held = {}  # resource -> {"lease": id, "token": fencing token, "secret": the grant's secret}


class ApiError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def call(method, path, body=None, timeout=2.0):
    """One request to the cluster, trying the next node when one cannot be reached."""
    last = None
    for endpoint in ENDPOINTS:
        request = urllib.request.Request(endpoint + path, method=method)
        request.add_header("content-type", "application/json")
        if TOKEN:
            request.add_header("authorization", "Bearer " + TOKEN)
        data = json.dumps(body).encode() if body is not None else None
        try:
            with urllib.request.urlopen(request, data, timeout=timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as e:
            error = json.loads(e.read() or b"{}").get("error", {})
            if error.get("code") in ("unavailable", "no_leader", "not_running"):
                last = ApiError(error.get("code"), error.get("message", ""))
                continue
            raise ApiError(error.get("code", "http_%d" % e.code), error.get("message", ""))
        except (urllib.error.URLError, OSError) as e:
            last = ApiError("unavailable", str(e))
    raise last


def lock_path(resource, action):
    return "/v1/locks/%s/%s" % (urllib.parse.quote(resource, safe=""), action)


def acquire(req):
    body = {"holder": ME, "ttlMs": req["ttl_ms"], "wait": True, "waitTimeoutMs": req.get("wait_ms", 1000)}
    try:
        grant = call("POST", lock_path(req["resource"], "acquire"), body, timeout=req.get("wait_ms", 1000) / 1000 + 5)
    except ApiError as e:
        return {"ok": False, "error": "held" if e.code == "held" else e.code, "message": str(e)}
    held[req["resource"]] = {"lease": grant["lease"], "token": grant["token"], "secret": grant["secret"]}
    return {"ok": True, "token": grant["token"]}


def write(req):
    mine = held.get(req["resource"])
    if mine is None:
        return {"ok": False, "error": "not_held"}
    # We hold the lock, so just write (no fencing: this is the bug).
    call("PUT", "/v1/kv", {"key": req["key"], "value": json.dumps({"token": mine["token"], "value": req["value"]})})
    return {"ok": True}


def release(req):
    mine = held.pop(req["resource"], None)
    if mine is None:
        return {"ok": True}
    try:
        call("POST", lock_path(req["resource"], "release"), {"lease": mine["lease"], "secret": mine["secret"]})
    except ApiError as e:
        if e.code not in ("not_found", "failed_precondition"):  # already expired: nothing to release
            return {"ok": False, "error": e.code, "message": str(e)}
    return {"ok": True}


HANDLERS = {"init": lambda req: {"ok": True}, "acquire": acquire, "write": write, "release": release}

for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    try:
        reply = HANDLERS[req["op"]](req)
    except Exception as e:  # an unexpected answer from the cluster: say so, do not die
        reply = {"ok": False, "error": "unavailable", "message": str(e)}
    reply["id"] = req["id"]
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
