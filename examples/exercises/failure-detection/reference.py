#!/usr/bin/env python3
"""Exercise 5, failure detection: a reference solution (Python 3, stdlib only).

Every node sends a heartbeat to every other node every 100 ms. For each peer it
keeps the gaps between the heartbeats it received, and computes phi, the
suspicion level of the phi accrual failure detector (Hayashibara et al.; Akka
and Cassandra use it): how unlikely it is, given the gaps seen so far, that the
next heartbeat is this late. A peer is suspected while phi > 8.

Because the threshold follows the gaps the network really has, a lossy link
(gaps of 200-300 ms now and then) raises no false alarm, while a stopped peer
passes phi 8 within about a second.

  suspects -> suspects_ok {suspects: [ids with phi > 8]}

Run it:  ccm exercise check failure-detection -- python3 examples/exercises/failure-detection/reference.py
"""
import json
import math
import sys
import threading
import time

HEARTBEAT_S = 0.1
THRESHOLD = 8.0
MIN_STD_MS = 100.0
ACCEPTABLE_PAUSE_MS = 300.0   # Akka's acceptable-heartbeat-pause, scaled down
MAX_GAP_MS = 1000.0           # a gap longer than this is an outage, not a sample
WINDOW = 100

lock = threading.Lock()
node_id = None
peers = []
last_heard = {}   # peer -> monotonic ms of the last heartbeat
gaps = {}         # peer -> recent gaps (ms)


def now_ms():
    return time.monotonic() * 1000


def send(dest, body):
    with lock:
        sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": body}) + "\n")
        sys.stdout.flush()


def phi(peer):
    """Akka's approximation of -log10(1 - CDF(elapsed)) for a normal distribution of gaps."""
    samples = gaps.get(peer) or [HEARTBEAT_S * 1000]
    mean = sum(samples) / len(samples)
    std = max(MIN_STD_MS, math.sqrt(sum((g - mean) ** 2 for g in samples) / len(samples)))
    elapsed = now_ms() - last_heard[peer]
    y = (elapsed - (mean + ACCEPTABLE_PAUSE_MS)) / std
    e = math.exp(-y * (1.5976 + 0.070566 * y * y))
    if y > 0:
        return -math.log10(max(e / (1.0 + e), 1e-300))
    return -math.log10(max(1.0 - 1.0 / (1.0 + e), 1e-300))


def heartbeats():
    while True:
        for p in peers:
            send(p, {"type": "heartbeat"})
        time.sleep(HEARTBEAT_S)


def handle(msg):
    global node_id, peers
    body = msg["body"]
    kind = body["type"]
    if kind == "init":
        node_id = body["node_id"]
        peers = [n for n in body["node_ids"] if n != node_id]
        with lock:
            for p in peers:
                last_heard[p] = now_ms()
        threading.Thread(target=heartbeats, daemon=True).start()
        send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
    elif kind == "heartbeat":
        with lock:
            t = now_ms()
            gap = t - last_heard.get(msg["src"], t)
            last_heard[msg["src"]] = t
            if 0 < gap <= MAX_GAP_MS:
                gaps.setdefault(msg["src"], []).append(gap)
                del gaps[msg["src"]][:-WINDOW]
    elif kind == "suspects":
        with lock:
            suspects = [p for p in peers if phi(p) > THRESHOLD]
        send(msg["src"], {"type": "suspects_ok", "suspects": suspects, "in_reply_to": body["msg_id"]})


for line in sys.stdin:
    if line.strip():
        handle(json.loads(line))
