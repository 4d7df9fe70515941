#!/usr/bin/env python3
"""Exercise 4, spontaneous leader election: a reference solution (Python 3).

No election round and no coordinator: every node heartbeats every other node
every 100 ms, and each decides alone, from whom it has heard lately:

  - the leader is the lowest id among the nodes heard from in the last second
    (itself included), but only if that is a majority of the cluster: a node
    that can see only a minority follows nobody (leader null);
  - a node stops calling itself leader as soon as it has not heard from a
    majority for 0.7 s, before the others (after 1 s) pick someone else, so the
    old leader has stepped down before a new one steps up.

Under a partition only the majority side has a leader; the minority side knows
it has none. That is what the lowest-id rule alone (broken.py) gets wrong.

  leader -> leader_ok {leader: "n2" or null}

Run it:  ccm exercise check election -- python3 examples/exercises/election/reference.py
"""
import json
import sys
import threading
import time

FOLLOW_WINDOW_S = 1.0
LEAD_WINDOW_S = 0.7

lock = threading.Lock()
node_id = None
nodes = []
last_heard = {}


def send(dest, body):
    with lock:
        sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": body}) + "\n")
        sys.stdout.flush()


def heard_within(seconds):
    now = time.monotonic()
    return {n for n, t in last_heard.items() if now - t <= seconds} | {node_id}


def leader():
    majority = len(nodes) // 2 + 1
    candidates = heard_within(FOLLOW_WINDOW_S)
    if len(candidates) < majority:
        return None
    best = min(candidates, key=lambda n: (len(n), n))  # n2 before n10
    if best == node_id and len(heard_within(LEAD_WINDOW_S)) < majority:
        return None
    return best


def heartbeats():
    while True:
        for n in nodes:
            if n != node_id:
                send(n, {"type": "heartbeat"})
        time.sleep(0.1)


for line in sys.stdin:
    if not line.strip():
        continue
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        node_id = body["node_id"]
        nodes = body["node_ids"]
        threading.Thread(target=heartbeats, daemon=True).start()
        send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
    elif body["type"] == "heartbeat":
        with lock:
            last_heard[msg["src"]] = time.monotonic()
    elif body["type"] == "leader":
        with lock:
            current = leader()
        send(msg["src"], {"type": "leader_ok", "leader": current, "in_reply_to": body["msg_id"]})
