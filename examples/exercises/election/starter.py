#!/usr/bin/env python3
"""Exercise 4, spontaneous leader election: a starting point (Python 3).

The harness is your network: it starts several copies of this program, sends
each an `init`, and asks each `leader` several times a second while it splits
the nodes into two halves for a while and later stops the leader. Answer with
the node you follow (yourself included), or null when you know none. Never two
leaders at once; one agreed leader soon after every heal.
See docs/exercises/node-protocol.md.

Check it:  ccm exercise check election -- python3 my_election.py
"""
import json
import sys

node_id = None
nodes = []


def send(dest, body):
    sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": body}) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    if not line.strip():
        continue
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        node_id = body["node_id"]
        nodes = body["node_ids"]
        # TODO: learn who is there, and keep learning.
        send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
    elif body["type"] == "leader":
        # TODO: pick a leader every node agrees on, without a coordinator.
        send(msg["src"], {"type": "leader_ok", "leader": node_id, "in_reply_to": body["msg_id"]})
