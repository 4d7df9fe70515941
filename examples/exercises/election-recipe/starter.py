#!/usr/bin/env python3
"""Exercise 4b, leader election on the core: a starting point (Python 3).

Campaign for leadership on ccm's core (POST /v1/elections/<name>/campaign, see
the README), keep it while asked, and answer is_leader truthfully, even after
this process was frozen for longer than its lease. docs/exercises/client-protocol.md
has the requests and replies. Every request to the cluster needs the token in
CCM_TOKEN (Authorization: Bearer <token>), and every POST Content-Type:
application/json; renewing and resigning need the secret the campaign's
answer carried (body field "secret").

Check it:  ccm exercise check election-recipe -- python3 my_election.py
"""
import json
import os
import sys

ENDPOINTS = os.environ["CCM_ENDPOINTS"].split(",")
TOKEN = os.environ["CCM_TOKEN"]


def campaign(req):
    # TODO: win req["election"] with a lease of req["ttl_ms"]; answer its term.
    return {"ok": False, "error": "timeout", "message": "not written yet"}


def is_leader(req):
    # TODO: are you still the leader? Be sure.
    return {"ok": True, "leader": False}


def resign(req):
    return {"ok": True}


HANDLERS = {"init": lambda req: {"ok": True}, "campaign": campaign, "is_leader": is_leader, "resign": resign}

for line in sys.stdin:
    if line.strip():
        req = json.loads(line)
        reply = HANDLERS[req["op"]](req)
        reply["id"] = req["id"]
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
