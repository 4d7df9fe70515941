#!/usr/bin/env python3
"""A broadcast node written the way Maelstrom and Gossip Glomers nodes are.

The top half is a small port of the node library those nodes use (maelstrom-go's
Node: Handle, Reply, Send, RPC, Run; init handled by the library). The bottom
half is a typical "fault-tolerant broadcast" solution (Gossip Glomers 3c):
forward every new value to each neighbour with `broadcast` RPCs, retrying until
the neighbour answers broadcast_ok.

Nothing here knows about ccm: it runs under Maelstrom as it is, and under
`ccm exercise check gossip -- python3 examples/exercises/gossip/maelstrom_style.py`.
"""
import json
import sys
import threading
import time


class Node:
    """maelstrom-go's Node, in Python."""

    def __init__(self):
        self.id = None
        self.node_ids = []
        self._handlers = {}
        self._callbacks = {}
        self._next_msg_id = 0
        self._lock = threading.RLock()

    def handle(self, msg_type, fn):
        self._handlers[msg_type] = fn

    def send(self, dest, body):
        with self._lock:
            sys.stdout.write(json.dumps({"src": self.id, "dest": dest, "body": body}) + "\n")
            sys.stdout.flush()

    def reply(self, request, body):
        body = dict(body, in_reply_to=request["body"]["msg_id"])
        self.send(request["src"], body)

    def rpc(self, dest, body, callback):
        with self._lock:
            self._next_msg_id += 1
            msg_id = self._next_msg_id
            self._callbacks[msg_id] = callback
        self.send(dest, dict(body, msg_id=msg_id))

    def run(self):
        for line in sys.stdin:
            if not line.strip():
                continue
            msg = json.loads(line)
            body = msg["body"]
            if "in_reply_to" in body:
                with self._lock:
                    callback = self._callbacks.pop(body["in_reply_to"], None)
                if callback:
                    callback(msg)
                continue
            if body["type"] == "init":
                self.id = body["node_id"]
                self.node_ids = body["node_ids"]
                self.reply(msg, {"type": "init_ok"})
                continue
            handler = self._handlers.get(body["type"])
            if handler is None:
                self.reply(msg, {"type": "error", "code": 10, "text": "not supported"})
                continue
            threading.Thread(target=handler, args=(msg,), daemon=True).start()


# ---- the solution ------------------------------------------------------------

node = Node()
lock = threading.Lock()
values = set()
neighbours = []


def forward(dest, value):
    """Sends `value` to dest until it acknowledges (a lost message or a partition only delays it)."""
    acked = threading.Event()
    while not acked.is_set():
        node.rpc(dest, {"type": "broadcast", "message": value}, lambda _reply: acked.set())
        acked.wait(0.5)


def on_broadcast(msg):
    value = msg["body"]["message"]
    with lock:
        is_new = value not in values
        values.add(value)
    node.reply(msg, {"type": "broadcast_ok"})
    if is_new:
        for n in neighbours:
            if n != msg["src"]:
                threading.Thread(target=forward, args=(n, value), daemon=True).start()


def on_read(msg):
    with lock:
        current = sorted(values)
    node.reply(msg, {"type": "read_ok", "messages": current})


def on_topology(msg):
    global neighbours
    neighbours = msg["body"]["topology"].get(node.id, [])
    node.reply(msg, {"type": "topology_ok"})


node.handle("broadcast", on_broadcast)
node.handle("read", on_read)
node.handle("topology", on_topology)
node.run()
