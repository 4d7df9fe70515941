#!/usr/bin/env python3
"""Exercise 4b, leader election on the core: a plausible but broken solution.

The same client as reference.py, except that it believes it leads from the
moment it wins until it resigns. It keeps renewing its lease, so what could go
wrong? A pause longer than the lease: the lease expires, another client wins a
newer term, and this one wakes up and carries on as leader. Two leaders at
once: the bug Jepsen found in etcd's lock recipe users and Curator's
LeaderLatch users kept hitting.

Watch it fail:  ccm exercise check election-recipe --solution broken
"""
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ENDPOINTS = os.environ["CCM_ENDPOINTS"].split(",")
TOKEN = os.environ.get("CCM_TOKEN")
ME = os.environ.get("CCM_CLIENT", "client")
state = {}   # election -> {"lease", "secret", "term", "ttl", "confirmed_at", "lost", "stop"}


class ApiError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def call(method, path, body=None, timeout=2.0):
    last = None
    for endpoint in ENDPOINTS:
        request = urllib.request.Request(endpoint + path, method=method, headers={"content-type": "application/json"})
        if TOKEN:
            request.add_header("authorization", "Bearer " + TOKEN)
        try:
            with urllib.request.urlopen(request, json.dumps(body).encode() if body is not None else None, timeout=timeout) as r:
                return json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            error = json.loads(e.read() or b"{}").get("error", {})
            if error.get("code") in ("unavailable", "no_leader", "not_running"):
                last = ApiError(error.get("code"), error.get("message", ""))
                continue
            raise ApiError(error.get("code", "http"), error.get("message", ""))
        except (urllib.error.URLError, OSError) as e:
            last = ApiError("unavailable", str(e))
    raise last


def path(election, action):
    return "/v1/elections/%s/%s" % (urllib.parse.quote(election, safe=""), action)


def keep_alive(election, s):
    # Renew at once (the campaign may have waited in line, and the lease's clock started when it was handed over),
    # then every third of the TTL.
    while True:
        sent = time.monotonic()
        try:
            call("POST", path(election, "renew"), {"lease": s["lease"], "secret": s["secret"]}, timeout=s["ttl"] / 2)
            s["confirmed_at"] = sent
        except ApiError as e:
            if e.code in ("not_found", "failed_precondition"):
                s["lost"] = True   # the lease is gone: someone else may lead now
                return
        if s["stop"].wait(s["ttl"] / 3):
            return


def campaign(req):
    ttl = req["ttl_ms"] / 1000
    sent = time.monotonic()
    try:
        won = call("POST", path(req["election"], "campaign"),
                   {"id": ME, "ttlMs": req["ttl_ms"], "waitTimeoutMs": req.get("wait_ms", 1000)},
                   timeout=req.get("wait_ms", 1000) / 1000 + 5)
    except ApiError as e:
        return {"ok": False, "error": "timeout" if e.code == "held" else e.code, "message": str(e)}
    s = {"lease": won["lease"], "secret": won["secret"], "term": won["token"], "ttl": ttl, "confirmed_at": sent, "lost": False, "stop": threading.Event()}
    state[req["election"]] = s
    threading.Thread(target=keep_alive, args=(req["election"], s), daemon=True).start()
    return {"ok": True, "term": won["token"]}


def is_leader(req):
    s = state.get(req["election"])
    if s is None:
        return {"ok": True, "leader": False}
    return {"ok": True, "leader": True, "term": s["term"]}   # the bug: no deadline, no check


def resign(req):
    s = state.pop(req["election"], None)
    if s is not None:
        s["stop"].set()
        try:
            call("POST", path(req["election"], "resign"), {"lease": s["lease"], "secret": s["secret"]})
        except ApiError:
            pass  # already gone
    return {"ok": True}


HANDLERS = {"init": lambda req: {"ok": True}, "campaign": campaign, "is_leader": is_leader, "resign": resign}

for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    try:
        reply = HANDLERS[req["op"]](req)
    except Exception as e:
        reply = {"ok": False, "error": "unavailable", "message": str(e)}
    reply["id"] = req["id"]
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
