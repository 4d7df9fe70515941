#!/usr/bin/env python3
"""Exercise 1, the lease manager: a starting point (Python 3, stdlib only).

The harness starts several copies of this program, one per client, and sends
each requests as JSON lines (docs/exercises/client-protocol.md): acquire a
resource for a while, write to its data key, release it. Now and then it
freezes a holder for longer than its lease. Make sure a holder that lost its
lease can never overwrite a newer holder's data.

The cluster's addresses are in CCM_ENDPOINTS (comma-separated); ccm's HTTP API
is described in the README (/v1/locks, /v1/kv, /v1/leases). Every request
needs the token in CCM_TOKEN (Authorization: Bearer <token>), and every POST
or PUT Content-Type: application/json. A grant's answer carries its secret,
once: releasing (or renewing) the lease needs it (body field "secret").

Check it:  ccm exercise check lease -- python3 my_lease.py
"""
import json
import os
import sys
import urllib.request

ENDPOINTS = os.environ["CCM_ENDPOINTS"].split(",")
TOKEN = os.environ["CCM_TOKEN"]
ME = os.environ.get("CCM_CLIENT", "client")


def acquire(req):
    # TODO: take req["resource"] for req["ttl_ms"] ms (waiting up to
    # req["wait_ms"] if it is held) and answer {"ok": True, "token": <fencing token>}.
    return {"ok": False, "error": "held", "message": "not written yet"}


def write(req):
    # TODO: store {"token": <your token>, "value": req["value"]} at req["key"],
    # unless a newer holder has written there (then answer error "stale").
    return {"ok": False, "error": "not_held", "message": "not written yet"}


def release(req):
    # TODO: give the resource back (with the secret its grant returned).
    return {"ok": True}


HANDLERS = {"init": lambda req: {"ok": True}, "acquire": acquire, "write": write, "release": release}

for line in sys.stdin:
    if line.strip():
        req = json.loads(line)
        reply = HANDLERS[req["op"]](req)
        reply["id"] = req["id"]
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
