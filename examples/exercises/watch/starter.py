#!/usr/bin/env python3
"""Exercise 2, change notification: a starting point (Python 3, stdlib only).

The harness asks this program to watch a key prefix from a revision on, then
writes changes under it while it kills nodes one at a time. Print one line per
change, {"event": {"key", "revision", "value", "type"}}, every change exactly
once and in revision order, whatever happens to the node you are connected to.
See docs/exercises/client-protocol.md; ccm's watch API is
GET /v1/watch?key=<prefix>&prefix=true&fromRev=<revision> (JSON lines), with
the token in CCM_TOKEN (Authorization: Bearer <token>).

Check it:  ccm exercise check watch -- python3 my_watch.py
"""
import json
import os
import sys
import threading

ENDPOINTS = os.environ["CCM_ENDPOINTS"].split(",")
TOKEN = os.environ["CCM_TOKEN"]


def follow(prefix, from_revision, started):
    # TODO: open a watch stream, call started.set() once it is open, print
    # every event, and when the stream breaks, carry on from another node
    # without losing or repeating anything.
    started.set()


for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    if req["op"] == "watch":
        started = threading.Event()
        threading.Thread(target=follow, args=(req["prefix"], req["from_revision"], started), daemon=True).start()
        started.wait(10)
    sys.stdout.write(json.dumps({"id": req["id"], "ok": True}) + "\n")
    sys.stdout.flush()
