#!/usr/bin/env python3
"""Exercise 1, the lease manager: a reference solution (Python 3, stdlib only).

A client of ccm's lease manager that protects its writes with fencing tokens.

  acquire -> POST /v1/locks/<resource>/acquire {holder, ttlMs, wait}
             the answer carries a fencing token: the core revision of the
             grant, larger for every later grant of the resource, and the
             grant's secret (given once: releasing or renewing needs it).
  write   -> store {"token": T, "value": V} at the data key, but never over a
             higher token: read the key, refuse if it holds a higher token,
             else compare-and-set on the revision we read (retry if someone
             wrote in between).
  release -> POST /v1/locks/<resource>/release {lease, secret}

The token is what makes it safe: a holder that was paused past its lease
wakes up, tries to write with its old token, and the data key turns it
away because a newer holder has written with a higher one. (ccm's own
`kv put --fence` does the same check on the server.)

Protocol: docs/exercises/client-protocol.md. The cluster's addresses come in
CCM_ENDPOINTS, the token its API asks of every request in CCM_TOKEN.

Run it:  ccm exercise check lease -- python3 examples/exercises/lease/reference.py
"""
import json
import os
import sys
import socket
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
    timed_out = False
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
            if isinstance(e, socket.timeout) or isinstance(getattr(e, "reason", None), socket.timeout):
                timed_out = True
    if timed_out:  # a request that timed out may have been carried out: that stays unknown
        raise ApiError("timeout", "no answer in time; it may or may not have happened: " + str(last))
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
    key = req["key"]
    for _ in range(10):
        try:
            kv = call("GET", "/v1/kv?key=" + urllib.parse.quote(key, safe=""))["kvs"][0]
        except ApiError as e:
            if e.code != "not_found":
                return {"ok": False, "error": e.code, "message": str(e)}
            kv = None  # nobody has written yet
        if kv is not None and json.loads(kv["value"]).get("token", 0) > mine["token"]:
            return {"ok": False, "error": "stale", "message": "a newer holder has written"}
        put = {"key": key, "value": json.dumps({"token": mine["token"], "value": req["value"]})}
        if kv is None:
            put["ifAbsent"] = True
        else:
            put["ifModRev"] = kv["modRevision"]
        try:
            call("PUT", "/v1/kv", put)
            return {"ok": True}
        except ApiError as e:
            if e.code != "failed_precondition":
                return {"ok": False, "error": e.code, "message": str(e)}
            # someone wrote in between: look again
    return {"ok": False, "error": "conflict"}


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
