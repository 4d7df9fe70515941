#!/usr/bin/env python3
"""Exercise 5, failure detection: a starting point (Python 3, stdlib only).

The harness is your network: it starts several copies of this program, sends
each an `init`, and asks each `suspects` several times a second while it stops
nodes one at a time and the links lose and delay messages. Answer with the
nodes you believe have failed: all the stopped ones, quickly, and (almost)
never a running one. See docs/exercises/node-protocol.md.

Check it:  ccm exercise check failure-detection -- python3 my_detector.py
"""
import json
import sys

node_id = None
peers = []


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
        peers = [n for n in body["node_ids"] if n != node_id]
        # TODO: tell the others you are alive, regularly (a thread).
        send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
    elif body["type"] == "suspects":
        # TODO: which peers have gone quiet for too long?
        send(msg["src"], {"type": "suspects_ok", "suspects": [], "in_reply_to": body["msg_id"]})
    # TODO: handle the messages your nodes send each other.
