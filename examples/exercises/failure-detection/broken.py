#!/usr/bin/env python3
"""Exercise 5, failure detection: a plausible but broken solution (Python 3).

Heartbeats every 100 ms, and a peer is suspected as soon as no heartbeat came
for 150 ms: a fixed, tiny timeout. It detects a stopped peer fast, but on a
network that loses one message in five, a live peer misses its deadline every
few seconds, and this node calls it failed: false positives all the time.

Watch it fail:  ccm exercise check failure-detection --solution broken
"""
import json
import sys
import threading
import time

TIMEOUT_S = 0.15

lock = threading.Lock()
node_id = None
peers = []
last_heard = {}


def send(dest, body):
    with lock:
        sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": body}) + "\n")
        sys.stdout.flush()


def heartbeats():
    while True:
        for p in peers:
            send(p, {"type": "heartbeat"})
        time.sleep(0.1)


for line in sys.stdin:
    if not line.strip():
        continue
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        node_id = body["node_id"]
        peers = [n for n in body["node_ids"] if n != node_id]
        for p in peers:
            last_heard[p] = time.monotonic()
        threading.Thread(target=heartbeats, daemon=True).start()
        send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
    elif body["type"] == "heartbeat":
        last_heard[msg["src"]] = time.monotonic()
    elif body["type"] == "suspects":
        late = [p for p in peers if time.monotonic() - last_heard[p] > TIMEOUT_S]
        send(msg["src"], {"type": "suspects_ok", "suspects": late, "in_reply_to": body["msg_id"]})
