#!/usr/bin/env python3
"""Exercise 3, gossip: a plausible but broken solution (Python 3, stdlib only).

It forwards each new fact to its neighbours once, and never again: no
acknowledgement, no retransmission. On a perfect network every node gets every
fact; when a message is lost, or a partition cuts a neighbour off, the fact
never reaches the nodes behind it.

Watch it fail:  ccm exercise check gossip --solution broken
"""
import json
import sys

node_id = None
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


def spread(value, skip=None):
    if value in facts:
        return
    facts.add(value)
    for n in neighbours:
        if n != skip:
            send(n, {"type": "gossip", "message": value})  # fire and forget


for line in sys.stdin:
    if not line.strip():
        continue
    msg = json.loads(line)
    body = msg["body"]
    kind = body["type"]
    if kind == "init":
        node_id = body["node_id"]
        neighbours = [n for n in body["node_ids"] if n != node_id]
        reply(msg, {"type": "init_ok"})
    elif kind == "topology":
        neighbours = body["topology"].get(node_id, neighbours)
        reply(msg, {"type": "topology_ok"})
    elif kind == "broadcast":
        spread(body["message"])
        reply(msg, {"type": "broadcast_ok"})
    elif kind == "gossip":
        spread(body["message"], skip=msg["src"])
    elif kind == "read":
        reply(msg, {"type": "read_ok", "messages": sorted(facts)})
