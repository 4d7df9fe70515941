#!/usr/bin/env python3
"""Exercise 4, spontaneous leader election: a plausible but broken solution.

The leader is the lowest id among the nodes heard from in the last second,
itself included. When every node sees every other, they all agree. Under a
partition each side sees only itself, and each side's lowest id leads: two
leaders at once, until the partition heals (the Akka and Cassandra docs warn
about exactly this; it is why Akka's split brain resolver exists).

Watch it fail:  ccm exercise check election --solution broken
"""
import json
import sys
import threading
import time

lock = threading.Lock()
node_id = None
nodes = []
last_heard = {}


def send(dest, body):
    with lock:
        sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": body}) + "\n")
        sys.stdout.flush()


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
        last_heard[msg["src"]] = time.monotonic()
    elif body["type"] == "leader":
        now = time.monotonic()
        alive = {n for n, t in last_heard.items() if now - t <= 1.0} | {node_id}
        leader = min(alive, key=lambda n: (len(n), n))
        send(msg["src"], {"type": "leader_ok", "leader": leader, "in_reply_to": body["msg_id"]})
