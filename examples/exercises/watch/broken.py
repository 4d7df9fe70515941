#!/usr/bin/env python3
"""Exercise 2, change notification: a plausible but broken solution (Python 3).

The same watcher as reference.py, except that when its stream breaks it
reconnects and watches "from now on" instead of from the revision after the
last one it delivered. Every change made while it was reconnecting is lost:
the classic ZooKeeper one-shot-watch mistake (re-arm, then read, and miss what
happened in between).

  watch -> {"ok": true} once the first stream is open, then one
           {"event": {"key", "revision", "value", "type"}} line per change.

Watch it fail:  ccm exercise check watch --solution broken
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

ENDPOINTS = [urllib.parse.urlsplit(e) for e in os.environ["CCM_ENDPOINTS"].split(",")]
TOKEN = os.environ.get("CCM_TOKEN")
QUIET_LIMIT_S = 3.0   # ccm sends a progress line every second we ask for; silence this long means the node is stuck

out = threading.Lock()


def emit(obj):
    with out:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def stream(endpoint, prefix, from_revision, on_created):
    """Follows one stream until it breaks; returns the last revision delivered."""
    last = from_revision - 1
    params = {"key": prefix, "prefix": "true", "progressMs": 1000}
    if from_revision > 0:
        params["fromRev"] = from_revision
    query = urllib.parse.urlencode(params)
    connection = http.client.HTTPSConnection if endpoint.scheme == "https" else http.client.HTTPConnection
    conn = connection(endpoint.hostname, endpoint.port, timeout=QUIET_LIMIT_S)
    try:
        conn.request("GET", "/v1/watch?" + query, headers={"authorization": "Bearer " + TOKEN} if TOKEN else {})
        response = conn.getresponse()
        if response.status != 200:
            return last
        for line in response:
            message = json.loads(line)
            if message["type"] == "created":
                on_created()
            elif message["type"] == "events":
                for e in message["events"]:
                    kv = e["kv"]
                    emit({"event": {"key": kv["key"], "revision": kv["modRevision"], "value": kv["value"], "type": e["type"]}})
                last = message["revision"]
            elif message["type"] == "error":
                return last
    except (OSError, http.client.HTTPException, ValueError):
        pass  # the node died, froze or hung up: reconnect elsewhere
    finally:
        conn.close()
    return last


def follow(prefix, from_revision, started):
    next_revision = from_revision
    i = 0
    while True:
        endpoint = ENDPOINTS[i % len(ENDPOINTS)]
        stream(endpoint, prefix, next_revision, started.set)
        next_revision = 0   # the bug: after a break, watch from "now" (0 = no fromRev), not from last + 1
        i += 1
        time.sleep(0.5)   # back off a little before reconnecting


for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    if req["op"] == "watch":
        started = threading.Event()
        threading.Thread(target=follow, args=(req["prefix"], req["from_revision"], started), daemon=True).start()
        ok = started.wait(10)
        emit({"id": req["id"], "ok": ok} if ok else {"id": req["id"], "ok": False, "error": "unavailable"})
    else:
        emit({"id": req["id"], "ok": True})
