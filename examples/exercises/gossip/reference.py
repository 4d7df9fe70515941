#!/usr/bin/env python3
"""Exercise 3, gossip: a reference solution (Python 3, standard library only).

A Maelstrom broadcast node. Every fact (an integer) a node learns is sent to each
neighbour until that neighbour acknowledges it, so a lost message, a duplicate or
a partition only delays a fact, never loses it:

  broadcast {message}  -> store it, answer broadcast_ok, queue it for the neighbours
  gossip {messages}    -> store the new ones, queue them for the other neighbours,
                          answer gossip_ok {messages} (the acknowledgement)
  gossip_ok {messages} -> the neighbour has them: stop resending
  every 100 ms         -> send each neighbour the facts it has not acknowledged

Run it:  ccm exercise check gossip -- python3 examples/exercises/gossip/reference.py
"""
import json
import sys
import threading
import time

lock = threading.Lock()
node_id = None
neighbours = []
facts = set()
unacked = {}          # neighbour -> facts it has not acknowledged yet
next_msg_id = 0


def send(dest, body):
    global next_msg_id
    with lock:
        next_msg_id += 1
        body.setdefault("msg_id", next_msg_id)
        sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": body}) + "\n")
        sys.stdout.flush()


def reply(request, body):
    body["in_reply_to"] = request["body"].get("msg_id")
    send(request["src"], body)


def learn(values, skip=None):
    """Stores new facts and queues them for every neighbour but `skip`."""
    with lock:
        new = [v for v in values if v not in facts]
        facts.update(new)
        for n in neighbours:
            if n != skip:
                unacked[n].update(new)


def gossip_loop():
    while True:
        time.sleep(0.1)
        with lock:
            batches = {n: sorted(vs)[:2000] for n, vs in unacked.items() if vs}
        for n, values in batches.items():
            send(n, {"type": "gossip", "messages": values})


def handle(msg):
    global node_id, neighbours
    body = msg["body"]
    kind = body["type"]
    if kind == "init":
        node_id = body["node_id"]
        neighbours = [n for n in body["node_ids"] if n != node_id]
        for n in neighbours:
            unacked[n] = set()
        threading.Thread(target=gossip_loop, daemon=True).start()
        reply(msg, {"type": "init_ok"})
    elif kind == "topology":
        with lock:
            neighbours = list(body["topology"].get(node_id, neighbours))
            for n in neighbours:
                unacked.setdefault(n, set())
        reply(msg, {"type": "topology_ok"})
    elif kind == "broadcast":
        learn([body["message"]])
        reply(msg, {"type": "broadcast_ok"})
    elif kind == "read":
        with lock:
            values = sorted(facts)
        reply(msg, {"type": "read_ok", "messages": values})
    elif kind == "gossip":
        learn(body["messages"], skip=msg["src"])
        reply(msg, {"type": "gossip_ok", "messages": body["messages"]})
    elif kind == "gossip_ok":
        with lock:
            unacked.setdefault(msg["src"], set()).difference_update(body["messages"])


for line in sys.stdin:
    if line.strip():
        handle(json.loads(line))
