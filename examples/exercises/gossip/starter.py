#!/usr/bin/env python3
"""Exercise 3, gossip: a starting point (Python 3, standard library only).

The harness is your network: it starts several copies of this program, sends
each an `init`, then `topology`, `broadcast` and `read` requests, and routes the
messages your nodes send each other (losing, delaying and duplicating some, and
partitioning them for a while). See docs/exercises/node-protocol.md.

This node answers every request, but it does not gossip yet: each node only
knows the facts broadcast to it. Make every node learn every fact.

Check it:  ccm exercise check gossip -- python3 my_gossip.py
"""
import json
import sys

node_id = None
node_ids = []
neighbours = []
facts = set()
next_msg_id = 0


def send(dest, body):
    global next_msg_id
    next_msg_id += 1
    body.setdefault("msg_id", next_msg_id)
    sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": body}) + "\n")
    sys.stdout.flush()


def reply(request, body):
    body["in_reply_to"] = request["body"].get("msg_id")
    send(request["src"], body)


for line in sys.stdin:
    if not line.strip():
        continue
    msg = json.loads(line)
    body = msg["body"]
    kind = body["type"]
    if kind == "init":
        node_id = body["node_id"]
        node_ids = body["node_ids"]
        reply(msg, {"type": "init_ok"})
    elif kind == "topology":
        neighbours = body["topology"].get(node_id, [])
        reply(msg, {"type": "topology_ok"})
    elif kind == "broadcast":
        facts.add(body["message"])
        # TODO: tell the other nodes, and keep telling them until they have it.
        reply(msg, {"type": "broadcast_ok"})
    elif kind == "read":
        reply(msg, {"type": "read_ok", "messages": sorted(facts)})
    # TODO: handle the messages your nodes send each other.
